#pragma once

/// @file
/// @brief Filter policies: which workers and GPUs a plan may use, decided before candidates are
/// built (as a Kubernetes scheduler's filter plugins do), each refusal a rejection with its
/// reason. Default: `accept_all_filter`. `label_filter` keeps workers that have every required
/// label and drops workers and GPUs that have a label to avoid. `label_term` is the scoring
/// side: a preference for a label.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/plan/placement.hpp>
#include <shardfit/plan/scoring.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief Lets every worker and GPU through.
struct accept_all_filter {
  [[nodiscard]] filter_verdict worker(const worker_info&, const plan_context&) const { return {}; }
  [[nodiscard]] filter_verdict gpu(const worker_info&, const gpu_info&, const plan_context&) const;
  [[nodiscard]] std::vector<std::string> label_keys() const { return {}; }
};

/// @brief "KEY=VALUE" as a pair.
/// @throws shardfit::error (invalid_argument) without a '=' or with an empty key.
[[nodiscard]] SHARDFIT_INLINE std::pair<std::string, std::string> parse_label(
    std::string_view text);

/// @brief Workers must carry every `require` label; a worker or GPU carrying any `avoid` label
/// is not used.
struct label_filter {
  std::vector<std::pair<std::string, std::string>> require;
  std::vector<std::pair<std::string, std::string>> avoid;

  [[nodiscard]] filter_verdict worker(const worker_info& w, const plan_context&) const;
  [[nodiscard]] filter_verdict gpu(const worker_info&, const gpu_info& g,
                                   const plan_context&) const;
  /// @brief The labels it reads: workers that differ in them are not interchangeable.
  [[nodiscard]] std::vector<std::string> label_keys() const;
};

/// @brief A scoring term preferring a label: the share of the placement's workers that carry
/// KEY=VALUE, as 0..100. Its name is "prefer KEY=VALUE".
struct label_term {
  std::string name;
  std::string key;
  std::string value;

  label_term(std::string k, std::string v)
      : name("prefer " + k + "=" + v), key(std::move(k)), value(std::move(v)) {}
  double operator()(const placement& p, const plan_context& ctx) const {
    if (p.workers.empty()) return 0;
    double with = 0;
    for (const auto& w : p.workers) {
      if (ctx.c.workers[w.worker].label(key) == value) with += 1;
    }
    return 100.0 * with / static_cast<double>(p.workers.size());
  }
  [[nodiscard]] std::vector<std::string> label_keys() const { return {key}; }
};

static_assert(candidate_filter<accept_all_filter>);
static_assert(candidate_filter<label_filter>);
static_assert(score_term<label_term>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/filters-inl.hpp>
#endif
