#pragma once

/// @file
/// @brief A split GGUF model opened as one: any shard selects its whole set (through shard-set
/// discovery, which names and sizes the files); metadata comes from shard 1; tensors are merged
/// across shards with their file and absolute offset. The one check of `split.no`,
/// `split.count` and `split.tensors.count` against the names and the other shards serves both
/// `gguf_set` (which throws) and `verify_set` (formats/verify.hpp, which reports on discovered
/// sets).

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/files/discover.hpp>
#include <shardfit/formats/gguf.hpp>
#include <shardfit/io/filesystem.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace shardfit {

/// @brief A tensor of a GGUF set and where its data lives.
struct gguf_set_tensor {
  gguf_tensor tensor;             ///< its name views the shard's header, shared by copies
  std::uint32_t shard = 0;        ///< index into `gguf_set::shards()`
  std::uint64_t file_offset = 0;  ///< absolute offset of the data in that shard's file
};

/// @brief One shard's split fields, read from its header, with the shard number its name gives.
struct gguf_shard_split {
  std::string path;         ///< the shard's file
  std::uint32_t index = 0;  ///< 1-based, from its name
  gguf_split_info info;
};

/// @brief A disagreement between a shard's split fields, its name and the other shards.
struct gguf_split_problem {
  std::string path;        ///< the shard it concerns (shard 1 for a set-wide total)
  std::string message;     ///< "split.no is 0, its name says 1"
  bool whole_set = false;  ///< about the set's tensor total, not one shard
};

/// @brief Checks the split fields of a set's shards (in order) against their names, the set's
/// shard count `expected` and each other. The total of `split.tensors.count` is checked only
/// when `all_read` (every shard present and readable). Never throws.
[[nodiscard]] SHARDFIT_INLINE std::vector<gguf_split_problem> gguf_split_problems(
    std::span<const gguf_shard_split> shards, std::uint64_t expected, bool all_read);

/// @brief All shards of a GGUF model.
///
/// Example:
/// @code
///   auto set = shardfit::gguf_set::open("Llama-70B-Q4_K_M-00002-of-00003.gguf");
///   set.metadata().architecture();  // from shard 1
///   set.tensors().size();           // every tensor of every shard
/// @endcode
class gguf_set {
 public:
  /// @brief Opens the set that `path` (any shard, or a single file) belongs to.
  /// @throws shardfit::error: incomplete when a shard is missing, invalid_format when the
  /// shards' split metadata disagree with each other or with their names.
  template <byte_readable_filesystem Fs = posix_filesystem>
  [[nodiscard]] static gguf_set open(const std::string& path, const Fs& fs = Fs{}) {
    const discovery_result found = discover(path, {}, fs);
    if (found.sets.empty()) throw error(errc::not_found, path, "no GGUF model here");
    if (found.sets.size() > 1) {
      throw error::invalid_argument(path + ": holds " + std::to_string(found.sets.size()) +
                                    " model sets; name one file");
    }
    return from_set(found.sets.front(), fs);
  }

  /// @brief Reads every shard of a discovered set through the filesystem policy's `open()`.
  template <byte_readable_filesystem Fs = posix_filesystem>
  [[nodiscard]] static gguf_set from_set(const shard_set& files, const Fs& fs = Fs{}) {
    if (files.format != model_format::gguf) {
      throw error::invalid_argument(files.name + " is a " + std::string(to_string(files.format)) +
                                    " set, not GGUF");
    }
    if (!files.missing.empty()) {
      throw error(errc::incomplete, files.directory,
                  "shard set incomplete: missing " + std::to_string(files.missing.size()) + " of " +
                      std::to_string(files.expected_shards) + " shards of " + files.name +
                      " (first missing: " + std::to_string(files.missing.front()) + ")");
    }
    gguf_set s;
    s.files_ = files;
    s.shards_.reserve(files.files.size());
    for (const auto& f : files.files) s.shards_.push_back(gguf_file::read(fs.open(f.path)));
    s.check_split();
    std::unordered_set<std::string_view> names;
    for (std::uint32_t i = 0; i < s.shards_.size(); ++i) {
      const gguf_file& shard = s.shards_[i];
      for (const auto& t : shard.tensors()) {
        if (!names.insert(t.name).second) {
          throw error::format(
              shard.path(), "tensor '" + std::string(t.name) + "' appears in more than one shard");
        }
        s.tensors_.push_back({t, i, shard.data_offset() + t.offset});
      }
    }
    return s;
  }

  /// @brief The shards, in order.
  [[nodiscard]] std::span<const gguf_file> shards() const noexcept { return shards_; }
  /// @brief Shard 1, which carries the model's metadata.
  [[nodiscard]] const gguf_file& metadata() const noexcept { return shards_.front(); }
  /// @brief Every tensor of the set.
  [[nodiscard]] std::span<const gguf_set_tensor> tensors() const noexcept { return tensors_; }
  /// @brief The files of the set.
  [[nodiscard]] const shard_set& files() const noexcept { return files_; }

 private:
  void check_split() const;

  shard_set files_;
  std::vector<gguf_file> shards_;
  std::vector<gguf_set_tensor> tensors_;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/gguf_set-inl.hpp>
#endif
