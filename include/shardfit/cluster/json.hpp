#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapter for the cluster: `to_json` writes what `parse_cluster`
/// reads (the keys of `cluster_keys`, sizes as exact byte counts), so a merged inventory
/// (`shardfit inventory`) can be saved, edited and read back.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/json.hpp>

#include <nlohmann/json.hpp>

namespace shardfit {

/// @brief Writes `{"path", "name", "bytes"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const model_copy& m) {
  j = BasicJsonType::object();
  j["path"] = m.path;
  j["name"] = m.name;
  j["bytes"] = m.size;
}

/// @brief Writes a GPU: index, name, vendor, vram, vram_used.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const gpu_info& g) {
  j = BasicJsonType::object();
  j["index"] = g.index;
  j["name"] = g.name;
  j["vendor"] = g.vendor;
  j["vram"] = g.vram;
  j["vram_used"] = g.vram_used;
  if (!g.labels.empty()) {
    auto labels = BasicJsonType::object();
    for (const auto& [k, v] : g.labels) labels[k] = v;
    j["labels"] = std::move(labels);
  }
}

/// @brief Writes a worker with the keys the cluster reader knows.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const worker_info& w) {
  j = BasicJsonType::object();
  j["name"] = w.name;
  j["address"] = w.address;
  j["ram"] = w.ram;
  j["ram_used"] = w.ram_used;
  j["uma"] = w.uma;
  if (w.disk_free) j["disk_free"] = *w.disk_free;
  auto labels = BasicJsonType::object();
  for (const auto& [k, v] : w.labels) labels[k] = v;
  j["labels"] = std::move(labels);
  auto mounts = BasicJsonType::array();
  for (const auto& m : w.mounts) {
    mounts.push_back(BasicJsonType{{"path", m.path}, {"volume", m.volume}, {"shared", m.shared}});
  }
  j["mounts"] = std::move(mounts);
  j["models"] = w.models;
  j["gpus"] = w.gpus;
}

/// @brief Writes the whole cluster: reserved, volumes, workers, claims.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const cluster& c) {
  j = BasicJsonType::object();
  j["reserved"] = BasicJsonType{{"ram", c.reserved.ram}, {"vram", c.reserved.vram}};
  auto volumes = BasicJsonType::array();
  for (const auto& v : c.volumes) {
    volumes.push_back(BasicJsonType{
        {"name", v.name}, {"shared", v.shared}, {"free", v.free}, {"models", v.models}});
    if (!v.claim.empty()) volumes.back()["claim"] = v.claim;
  }
  j["volumes"] = std::move(volumes);
  j["workers"] = c.workers;
  auto claims = BasicJsonType::array();
  for (const auto& cl : c.claims) {
    BasicJsonType e{
        {"instance", cl.instance}, {"worker", cl.worker}, {"ram", cl.ram}, {"vram", cl.vram}};
    if (cl.gpu) e["gpu"] = *cl.gpu;
    claims.push_back(std::move(e));
  }
  j["claims"] = std::move(claims);
}

}  // namespace shardfit
