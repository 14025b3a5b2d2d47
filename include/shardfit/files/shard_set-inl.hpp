#pragma once

// The bodies of <shardfit/files/shard_set.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/files/shard_set.hpp>

namespace shardfit {

SHARDFIT_INLINE bool shard_set::complete() const noexcept {
  return missing.empty() && problems.empty() && !index_only;
}

SHARDFIT_INLINE set_status shard_set::status() const noexcept {
  if (!missing.empty() || index_only) return set_status::incomplete;
  if (truncated) return set_status::truncated;
  return problems.empty() ? set_status::complete : set_status::corrupt;
}

SHARDFIT_INLINE std::uint32_t shard_set::present_shards() const noexcept {
  return static_cast<std::uint32_t>(files.size());
}

SHARDFIT_INLINE bytes shard_set::companion_bytes() const {
  bytes b;
  for (const auto& c : companions) b += c.size;
  return b;
}

SHARDFIT_INLINE bool discovery_result::all_complete() const noexcept {
  return !sets.empty() &&
         std::all_of(sets.begin(), sets.end(), [](const shard_set& s) { return s.complete(); });
}

SHARDFIT_INLINE std::string status_message(const shard_set& s) {
  const set_status st = s.status();
  if (st == set_status::complete) return {};
  std::string out = "shard set '" + s.name + "' is " + std::string(to_string(st)) + ": ";
  if (st == set_status::incomplete && s.missing.empty()) {
    return out + "its index " + s.index_path +
           " maps no files (weight_map is empty or absent); only metadata.total_size sizes it";
  }
  if (st == set_status::incomplete) {
    return out + "missing " + std::to_string(s.missing.size()) + " of " +
           std::to_string(s.expected_shards) +
           " shards (first missing: " + std::to_string(s.missing.front()) + ")";
  }
  out += s.problems.front();
  if (s.problems.size() > 1) out += " (and " + std::to_string(s.problems.size() - 1) + " more)";
  return out;
}

}  // namespace shardfit
