#pragma once

// The bodies of <shardfit/plan/detail/stage_driver.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/detail/stage_driver.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE std::span<const plan_stage> stages_of(backend engine) noexcept {
  static constexpr std::array<plan_stage, 5> llama{
      plan_stage::single_gpu, plan_stage::one_worker, plan_stage::multi_worker,
      plan_stage::partial_offload, plan_stage::cpu_only};
  return engine == backend::llama_cpp ? std::span<const plan_stage>(llama)
                                      : std::span<const plan_stage>(llama).first(3);
}

}  // namespace shardfit::detail
