#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for placements, rejections and plan results (scores
/// rounded to two decimals, so plans compare byte for byte).

#include <shardfit/core/json.hpp>
#include <shardfit/estimate/json.hpp>
#include <shardfit/plan/placement.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

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
}

}  // namespace shardfit
