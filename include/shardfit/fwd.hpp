#pragma once

/// @file
/// @brief Forward declarations of shardfit's public types. Cheap to include.

namespace shardfit {

class bytes;
class error;
enum class errc : int;
struct reason;
struct verdict;

}  // namespace shardfit
