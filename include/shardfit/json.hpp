#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for shardfit's public types (`to_json` / `from_json`
/// found by ADL). Include this header only where JSON is wanted; the core never includes it.
///
/// Byte counts serialise as exact integers. On input they accept an integer or a string with a
/// unit (`"16GiB"`, `"500GB"`, `17179869184`).

#include <shardfit/error.hpp>
#include <shardfit/estimate_llama.hpp>
#include <shardfit/estimate_vllm.hpp>
#include <shardfit/model.hpp>
#include <shardfit/parallelism.hpp>
#include <shardfit/placement.hpp>
#include <shardfit/shard_set.hpp>
#include <shardfit/units.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace shardfit {

/// @brief Writes the exact byte count as an unsigned integer.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const bytes& b) {
  j = b.count();
}

/// @brief Reads an unsigned integer or a size string ("16GiB").
/// @throws shardfit::error (errc::invalid_argument) for negative, fractional or other values.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, bytes& b) {
  if (j.is_number_unsigned()) {
    b = bytes{j.template get<std::uint64_t>()};
  } else if (j.is_number_integer()) {
    const auto v = j.template get<std::int64_t>();
    if (v < 0) throw error::invalid_argument("a size cannot be negative: " + std::to_string(v));
    b = bytes{static_cast<std::uint64_t>(v)};
  } else if (j.is_string()) {
    b = parse_bytes(j.template get_ref<const typename BasicJsonType::string_t&>());
  } else {
    throw error::invalid_argument("a size must be an integer or a string such as \"16GiB\", not " +
                                  std::string(j.type_name()) + " " + j.dump());
  }
}

/// @brief Writes the stable name of an error code ("invalid_format").
template <class BasicJsonType>
void to_json(BasicJsonType& j, const errc& code) {
  j = std::string(to_string(code));
}

/// @brief Writes `{"rule": ..., "message": ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const reason& r) {
  j = BasicJsonType::object();
  j["rule"] = r.rule;
  j["message"] = r.message;
}

/// @brief Reads `{"rule": ..., "message": ...}`.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, reason& r) {
  r.rule = j.at("rule").template get<std::string>();
  r.message = j.at("message").template get<std::string>();
}

/// @brief Writes `{"ok": true}` or `{"ok": false, "rule": ..., "message": ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const verdict& v) {
  j = BasicJsonType::object();
  j["ok"] = v.ok;
  if (!v.ok) {
    j["rule"] = v.why.rule;
    j["message"] = v.why.message;
  }
}

/// @brief Writes `{"code": ..., "path": ..., "message": ...}` for an error report.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const error& e) {
  j = BasicJsonType::object();
  j["code"] = std::string(to_string(e.code()));
  j["path"] = e.path();
  j["message"] = e.message();
}

/// @brief Writes "gguf", "safetensors" or "pytorch".
template <class BasicJsonType>
void to_json(BasicJsonType& j, const model_format& f) {
  j = std::string(to_string(f));
}

/// @brief Writes `{"path", "index", "bytes", "allocated_bytes"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const shard_file& f) {
  j = BasicJsonType::object();
  j["path"] = f.path;
  j["index"] = f.index;
  j["bytes"] = f.size;
  j["allocated_bytes"] = f.allocated;
}

/// @brief Writes a set with stable keys: name, format, directory, shards (present),
/// expected_shards, complete, missing, total_bytes, allocated_bytes, files, companions,
/// duplicates, foreign, index (`{"path", "total_size"}` or null) and problems.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const shard_set& s) {
  j = BasicJsonType::object();
  j["name"] = s.name;
  j["format"] = s.format;
  j["directory"] = s.directory;
  j["shards"] = s.present_shards();
  j["expected_shards"] = s.expected_shards;
  j["complete"] = s.complete();
  j["missing"] = s.missing;
  j["total_bytes"] = s.total_bytes;
  j["allocated_bytes"] = s.allocated_bytes;
  j["files"] = s.files;
  j["companions"] = s.companions;
  auto dups = BasicJsonType::array();
  for (const auto& d : s.duplicates) {
    BasicJsonType e = BasicJsonType::object();
    e["index"] = d.index;
    e["paths"] = d.paths;
    dups.push_back(std::move(e));
  }
  j["duplicates"] = std::move(dups);
  auto foreign = BasicJsonType::array();
  for (const auto& f : s.foreign) {
    BasicJsonType e = BasicJsonType::object();
    e["path"] = f.path;
    e["why"] = f.why;
    foreign.push_back(std::move(e));
  }
  j["foreign"] = std::move(foreign);
  if (s.index_path.empty()) {
    j["index"] = nullptr;
  } else {
    BasicJsonType idx = BasicJsonType::object();
    idx["path"] = s.index_path;
    idx["total_size"] =
        s.index_total_size ? BasicJsonType(s.index_total_size->count()) : BasicJsonType(nullptr);
    j["index"] = std::move(idx);
  }
  j["problems"] = s.problems;
}

/// @brief Writes `{"sets": [...], "problems": [{"path", "message"}]}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const discovery_result& r) {
  j = BasicJsonType::object();
  j["sets"] = r.sets;
  auto problems = BasicJsonType::array();
  for (const auto& p : r.problems) {
    BasicJsonType e = BasicJsonType::object();
    e["path"] = p.path;
    e["message"] = p.message;
    problems.push_back(std::move(e));
  }
  j["problems"] = std::move(problems);
}

namespace detail {

// Reads `key` into `out` when present (absent keys keep their defaults).
template <class BasicJsonType, class T>
void json_optional(const BasicJsonType& j, const char* key, T& out) {
  if (const auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace detail

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
#define SHARDFIT_MODEL_PROFILE_FIELDS(X)                                                \
  X(name) X(architecture) X(source) X(quantization) X(n_layer) X(n_embd) X(n_head)      \
  X(n_head_kv) X(head_dim_k) X(head_dim_v) X(n_ff) X(n_vocab) X(n_ctx_train) X(n_expert) \
  X(n_expert_used) X(n_expert_shared) X(n_ff_expert) X(n_layer_dense_lead)              \
  X(kv_lora_rank) X(q_lora_rank) X(rope_dim) X(sliding_window) X(vision_heads) X(quant) \
  X(tied_embeddings) X(layers) X(token_embd) X(output) X(other) X(parameters) X(files)  \
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
/// "n_ctx", "n_ctx_seq", "n_ubatch", "n_seq", "flash_attn"}`.
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

// Scores print with two decimals' precision, so plans compare byte for byte across platforms.
inline double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

}  // namespace detail

/// @brief Writes `{"index", "name", "layers", "vram_bytes", "allocatable_bytes", ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const placed_gpu& g) {
  j = BasicJsonType::object();
  j["index"] = g.index;
  j["name"] = g.name;
  j["layers"] = g.layers;
  j["repeating_layers"] = g.repeating_layers;
  j["output_layer"] = g.output_layer;
  j["vram_bytes"] = g.vram;
  j["allocatable_bytes"] = g.allocatable;
  j["total_bytes"] = g.total;
}

/// @brief Writes `{"name", "role", "gpus", "ram_bytes", "cpu_layers", ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const placed_worker& w) {
  j = BasicJsonType::object();
  j["name"] = w.name;
  j["role"] = std::string(to_string(w.role));
  j["stage"] = w.stage;
  j["gpus"] = w.gpus;
  j["cpu_layers"] = w.cpu_layers;
  j["ram_bytes"] = w.ram;
  j["ram_allocatable_bytes"] = w.ram_allocatable;
}

/// @brief Writes the placement with `score` and `score_breakdown` (`{term: {weight, value}}`).
template <class BasicJsonType>
void to_json(BasicJsonType& j, const placement& p) {
  j = BasicJsonType::object();
  j["stage"] = std::string(to_string(p.stage));
  j["workers"] = p.workers;
  j["offloaded_layers"] = p.offloaded_layers;
  j["total_layers"] = p.total_layers;
  j["tensor_parallel"] = p.tensor_parallel;
  j["pipeline_parallel"] = p.pipeline_parallel;
  if (p.engine == backend::llama_cpp) {
    j["tensor_split"] = p.tensor_split;
  } else {
    j["gpu_memory_utilization"] = detail::round2(p.gpu_memory_utilization);
    j["kv_tokens"] = p.kv_tokens;
  }
  auto storage = BasicJsonType::object();
  storage["copies"] = p.storage.copies;
  storage["download_bytes"] = p.storage.download;
  auto readers = BasicJsonType::array();
  for (const auto& w : p.workers) {
    auto e = BasicJsonType::object();
    e["name"] = w.name;
    e["source"] = w.source_text();
    e["path"] = w.path;
    e["bytes"] = w.weights;
    e["partial"] = w.partial;
    readers.push_back(std::move(e));
  }
  storage["workers"] = std::move(readers);
  storage["suggestions"] = p.storage.suggestions;
  j["storage"] = std::move(storage);
  j["score"] = detail::round2(p.score.total);
  auto breakdown = BasicJsonType::object();
  for (const auto& part : p.score.parts) {
    auto e = BasicJsonType::object();
    e["weight"] = part.weight;
    e["value"] = detail::round2(part.value);
    breakdown[std::string(part.name)] = std::move(e);
  }
  j["score_breakdown"] = std::move(breakdown);
}

/// @brief Writes `{"candidate", "rule", "reason", "count"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const rejection& r) {
  j = BasicJsonType::object();
  j["candidate"] = r.candidate;
  j["rule"] = r.rule;
  j["reason"] = r.reason;
  j["count"] = r.count;
}

/// @brief Writes `{"status", "backend", "model", "placement" (null when no fit), "alternatives",
/// "rejected", "messages", "stages_tried", "candidates"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const plan_result& r) {
  j = BasicJsonType::object();
  j["status"] = std::string(to_string(r.status));
  j["backend"] = std::string(to_string(r.engine));
  auto model = BasicJsonType::object();
  model["name"] = r.model;
  model["total_layers"] = r.total_layers;
  j["model"] = std::move(model);
  if (r.chosen) {
    j["placement"] = *r.chosen;
  } else {
    j["placement"] = nullptr;
  }
  j["alternatives"] = r.alternatives;
  j["rejected"] = r.rejected;
  j["messages"] = r.messages;
  auto stages = BasicJsonType::array();
  for (const auto s : r.stages) stages.push_back(std::string(to_string(s)));
  j["stages_tried"] = std::move(stages);
  j["candidates"] = r.candidates;
}

}  // namespace shardfit
