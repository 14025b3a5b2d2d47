#pragma once

// The bodies of <shardfit/files/index_file.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/files/index_file.hpp>

namespace shardfit {

SHARDFIT_INLINE const std::string& weight_index::first_tensor_of(std::uint32_t file) const {
  for (const auto& [name, f] : tensors) {
    if (f == file) return name;
  }
  static const std::string none;
  return none;
}

SHARDFIT_INLINE bool is_contained_relative_path(std::string_view p) noexcept {
  if (p.empty() || p.front() == '/') return false;
  if (p.find('\\') != std::string_view::npos || p.find('\0') != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto slash = p.find('/', start);
    const auto part = p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

SHARDFIT_INLINE weight_index parse_weight_index(std::string_view text, const std::string& path) {
  weight_index idx;
  bool saw_map = false;
  detail::json_limits limits;
  limits.max_depth = 16;
  detail::json_cursor cur(text, path, limits);
  std::unordered_map<std::string, std::uint32_t> file_ids;
  cur.read_object([&](std::string_view key) {
    if (key == "metadata") {
      if (cur.consume_null()) return;
      cur.read_object([&](std::string_view mkey) {
        if (mkey == "total_size" && !cur.consume_null()) idx.total_size = bytes{cur.read_u64()};
      });
    } else if (key == "weight_map") {
      saw_map = true;
      cur.read_object([&](std::string_view tensor) {
        if (cur.peek() != detail::json_type::string) {
          cur.type_error("a file name for weight_map entry '" + std::string(tensor) + "'");
        }
        std::string file = cur.read_string();
        if (!is_contained_relative_path(file)) {
          throw error(errc::unsafe_path, path,
                      "weight_map entry '" + std::string(tensor) + "' names '" + file +
                          "', which is outside the model directory");
        }
        auto [it, inserted] =
            file_ids.try_emplace(file, static_cast<std::uint32_t>(idx.files.size()));
        if (inserted) idx.files.push_back(std::move(file));
        idx.tensors.emplace_back(std::string(tensor), it->second);
      });
    }
  });
  cur.expect_end();
  // An index with only metadata.total_size (what some uploads carry before their shards, or a
  // stripped copy) still sizes the model; with neither, there is nothing to read.
  if (!saw_map && !idx.total_size) {
    throw error::format(path, "no \"weight_map\" object and no metadata.total_size");
  }
  return idx;
}

}  // namespace shardfit
