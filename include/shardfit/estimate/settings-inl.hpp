#pragma once

// The bodies of <shardfit/estimate/settings.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/settings.hpp>

namespace shardfit {

SHARDFIT_INLINE std::optional<backend> parse_backend(std::string_view text) noexcept {
  if (text == "llama.cpp" || text == "llama" || text == "llamacpp" || text == "llama-cpp") {
    return backend::llama_cpp;
  }
  if (text == "vllm") return backend::vllm;
  return std::nullopt;
}

SHARDFIT_INLINE bool vllm_estimate::fits() const {
  return parallel.valid &&
         std::all_of(stages.begin(), stages.end(), [](const auto& s) { return s.fits; });
}

}  // namespace shardfit
