#pragma once

/// @file
/// @brief The staged candidate enumerator: for each stage (one GPU → one worker's GPUs →
/// several workers → partial offload → CPU only), the placements that fit, and every candidate
/// dropped with its rule and numbers.
///
/// Why it is fast:
/// - Memory is counted per layer with prefix sums (`llama_estimator::layers_cost`), so trying a
///   placement is arithmetic, and one estimator serves every candidate.
/// - Free memory is counted in whole 64 MiB units, rounded down. GPUs of one model with the same
///   free units are one class, and workers whose GPUs, RAM and local copies match are one class:
///   a class is evaluated once, by its first worker in inventory order (which is also who wins
///   the tie). A 1,000-worker cluster of identical idle nodes costs what one node costs.
/// - Within a worker the enumerator chooses how many GPUs, taking the roomiest ones (and, for
///   binpack, the tightest run of GPUs that still fits), never subsets; across workers it adds
///   RPC workers (llama.cpp) or pipeline stages (vLLM) roomiest first. Cost grows with the
///   number of workers and the log of the layer count, not with combinations.
///
/// What it never does (the planner's rules): give a device less than one whole repeating layer;
/// promise a GPU more than it has free after reservations and claims; choose a tensor-parallel
/// degree vLLM's rules refuse; use more than llama.cpp's 15 devices.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/estimate/default_estimator.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/plan/detail/cluster_view.hpp>
#include <shardfit/plan/detail/llama_candidates.hpp>
#include <shardfit/plan/detail/stage_driver.hpp>
#include <shardfit/plan/detail/vllm_candidates.hpp>
#include <shardfit/plan/placement.hpp>
#include <shardfit/plan/storage.hpp>

#include <vector>

namespace shardfit {

/// @brief What one stage yields: the placements that fit (unscored, in enumeration order) and
/// the candidates it dropped.
struct stage_candidates {
  std::vector<placement> candidates;
  std::vector<rejection> rejected;
};

/// @brief The candidates of one stage for `model` on `c`: what the planner runs stage by stage,
/// for embedders that filter or rank candidates themselves. It runs the planner's own stage
/// driver, so its rejections are the planner's up to that stage (workers that cannot read the
/// model; for llama.cpp's multi-GPU stages, workers that cannot hold one layer). A manual GPU
/// selection in the request is ignored here (the planner handles it).
/// @throws shardfit::error for settings the engine refuses.
template <memory_estimator Estimator = default_estimator>
[[nodiscard]] stage_candidates enumerate_stage(const cluster& c, const model_profile& model,
                                               const plan_request& unresolved, plan_stage stage,
                                               const Estimator& estimator = Estimator{}) {
  const plan_request request = resolved_request(unresolved);
  stage_candidates out;
  std::uint64_t context = 0;
  const detail::cluster_view view(c, model_ref_of(model), model.disk_bytes(), request.storage);
  if (request.engine == backend::llama_cpp) {
    const llama_estimator est = estimator.llama(model, request.llama);
    const detail::llama_enumerator en(c, view, est, request, out.rejected);
    out.candidates = detail::stage_driver(en).run(stage);
    context = request.llama.n_ctx != 0 ? request.llama.n_ctx : est.n_ctx();
  } else {
    auto vest = [&](const vllm_settings& s) { return estimator.vllm(model, s); };
    const detail::vllm_enumerator<decltype(vest)> en(c, view, model, vest, request, out.rejected);
    out.candidates = detail::stage_driver(en).run(stage);
    context = model.vllm_context(request.vllm.max_model_len);
  }
  for (auto& p : out.candidates) {
    detail::name_placement(p, c);
    p.context = context;
  }
  return out;
}

#ifdef SHARDFIT_COMPILED_LIB
// Instantiated once, in shardfit::compiled (src/plan.cpp), for the default estimator.
extern template stage_candidates enumerate_stage<default_estimator>(const cluster&,
                                                                    const model_profile&,
                                                                    const plan_request&, plan_stage,
                                                                    const default_estimator&);
#endif

}  // namespace shardfit
