#pragma once

/// @file
/// @brief shardfit's version. Kept by hand; a test checks it against the CMake project version.

#define SHARDFIT_VERSION_MAJOR 0
#define SHARDFIT_VERSION_MINOR 1
#define SHARDFIT_VERSION_PATCH 0
#define SHARDFIT_VERSION_STRING "0.1.0"

namespace shardfit {

/// @brief The library version as "major.minor.patch".
inline constexpr const char* version_string = SHARDFIT_VERSION_STRING;

}  // namespace shardfit
