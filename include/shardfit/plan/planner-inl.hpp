#pragma once

// The bodies of <shardfit/plan/planner.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/planner.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::vector<std::pair<std::uint32_t, std::uint32_t>> inventory_key(
    const placement& p) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> k;
  for (const auto& w : p.workers) {
    k.emplace_back(w.worker, 0);
    for (const auto& g : w.gpus) k.emplace_back(w.worker, g.slot + 1);
  }
  return k;
}

SHARDFIT_INLINE bool ranks_before(const placement& a, const placement& b) {
  return rank_key(a) < rank_key(b);
}

SHARDFIT_INLINE plan_stage manual_stage(const std::vector<gpu_ref>& gpus) {
  for (const auto& g : gpus) {
    if (g.worker != gpus.front().worker) return plan_stage::multi_worker;
  }
  return gpus.size() > 1 ? plan_stage::one_worker : plan_stage::single_gpu;
}

SHARDFIT_INLINE bytes largest_worker_vram(const cluster_view& v) {
  bytes best{};
  for (const auto& w : v.workers) {
    bytes s{};
    for (const auto& g : w.gpus) s += g.free;
    best = std::max(best, s);
  }
  return best;
}

}  // namespace detail

SHARDFIT_INLINE plan_result plan(const cluster& c, const model_profile& model,
                                 const plan_request& request) {
  return detail::plan_on(c, model, request, default_estimator{}, default_scorer{});
}

}  // namespace shardfit
