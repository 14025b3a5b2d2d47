#pragma once

// The bodies of <shardfit/cluster/validate.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/validate.hpp>

namespace shardfit {

SHARDFIT_INLINE void validate(const cluster& c) {
  // Messages are built only on failure: this runs on every plan of every worker.
  const auto fail = [](const std::string& where, const std::string& problem) {
    throw error::invalid_argument("cluster: " + where + ": " + problem);
  };
  const auto worker_at = [&](std::size_t i) { return "worker '" + c.workers[i].name + "'"; };
  std::unordered_map<std::string_view, std::size_t> names;
  names.reserve(c.workers.size());
  for (std::size_t i = 0; i < c.workers.size(); ++i) {
    const worker_info& w = c.workers[i];
    if (w.name.empty()) {
      fail("worker " + std::to_string(i) + " key 'name'", "every worker needs a name");
    }
    if (!names.emplace(w.name, i).second) fail(worker_at(i), "two workers have this name");
    if (w.ram_used > w.ram) fail(worker_at(i) + " key 'ram_used'", "is more than the worker's ram");
    for (std::size_t g = 0; g < w.gpus.size(); ++g) {
      const gpu_info& gpu = w.gpus[g];
      const auto gpu_at = [&] { return worker_at(i) + " gpu " + std::to_string(g); };
      if (gpu.vram_used > gpu.vram) {
        fail(gpu_at() + " key 'vram_used'", "is more than the GPU's vram");
      }
      for (std::size_t h = 0; h < g; ++h) {
        if (w.gpus[h].index == gpu.index) {
          fail(gpu_at() + " key 'index'", "two GPUs have index " + std::to_string(gpu.index));
        }
      }
    }
  }
  for (std::size_t i = 0; i < c.claims.size(); ++i) {
    const claim& cl = c.claims[i];
    const auto it = names.find(cl.worker);
    if (it == names.end()) {
      fail("claim " + std::to_string(i) + " key 'worker'",
           "no worker is named '" + cl.worker + "'");
    }
    if (cl.gpu) {
      const worker_info& w = c.workers[it->second];
      bool found = false;
      for (const auto& g : w.gpus) found = found || g.index == *cl.gpu;
      if (!found) {
        fail("claim " + std::to_string(i) + " key 'gpu'",
             "worker '" + w.name + "' has no GPU with index " + std::to_string(*cl.gpu));
      }
    }
  }
}

}  // namespace shardfit
