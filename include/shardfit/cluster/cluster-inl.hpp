#pragma once

// The bodies of <shardfit/cluster/cluster.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/cluster.hpp>

namespace shardfit {

SHARDFIT_INLINE std::optional<std::string> gpu_info::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return std::nullopt;
}

SHARDFIT_INLINE bool model_ref::matches(const model_copy& c) const noexcept {
  const bool named = !c.name.empty() && (c.name == name || (!set.empty() && c.name == set));
  return named && (c.size == bytes{} || size == bytes{} || c.size == size);
}

SHARDFIT_INLINE std::optional<std::string> worker_info::label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return std::nullopt;
}

SHARDFIT_INLINE bytes cluster::allocatable_vram(std::size_t w, std::size_t g) const {
  const worker_info& wk = workers[w];
  const gpu_info& gpu = wk.gpus[g];
  bytes held = gpu.vram_used + reserved.vram;
  for (const auto& c : claims) {
    if (c.worker == wk.name && c.gpu && *c.gpu == gpu.index) held += c.vram;
  }
  return saturating_sub(gpu.vram, held);
}

SHARDFIT_INLINE bytes cluster::allocatable_ram(std::size_t w) const {
  const worker_info& wk = workers[w];
  bytes held = wk.ram_used + reserved.ram;
  for (const auto& c : claims) {
    if (c.worker == wk.name) held += c.ram;
  }
  return saturating_sub(wk.ram, held);
}

SHARDFIT_INLINE auto cluster::allocatable() const -> allocatable_memory {
  allocatable_memory a;
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(workers.size());
  std::vector<bytes> ram_held(workers.size());
  std::vector<std::vector<bytes>> vram_held(workers.size());
  for (std::size_t w = 0; w < workers.size(); ++w) {
    index.emplace(workers[w].name, w);
    ram_held[w] = workers[w].ram_used + reserved.ram;
    for (const auto& g : workers[w].gpus) vram_held[w].push_back(g.vram_used + reserved.vram);
  }
  for (const auto& c : claims) {
    const auto it = index.find(c.worker);
    if (it == index.end()) continue;
    const std::size_t w = it->second;
    ram_held[w] += c.ram;
    if (!c.gpu) continue;
    for (std::size_t g = 0; g < workers[w].gpus.size(); ++g) {
      if (workers[w].gpus[g].index == *c.gpu) vram_held[w][g] += c.vram;
    }
  }
  a.ram.resize(workers.size());
  a.vram.resize(workers.size());
  for (std::size_t w = 0; w < workers.size(); ++w) {
    a.ram[w] = saturating_sub(workers[w].ram, ram_held[w]);
    for (std::size_t g = 0; g < workers[w].gpus.size(); ++g) {
      a.vram[w].push_back(saturating_sub(workers[w].gpus[g].vram, vram_held[w][g]));
    }
  }
  return a;
}

SHARDFIT_INLINE model_location cluster::locate_model(std::size_t w, const model_ref& model) const {
  const worker_info& wk = workers[w];
  for (const auto& m : wk.models) {
    if (model.matches(m)) return {storage_source::present, "", m.path};
  }
  for (const auto& mount : wk.mounts) {
    if (mount.volume.empty() || !mount.shared) continue;
    for (const auto& v : volumes) {
      if (v.name != mount.volume || !v.shared) continue;
      for (const auto& m : v.models) {
        if (!model.matches(m)) continue;
        // The copy's path is relative to the volume's root, which the worker mounts here.
        std::string_view rel = m.path;
        while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
        return {storage_source::shared, v.name,
                rel.empty() ? mount.path : join_path(mount.path, rel)};
      }
    }
  }
  return {};
}

SHARDFIT_INLINE bool cluster::holds_model(std::size_t w, const model_ref& model) const {
  return locate_model(w, model).source != storage_source::download;
}

SHARDFIT_INLINE std::optional<std::size_t> cluster::find_worker(std::string_view name) const {
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (workers[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace shardfit
