#pragma once

/// @file
/// @brief What shardfit keeps of a Hugging Face `config.json`: the language model's architecture
/// facts and its vision tower, and `quantization_config`. Plain data; `read_hf_config.hpp` reads
/// it.

#include <cstdint>
#include <optional>
#include <shardfit/core/compiled.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief `quantization_config`, as far as memory and parallelism depend on it.
struct hf_quantization {
  std::string method;            ///< quant_method: "fp8", "gptq", "awq", "mxfp4", ...
  std::uint32_t bits = 0;        ///< weight bits (0 when not stated)
  std::uint32_t group_size = 0;  ///< GPTQ/AWQ group size (0 when not stated; -1 → 0)
  std::vector<std::uint32_t> weight_block_size;  ///< FP8 block quantization, e.g. {128, 128}
  std::string format;                            ///< "float-quantized", "e4m3", ... when stated

  friend bool operator==(const hf_quantization&, const hf_quantization&) = default;
};

/// @brief The language model of a Hugging Face config, plus its vision tower when multimodal.
struct hf_config {
  std::vector<std::string> architectures;  ///< "LlamaForCausalLM", ...
  std::string model_type;                  ///< of the language model: "llama", "gemma3_text"
  std::uint32_t num_hidden_layers = 0;
  std::uint32_t hidden_size = 0;
  std::uint32_t num_attention_heads = 0;
  std::uint32_t num_key_value_heads = 0;  ///< equals num_attention_heads when absent
  std::uint32_t head_dim = 0;             ///< explicit, or hidden_size / num_attention_heads
  std::uint32_t intermediate_size = 0;
  std::uint32_t vocab_size = 0;
  bool tie_word_embeddings = false;
  std::uint64_t max_position_embeddings = 0;
  /// The longest context vLLM accepts without VLLM_ALLOW_LONG_MAX_MODEL_LEN
  /// (vllm/config/model.py, _get_and_verify_max_len): the least of the length keys present
  /// (`model_max_length` overriding), times the rope scaling factor for linear, dynamic and
  /// yarn scaling (yarn from `original_max_position_embeddings`; never for gemma3). 0: unknown.
  std::uint64_t vllm_max_len = 0;
  std::string vllm_max_len_key;  ///< the key it comes from, for messages
  std::string torch_dtype;       ///< "bfloat16", "float16", "float32" ("dtype" in newer configs)

  // Mixture of experts.
  std::uint32_t num_experts = 0;  ///< routed experts per MoE layer
  std::uint32_t experts_per_token = 0;
  std::uint32_t moe_intermediate_size = 0;  ///< per expert
  std::uint32_t shared_experts = 0;         ///< shared experts per MoE layer
  std::uint32_t shared_expert_intermediate_size = 0;
  std::uint32_t first_dense_layers = 0;  ///< leading dense layers (first_k_dense_replace)
  /// Every n-th layer is MoE, the others dense (`interleave_moe_layer_step`, Llama 4 Maverick:
  /// 2, layers 1, 3, 5, ...); 1: every layer after the leading dense ones.
  std::uint32_t moe_layer_step = 1;
  std::uint32_t dense_intermediate_size = 0;  ///< the dense layers' FFN width when it differs
                                              ///< (`intermediate_size_mlp`)
  std::uint32_t mtp_layers = 0;               ///< num_nextn_predict_layers (not run for inference)
  bool expert_selection_bias = false;         ///< topk_method "noaux_tc": a bias per expert
  bool norm_topk_prob = false;                ///< the chosen experts' weights are normalized
  double routed_scaling_factor = 0;           ///< and scaled by this

  // Multi-head latent attention (DeepSeek-V2/V3, Kimi K2).
  std::uint32_t q_lora_rank = 0;
  std::uint32_t kv_lora_rank = 0;
  std::uint32_t qk_rope_head_dim = 0;
  std::uint32_t qk_nope_head_dim = 0;
  std::uint32_t v_head_dim = 0;

  // Selective state-space layers (Mamba-2): groups of B/C projections.
  std::uint32_t ssm_groups = 0;

  // Sliding-window attention.
  std::uint32_t sliding_window = 0;  ///< window length, 0 when none
  std::vector<bool> sliding_layers;  ///< per layer: true when it uses the window

  // Vision tower of a multimodal model (zero when text-only).
  std::uint32_t vision_layers = 0;
  std::uint32_t vision_hidden_size = 0;
  std::uint32_t vision_heads = 0;
  std::uint32_t vision_intermediate = 0;
  std::uint32_t vision_projection =
      0;  ///< the width the tower projects to (the text model's)  ///< the tower's MLP width
          ///< (`intermediate_size`, or `embed_dim` x `mlp_ratio`)
  std::string vision_type;  ///< `vision_config.model_type` ("intern_vit_6b", "siglip_vision_model")
  std::string top_model_type;  ///< the top-level `model_type` ("internvl_chat", "mllama")

  std::optional<hf_quantization> quantization;

  /// @brief True for multi-head latent attention.
  [[nodiscard]] bool is_mla() const noexcept { return kv_lora_rank != 0; }
  /// @brief True for a mixture of experts.
  [[nodiscard]] bool is_moe() const noexcept { return num_experts != 0; }
  /// @brief True when a vision tower is present.
  [[nodiscard]] bool is_multimodal() const noexcept;
};

/// @brief Every n-th layer uses global attention, the others the sliding window, by model type
/// when the model states no pattern, under either spelling (GGUF architecture, config.json
/// `model_type`): llama.cpp's per-architecture defaults and transformers' config defaults
/// (Gemma2 alternates, Gemma3 6, Gemma3n 5, Cohere2 4, EXAONE 4 4, gpt-oss 2, OLMo2 4);
/// 0 for a type not listed.
[[nodiscard]] SHARDFIT_INLINE std::uint32_t default_sliding_pattern(std::string_view type) noexcept;

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/hf_config-inl.hpp>
#endif
