#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for model profiles: every field out, and back in
/// (profiles can be cached or shipped).

#include <shardfit/core/json.hpp>
#include <shardfit/formats/hf_config.hpp>
#include <shardfit/model/profile.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace shardfit {

// Types that round-trip: their fields, in output order, for both directions. `to_json` writes
// every field; `from_json` reads what it writes, absent keys keeping their defaults.
// clang-format off
#define SHARDFIT_HF_QUANTIZATION_FIELDS(X) \
  X(method) X(bits) X(group_size) X(weight_block_size) X(format)
#define SHARDFIT_WEIGHT_FILE_FIELDS(X) \
  X(name) X(size) X(estimated) X(first_layer) X(layer_count) X(input) X(output)
#define SHARDFIT_LAYER_PROFILE_FIELDS(X)                                                   \
  X(weights) X(expert_weights) X(n_head) X(n_head_kv) X(k_per_token) X(v_per_token) X(swa) \
  X(recurrent) X(r_state) X(s_state)
#define SHARDFIT_MODEL_PROFILE_FIELDS(X)                                                 \
  X(name) X(architecture) X(source) X(quantization) X(n_layer) X(n_embd) X(n_head)       \
  X(n_head_kv) X(head_dim_k) X(head_dim_v) X(n_ff) X(n_vocab) X(n_ctx_train) X(n_expert)  \
  X(n_expert_used) X(n_expert_shared) X(n_ff_expert) X(n_layer_dense_lead)               \
  X(expert_probs_bias) X(expert_weights_norm) X(expert_weights_scale)                    \
  X(kv_lora_rank) X(q_lora_rank) X(qk_nope_dim) X(latent_expanded) X(rope_dim)           \
  X(sliding_window) X(ssm_inner) X(ssm_state) X(ssm_conv) X(ssm_dt_rank)                \
  X(ssm_groups) X(vision_heads) X(vision_ff) X(vision_tower) X(vllm_max_len)            \
  X(vllm_max_len_key) X(hf_architecture) X(quant) X(tied_embeddings) X(layers)           \
  X(token_embd) X(output) X(other) X(parameters) X(files) X(companions) X(hub_repo)      \
  X(file_bytes) X(set) X(weight_files) X(notes)
// clang-format on
#define SHARDFIT_TO_JSON_FIELD(f) j[#f] = v.f;
#define SHARDFIT_FROM_JSON_FIELD(f) detail::json_optional(j, #f, v.f);
#define SHARDFIT_JSON_FIELDS(Type, FIELDS)                 \
  template <class BasicJsonType>                           \
  void to_json_fields(BasicJsonType& j, const Type& v) {   \
    FIELDS(SHARDFIT_TO_JSON_FIELD)                         \
  }                                                        \
  template <class BasicJsonType>                           \
  void from_json_fields(const BasicJsonType& j, Type& v) { \
    FIELDS(SHARDFIT_FROM_JSON_FIELD)                       \
  }

namespace detail {
SHARDFIT_JSON_FIELDS(hf_quantization, SHARDFIT_HF_QUANTIZATION_FIELDS)
SHARDFIT_JSON_FIELDS(weight_file, SHARDFIT_WEIGHT_FILE_FIELDS)
SHARDFIT_JSON_FIELDS(layer_profile, SHARDFIT_LAYER_PROFILE_FIELDS)
SHARDFIT_JSON_FIELDS(model_profile, SHARDFIT_MODEL_PROFILE_FIELDS)
}  // namespace detail

#undef SHARDFIT_JSON_FIELDS
#undef SHARDFIT_FROM_JSON_FIELD
#undef SHARDFIT_TO_JSON_FIELD
#undef SHARDFIT_MODEL_PROFILE_FIELDS
#undef SHARDFIT_LAYER_PROFILE_FIELDS
#undef SHARDFIT_WEIGHT_FILE_FIELDS
#undef SHARDFIT_HF_QUANTIZATION_FIELDS

/// @brief Writes `{"method", "bits", "group_size", "weight_block_size", "format"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const hf_quantization& q) {
  j = BasicJsonType::object();
  detail::to_json_fields(j, q);
}

/// @brief Reads what `to_json` writes; absent keys keep their defaults.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, hf_quantization& q) {
  detail::from_json_fields(j, q);
}

/// @brief Writes `{"name", "size", "estimated", "first_layer", "layer_count", "input",
/// "output"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const weight_file& f) {
  j = BasicJsonType::object();
  detail::to_json_fields(j, f);
}

/// @brief Reads what `to_json` writes; absent keys keep their defaults.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, weight_file& f) {
  detail::from_json_fields(j, f);
}

/// @brief Writes a layer: weights, expert_weights, heads, cache shape, swa, recurrent state.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const layer_profile& l) {
  j = BasicJsonType::object();
  detail::to_json_fields(j, l);
}

/// @brief Reads what `to_json` writes; absent keys keep their defaults.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, layer_profile& l) {
  detail::from_json_fields(j, l);
}

/// @brief Writes every field of a profile (plus the derived total "weights"), so a profile can
/// be cached or shipped and read back with `from_json`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const model_profile& m) {
  j = BasicJsonType::object();
  detail::to_json_fields(j, m);
  j["weights"] = m.weights();
}

/// @brief Reads what `to_json` writes ("weights" is derived and ignored); absent keys keep
/// their defaults.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, model_profile& m) {
  detail::from_json_fields(j, m);
}

}  // namespace shardfit
