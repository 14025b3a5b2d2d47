#pragma once

/// @file
/// @brief A split GGUF model opened as one: any shard selects its whole set (through shard-set
/// discovery); metadata comes from shard 1; tensors are merged across shards with their file
/// and absolute offset; `split.no`, `split.count` and `split.tensors.count` are checked.

#include <shardfit/error.hpp>
#include <shardfit/gguf.hpp>
#include <shardfit/shard_set.hpp>

#include <cstdint>
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
  [[nodiscard]] static gguf_set open(const std::string& path) {
    const discovery_result found = discover(path);
    if (found.sets.empty()) throw error(errc::not_found, path, "no GGUF model here");
    if (found.sets.size() > 1) {
      throw error::invalid_argument(path + ": holds " + std::to_string(found.sets.size()) +
                                    " model sets; name one file");
    }
    return from_set(found.sets.front());
  }

  /// @brief Reads every shard of a discovered set.
  [[nodiscard]] static gguf_set from_set(const shard_set& files) {
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
    for (const auto& f : files.files) s.shards_.push_back(gguf_file::open(f.path));
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
  void check_split() const {
    const auto n = shards_.size();
    std::uint64_t total = 0;
    std::optional<std::uint64_t> declared;
    for (std::size_t i = 0; i < n; ++i) {
      const gguf_split_info info = split_info(shards_[i]);
      total += info.tensors;
      const std::string& p = shards_[i].path();
      if (n == 1 && !info.count) continue;  // a plain single file
      if (info.count != n) {
        throw error::format(p, "split.count is " +
                                   (info.count ? std::to_string(*info.count) : "absent") +
                                   " but the set has " + std::to_string(n) + " shards");
      }
      if (info.no != i) {
        throw error::format(p, "split.no is " + (info.no ? std::to_string(*info.no) : "absent") +
                                   " but the file is shard " + std::to_string(i + 1) +
                                   " (split.no " + std::to_string(i) + ")");
      }
      if (info.tensors_count) {
        if (declared && *declared != *info.tensors_count) {
          throw error::format(p, "split.tensors.count " + std::to_string(*info.tensors_count) +
                                     " disagrees with shard 1's " + std::to_string(*declared));
        }
        declared = info.tensors_count;
      }
    }
    if (declared && *declared != total) {
      throw error::format(shards_.front().path(), "split.tensors.count is " +
                                                      std::to_string(*declared) + " but the " +
                                                      std::to_string(n) + " shards hold " +
                                                      std::to_string(total) + " tensors");
    }
  }

  shard_set files_;
  std::vector<gguf_file> shards_;
  std::vector<gguf_set_tensor> tensors_;
};

}  // namespace shardfit
