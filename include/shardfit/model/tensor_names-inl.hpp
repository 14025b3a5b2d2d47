#pragma once

// The bodies of <shardfit/model/tensor_names.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/model/tensor_names.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.substr(0, p.size()) == p;
}

SHARDFIT_INLINE bool contains(std::string_view s, std::string_view p) noexcept {
  return s.find(p) != std::string_view::npos;
}

}  // namespace detail

SHARDFIT_INLINE tensor_place place_gguf_tensor(std::string_view name) noexcept {
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

SHARDFIT_INLINE tensor_place place_hf_tensor(std::string_view name,
                                             std::uint32_t n_layer) noexcept {
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
