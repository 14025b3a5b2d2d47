#pragma once

// The bodies of <shardfit/formats/hf_config.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/hf_config.hpp>

namespace shardfit {

SHARDFIT_INLINE bool hf_config::is_multimodal() const noexcept {
  return vision_layers != 0 || vision_heads != 0;
}

SHARDFIT_INLINE std::uint32_t default_sliding_pattern(std::string_view type) noexcept {
  struct entry {
    std::string_view type;
    std::uint32_t every;
  };
  constexpr entry table[] = {{"gemma2", 2},  {"gemma3", 6},       {"gemma3_text", 6},
                             {"gemma3n", 5}, {"gemma3n_text", 5}, {"gemma-embedding", 6},
                             {"cohere2", 4}, {"exaone4", 4},      {"gpt-oss", 2},
                             {"gpt_oss", 2}, {"olmo2", 4}};
  for (const auto& e : table) {
    if (e.type == type) return e.every;
  }
  return 0;
}

}  // namespace shardfit
