#pragma once

// The bodies of <shardfit/estimate/default_estimator.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/default_estimator.hpp>

namespace shardfit {

SHARDFIT_INLINE llama_estimator default_estimator::llama(const model_profile& m,
                                                         const llama_settings& s) const {
  return {m, s};
}

SHARDFIT_INLINE vllm_estimate default_estimator::vllm(const model_profile& m,
                                                      const vllm_settings& s) const {
  return estimate_vllm(m, s);
}

}  // namespace shardfit
