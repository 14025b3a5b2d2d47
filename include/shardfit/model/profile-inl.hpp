#pragma once

// The bodies of <shardfit/model/profile.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/model/profile.hpp>

namespace shardfit {

SHARDFIT_INLINE bool weight_file::needed_by(std::uint32_t first, std::uint32_t count,
                                            bool with_input, bool with_output) const noexcept {
  const bool overlaps =
      layer_count != 0 && first_layer < first + count && first < first_layer + layer_count;
  return overlaps || (with_input && input) || (with_output && output);
}

SHARDFIT_INLINE bytes model_profile::weights() const {
  bytes b = token_embd + output + other;
  for (const auto& l : layers) b += l.weights;
  return b;
}

SHARDFIT_INLINE bytes model_profile::min_layer_bytes() const {
  bytes m = bytes::max();
  for (const auto& l : layers) m = std::min(m, l.weights);
  return layers.empty() ? bytes{} : m;
}

SHARDFIT_INLINE bytes model_profile::max_layer_bytes() const {
  bytes m;
  for (const auto& l : layers) m = std::max(m, l.weights);
  return m;
}

SHARDFIT_INLINE bytes model_profile::disk_bytes() const {
  if (file_bytes != bytes{}) return file_bytes;
  if (!weight_files.empty()) {
    bytes b;
    for (const auto& f : weight_files) b += f.size;
    return b;
  }
  return weights();
}

SHARDFIT_INLINE bytes model_profile::disk_bytes_for(std::uint32_t first, std::uint32_t count,
                                                    bool with_input, bool with_output) const {
  if (weight_files.empty()) return disk_bytes();
  bytes b;
  for (const auto& f : weight_files) {
    if (f.needed_by(first, count, with_input, with_output)) b += f.size;
  }
  return b;
}

SHARDFIT_INLINE std::uint64_t model_profile::vllm_context(
    std::uint64_t max_model_len) const noexcept {
  const std::uint64_t len = max_model_len != 0  ? max_model_len
                            : vllm_max_len != 0 ? vllm_max_len
                                                : n_ctx_train;
  return len != 0 ? len : 4096;
}

}  // namespace shardfit
