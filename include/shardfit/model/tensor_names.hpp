#pragma once

/// @file
/// @brief The tensor naming rules of GGUF and Hugging Face checkpoints: which repeating layer a
/// tensor belongs to (and whether it is a routed expert), or whether it is part of the input
/// layer, the output layer or something else. The profile builders and the resharder share them.

#include <charconv>
#include <cstdint>
#include <shardfit/core/compiled.hpp>
#include <string_view>
#include <system_error>

namespace shardfit {

/// @brief Where a tensor's bytes are counted: a repeating layer (and whether a routed expert),
/// the input layer, the output layer, or other.
struct tensor_place {
  enum kind_t : std::uint8_t { layer, input, output, other } kind = other;
  std::uint32_t layer_index = 0;
  bool expert = false;
};

namespace detail {
SHARDFIT_INLINE bool starts_with(std::string_view s, std::string_view p) noexcept;
SHARDFIT_INLINE bool contains(std::string_view s, std::string_view p) noexcept;
}  // namespace detail

/// @brief GGUF tensor names: "blk.N.*" are layers; the input layer is token_embd and friends
/// (llama.cpp keeps it on the host); the output layer is output.* and output_norm.*.
SHARDFIT_INLINE tensor_place place_gguf_tensor(std::string_view name) noexcept;

// A per-layer value that GGUF stores either as one integer or as an array with one per layer.
/// @brief Hugging Face tensor names: "...layers.N." (also "h.N.", "blocks.N.") are layers unless
/// they belong to a vision or audio tower; embeddings are the input; lm_head and the final norm the
/// output. Layers at or past `n_layer` (MTP modules) count as other.
SHARDFIT_INLINE tensor_place place_hf_tensor(std::string_view name, std::uint32_t n_layer) noexcept;

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/model/tensor_names-inl.hpp>
#endif
