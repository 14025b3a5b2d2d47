#pragma once

/// @file
/// @brief Loading a `model_profile` (model/profile.hpp) from files: a GGUF set, safetensors
/// headers, or `config.json` plus the index file alone (planning before download).

#include <shardfit/core/compiled.hpp>
#include <shardfit/model/detail/gguf_profile.hpp>
#include <shardfit/model/detail/hf_profile.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shardfit {

/// @brief The profile of a GGUF set (metadata from shard 1, tensors from every shard).
/// @throws shardfit::error when the metadata lacks what an estimate needs.
[[nodiscard]] SHARDFIT_INLINE model_profile profile_from_gguf(const gguf_set& set);

/// @brief The profile of a safetensors model from its headers and its config.
[[nodiscard]] SHARDFIT_INLINE model_profile
profile_from_safetensors(const std::vector<safetensors_header>& headers, const hf_config& config);

/// @brief The profile of a model from its config alone, its layer bytes derived from the
/// architecture and dtype; with an index, its total is checked against `metadata.total_size`
/// (and the derived bytes scaled to it when they differ, with a note).
[[nodiscard]] SHARDFIT_INLINE model_profile
profile_from_config(const hf_config& config, const weight_index* index = nullptr);

/// @brief The profile of a set found by `discover` (its config.json is read from the set's
/// directory for safetensors and PyTorch sets).
template <filesystem_policy Fs = posix_filesystem>
[[nodiscard]] model_profile profile_from_set(const shard_set& set, const load_options& options = {},
                                             const Fs& fs = Fs{}) {
  return detail::set_profile(set, options, fs);
}

/// @brief Loads the profile of the model at `path`: a GGUF file (any shard), a safetensors file
/// or set, or a Hugging Face model directory — with weights, or holding only `config.json` and
/// `model.safetensors.index.json` (planning before download).
/// @throws shardfit::error naming the file and the problem.
template <filesystem_policy Fs = posix_filesystem>
[[nodiscard]] model_profile load_model(const std::string& path, const load_options& options = {},
                                       const Fs& fs = Fs{}) {
  return detail::load_model_impl(path, options, fs);
}

#ifdef SHARDFIT_COMPILED_LIB
// Instantiated once, in shardfit::compiled (src/model.cpp), for the default filesystem.
extern template model_profile profile_from_set<posix_filesystem>(const shard_set&,
                                                                 const load_options&,
                                                                 const posix_filesystem&);
extern template model_profile load_model<posix_filesystem>(const std::string&, const load_options&,
                                                           const posix_filesystem&);
#endif

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/model/load-inl.hpp>
#endif
