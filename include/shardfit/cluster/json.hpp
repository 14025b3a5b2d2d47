#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapter for the cluster: `to_json` writes what `parse_cluster`
/// reads (the keys of `cluster_keys`, sizes as exact byte counts), so a merged inventory
/// (`shardfit inventory`) can be saved, edited and read back.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/cluster/inventory.hpp>
#include <shardfit/core/json.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace shardfit {

namespace detail {

// A memory size as the cluster reader takes it back: an exact integer, or "NB" for a nonzero
// size under 1 MiB (the reader refuses such bare numbers as a likely missing unit).
template <class BasicJsonType>
BasicJsonType memory_json(bytes b) {
  if (b.count() != 0 && b.count() < (std::uint64_t{1} << 20U)) {
    return BasicJsonType(std::to_string(b.count()) + "B");
  }
  return BasicJsonType(b.count());
}

}  // namespace detail

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
  j["vram"] = detail::memory_json<BasicJsonType>(g.vram);
  j["vram_used"] = detail::memory_json<BasicJsonType>(g.vram_used);
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
  j["ram"] = detail::memory_json<BasicJsonType>(w.ram);
  j["ram_used"] = detail::memory_json<BasicJsonType>(w.ram_used);
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

/// @brief Writes `{"instance", "worker", "gpu" (when on a GPU), "ram", "vram"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const claim& cl) {
  j = BasicJsonType{{"instance", cl.instance},
                    {"worker", cl.worker},
                    {"ram", detail::memory_json<BasicJsonType>(cl.ram)},
                    {"vram", detail::memory_json<BasicJsonType>(cl.vram)}};
  if (cl.gpu) j["gpu"] = *cl.gpu;
}

/// @brief Reads a claim as `to_json` writes it (sizes as integers or strings such as "4GiB").
/// @throws shardfit::error (invalid_argument) naming the key of a missing or bad value.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, claim& cl) {
  detail::json_fields f(j, "claim");
  cl = claim{};
  if (!f.string("instance", cl.instance) || cl.instance.empty()) f.fail("instance", "is missing");
  if (!f.string("worker", cl.worker) || cl.worker.empty()) f.fail("worker", "is missing");
  std::uint32_t gpu = 0;
  if (f.unsigned_int("gpu", gpu)) cl.gpu = gpu;
  f.size("ram", cl.ram);
  f.size("vram", cl.vram);
  f.finish();
}

/// @brief Reads a cluster with the cluster file's reader (`parse_cluster`): the same keys, the
/// same checks, the same messages.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, cluster& c) {
  c = parse_cluster(j.dump(), "cluster JSON");
}

/// @brief Writes the whole cluster: version, reserved, volumes, workers, claims.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const cluster& c) {
  j = BasicJsonType::object();
  j["version"] = c.version;
  j["reserved"] = BasicJsonType{{"ram", detail::memory_json<BasicJsonType>(c.reserved.ram)},
                                {"vram", detail::memory_json<BasicJsonType>(c.reserved.vram)}};
  auto volumes = BasicJsonType::array();
  for (const auto& v : c.volumes) {
    volumes.push_back(BasicJsonType{
        {"name", v.name}, {"shared", v.shared}, {"free", v.free}, {"models", v.models}});
    if (!v.claim.empty()) volumes.back()["claim"] = v.claim;
  }
  j["volumes"] = std::move(volumes);
  j["workers"] = c.workers;
  j["claims"] = c.claims;
}

}  // namespace shardfit
