#pragma once

// model_profile from a GGUF set: architecture keys ("<arch>.block_count", ...), per-layer
// attention shapes (head counts may be per-layer arrays), sliding-window layers, MLA, recurrent
// state, and exact tensor bytes grouped by layer. Included by <shardfit/model.hpp>.

#include <shardfit/core/compiled.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/model/tensor_names.hpp>

#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit::detail {

SHARDFIT_INLINE std::vector<std::uint64_t> gguf_per_layer(const gguf_file& f,
                                                          const std::string& key,
                                                          std::uint32_t n_layer,
                                                          std::uint64_t fallback);

SHARDFIT_INLINE std::uint32_t to_u32(std::uint64_t v, const gguf_file& f, const std::string& key);

SHARDFIT_INLINE bool is_recurrent_arch(std::string_view arch) noexcept;

SHARDFIT_INLINE model_profile gguf_profile(const gguf_set& set);

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/model/detail/gguf_profile-inl.hpp>
#endif
