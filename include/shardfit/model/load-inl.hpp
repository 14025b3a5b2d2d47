#pragma once

// The bodies of <shardfit/model/load.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/model/load.hpp>

namespace shardfit {

SHARDFIT_INLINE model_profile profile_from_gguf(const gguf_set& set) {
  return detail::gguf_profile(set);
}

SHARDFIT_INLINE model_profile
profile_from_safetensors(const std::vector<safetensors_header>& headers, const hf_config& config) {
  return detail::safetensors_profile(headers, config);
}

SHARDFIT_INLINE model_profile profile_from_config(const hf_config& config,
                                                  const weight_index* index) {
  return detail::config_profile(config, index);
}

}  // namespace shardfit
