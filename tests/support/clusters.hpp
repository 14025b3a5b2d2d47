#pragma once

// Clusters for planner tests, built in code.

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/core/units.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace shardfit::test {

inline gpu_info gpu(std::uint32_t index, std::string name, bytes vram, bytes used = bytes{}) {
  gpu_info g;
  g.index = index;
  g.name = std::move(name);
  g.vendor = "nvidia";
  g.vram = vram;
  g.vram_used = used;
  return g;
}

// `n` identical GPUs with indices 0..n-1.
inline std::vector<gpu_info> gpus(std::uint32_t n, const std::string& name, bytes vram) {
  std::vector<gpu_info> out;
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(gpu(i, name, vram));
  return out;
}

inline worker_info worker(std::string name, bytes ram, std::vector<gpu_info> g = {}) {
  worker_info w;
  w.name = std::move(name);
  w.address = w.name;
  w.ram = ram;
  w.gpus = std::move(g);
  return w;
}

}  // namespace shardfit::test
