#pragma once

/// @file
/// @brief Reserve and release: the claims that make a placement's memory used in the next plan,
/// adding them to a cluster, and taking an instance's claims away again.
///
/// A scheduler's loop (examples/programs/06_scheduler_loop.cpp):
/// @code
///   auto r = planner.plan(model, request);              // on a snapshot of version v
///   if (r.chosen) commit(cluster, to_claims(*r.chosen, "chat-1"));  // if still at version v
///   ...
///   release(cluster, "chat-1");                          // the instance stopped
/// @endcode

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief What to add to the cluster so the next plan sees placement `p` as running, under the
/// name `instance`: per placed GPU its VRAM (for vLLM the utilization's share of the GPU), and
/// the RAM of each worker that holds part of the model in RAM (llama.cpp's main worker; an RPC
/// server's RAM is not claimed). Workers are named, so claims survive changes in positions.
/// @throws shardfit::error (invalid_argument) for a placement whose workers are not named (one
/// the planner reported always is).
[[nodiscard]] inline std::vector<claim> to_claims(const placement& p, const std::string& instance) {
  std::vector<claim> out;
  for (const auto& w : p.workers) {
    if (w.name.empty()) {
      throw error::invalid_argument("the placement's worker " + std::to_string(w.worker) +
                                    " has no name: claims name workers (use a planned placement)");
    }
    if (w.ram != bytes{}) out.push_back({instance, w.name, std::nullopt, w.ram, bytes{}});
    for (const auto& g : w.gpus) out.push_back({instance, w.name, g.index, bytes{}, g.vram});
  }
  return out;
}

/// @brief Adds `claims` to `c` and moves its version on (a scheduler compares versions to
/// tell that a plan was made on an older snapshot).
inline void commit(cluster& c, const std::vector<claim>& claims) {
  c.claims.insert(c.claims.end(), claims.begin(), claims.end());
  ++c.version;
}

/// @brief Removes every claim of `instance` from `c`; returns how many (the version moves on
/// when any was removed).
inline std::size_t release(cluster& c, std::string_view instance) {
  const auto before = c.claims.size();
  c.claims.erase(std::remove_if(c.claims.begin(), c.claims.end(),
                                [&](const claim& cl) { return cl.instance == instance; }),
                 c.claims.end());
  const std::size_t removed = before - c.claims.size();
  if (removed != 0) ++c.version;
  return removed;
}

}  // namespace shardfit
