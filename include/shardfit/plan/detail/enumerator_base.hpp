#pragma once

// What the llama.cpp and vLLM enumerators share: the cluster, its view, the request, and the
// one way a dropped candidate is recorded. Internal to plan/.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/plan/detail/cluster_view.hpp>
#include <shardfit/plan/placement.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace shardfit::detail {

class enumerator_base {
 protected:
  enumerator_base(const cluster& c, const cluster_view& v, const plan_request& rq,
                  std::vector<rejection>& rejected)
      : c_(c), v_(v), rq_(rq), rejected_(rejected) {}

  // Records a dropped candidate that is neither a worker nor a layout (the model).
  void reject(std::string candidate, rule_id rule, std::string reason) const;
  // A worker (class) dropped: named with its class size, covering every member; with
  // `whole_class` false, only this worker (one a manual selection or a layout named).
  void reject(const worker_view& w, rule_id rule, std::string reason,
              bool whole_class = true) const;
  // GPUs of a worker (class) dropped, by their positions in the view: "a:0,1", covering the
  // GPUs at the same positions of every member of the class.
  void reject_gpus(const worker_view& w, const std::vector<std::uint32_t>& positions, rule_id rule,
                   std::string reason, bool whole_class = true) const;
  // A parallel layout refused ("tp 3", "tp 4 x pp 2"); `pp` 0 when every pp was refused.
  void reject_layout(std::string text, std::uint32_t tp, std::uint32_t pp, rule_id rule,
                     std::string reason) const;
  // A manual GPU selection refused as a whole: its workers with the GPUs chosen on each.
  void reject_selection(
      const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& groups, rule_id rule,
      std::string reason) const;

  // Every worker of `w`'s class with the device indices of the GPUs at view `positions`.
  [[nodiscard]] std::vector<rejected_worker> covered(
      const worker_view& w, const std::vector<std::uint32_t>& positions) const;

  const cluster& c_;
  const cluster_view& v_;
  const plan_request& rq_;
  std::vector<rejection>& rejected_;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/detail/enumerator_base-inl.hpp>
#endif
