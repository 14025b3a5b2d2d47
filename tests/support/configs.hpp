#pragma once

// config.json texts of real models, written from their published dimensions (the facts in
// ../shared/data/models/facts.json and the models' Hugging Face configs). Only the keys shardfit
// reads, plus a few it must ignore.

#include <string>

namespace shardfit::test::configs {

inline const std::string llama_3_1_8b = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
  "max_position_embeddings": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "rope_theta": 500000.0, "rope_scaling": {"factor": 8.0, "rope_type": "llama3"},
  "rms_norm_eps": 1e-05, "bos_token_id": 128000, "eos_token_id": 128001})";

inline const std::string llama_3_1_70b = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
  "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256,
  "max_position_embeddings": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string llama_3_1_405b = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 16384, "intermediate_size": 53248, "num_hidden_layers": 126,
  "num_attention_heads": 128, "num_key_value_heads": 8, "vocab_size": 128256,
  "max_position_embeddings": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string qwen2_5_7b = R"({
  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
  "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
  "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
  "max_position_embeddings": 32768, "max_window_layers": 28, "sliding_window": 131072,
  "use_sliding_window": false, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string gemma_3_27b_it = R"({
  "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
  "mm_tokens_per_image": 256,
  "text_config": {
    "model_type": "gemma3_text", "hidden_size": 5376, "intermediate_size": 21504,
    "num_hidden_layers": 62, "num_attention_heads": 32, "num_key_value_heads": 16,
    "head_dim": 128, "vocab_size": 262208, "sliding_window": 1024,
    "sliding_window_pattern": 6, "max_position_embeddings": 131072,
    "query_pre_attn_scalar": 168, "rope_scaling": {"factor": 8.0, "rope_type": "linear"}},
  "vision_config": {
    "model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
    "num_hidden_layers": 27, "num_attention_heads": 16, "image_size": 896, "patch_size": 14},
  "torch_dtype": "bfloat16"})";

inline const std::string deepseek_v3 = R"({
  "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
  "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
  "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
  "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
  "first_k_dense_replace": 3, "moe_layer_freq": 1, "q_lora_rank": 1536, "kv_lora_rank": 512,
  "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 129280,
  "max_position_embeddings": 163840, "num_nextn_predict_layers": 1,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                          "quant_method": "fp8", "weight_block_size": [128, 128]}})";

inline const std::string kimi_k2 = R"({
  "architectures": ["DeepseekV3ForCausalLM"], "model_type": "kimi_k2",
  "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
  "num_hidden_layers": 61, "num_attention_heads": 64, "num_key_value_heads": 64,
  "n_routed_experts": 384, "n_shared_experts": 1, "num_experts_per_tok": 8,
  "first_k_dense_replace": 1, "q_lora_rank": 1536, "kv_lora_rank": 512,
  "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 163840,
  "max_position_embeddings": 131072, "torch_dtype": "bfloat16",
  "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}})";

inline const std::string qwen3_235b_a22b_fp8 = R"({
  "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
  "hidden_size": 4096, "intermediate_size": 12288, "moe_intermediate_size": 1536,
  "num_hidden_layers": 94, "num_attention_heads": 64, "num_key_value_heads": 4,
  "head_dim": 128, "num_experts": 128, "num_experts_per_tok": 8, "decoder_sparse_step": 1,
  "mlp_only_layers": [], "vocab_size": 151936, "max_position_embeddings": 40960,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                          "quant_method": "fp8", "weight_block_size": [128, 128]}})";

// Qwen/Qwen2.5-0.5B-Instruct's config.json (the dimensions that matter).
inline const std::string qwen2_5_0_5b = R"({
  "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
  "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
  "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768,
  "tie_word_embeddings": true, "torch_dtype": "bfloat16"})";

inline const std::string qwen3_30b_a3b = R"({
  "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
  "hidden_size": 2048, "intermediate_size": 6144, "moe_intermediate_size": 768,
  "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4,
  "head_dim": 128, "num_experts": 128, "num_experts_per_tok": 8, "vocab_size": 151936,
  "max_position_embeddings": 40960, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string mixtral_8x7b = R"({
  "architectures": ["MixtralForCausalLM"], "model_type": "mixtral",
  "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8,
  "num_experts_per_tok": 2, "vocab_size": 32000, "max_position_embeddings": 32768,
  "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string gpt_oss_120b = R"({
  "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss",
  "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 36,
  "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
  "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 4,
  "vocab_size": 201088, "sliding_window": 128, "max_position_embeddings": 131072,
  "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention",
    "sliding_attention", "full_attention", "sliding_attention", "full_attention"],
  "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "quantization_config": {"quant_method": "mxfp4",
    "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                               "model.embed_tokens", "lm_head"]}})";

inline const std::string glm_4_5 = R"({
  "architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe",
  "hidden_size": 5120, "intermediate_size": 12288, "moe_intermediate_size": 1536,
  "num_hidden_layers": 92, "num_attention_heads": 96, "num_key_value_heads": 8,
  "head_dim": 128, "n_routed_experts": 160, "n_shared_experts": 1, "num_experts_per_tok": 8,
  "first_k_dense_replace": 3, "num_nextn_predict_layers": 1, "vocab_size": 151552,
  "partial_rotary_factor": 0.5, "max_position_embeddings": 131072,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

inline const std::string phi_3_mini = R"({
  "architectures": ["Phi3ForCausalLM"], "model_type": "phi3",
  "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32064,
  "max_position_embeddings": 4096, "sliding_window": 2047, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16"})";

inline const std::string qwen2_5_vl_7b = R"({
  "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
  "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
  "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
  "max_position_embeddings": 128000, "use_sliding_window": false, "sliding_window": 32768,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16",
  "vision_config": {"depth": 32, "hidden_size": 1280, "num_heads": 16, "out_hidden_size": 3584}})";

inline const std::string internvl_8b = R"({
  "architectures": ["InternVLChatModel"], "model_type": "internvl_chat",
  "llm_config": {"architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2",
    "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 92553,
    "max_position_embeddings": 32768, "torch_dtype": "bfloat16"},
  "vision_config": {"hidden_size": 1024, "num_attention_heads": 16, "num_hidden_layers": 24},
  "torch_dtype": "bfloat16"})";

inline const std::string llama_4_scout = R"({
  "architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
  "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
    "intermediate_size_mlp": 16384, "num_hidden_layers": 48, "num_attention_heads": 40,
    "num_key_value_heads": 8, "head_dim": 128, "num_local_experts": 16,
    "num_experts_per_tok": 1, "vocab_size": 202048, "max_position_embeddings": 10485760,
    "attention_chunk_size": 8192},
  "vision_config": {"hidden_size": 1408, "num_attention_heads": 16, "num_hidden_layers": 34},
  "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

// meta-llama/Llama-4-Maverick-17B-128E-Instruct: 128 experts on every other layer (layers 1, 3,
// ...), dense layers of intermediate_size_mlp between.
inline const std::string llama_4_maverick = R"({
  "architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
  "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
    "intermediate_size_mlp": 16384, "num_hidden_layers": 48, "num_attention_heads": 40,
    "num_key_value_heads": 8, "head_dim": 128, "num_local_experts": 128,
    "interleave_moe_layer_step": 2, "num_experts_per_tok": 1, "vocab_size": 202048,
    "max_position_embeddings": 1048576, "attention_chunk_size": 8192},
  "vision_config": {"hidden_size": 1408, "num_attention_heads": 16, "num_hidden_layers": 34,
    "intermediate_size": 5632, "projector_output_dim": 4096},
  "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

}  // namespace shardfit::test::configs
