#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for placements, rejections and plan results (scores
/// rounded to two decimals, so plans compare byte for byte).

#include <shardfit/core/json.hpp>
#include <shardfit/estimate/json.hpp>
#include <shardfit/plan/placement.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit {

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
  j["stage"] = g.stage;
  j["slot"] = g.slot;
  j["vram_bytes"] = g.vram;
  j["allocatable_bytes"] = g.allocatable;
  j["total_bytes"] = g.total;
}

/// @brief Writes `{"name", "role", "gpus", "ram_bytes", "cpu_layers", ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const placed_worker& w) {
  j = BasicJsonType::object();
  j["name"] = w.name;
  j["address"] = w.address;
  j["worker"] = w.worker;
  j["role"] = std::string(to_string(w.role));
  j["stage"] = w.stage;
  j["gpus"] = w.gpus;
  j["cpu_layers"] = w.cpu_layers;
  j["ram_bytes"] = w.ram;
  j["ram_allocatable_bytes"] = w.ram_allocatable;
  j["ram_total_bytes"] = w.ram_total;
}

/// @brief Writes the placement with `score` and `score_breakdown` (`{term: {weight, value}}`).
template <class BasicJsonType>
void to_json(BasicJsonType& j, const placement& p) {
  j = BasicJsonType::object();
  j["backend"] = std::string(to_string(p.engine));
  j["stage"] = std::string(to_string(p.stage));
  j["workers"] = p.workers;
  j["offloaded_layers"] = p.offloaded_layers;
  j["total_layers"] = p.total_layers;
  j["tensor_parallel"] = p.tensor_parallel;
  j["pipeline_parallel"] = p.pipeline_parallel;
  j["context"] = p.context;
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

/// @brief Writes `{"candidate", "rule", "reason", "count", "workers": [{"name", "gpus"}]}`,
/// with `"tp"` and `"pp"` for a refused layout.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const rejection& r) {
  j = BasicJsonType::object();
  j["candidate"] = r.candidate;
  j["rule"] = std::string(to_string(r.rule));
  j["reason"] = r.reason;
  j["count"] = r.count;
  auto workers = BasicJsonType::array();
  for (const auto& w : r.workers) {
    auto e = BasicJsonType::object();
    e["name"] = w.name;
    e["gpus"] = w.gpus;
    workers.push_back(std::move(e));
  }
  j["workers"] = std::move(workers);
  if (r.tp != 0) j["tp"] = r.tp;
  if (r.pp != 0) j["pp"] = r.pp;
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
  j["cluster_version"] = r.cluster_version;
}

// Reading plans back. Documents a program reads (placements, rejections, plan results) ignore
// keys they do not know, as readers of a versioned schema should (new fields do not change its
// major version); requests are input, so an unknown key there is an error.

namespace detail {

inline constexpr std::array worker_roles{worker_role::main, worker_role::rpc,
                                         worker_role::pipeline};
inline constexpr std::array plan_stages{plan_stage::single_gpu, plan_stage::one_worker,
                                        plan_stage::multi_worker, plan_stage::partial_offload,
                                        plan_stage::cpu_only};
inline constexpr std::array plan_statuses{plan_status::planned, plan_status::no_fit};
inline constexpr std::array scoring_policies{scoring_policy::binpack, scoring_policy::spread};
inline constexpr std::array plan_backends{backend::llama_cpp, backend::vllm};

template <class T, class BasicJsonType>
T json_read(const BasicJsonType& v) {
  T out;
  from_json(v, out);
  return out;
}

}  // namespace detail

/// @brief Reads a placed GPU as `to_json` writes it.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, placed_gpu& g) {
  detail::json_fields f(j, "placed GPU");
  g = placed_gpu{};
  if (!f.unsigned_int("index", g.index)) f.fail("index", "is missing");
  f.string("name", g.name);
  f.unsigned_int("layers", g.layers);
  f.unsigned_int("repeating_layers", g.repeating_layers);
  f.boolean("output_layer", g.output_layer);
  f.unsigned_int("stage", g.stage);
  f.unsigned_int("slot", g.slot);
  f.size("vram_bytes", g.vram);
  f.size("allocatable_bytes", g.allocatable);
  f.size("total_bytes", g.total);
}

/// @brief Reads a placed worker as `to_json` writes it (its storage is in the placement's
/// `storage.workers`).
template <class BasicJsonType>
void from_json(const BasicJsonType& j, placed_worker& w) {
  detail::json_fields f(j, "placed worker");
  w = placed_worker{};
  if (!f.string("name", w.name) || w.name.empty()) f.fail("name", "is missing");
  f.string("address", w.address);
  f.unsigned_int("worker", w.worker);
  detail::json_enum(f, "role", w.role, detail::worker_roles);
  f.unsigned_int("stage", w.stage);
  f.array("gpus", w.gpus, [](const BasicJsonType& v, const std::string&) {
    return detail::json_read<placed_gpu>(v);
  });
  f.unsigned_int("cpu_layers", w.cpu_layers);
  f.size("ram_bytes", w.ram);
  f.size("ram_allocatable_bytes", w.ram_allocatable);
  f.size("ram_total_bytes", w.ram_total);
}

/// @brief Reads a placement as `to_json` writes it: `to_json(from_json(x))` gives `x` back.
/// @throws shardfit::error (invalid_argument) naming the key of a missing or bad value.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, placement& p) {
  detail::json_fields f(j, "placement");
  p = placement{};
  detail::json_enum(f, "backend", p.engine, detail::plan_backends);
  detail::json_enum(f, "stage", p.stage, detail::plan_stages);
  f.array("workers", p.workers, [](const BasicJsonType& v, const std::string&) {
    return detail::json_read<placed_worker>(v);
  });
  if (p.workers.empty()) f.fail("workers", "a placement needs at least one worker");
  f.unsigned_int("offloaded_layers", p.offloaded_layers);
  f.unsigned_int("total_layers", p.total_layers);
  f.unsigned_int("tensor_parallel", p.tensor_parallel);
  f.unsigned_int("pipeline_parallel", p.pipeline_parallel);
  f.unsigned_int("context", p.context);
  f.unsigned_ints("tensor_split", p.tensor_split);
  f.number("gpu_memory_utilization", p.gpu_memory_utilization);
  f.unsigned_int("kv_tokens", p.kv_tokens);
  f.nested("storage", [&](const BasicJsonType& v, const std::string& where) {
    detail::json_fields s(v, where);
    s.unsigned_int("copies", p.storage.copies);
    s.size("download_bytes", p.storage.download);
    s.strings("suggestions", p.storage.suggestions);
    std::size_t i = 0;
    std::vector<int> unused;
    s.array("workers", unused, [&](const BasicJsonType& e, const std::string& at) {
      detail::json_fields r(e, at);
      std::string name;
      r.string("name", name);
      if (i >= p.workers.size() || name != p.workers[i].name) {
        r.fail("name", "'" + name + "' is not the placement's worker " + std::to_string(i));
      }
      placed_worker& w = p.workers[i++];
      std::string source;
      r.string("source", source);
      if (source.rfind("shared:", 0) == 0) {
        w.source = storage_source::shared;
        w.volume = source.substr(7);
      } else if (source == "present" || source == "download" || source == "none" ||
                 source.empty()) {
        w.source = source == "present"    ? storage_source::present
                   : source == "download" ? storage_source::download
                                          : storage_source::none;
      } else {
        r.fail("source", "unknown source '" + source + "'");
      }
      r.string("path", w.path);
      r.size("bytes", w.weights);
      r.boolean("partial", w.partial);
      return 0;
    });
  });
  f.number("score", p.score.total);
  f.nested("score_breakdown", [&](const BasicJsonType& v, const std::string& where) {
    if (!v.is_object()) f.fail("score_breakdown", "must be an object");
    for (auto it = v.begin(); it != v.end(); ++it) {
      detail::json_fields t(*it, where + " " + it.key());
      score_part part;
      part.name = it.key();
      std::int32_t weight = 0;
      t.signed_int("weight", weight);
      part.weight = weight;
      t.number("value", part.value);
      p.score.parts.push_back(std::move(part));
    }
  });
}

/// @brief Reads a rejection as `to_json` writes it.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, rejection& r) {
  detail::json_fields f(j, "rejection");
  r = rejection{};
  f.string("candidate", r.candidate);
  try {
    r.rule = f.need("rule").template get<rule_id>();
  } catch (const error& e) {
    f.fail("rule", e.message());
  }
  f.string("reason", r.reason);
  f.unsigned_int("count", r.count);
  f.array("workers", r.workers, [&](const BasicJsonType& v, const std::string& where) {
    detail::json_fields w(v, where);
    rejected_worker out;
    w.string("name", out.name);
    w.unsigned_ints("gpus", out.gpus);
    return out;
  });
  f.unsigned_int("tp", r.tp);
  f.unsigned_int("pp", r.pp);
}

/// @brief Reads a plan result as `to_json` writes it (the tool's `--json` document too).
template <class BasicJsonType>
void from_json(const BasicJsonType& j, plan_result& r) {
  detail::json_fields f(j, "plan");
  r = plan_result{};
  detail::json_enum(f, "status", r.status, detail::plan_statuses);
  detail::json_enum(f, "backend", r.engine, detail::plan_backends);
  f.nested("model", [&](const BasicJsonType& v, const std::string& where) {
    detail::json_fields m(v, where);
    m.string("name", r.model);
    m.unsigned_int("total_layers", r.total_layers);
  });
  if (const auto* pl = f.get("placement")) r.chosen = detail::json_read<placement>(*pl);
  f.array("alternatives", r.alternatives, [](const BasicJsonType& v, const std::string&) {
    return detail::json_read<placement>(v);
  });
  f.array("rejected", r.rejected, [](const BasicJsonType& v, const std::string&) {
    return detail::json_read<rejection>(v);
  });
  f.strings("messages", r.messages);
  std::vector<std::string> stages;
  f.strings("stages_tried", stages);
  for (const auto& s : stages) {
    const auto stage = detail::enum_named(detail::plan_stages, s);
    if (!stage) f.fail("stages_tried", "unknown stage '" + s + "'");
    r.stages.push_back(*stage);
  }
  f.unsigned_int("candidates", r.candidates);
  f.unsigned_int("cluster_version", r.cluster_version);
  if (r.status == plan_status::planned && !r.chosen) {
    f.fail("placement", "a planned result needs its placement");
  }
}

/// @brief Writes every field of a request (the keys `from_json` reads).
template <class BasicJsonType>
void to_json(BasicJsonType& j, const plan_request& rq) {
  j = BasicJsonType::object();
  j["backend"] = std::string(to_string(rq.engine));
  j["context"] = rq.context;
  j["llama"] = rq.llama;
  j["vllm"] = rq.vllm;
  j["cpu_offload"] = rq.cpu_offload;
  j["distributed"] = rq.distributed;
  if (rq.tp) j["tp"] = *rq.tp;
  if (rq.pp) j["pp"] = *rq.pp;
  auto gpus = BasicJsonType::array();
  for (const auto& g : rq.gpus) gpus.push_back(g.worker + ":" + std::to_string(g.index));
  j["gpus"] = std::move(gpus);
  if (rq.gpu_layers) j["gpu_layers"] = *rq.gpu_layers;
  j["max_rpc_servers"] = rq.max_rpc_servers;
  j["policy"] = std::string(to_string(rq.policy));
  j["all_stages"] = rq.all_stages;
  j["max_alternatives"] = rq.max_alternatives;
  j["storage"] =
      BasicJsonType{{"check_disk", rq.storage.check_disk}, {"disk_margin", rq.storage.disk_margin}};
}

/// @brief Reads a request: absent keys keep `plan_request`'s defaults; an unknown key or a
/// value of the wrong type is an `invalid_argument` error naming it (so `{"backend": "vllm",
/// "context": 8192}` is a whole request).
template <class BasicJsonType>
void from_json(const BasicJsonType& j, plan_request& rq) {
  detail::json_fields f(j, "plan request");
  rq = plan_request{};
  detail::json_enum(f, "backend", rq.engine, detail::plan_backends);
  f.unsigned_int("context", rq.context);
  f.nested("llama", [&](const BasicJsonType& v, const std::string&) {
    rq.llama = detail::json_read<llama_settings>(v);
  });
  f.nested("vllm", [&](const BasicJsonType& v, const std::string&) {
    rq.vllm = detail::json_read<vllm_settings>(v);
  });
  f.boolean("cpu_offload", rq.cpu_offload);
  f.boolean("distributed", rq.distributed);
  std::uint32_t n = 0;
  if (f.unsigned_int("tp", n)) rq.tp = n;
  if (f.unsigned_int("pp", n)) rq.pp = n;
  std::vector<std::string> gpus;
  f.strings("gpus", gpus);
  for (const auto& g : gpus) {
    try {
      for (auto& ref : parse_gpu_list(g)) rq.gpus.push_back(std::move(ref));
    } catch (const error& e) {
      f.fail("gpus", e.message());
    }
  }
  if (f.unsigned_int("gpu_layers", n)) rq.gpu_layers = n;
  f.unsigned_int("max_rpc_servers", rq.max_rpc_servers);
  detail::json_enum(f, "policy", rq.policy, detail::scoring_policies);
  f.boolean("all_stages", rq.all_stages);
  f.unsigned_int("max_alternatives", rq.max_alternatives);
  f.nested("storage", [&](const BasicJsonType& v, const std::string& where) {
    detail::json_fields s(v, where);
    s.boolean("check_disk", rq.storage.check_disk);
    s.number("disk_margin", rq.storage.disk_margin);
    s.finish();
  });
  f.finish();
}

}  // namespace shardfit
