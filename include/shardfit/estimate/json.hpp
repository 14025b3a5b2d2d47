#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for the estimators' answers: llama.cpp per-device
/// estimates, vLLM per-stage estimates, parallel layouts and their verdicts.

#include <shardfit/core/json.hpp>
#include <shardfit/estimate/settings.hpp>

#include <nlohmann/json.hpp>

#include <string>

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

}  // namespace shardfit
