// The bodies of the plan/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/plan/candidates.hpp>
#include <shardfit/plan/claims-inl.hpp>
#include <shardfit/plan/detail/cluster_view-inl.hpp>
#include <shardfit/plan/detail/enumerator_base-inl.hpp>
#include <shardfit/plan/detail/llama_candidates-inl.hpp>
#include <shardfit/plan/detail/stage_driver-inl.hpp>
#include <shardfit/plan/filters-inl.hpp>
#include <shardfit/plan/kubernetes-inl.hpp>
#include <shardfit/plan/launch-inl.hpp>
#include <shardfit/plan/placement-inl.hpp>
#include <shardfit/plan/planner-inl.hpp>
#include <shardfit/plan/scoring-inl.hpp>
#include <shardfit/plan/storage-inl.hpp>

namespace shardfit {
template stage_candidates enumerate_stage<default_estimator>(const cluster&, const model_profile&,
                                                             const plan_request&, plan_stage,
                                                             const default_estimator&);
namespace detail {
template plan_result plan_on<default_estimator, default_scorer, accept_all_filter>(
    const cluster&, const model_profile&, const plan_request&, const default_estimator&,
    const default_scorer&, const accept_all_filter&);
}  // namespace detail
}  // namespace shardfit
