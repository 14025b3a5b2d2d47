#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for the estimators' answers: llama.cpp per-device
/// estimates, vLLM per-stage estimates, parallel layouts and their verdicts.

#include <shardfit/core/json.hpp>
#include <shardfit/estimate/settings.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace shardfit {

/// @brief Writes one device of a llama.cpp estimate with `*_bytes` keys.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const device_estimate& d) {
  j = BasicJsonType::object();
  j["device"] = d.device;
  j["kind"] = std::string(to_string(d.kind));
  j["layers"] = d.layers;
  j["first_layer"] = d.first_layer;
  j["output_layer"] = d.output_layer;
  j["weights_bytes"] = d.weights;
  j["kv_bytes"] = d.kv;
  j["compute_bytes"] = d.compute;
  j["output_bytes"] = d.output;
  j["overhead_bytes"] = d.overhead;
  j["total_bytes"] = d.total;
}

/// @brief Writes `{"devices": [...], "offloaded_layers", "total_layers", "output_offloaded",
/// "n_ctx", "n_ctx_seq", "n_ubatch", "n_seq", "flash_attn", "sched_copies", "notes"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const llama_estimate& e) {
  j = BasicJsonType::object();
  j["devices"] = e.devices;
  j["offloaded_layers"] = e.offloaded_layers;
  j["total_layers"] = e.total_layers;
  j["output_offloaded"] = e.output_offloaded;
  j["n_ctx"] = e.n_ctx;
  j["n_ctx_seq"] = e.n_ctx_seq;
  j["n_ubatch"] = e.n_ubatch;
  j["n_seq"] = e.n_seq;
  j["flash_attn"] = e.flash_attn;
  j["sched_copies"] = e.sched_copies;
  j["notes"] = e.notes;
}

/// @brief Writes `{"tp", "pp", "gpus"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const parallel_choice& c) {
  j = BasicJsonType::object();
  j["tp"] = c.tp;
  j["pp"] = c.pp;
  j["gpus"] = c.gpus;
}

/// @brief Writes `{"valid", "reasons", "stage_layers", "kv_heads_per_rank", "kv_head_replicas"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const parallel_check& c) {
  j = BasicJsonType::object();
  j["valid"] = c.valid;
  j["reasons"] = c.reasons;
  j["stage_layers"] = c.stage_layers;
  j["kv_heads_per_rank"] = c.kv_heads_per_rank;
  j["kv_head_replicas"] = c.kv_head_replicas;
}

/// @brief Writes one pipeline stage of a vLLM estimate with `*_bytes` keys.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const vllm_stage_estimate& r) {
  j = BasicJsonType::object();
  j["stage"] = r.stage;
  j["first_layer"] = r.first_layer;
  j["layers"] = r.layers;
  j["weights_bytes"] = r.weights;
  j["activation_bytes"] = r.activation;
  j["non_torch_bytes"] = r.non_torch;
  j["cuda_graph_bytes"] = r.cuda_graphs;
  j["kv_per_token_bytes"] = r.kv_per_token;
  j["kv_needed_bytes"] = r.kv_needed;
  j["required_bytes"] = r.required;
  j["budget_bytes"] = r.budget;
  j["kv_available_bytes"] = r.kv_available;
  j["kv_tokens"] = r.kv_tokens;
  j["reported_kv_tokens"] = r.reported_kv_tokens;
  j["max_num_seqs"] = r.max_num_seqs;
  j["max_num_batched_tokens"] = r.max_num_batched_tokens;
  j["fits"] = r.fits;
}

/// @brief Writes `{"parallel", "max_model_len", "stages", "min_gpu_memory_bytes", "fits"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const vllm_estimate& e) {
  j = BasicJsonType::object();
  j["parallel"] = e.parallel;
  j["max_model_len"] = e.max_model_len;
  j["stages"] = e.stages;
  j["min_gpu_memory_bytes"] = e.min_gpu_memory;
  j["fits"] = e.fits();
}

namespace detail {

// The one of `values` whose `to_string` is `text`: the enum's own names, written once.
template <class E, std::size_t N>
std::optional<E> enum_named(const std::array<E, N>& values, std::string_view text) {
  for (const E v : values) {
    if (to_string(v) == text) return v;
  }
  return std::nullopt;
}

// Reads field `key` of `f` as one of `values`, named by `to_string`.
template <class Fields, class E, std::size_t N>
bool json_enum(Fields& f, std::string_view key, E& out, const std::array<E, N>& values) {
  std::string text;
  if (!f.string(key, text)) return false;
  if (const auto v = enum_named(values, text)) {
    out = *v;
    return true;
  }
  std::string names;
  for (const E v : values) names += (names.empty() ? "" : ", ") + std::string(to_string(v));
  f.fail(key, "unknown value '" + text + "' (one of " + names + ")");
}

inline constexpr std::array flash_attn_modes{flash_attn_mode::automatic, flash_attn_mode::on,
                                             flash_attn_mode::off};
inline constexpr std::array split_modes{split_mode::layer, split_mode::row, split_mode::none};
inline constexpr std::array offload_rules{offload_rule::current, offload_rule::legacy};

}  // namespace detail

/// @brief Writes every llama.cpp setting (the keys `from_json` reads).
template <class BasicJsonType>
void to_json(BasicJsonType& j, const llama_settings& s) {
  j = BasicJsonType::object();
  j["n_ctx"] = s.n_ctx;
  j["n_batch"] = s.n_batch;
  j["n_ubatch"] = s.n_ubatch;
  j["n_parallel"] = s.n_parallel;
  j["kv_unified"] = s.kv_unified;
  j["cache_type_k"] = s.cache_type_k;
  j["cache_type_v"] = s.cache_type_v;
  j["flash_attn"] = std::string(to_string(s.flash_attn));
  j["n_gpu_layers"] = s.n_gpu_layers;
  j["tensor_split"] = s.tensor_split;
  j["split_mode"] = std::string(to_string(s.split));
  j["main_gpu"] = s.main_gpu;
  j["mmap"] = s.mmap;
  j["swa_full"] = s.swa_full;
  j["embeddings"] = s.embeddings;
  j["op_offload"] = s.op_offload;
  j["offload_rule"] = std::string(to_string(s.rule));
  j["sched_copies"] = s.sched_copies;
  j["build"] = s.build;
  j["gpu_overhead"] = s.gpu_overhead;
  j["rpc_overhead"] = s.rpc_overhead;
}

/// @brief Reads llama.cpp settings; absent keys keep llama.cpp's defaults, unknown keys and
/// values of the wrong type are `invalid_argument` errors naming the key.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, llama_settings& s) {
  detail::json_fields f(j, "llama settings");
  s = llama_settings{};
  f.unsigned_int("n_ctx", s.n_ctx);
  f.unsigned_int("n_batch", s.n_batch);
  f.unsigned_int("n_ubatch", s.n_ubatch);
  f.unsigned_int("n_parallel", s.n_parallel);
  f.boolean("kv_unified", s.kv_unified);
  f.string("cache_type_k", s.cache_type_k);
  f.string("cache_type_v", s.cache_type_v);
  detail::json_enum(f, "flash_attn", s.flash_attn, detail::flash_attn_modes);
  f.signed_int("n_gpu_layers", s.n_gpu_layers);
  f.numbers("tensor_split", s.tensor_split);
  detail::json_enum(f, "split_mode", s.split, detail::split_modes);
  f.unsigned_int("main_gpu", s.main_gpu);
  f.boolean("mmap", s.mmap);
  f.boolean("swa_full", s.swa_full);
  f.boolean("embeddings", s.embeddings);
  f.boolean("op_offload", s.op_offload);
  detail::json_enum(f, "offload_rule", s.rule, detail::offload_rules);
  f.unsigned_int("sched_copies", s.sched_copies);
  f.unsigned_int("build", s.build);
  f.size("gpu_overhead", s.gpu_overhead);
  f.size("rpc_overhead", s.rpc_overhead);
  f.finish();
}

/// @brief Writes every vLLM setting (the keys `from_json` reads).
template <class BasicJsonType>
void to_json(BasicJsonType& j, const vllm_settings& s) {
  j = BasicJsonType::object();
  j["tp"] = s.tp;
  j["pp"] = s.pp;
  j["ep"] = s.ep;
  j["max_model_len"] = s.max_model_len;
  j["allow_long_max_model_len"] = s.allow_long_max_model_len;
  j["mm_encoder_data"] = s.mm_encoder_data;
  j["gpu_memory_utilization"] = s.gpu_memory_utilization;
  j["kv_cache_dtype"] = s.kv_cache_dtype;
  j["max_num_seqs"] = s.max_num_seqs;
  j["max_num_batched_tokens"] = s.max_num_batched_tokens;
  j["gpu_name"] = s.gpu_name;
  j["version"] = s.version;
  j["enforce_eager"] = s.enforce_eager;
  j["non_torch"] = s.non_torch;
  j["cuda_graphs"] = s.cuda_graphs;
}

/// @brief Reads vLLM settings; absent keys keep vLLM's defaults, unknown keys and values of
/// the wrong type are `invalid_argument` errors naming the key.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, vllm_settings& s) {
  detail::json_fields f(j, "vllm settings");
  s = vllm_settings{};
  f.unsigned_int("tp", s.tp);
  f.unsigned_int("pp", s.pp);
  f.boolean("ep", s.ep);
  f.unsigned_int("max_model_len", s.max_model_len);
  f.boolean("allow_long_max_model_len", s.allow_long_max_model_len);
  f.boolean("mm_encoder_data", s.mm_encoder_data);
  f.number("gpu_memory_utilization", s.gpu_memory_utilization);
  f.string("kv_cache_dtype", s.kv_cache_dtype);
  f.unsigned_int("max_num_seqs", s.max_num_seqs);
  f.unsigned_int("max_num_batched_tokens", s.max_num_batched_tokens);
  f.string("gpu_name", s.gpu_name);
  f.unsigned_int("version", s.version);
  f.boolean("enforce_eager", s.enforce_eager);
  f.size("non_torch", s.non_torch);
  f.size("cuda_graphs", s.cuda_graphs);
  f.finish();
}

}  // namespace shardfit
