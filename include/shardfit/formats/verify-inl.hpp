#pragma once

// The bodies of <shardfit/formats/verify.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/verify.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE void record_read_error(shard_set& s, const error& e) {
  if (e.code() == errc::io_error || e.code() == errc::not_found) return;
  if (e.code() == errc::truncated) s.truncated = true;
  s.problems.emplace_back(e.what());
}

}  // namespace detail

}  // namespace shardfit
