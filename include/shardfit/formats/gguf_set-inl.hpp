#pragma once

// The bodies of <shardfit/formats/gguf_set.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/gguf_set.hpp>

namespace shardfit {

SHARDFIT_INLINE std::vector<gguf_split_problem> gguf_split_problems(
    std::span<const gguf_shard_split> shards, std::uint64_t expected, bool all_read) {
  std::vector<gguf_split_problem> out;
  std::uint64_t tensors = 0;
  std::optional<std::uint64_t> declared;
  for (const auto& s : shards) {
    const gguf_split_info& info = s.info;
    tensors += info.tensors;
    if (expected == 1 && !info.count) continue;  // a plain single file
    if (info.count != expected) {
      out.push_back({s.path, "split.count is " +
                                 (info.count ? std::to_string(*info.count) : "absent") +
                                 ", its name says " + std::to_string(expected)});
    }
    if (info.no != s.index - 1U) {
      out.push_back({s.path, "split.no is " + (info.no ? std::to_string(*info.no) : "absent") +
                                 ", its name says " + std::to_string(s.index - 1U)});
    }
    if (info.tensors_count) {
      if (declared && *declared != *info.tensors_count) {
        out.push_back({s.path, "split.tensors.count " + std::to_string(*info.tensors_count) +
                                   " disagrees with the other shards' " +
                                   std::to_string(*declared)});
      }
      declared = info.tensors_count;
    }
  }
  if (all_read && declared && *declared != tensors && !shards.empty()) {
    out.push_back({shards.front().path,
                   "split.tensors.count is " + std::to_string(*declared) + " but the " +
                       std::to_string(shards.size()) + " shards hold " + std::to_string(tensors) +
                       " tensors",
                   true});
  }
  return out;
}

SHARDFIT_INLINE void gguf_set::check_split() const {
  std::vector<gguf_shard_split> splits;
  splits.reserve(shards_.size());
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    splits.push_back({shards_[i].path(), files_.files[i].index, split_info(shards_[i])});
  }
  const auto problems = gguf_split_problems(splits, files_.expected_shards, true);
  if (!problems.empty()) throw error::format(problems.front().path, problems.front().message);
}

}  // namespace shardfit
