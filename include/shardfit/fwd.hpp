#pragma once

/// @file
/// @brief Forward declarations of shardfit's public types. Cheap to include.

namespace shardfit {

class bytes;
class byte_source;
class error;
enum class errc : int;
struct reason;
struct verdict;

struct file_stat;
struct dir_entry;
class posix_filesystem;
class listing_filesystem;

}  // namespace shardfit
