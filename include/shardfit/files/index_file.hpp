#pragma once

/// @file
/// @brief Reader for Hugging Face weight index files (`model.safetensors.index.json`,
/// `pytorch_model.bin.index.json`): which file holds which tensor, and the declared total size.

#include <shardfit/core/compiled.hpp>
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
  [[nodiscard]] const std::string& first_tensor_of(std::uint32_t file) const;
};

/// @brief Whether `p`, a path taken from a file, stays inside the directory it is relative to:
/// not empty, not absolute, no `..` component, no backslash or NUL.
[[nodiscard]] SHARDFIT_INLINE bool is_contained_relative_path(std::string_view p) noexcept;

/// @brief Parses the text of an index file read from `path` (used in messages).
/// @throws shardfit::error: invalid_format for malformed JSON or a wrong type, naming the key
/// and offset; unsafe_path for a `weight_map` entry naming an absolute path or one with `..`,
/// naming the entry.
[[nodiscard]] SHARDFIT_INLINE weight_index parse_weight_index(std::string_view text,
                                                              const std::string& path);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/files/index_file-inl.hpp>
#endif
