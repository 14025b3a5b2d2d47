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
#include <shardfit/core/compiled.hpp>
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
[[nodiscard]] SHARDFIT_INLINE std::vector<claim> to_claims(const placement& p,
                                                           const std::string& instance);

/// @brief Adds `claims` to `c` and moves its version on (a scheduler compares versions to
/// tell that a plan was made on an older snapshot).
SHARDFIT_INLINE void commit(cluster& c, const std::vector<claim>& claims);

/// @brief Removes every claim of `instance` from `c`; returns how many (the version moves on
/// when any was removed).
SHARDFIT_INLINE std::size_t release(cluster& c, std::string_view instance);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/claims-inl.hpp>
#endif
