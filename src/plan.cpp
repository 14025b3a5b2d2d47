// The bodies of the plan/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#ifndef SHARDFIT_COMPILED_LIB
#error "src/ builds shardfit::compiled: define SHARDFIT_COMPILED_LIB"
#endif

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
