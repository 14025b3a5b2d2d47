#pragma once

/// @file
/// @brief The model file formats shardfit reads and writes (GGUF, safetensors, PyTorch pickles).
/// Plain data.

#include <cstdint>
#include <string_view>

namespace shardfit {

/// @brief A model file format.
enum class model_format : std::uint8_t {
  gguf,         ///< llama.cpp GGUF (`.gguf`)
  safetensors,  ///< safetensors (`.safetensors`)
  pytorch,      ///< PyTorch pickles (`.bin`)
};

/// @brief "gguf", "safetensors" or "pytorch".
[[nodiscard]] constexpr std::string_view to_string(model_format f) noexcept {
  switch (f) {
    case model_format::gguf:
      return "gguf";
    case model_format::safetensors:
      return "safetensors";
    case model_format::pytorch:
      return "pytorch";
  }
  return "unknown";
}

}  // namespace shardfit
