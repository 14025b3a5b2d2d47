#pragma once

/// @file
/// @brief `join_path`: the one way shardfit joins a directory and a name (discovery, model
/// loading, model copies on volumes, launch commands, the resharder).

#include <shardfit/core/compiled.hpp>
#include <string>
#include <string_view>

namespace shardfit {

/// @brief `dir` + "/" + `name`, with no doubled slash; `name` alone when `dir` is empty or ".".
[[nodiscard]] SHARDFIT_INLINE std::string join_path(std::string_view dir, std::string_view name);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/core/path-inl.hpp>
#endif
