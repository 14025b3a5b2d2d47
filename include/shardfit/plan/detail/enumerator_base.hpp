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

  // Records a dropped candidate that is neither a worker nor a layout (the model).
  void reject(std::string candidate, rule_id rule, std::string reason) const {
    rejected_.push_back({std::move(candidate), rule, std::move(reason), 1, {}});
  }
  // A worker (class) dropped: named with its class size, covering every member; with
  // `whole_class` false, only this worker (one a manual selection or a layout named).
  void reject(const worker_view& w, rule_id rule, std::string reason,
              bool whole_class = true) const {
    if (!whole_class) {
      const std::string& name = c_.workers[w.worker].name;
      rejected_.push_back({"worker '" + name + "'", rule, std::move(reason), 1, {{name, {}}}});
      return;
    }
    rejected_.push_back(
        {worker_label(c_, w), rule, std::move(reason), w.class_size, covered(w, {})});
  }
  // GPUs of a worker (class) dropped, by their positions in the view: "a:0,1", covering the
  // GPUs at the same positions of every member of the class.
  void reject_gpus(const worker_view& w, const std::vector<std::uint32_t>& positions, rule_id rule,
                   std::string reason, bool whole_class = true) const {
    std::string label = c_.workers[w.worker].name + ":";
    for (std::size_t i = 0; i < positions.size(); ++i) {
      if (i != 0) label += ',';
      label += std::to_string(w.gpus[positions[i]].index);
    }
    if (!whole_class) {
      rejected_worker r{c_.workers[w.worker].name, {}};
      for (auto g : positions) r.gpus.push_back(w.gpus[g].index);
      rejected_.push_back({std::move(label), rule, std::move(reason), 1, {std::move(r)}});
      return;
    }
    if (w.class_size > 1) {
      label += " (and " + std::to_string(w.class_size - 1) + " identical worker" +
               (w.class_size > 2 ? "s" : "") + ")";
    }
    rejected_.push_back(
        {std::move(label), rule, std::move(reason), w.class_size, covered(w, positions)});
  }
  // A parallel layout refused ("tp 3", "tp 4 x pp 2"); `pp` 0 when every pp was refused.
  void reject_layout(std::string text, std::uint32_t tp, std::uint32_t pp, rule_id rule,
                     std::string reason) const {
    rejected_.push_back({std::move(text), rule, std::move(reason), 1, {}, tp, pp});
  }
  // A manual GPU selection refused as a whole: its workers with the GPUs chosen on each.
  void reject_selection(
      const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& groups, rule_id rule,
      std::string reason) const {
    std::string label = "the selected GPUs (";
    std::vector<rejected_worker> workers;
    for (const auto& [wi, positions] : groups) {
      const auto& w = v_.workers[wi];
      rejected_worker r{c_.workers[w.worker].name, {}};
      for (auto g : positions) {
        r.gpus.push_back(w.gpus[g].index);
        if (label.back() != '(') label += ',';
        label += r.name;
        label += ':';
        label += std::to_string(w.gpus[g].index);
      }
      workers.push_back(std::move(r));
    }
    label += ")";
    rejected_.push_back({std::move(label), rule, std::move(reason), 1, std::move(workers)});
  }

  // Every worker of `w`'s class with the device indices of the GPUs at view `positions`.
  [[nodiscard]] std::vector<rejected_worker> covered(
      const worker_view& w, const std::vector<std::uint32_t>& positions) const {
    std::vector<rejected_worker> out;
    out.reserve(w.class_size);
    for (auto i = v_.class_head[w.cls]; i != cluster_view::none; i = v_.next_in_class[i]) {
      const worker_view& m = v_.workers[i];
      rejected_worker r{c_.workers[m.worker].name, {}};
      for (auto g : positions) {
        if (g < m.gpus.size()) r.gpus.push_back(m.gpus[g].index);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  const cluster& c_;
  const cluster_view& v_;
  const plan_request& rq_;
  std::vector<rejection>& rejected_;
};

}  // namespace shardfit::detail
