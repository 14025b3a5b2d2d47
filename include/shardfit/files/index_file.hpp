#pragma once

/// @file
/// @brief Reader for Hugging Face weight index files (`model.safetensors.index.json`,
/// `pytorch_model.bin.index.json`): which file holds which tensor, and the declared total size.

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/json_cursor.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief The content of a weight index file.
struct weight_index {
  /// @brief `metadata.total_size`: bytes of tensor data (excluding file headers), when present.
  std::optional<bytes> total_size;
  /// @brief The distinct files named by `weight_map`, in order of first appearance (none when
  /// the map is empty or absent: then only `total_size` describes the weights).
  std::vector<std::string> files;
  /// @brief Every `weight_map` entry: tensor name and the index into `files`.
  std::vector<std::pair<std::string, std::uint32_t>> tensors;

  /// @brief The first tensor mapped to `files[i]` (to name an entry in messages).
  [[nodiscard]] const std::string& first_tensor_of(std::uint32_t file) const {
    for (const auto& [name, f] : tensors) {
      if (f == file) return name;
    }
    static const std::string none;
    return none;
  }
};

/// @brief Whether `p`, a path taken from a file, stays inside the directory it is relative to:
/// not empty, not absolute, no `..` component, no backslash or NUL.
[[nodiscard]] inline bool is_contained_relative_path(std::string_view p) noexcept {
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

/// @brief Parses the text of an index file read from `path` (used in messages).
/// @throws shardfit::error: invalid_format for malformed JSON or a wrong type, naming the key
/// and offset; unsafe_path for a `weight_map` entry naming an absolute path or one with `..`,
/// naming the entry.
[[nodiscard]] inline weight_index parse_weight_index(std::string_view text,
                                                     const std::string& path) {
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
