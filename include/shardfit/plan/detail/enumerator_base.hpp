#pragma once

// What the llama.cpp and vLLM enumerators share: the cluster, its view, the request, and the
// one way a dropped candidate is recorded. Internal to plan/.

#include <shardfit/cluster/cluster.hpp>
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

  // Records a dropped candidate: what it was, the rule, the numbers, and how many identical
  // workers it stands for.
  void reject(std::string candidate, std::string rule, std::string reason,
              std::uint32_t count = 1) const {
    rejected_.push_back({std::move(candidate), std::move(rule), std::move(reason), count});
  }
  // A worker (class) dropped: named with its class size.
  void reject(const worker_view& w, std::string rule, std::string reason) const {
    reject(worker_label(c_, w), std::move(rule), std::move(reason), w.class_size);
  }

  const cluster& c_;
  const cluster_view& v_;
  const plan_request& rq_;
  std::vector<rejection>& rejected_;
};

}  // namespace shardfit::detail
