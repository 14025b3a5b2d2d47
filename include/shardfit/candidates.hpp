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

#include <shardfit/concepts.hpp>
#include <shardfit/detail/cluster_view.hpp>
#include <shardfit/detail/llama_candidates.hpp>
#include <shardfit/detail/vllm_candidates.hpp>
#include <shardfit/estimate_llama.hpp>
#include <shardfit/estimate_vllm.hpp>
#include <shardfit/inventory.hpp>
#include <shardfit/parallelism.hpp>
#include <shardfit/placement.hpp>
#include <shardfit/storage.hpp>
#include <shardfit/units.hpp>

#include <vector>

namespace shardfit {

/// @brief The default estimator policy: shardfit's llama.cpp and vLLM estimators as they are.
struct default_estimator {
  [[nodiscard]] llama_estimator llama(const model_profile& m, const llama_settings& s) const {
    return {m, s};
  }
  [[nodiscard]] vllm_estimate vllm(const model_profile& m, const vllm_settings& s) const {
    return estimate_vllm(m, s);
  }
};
static_assert(memory_estimator<default_estimator>);

/// @brief What one stage yields: the placements that fit (unscored, in enumeration order) and
/// the candidates it dropped.
struct stage_candidates {
  std::vector<placement> candidates;
  std::vector<rejection> rejected;
};

/// @brief The candidates of one stage for `model` on `c`: what the planner runs stage by stage,
/// for embedders that filter or rank candidates themselves. A manual GPU selection in the
/// request is ignored here (the planner handles it).
/// @throws shardfit::error for settings the engine refuses.
template <memory_estimator Estimator = default_estimator>
[[nodiscard]] stage_candidates enumerate_stage(const cluster& c, const model_profile& model,
                                               const plan_request& request, plan_stage stage,
                                               const Estimator& estimator = Estimator{}) {
  stage_candidates out;
  const detail::cluster_view view(c, model_ref_of(model), model.disk_bytes(), request.storage);
  if (request.engine == backend::llama_cpp) {
    const llama_estimator est = estimator.llama(model, request.llama);
    const detail::llama_enumerator en(c, view, est, request, out.rejected);
    switch (stage) {
      case plan_stage::single_gpu:
        en.reject_storage();
        out.candidates = en.single_gpu();
        break;
      case plan_stage::one_worker:
        en.reject_unusable();
        out.candidates = en.one_worker();
        break;
      case plan_stage::multi_worker:
        en.reject_unusable();
        out.candidates = en.multi_worker();
        break;
      case plan_stage::partial_offload:
        out.candidates = en.partial_offload();
        break;
      case plan_stage::cpu_only:
        out.candidates = en.cpu_only();
        break;
    }
  } else {
    auto vest = [&](const vllm_settings& s) { return estimator.vllm(model, s); };
    const detail::vllm_enumerator<decltype(vest)> en(c, view, model, vest, request, out.rejected);
    if (stage == plan_stage::single_gpu) {
      en.reject_storage();
      out.candidates = en.single_gpu();
    }
    if (stage == plan_stage::one_worker) out.candidates = en.one_worker();
    if (stage == plan_stage::multi_worker) out.candidates = en.multi_worker();
  }
  for (auto& p : out.candidates) detail::name_placement(p, c);
  return out;
}

}  // namespace shardfit
