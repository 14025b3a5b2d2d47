#pragma once

/// @file
/// @brief `join_path`: the one way shardfit joins a directory and a name (discovery, model
/// loading, model copies on volumes, launch commands, the resharder).

#include <string>
#include <string_view>

namespace shardfit {

/// @brief `dir` + "/" + `name`, with no doubled slash; `name` alone when `dir` is empty or ".".
[[nodiscard]] inline std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == ".") return std::string(name);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out += dir;
  if (dir.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace shardfit
