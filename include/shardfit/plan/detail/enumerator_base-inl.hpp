#pragma once

// The bodies of <shardfit/plan/detail/enumerator_base.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/detail/enumerator_base.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE void enumerator_base::reject(std::string candidate, rule_id rule,
                                             std::string reason) const {
  rejected_.push_back({std::move(candidate), rule, std::move(reason), 1, {}});
}

SHARDFIT_INLINE void enumerator_base::reject(const worker_view& w, rule_id rule, std::string reason,
                                             bool whole_class) const {
  if (!whole_class) {
    const std::string& name = c_.workers[w.worker].name;
    rejected_.push_back({"worker '" + name + "'", rule, std::move(reason), 1, {{name, {}}}});
    return;
  }
  rejected_.push_back({worker_label(c_, w), rule, std::move(reason), w.class_size, covered(w, {})});
}

SHARDFIT_INLINE void enumerator_base::reject_gpus(const worker_view& w,
                                                  const std::vector<std::uint32_t>& positions,
                                                  rule_id rule, std::string reason,
                                                  bool whole_class) const {
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

SHARDFIT_INLINE void enumerator_base::reject_layout(std::string text, std::uint32_t tp,
                                                    std::uint32_t pp, rule_id rule,
                                                    std::string reason) const {
  rejected_.push_back({std::move(text), rule, std::move(reason), 1, {}, tp, pp});
}

SHARDFIT_INLINE void enumerator_base::reject_selection(
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

SHARDFIT_INLINE std::vector<rejected_worker> enumerator_base::covered(
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

}  // namespace shardfit::detail
