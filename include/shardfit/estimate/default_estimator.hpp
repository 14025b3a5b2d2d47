#pragma once

/// @file
/// @brief `default_estimator`: the default model of the `memory_estimator` concept, shardfit's
/// llama.cpp and vLLM estimators as they are.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/estimate/llama.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/estimate/vllm.hpp>
#include <shardfit/model/profile.hpp>

namespace shardfit {

/// @brief The default estimator policy: shardfit's llama.cpp and vLLM estimators as they are.
struct default_estimator {
  [[nodiscard]] llama_estimator llama(const model_profile& m, const llama_settings& s) const;
  [[nodiscard]] vllm_estimate vllm(const model_profile& m, const vllm_settings& s) const;
};
static_assert(memory_estimator<default_estimator>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/default_estimator-inl.hpp>
#endif
