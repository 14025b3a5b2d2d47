#pragma once

/// @file
/// @brief `model_profile`: a model's architecture, the bytes of every repeating layer (and of
/// its routed experts), the non-repeating bytes, the parameter count and the files it came from.
/// Plain data, however it was read; `load.hpp` builds it from files. The estimators and the
/// planner work on profiles only.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/formats/hf_config.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shardfit {

/// @brief One repeating layer (block) of a model.
struct layer_profile {
  bytes weights;                  ///< every tensor of the layer
  bytes expert_weights;           ///< of which routed experts (what expert parallelism spreads)
  std::uint32_t n_head = 0;       ///< query heads
  std::uint32_t n_head_kv = 0;    ///< KV heads; 0 when the layer keeps no KV cache
  std::uint32_t k_per_token = 0;  ///< K elements cached per token (all KV heads, or MLA latent)
  std::uint32_t v_per_token = 0;  ///< V elements cached per token (0 with MLA)
  bool swa = false;               ///< uses the sliding window
  bool recurrent = false;         ///< keeps recurrent state instead of a KV cache
  std::uint64_t r_state = 0;      ///< recurrent conv/shift state elements per sequence
  std::uint64_t s_state = 0;      ///< recurrent SSM/WKV state elements per sequence

  friend bool operator==(const layer_profile&, const layer_profile&) = default;
};

/// @brief One weight file of a set and what it holds: which repeating layers have tensors in it,
/// and whether it holds the input embeddings or the output head. A pipeline stage needs only
/// the files holding its layers.
struct weight_file {
  std::string name;               ///< file name, relative to the set's directory
  bytes size;                     ///< its size (estimated from its tensors when not downloaded)
  bool estimated = false;         ///< `size` is derived (index only), not read from disk
  std::uint32_t first_layer = 0;  ///< first repeating layer with a tensor here
  std::uint32_t layer_count = 0;  ///< layers [first_layer, first_layer + layer_count); 0: none
  bool input = false;             ///< holds input embeddings (or other non-layer tensors)
  bool output = false;            ///< holds the output head or the final norm

  /// @brief Whether a reader of repeating layers [first, first + count) needs this file (with
  /// the input embeddings when `with_input`, the head when `with_output`).
  [[nodiscard]] bool needed_by(std::uint32_t first, std::uint32_t count, bool with_input,
                               bool with_output) const noexcept;

  friend bool operator==(const weight_file&, const weight_file&) = default;
};

/// @brief Everything the estimators and the planner need to know about a model.
struct model_profile {
  std::string name;          ///< general.name, or the set's name
  std::string architecture;  ///< GGUF architecture ("llama") or HF model_type ("llama")
  std::string source;        ///< "gguf", "safetensors" or "config" (config.json + index only)
  std::string quantization;  ///< "Q4_K_M", "bf16", "fp8", ...

  std::uint32_t n_layer = 0;
  std::uint32_t n_embd = 0;
  std::uint32_t n_head = 0;     ///< of the first layer
  std::uint32_t n_head_kv = 0;  ///< of the first layer
  std::uint32_t head_dim_k = 0;
  std::uint32_t head_dim_v = 0;
  std::uint32_t n_ff = 0;  ///< dense FFN width
  std::uint32_t n_vocab = 0;
  std::uint64_t n_ctx_train = 0;

  std::uint32_t n_expert = 0;            ///< routed experts per MoE layer
  std::uint32_t n_expert_used = 0;       ///< experts per token
  std::uint32_t n_expert_shared = 0;     ///< shared experts per MoE layer
  std::uint32_t n_ff_expert = 0;         ///< FFN width of one expert
  std::uint32_t n_layer_dense_lead = 0;  ///< leading dense layers of an MoE model
  bool expert_probs_bias = false;        ///< a selection bias per expert (exp_probs_b)
  bool expert_weights_norm = false;      ///< the chosen experts' weights are normalized
  double expert_weights_scale = 0;       ///< and scaled by this (0 or 1: not scaled)

  std::uint32_t kv_lora_rank = 0;  ///< MLA latent rank (0 without MLA)
  std::uint32_t q_lora_rank = 0;
  std::uint32_t qk_nope_dim = 0;  ///< latent attention: the non-rotary part of a query/key head
  /// A latent-attention model the engine runs as ordinary multi-head attention: a deepseek2
  /// GGUF converted before llama.cpp's native MLA (one whole attn_kv_b, no *_mla keys), whose
  /// latent is decompressed to every head and cached that way (llama-model.cpp,
  /// llama_model::load_hparams: is_mla needs key_length_mla and value_length_mla).
  bool latent_expanded = false;
  std::uint32_t rope_dim = 0;  ///< rotary dims (MLA: qk_rope_head_dim)
  std::uint32_t sliding_window = 0;
  /// Selective state-space (Mamba) layers: inner width, state size, convolution kernel,
  /// time-step rank and groups (0 where the model has none).
  std::uint32_t ssm_inner = 0;
  std::uint32_t ssm_state = 0;
  std::uint32_t ssm_conv = 0;
  std::uint32_t ssm_dt_rank = 0;
  std::uint32_t ssm_groups = 0;

  std::uint32_t vision_heads = 0;  ///< attention heads of a vision tower, 0 when none
  std::uint32_t vision_ff = 0;     ///< the vision tower's MLP width, 0 when none or unknown
  std::string vision_tower;        ///< the tower's type ("intern_vit_6b"), when stated
  std::string hf_architecture;     ///< the config's model class ("InternVLChatModel"), if any
  /// The longest `max_model_len` vLLM accepts for this config without
  /// VLLM_ALLOW_LONG_MAX_MODEL_LEN, and where it comes from; 0 when unknown.
  std::uint64_t vllm_max_len = 0;
  std::string vllm_max_len_key;
  hf_quantization quant;         ///< quantization_config facts (method, bits, group, block)
  bool tied_embeddings = false;  ///< the output head reuses the input embeddings

  std::vector<layer_profile> layers;
  bytes token_embd;  ///< input embeddings (and other input tensors); llama.cpp keeps them on host
  bytes output;      ///< output head and final norm
  bytes other;       ///< every other non-repeating tensor (vision tower, MTP layers, rope tables)
  std::uint64_t parameters = 0;
  std::vector<std::string> files;  ///< the files it came from (model files, config, index)
  /// Multimodal projectors (`mmproj-*.gguf`) found beside a GGUF set: llama-server takes one
  /// with `--mmproj`.
  std::vector<std::string> companions;
  /// The Hugging Face repository ("org/name") when the model was found in a hub cache: vLLM
  /// serves it by that id.
  std::string hub_repo;
  bytes file_bytes;  ///< sum of the model files' sizes (0 when not downloaded)
  std::string set;   ///< the shard set's name ("Llama-3.1-70B-Q4_K_M")
  /// Weight files with the layers they hold, when the index (or the headers) map tensors to
  /// files; empty otherwise (then every reader needs the whole set).
  std::vector<weight_file> weight_files;
  std::vector<std::string> notes;  ///< how figures were derived, when not read exactly

  /// @brief Bytes of all weights.
  [[nodiscard]] bytes weights() const;
  /// @brief The smallest layer's bytes.
  [[nodiscard]] bytes min_layer_bytes() const;
  /// @brief The largest layer's bytes.
  [[nodiscard]] bytes max_layer_bytes() const;
  /// @brief Bytes a full copy takes on disk: the files' sizes, or the weights when not
  /// downloaded.
  [[nodiscard]] bytes disk_bytes() const;
  /// @brief Bytes of the weight files a reader of repeating layers [first, first + count) needs
  /// (with the input embeddings when `with_input`, the head when `with_output`); the whole set
  /// when the files' contents are unknown.
  [[nodiscard]] bytes disk_bytes_for(std::uint32_t first, std::uint32_t count, bool with_input,
                                     bool with_output) const;
  /// @brief True for a mixture of experts.
  [[nodiscard]] bool is_moe() const noexcept { return n_expert != 0; }
  /// @brief The context vLLM runs with for a `max_model_len` setting: the setting when not 0,
  /// else the model's derived maximum (the config's, else the training context, else 4096).
  [[nodiscard]] std::uint64_t vllm_context(std::uint64_t max_model_len) const noexcept;
  /// @brief True for multi-head latent attention as the engine runs it (the cache holds the
  /// latent); false for a latent model in the expanded layout.
  [[nodiscard]] bool is_mla() const noexcept { return kv_lora_rank != 0 && !latent_expanded; }
};

/// @brief Options of `load_model`.
struct load_options {
  /// @brief Which set to take when the directory holds several ("Q4_K_M/model"); empty: the
  /// only one (an error if there are several).
  std::string set_name;
  /// @brief Build a safetensors model from config.json and the index even when its weight
  /// files are present (faster: no header reads).
  bool config_only = false;
  /// @brief In a Hugging Face cache repository (`models--org--name/`), the revision to read: a
  /// name under `refs/` or a commit hash.
  std::string revision = "main";
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/model/profile-inl.hpp>
#endif
