#pragma once

/// @file
/// @brief Checks every shard of discovered sets, reading each header once through the
/// filesystem policy: GGUF (magic, version, the whole header, tensor data inside the file, split
/// fields against the names and the other shards) and safetensors (the header, tensor offsets
/// inside the file, no bytes after the last tensor, the index's `metadata.total_size` against
/// the tensors' bytes). What is wrong is added to the set's `problems`, each naming the file and,
/// where there is one, the offset; a file shorter than its header declares marks the set
/// `truncated`. Discovery itself only names and sizes files; `inspect`, `estimate` and `plan`
/// all run this check, so they refuse the same sets with the same words (`status_message`).

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/files/shard_set.hpp>
#include <shardfit/formats/gguf.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/safetensors.hpp>
#include <shardfit/io/filesystem.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shardfit {

namespace detail {

// Records a reader's error against the set: truncation, or corruption. A file whose bytes
// cannot be had (an I/O error, a listing without content) is not checked: that says nothing
// about the file, and whoever reads it later reports the error.
SHARDFIT_INLINE void record_read_error(shard_set& s, const error& e);

template <class Fs>
void verify_gguf(shard_set& s, const Fs& fs) {
  std::vector<gguf_shard_split> splits;
  bool all_read = s.missing.empty();
  for (const auto& f : s.files) {
    try {
      splits.push_back({f.path, f.index, split_info(gguf_file::read(fs.open(f.path)))});
    } catch (const error& e) {
      record_read_error(s, e);
      all_read = false;
    }
  }
  for (auto& p : gguf_split_problems(splits, s.expected_shards, all_read)) {
    s.problems.push_back(p.whole_set ? std::move(p.message) : p.path + ": " + p.message);
  }
}

template <class Fs>
void verify_safetensors(shard_set& s, const Fs& fs) {
  std::uint64_t tensor_bytes = 0;
  bool all_read = s.missing.empty();
  for (const auto& f : s.files) {
    try {
      const safetensors_header h = safetensors_header::read(fs.open(f.path));
      const std::uint64_t end = h.data_offset() + h.data_size().count();
      if (end < h.file_size()) {
        s.problems.push_back(f.path + ": at offset " + std::to_string(end) + ": " +
                             std::to_string(h.file_size() - end) +
                             " bytes after the last tensor's data (the file is " +
                             std::to_string(h.file_size()) + " bytes)");
      }
      for (const auto& t : h.tensors()) tensor_bytes += t.size().count();
    } catch (const error& e) {
      record_read_error(s, e);
      all_read = false;
    }
  }
  if (all_read && !s.index_only && s.index_total_size &&
      s.index_total_size->count() != tensor_bytes) {
    s.problems.push_back(s.index_path + ": metadata.total_size is " +
                         std::to_string(s.index_total_size->count()) + " but the " +
                         std::to_string(s.files.size()) + " shards hold " +
                         std::to_string(tensor_bytes) + " bytes of tensors");
  }
}

}  // namespace detail

/// @brief Reads the header of every present shard of `set` and records what is wrong (see the
/// file's description). PyTorch sets are not read (pickles are not parsed).
/// @tparam Fs a `byte_readable_filesystem` (default: POSIX).
template <byte_readable_filesystem Fs = posix_filesystem>
void verify_set(shard_set& set, const Fs& fs = Fs{}) {
  if (set.verified) return;  // each header is read once
  if (set.format == model_format::gguf) detail::verify_gguf(set, fs);
  if (set.format == model_format::safetensors) detail::verify_safetensors(set, fs);
  set.verified = true;
}

/// @brief Opens a GGUF set and checks it on the way, reading each shard's header once: the set
/// reader makes every check `verify_set` makes. When one fails (or shards are missing) the set's
/// problems and status are filled as `verify_set` fills them (the shards are then read again,
/// to list every problem) and nothing is returned.
template <byte_readable_filesystem Fs = posix_filesystem>
[[nodiscard]] std::optional<gguf_set> open_checked_gguf(shard_set& set, const Fs& fs = Fs{}) {
  if (set.verified && !set.complete()) return std::nullopt;
  if (set.missing.empty()) {
    try {
      gguf_set g = gguf_set::from_set(set, fs);
      set.verified = true;
      return g;
    } catch (const error&) {
      // Listed below, every problem of every shard.
    }
  }
  verify_set(set, fs);
  return std::nullopt;
}

/// @brief `verify_set` on every set `discover` found.
template <byte_readable_filesystem Fs = posix_filesystem>
void verify_sets(discovery_result& found, const Fs& fs = Fs{}) {
  for (auto& s : found.sets) verify_set(s, fs);
}

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/verify-inl.hpp>
#endif
