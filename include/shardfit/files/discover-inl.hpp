#pragma once

// The bodies of <shardfit/files/discover.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/files/discover.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::string_view strip_suffix_ci(std::string_view s,
                                                 std::string_view suffix) noexcept {
  return iends_with(s, suffix) ? s.substr(0, s.size() - suffix.size()) : s;
}

SHARDFIT_INLINE std::string describe_kind(file_kind k) {
  switch (k) {
    case file_kind::symlink_loop:
      return "symbolic link loop; skipped";
    case file_kind::broken_link:
      return "broken symbolic link; skipped";
    case file_kind::fifo:
      return "a FIFO (named pipe); skipped, never opened";
    case file_kind::socket:
      return "a socket; skipped";
    case file_kind::device:
      return "a device file; skipped, never opened";
    case file_kind::unreadable:
      return "cannot be examined (permission denied); skipped";
    case file_kind::outside_link:
      return "a symbolic link out of the model directory; not followed";
    default:
      return "not a regular file or directory; skipped";
  }
}

SHARDFIT_INLINE std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace detail

SHARDFIT_INLINE std::size_t discovery_cache::hits() const {
  const std::lock_guard lock(mutex_);
  return hits_;
}

SHARDFIT_INLINE std::size_t discovery_cache::misses() const {
  const std::lock_guard lock(mutex_);
  return misses_;
}

SHARDFIT_INLINE std::size_t discovery_cache::size() const {
  const std::lock_guard lock(mutex_);
  return dirs_.size();
}

SHARDFIT_INLINE void discovery_cache::clear() {
  const std::lock_guard lock(mutex_);
  dirs_.clear();
  indexes_.clear();
}

}  // namespace shardfit
