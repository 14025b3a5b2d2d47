#pragma once

/// @file
/// @brief Every policy concept of shardfit in one place: the documented contract an embedder's
/// type must meet to plug in. Each concept names its default model; the model's header holds a
/// `static_assert` that it conforms.

#include <shardfit/fwd.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace shardfit {

/// @brief Where discovery looks for files. Default model: `posix_filesystem`; also
/// `listing_filesystem` (a hub listing of names and sizes).
///
/// - `fs.stat(path)`: `std::optional<file_stat>`, following links; nothing when absent. Loops,
///   broken links and permission problems are reported through `file_stat::kind`, not thrown.
/// - `fs.list(dir)`: `std::vector<dir_entry>` with stats; throws `shardfit::error` when the
///   directory cannot be read.
/// - `fs.read_file(path, max_bytes)`: the content of a small regular file (an index JSON);
///   throws `shardfit::error` when unreadable or larger than `max_bytes`.
template <class F>
concept filesystem_policy = requires(const F& fs, const std::string& path, std::size_t n) {
  { fs.stat(path) } -> std::same_as<std::optional<file_stat>>;
  { fs.list(path) } -> std::same_as<std::vector<dir_entry>>;
  { fs.read_file(path, n) } -> std::same_as<std::string>;
};

/// @brief Optional capability of a filesystem policy: `fs.open(path)` gives a `byte_source`
/// over a file, so headers (GGUF split metadata, safetensors) can be read. A policy without it
/// still discovers and sizes sets; header checks are then skipped.
template <class F>
concept byte_readable_filesystem = filesystem_policy<F> &&
    requires(const F& fs, const std::string& path) {
  { fs.open(path) } -> std::same_as<byte_source>;
};

}  // namespace shardfit
