#pragma once

// The resharder's working area in the target directory: a hidden directory of `.partial` files
// with a lock naming the writer's process, the search for ones left by runs that were killed,
// and the free space of the filesystem that will hold the output.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/path.hpp>
#include <shardfit/core/units.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace shardfit::detail {

inline constexpr std::string_view work_dir_prefix = ".shardfit-reshard-";
inline constexpr std::string_view work_dir_lock = "lock";

// A hidden working directory in the target, locked with the writer's process id, removed
// (with what is left in it) on scope exit.
class work_dir {
 public:
  explicit work_dir(const std::string& parent);
  work_dir(const work_dir&) = delete;
  work_dir& operator=(const work_dir&) = delete;
  ~work_dir();
  [[nodiscard]] std::string file(std::string_view final_name);
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::string lock_;
  std::vector<std::string> files_;
};

// A working directory found in a target.
struct found_work_dir {
  std::string path;
  std::optional<long> pid;  // from its lock; nothing when it has none (or it is unreadable)
  bool alive = false;       // that process still runs
  bytes size;               // bytes of the files in it
};

SHARDFIT_INLINE bool process_alive(long pid);

// The working directories in `dir` (none when `dir` does not exist).
SHARDFIT_INLINE std::vector<found_work_dir> find_work_dirs(const std::string& dir);

// Removes a working directory and the plain files in it (it holds no subdirectories).
SHARDFIT_INLINE void remove_work_dir(const std::string& path);

// Bytes free to an unprivileged writer on the filesystem that holds `dir` (or would: the
// nearest existing parent); nothing when it cannot be told.
SHARDFIT_INLINE std::optional<bytes> filesystem_free(std::string dir);

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/reshard/detail/work_area-inl.hpp>
#endif
