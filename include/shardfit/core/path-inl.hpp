#pragma once

// The bodies of <shardfit/core/path.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/core/path.hpp>

namespace shardfit {

SHARDFIT_INLINE std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == ".") return std::string(name);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out += dir;
  if (dir.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace shardfit
