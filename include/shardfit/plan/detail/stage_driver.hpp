#pragma once

// The one sequence of planning stages, shared by the planner and `enumerate_stage`: which
// stages an engine tries and in what order, and the rejections recorded before a stage runs
// (workers that cannot read the model, before the first stage; llama.cpp workers that cannot
// hold one layer, before the first multi-GPU stage), each recorded once. Internal to plan/.

#include <shardfit/core/compiled.hpp>
#include <shardfit/plan/placement.hpp>

#include <array>
#include <span>
#include <vector>

namespace shardfit::detail {

// The stages in the order they are tried.
SHARDFIT_INLINE std::span<const plan_stage> stages_of(backend engine) noexcept;

template <class Enumerator>
class stage_driver {
 public:
  explicit stage_driver(const Enumerator& en) : en_(en) {}

  // The placements of stage `s` that fit, after the rejections that precede it.
  [[nodiscard]] std::vector<placement> run(plan_stage s) {
    if (!storage_checked_) {
      en_.reject_storage();
      storage_checked_ = true;
    }
    if constexpr (requires { en_.reject_unusable(); }) {
      if (s != plan_stage::single_gpu && !unusable_checked_) {
        en_.reject_unusable();
        unusable_checked_ = true;
      }
    }
    switch (s) {
      case plan_stage::single_gpu:
        return en_.single_gpu();
      case plan_stage::one_worker:
        return en_.one_worker();
      case plan_stage::multi_worker:
        return en_.multi_worker();
      case plan_stage::partial_offload:
        if constexpr (requires { en_.partial_offload(); }) return en_.partial_offload();
        break;
      case plan_stage::cpu_only:
        if constexpr (requires { en_.cpu_only(); }) return en_.cpu_only();
        break;
    }
    return {};
  }

 private:
  const Enumerator& en_;
  bool storage_checked_ = false;
  bool unusable_checked_ = false;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/detail/stage_driver-inl.hpp>
#endif
