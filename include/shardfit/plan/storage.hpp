#pragma once

/// @file
/// @brief Storage-aware placement: which weight files each worker of a placement reads, where it
/// finds them (a copy on its disk, a shared volume it mounts, or a download), whether its free
/// disk takes the download, and how one copy on a shared volume would replace several downloads.
///
/// Who reads what:
/// - llama.cpp: the main worker reads the whole file set; RPC servers receive their tensors over
///   the network and read nothing.
/// - vLLM: every worker reads the weights of its pipeline stage — only the files holding its
///   layers (and the embeddings for the first stage, the head for the last) when the index maps
///   tensors to files; the whole set otherwise.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shardfit {

/// @brief The reference copies are matched against: the profile's name, set name and file bytes.
[[nodiscard]] SHARDFIT_INLINE model_ref model_ref_of(const model_profile& m);

/// @brief Why a worker whose weights are at `where` cannot take `need` bytes of them on a disk
/// with `disk_free` bytes free (nothing when it can: it holds a copy, its free disk is unknown,
/// or it exceeds the need by the margin).
[[nodiscard]] SHARDFIT_INLINE std::optional<std::string> disk_problem(
    const model_location& where, const std::optional<bytes>& disk_free, bytes need,
    const storage_settings& s);

/// @brief Fills the storage of a placement: for every worker, where it reads the weights and
/// how many bytes; for the placement, the copies read, the bytes downloaded, and a suggestion
/// when one copy on a shared volume mounted by several downloading workers would save bytes.
SHARDFIT_INLINE void attach_storage(placement& p, const cluster& c, const model_profile& m);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/storage-inl.hpp>
#endif
