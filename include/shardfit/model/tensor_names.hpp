#pragma once

/// @file
/// @brief The tensor naming rules of GGUF and Hugging Face checkpoints: which repeating layer a
/// tensor belongs to (and whether it is a routed expert), or whether it is part of the input
/// layer, the output layer or something else. The profile builders and the resharder share them.

#include <charconv>
#include <cstdint>
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
inline bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.substr(0, p.size()) == p;
}
inline bool contains(std::string_view s, std::string_view p) noexcept {
  return s.find(p) != std::string_view::npos;
}
}  // namespace detail

/// @brief GGUF tensor names: "blk.N.*" are layers; the input layer is token_embd and friends
/// (llama.cpp keeps it on the host); the output layer is output.* and output_norm.*.
inline tensor_place place_gguf_tensor(std::string_view name) noexcept {
  tensor_place p;
  if (detail::starts_with(name, "blk.")) {
    const auto rest = name.substr(4);
    std::uint32_t n = 0;
    const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (r.ec == std::errc{} && r.ptr != rest.data() && r.ptr < rest.data() + rest.size() &&
        *r.ptr == '.') {
      p.kind = tensor_place::layer;
      p.layer_index = n;
      p.expert = detail::contains(name, "_exps.");
      return p;
    }
  }
  for (const auto in : {"token_embd.", "position_embd.", "token_types.", "token_embd_norm.",
                        "per_layer_token_embd."}) {
    if (detail::starts_with(name, in)) {
      p.kind = tensor_place::input;
      return p;
    }
  }
  for (const auto out : {"output.", "output_norm.", "cls.", "cls_out."}) {
    if (detail::starts_with(name, out)) {
      p.kind = tensor_place::output;
      return p;
    }
  }
  return p;
}

// A per-layer value that GGUF stores either as one integer or as an array with one per layer.
/// @brief Hugging Face tensor names: "...layers.N." (also "h.N.", "blocks.N.") are layers unless
/// they belong to a vision or audio tower; embeddings are the input; lm_head and the final norm the
/// output. Layers at or past `n_layer` (MTP modules) count as other.
inline tensor_place place_hf_tensor(std::string_view name, std::uint32_t n_layer) noexcept {
  tensor_place p;
  for (const auto tower :
       {"vision_tower", "vision_model", "visual.", "multi_modal_projector", "mm_projector",
        "vision_embed", "image_newline", "audio_tower", "audio_model", "vision."}) {
    if (detail::contains(name, tower)) return p;
  }
  for (const auto marker : {"layers.", "h.", "blocks."}) {
    std::size_t at = 0;
    while ((at = name.find(marker, at)) != std::string_view::npos) {
      if (at == 0 || name[at - 1] == '.') {
        const auto rest = name.substr(at + std::string_view(marker).size());
        std::uint32_t n = 0;
        const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), n);
        if (r.ec == std::errc{} && r.ptr != rest.data() && r.ptr < rest.data() + rest.size() &&
            *r.ptr == '.') {
          if (n >= n_layer) return p;  // an MTP layer: not run for inference
          p.kind = tensor_place::layer;
          p.layer_index = n;
          p.expert =
              detail::contains(name, ".experts.") && !detail::contains(name, "shared_expert");
          return p;
        }
      }
      at += 1;
    }
  }
  for (const auto in :
       {"embed_tokens", "wte.", "word_embeddings", "tok_embeddings", "wpe.", "embed_positions"}) {
    if (detail::contains(name, in)) {
      p.kind = tensor_place::input;
      return p;
    }
  }
  for (const auto out :
       {"lm_head", "ln_f.", "final_layernorm", "model.norm.", "norm.weight", "output."}) {
    if (detail::contains(name, out)) {
      p.kind = tensor_place::output;
      return p;
    }
  }
  return p;
}

}  // namespace shardfit
