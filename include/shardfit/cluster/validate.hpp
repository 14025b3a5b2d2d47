#pragma once

/// @file
/// @brief `validate(cluster)`: the checks the cluster file reader makes, for a cluster built in
/// memory (by an embedder's inventory): unique non-empty worker names, unique GPU indices per
/// worker, used memory within the total, claims on workers and GPUs that exist. The planner
/// runs it on every snapshot (linear in workers and GPUs).

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace shardfit {

/// @brief Throws `errc::invalid_argument` naming the worker, GPU or claim and the problem
/// ("cluster: worker 'a' gpu 1 key 'vram_used': is more than the GPU's vram").
SHARDFIT_INLINE void validate(const cluster& c);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/validate-inl.hpp>
#endif
