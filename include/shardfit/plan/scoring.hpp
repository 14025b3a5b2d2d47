#pragma once

/// @file
/// @brief Scoring placements: terms normalised to [0, 100] (binpack, spread, fewest workers,
/// fewest GPUs, layers on the main worker, locality, offload), combined with integer weights
/// into a score with a per-term breakdown. A custom term is any type meeting `score_term`; a
/// custom scorer any type meeting `candidate_scorer`.
///
/// Example — a scorer that only cares about keeping the model on few GPUs and local disks:
/// @code
///   using my_scorer = shardfit::weighted_scorer<shardfit::fewest_gpus_term,
///                                               shardfit::locality_term>;
///   shardfit::basic_planner<shardfit::static_inventory, shardfit::default_estimator, my_scorer>
///       p(shardfit::static_inventory{cluster}, {}, my_scorer({3, 1}));
/// @endcode

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief What a score term may look at besides the placement.
struct plan_context {
  const cluster& c;  ///< the cluster snapshot being planned on
  model_ref model;   ///< the model being placed (to find copies of it)
  backend engine = backend::llama_cpp;
  scoring_policy policy = scoring_policy::binpack;
  /// Where each worker finds the model, by worker index: the planner fills it once per plan so
  /// scoring every candidate does not search disks and volumes again. Empty: looked up.
  std::vector<storage_source> sources = {};
  /// The request being planned (its context, policy, storage settings); set by the planner.
  const plan_request* request = nullptr;
  /// The model being placed (its layers, architecture, files); set by the planner.
  const model_profile* profile = nullptr;

  /// @brief Whether worker `w` (an index into `c.workers`) reads the model without a download.
  [[nodiscard]] bool holds_model(std::uint32_t w) const;
};

namespace detail {

// A term's value, refused outside [0, 100] (NaN included): a term that breaks its contract
// would reorder the ranking silently.
SHARDFIT_INLINE double checked_value(std::string_view term, double v);

SHARDFIT_INLINE double share(bytes part, bytes whole);

// Mean over the placed GPUs (or, without GPUs, over the workers' RAM) of f(used, free, total).
template <class F>
double device_mean(const placement& p, F f) {
  double sum = 0;
  std::size_t n = 0;
  for (const auto& w : p.workers) {
    for (const auto& g : w.gpus) {
      sum += f(g.vram, g.allocatable, g.total);
      ++n;
    }
  }
  if (n == 0) {
    for (const auto& w : p.workers) {
      sum += f(w.ram, w.ram_allocatable, w.ram_total);
      ++n;
    }
  }
  return n == 0 ? 0 : sum / static_cast<double>(n);
}

}  // namespace detail

/// @brief Prefers the most-used devices that still fit: the mean share of each device's memory
/// in use once the placement is made.
struct binpack_term {
  static constexpr std::string_view name = "binpack";
  double operator()(const placement& p, const plan_context&) const {
    return 100.0 * detail::device_mean(p, [](bytes need, bytes free, bytes total) {
             return detail::share(saturating_sub(total, free) + need, total);
           });
  }
};

/// @brief Prefers idle devices: the mean share of each device's memory free before placing.
struct spread_term {
  static constexpr std::string_view name = "spread";
  double operator()(const placement& p, const plan_context&) const {
    return 100.0 * detail::device_mean(p, [](bytes, bytes free, bytes total) {
             return detail::share(free, total);
           });
  }
};

/// @brief 100 for one worker, 50 for two, ...
struct fewest_workers_term {
  static constexpr std::string_view name = "fewest_workers";
  double operator()(const placement& p, const plan_context&) const {
    return p.workers.empty() ? 0 : 100.0 / static_cast<double>(p.workers.size());
  }
};

/// @brief 100 for one GPU (or none), 50 for two, ...
struct fewest_gpus_term {
  static constexpr std::string_view name = "fewest_gpus";
  double operator()(const placement& p, const plan_context&) const {
    return 100.0 / static_cast<double>(std::max<std::size_t>(1, p.gpu_count()));
  }
};

/// @brief The share of the layers held by the main worker (its GPUs and its RAM): layers
/// elsewhere cost a network hop per token.
struct main_layers_term {
  static constexpr std::string_view name = "main_layers";
  double operator()(const placement& p, const plan_context&) const {
    if (p.workers.empty() || p.total_layers == 0) return 0;
    const auto& m = p.workers.front();
    std::uint64_t on_main = m.cpu_layers;
    if (p.engine == backend::vllm) {
      on_main = m.gpus.empty() ? 0 : m.gpus.front().layers;
    } else {
      bool output_on_gpu = false;
      for (const auto& w : p.workers) {
        for (const auto& g : w.gpus) output_on_gpu = output_on_gpu || g.output_layer;
      }
      for (const auto& g : m.gpus) on_main += g.layers;
      if (!output_on_gpu) ++on_main;  // the output layer stays on the main's host
    }
    return 100.0 * std::min(1.0, static_cast<double>(on_main) / p.total_layers);
  }
};

/// @brief The share of the workers that read the weights (llama.cpp: the main; vLLM: every
/// stage) and already hold them, on their disk or on a shared volume they mount.
struct locality_term {
  static constexpr std::string_view name = "locality";
  double operator()(const placement& p, const plan_context& ctx) const {
    std::size_t readers = 0;
    std::size_t local = 0;
    for (const auto& w : p.workers) {
      if (w.role == worker_role::rpc) continue;
      ++readers;
      if (ctx.holds_model(w.worker)) ++local;
    }
    return readers == 0 ? 0 : 100.0 * static_cast<double>(local) / static_cast<double>(readers);
  }
};

/// @brief The share of the layers on GPUs.
struct offload_term {
  static constexpr std::string_view name = "offload";
  double operator()(const placement& p, const plan_context&) const {
    return p.total_layers == 0 ? 0 : 100.0 * p.offloaded_layers / p.total_layers;
  }
};

namespace detail {

template <class T>
inline constexpr bool builtin_term =
    std::is_same_v<T, binpack_term> || std::is_same_v<T, spread_term> ||
    std::is_same_v<T, fewest_workers_term> || std::is_same_v<T, fewest_gpus_term> ||
    std::is_same_v<T, main_layers_term> || std::is_same_v<T, locality_term> ||
    std::is_same_v<T, offload_term>;

// The label keys a policy reads, so the planner keeps workers that differ in them apart: its
// own `label_keys()`; none for shardfit's terms; every label ("*") for a policy that does not
// say (it may read any).
template <class P>
std::vector<std::string> label_keys_of(const P& p) {
  if constexpr (requires {
                  { p.label_keys() } -> std::convertible_to<std::vector<std::string>>;
                }) {
    return p.label_keys();
  } else if constexpr (builtin_term<P>) {
    return {};
  } else {
    return {"*"};
  }
}

SHARDFIT_INLINE void add_keys(std::vector<std::string>& to, const std::vector<std::string>& more);

}  // namespace detail

/// @brief Terms combined with integer weights: total = Σ weight × value / Σ weight, so the
/// total stays in [0, 100]. Terms of weight 0 are left out of the breakdown.
template <score_term... Terms>
class weighted_scorer {
 public:
  using weights_type = std::array<int, sizeof...(Terms)>;

  weighted_scorer() { weights_.fill(1); }
  explicit weighted_scorer(weights_type w, std::tuple<Terms...> terms = {})
      : weights_(w), terms_(std::move(terms)) {
    for (const int x : weights_) {
      if (x < 0) throw error::invalid_argument("score weights cannot be negative");
    }
  }

  [[nodiscard]] score_card score(const placement& p, const plan_context& ctx) const {
    score_card card;
    card.parts.reserve(sizeof...(Terms));
    long sum_w = 0;
    double sum = 0;
    std::size_t i = 0;
    std::apply(
        [&](const auto&... term) {
          (
              [&] {
                const int w = weights_[i++];
                if (w == 0) return;
                const double v =
                    detail::checked_value(term.name, static_cast<double>(term(p, ctx)));
                card.parts.push_back({std::string(term.name), w, v});
                sum += w * v;
                sum_w += w;
              }(),
              ...);
        },
        terms_);
    card.total = sum_w == 0 ? 0 : sum / static_cast<double>(sum_w);
    return card;
  }

  [[nodiscard]] const weights_type& weights() const noexcept { return weights_; }
  /// @brief The label keys its terms read (see `detail::label_keys_of`).
  [[nodiscard]] std::vector<std::string> label_keys() const {
    std::vector<std::string> keys;
    std::apply([&](const auto&... t) { (detail::add_keys(keys, detail::label_keys_of(t)), ...); },
               terms_);
    return keys;
  }

 private:
  weights_type weights_{};
  std::tuple<Terms...> terms_;
};

/// @brief The standard terms, in this order.
using standard_scorer =
    weighted_scorer<binpack_term, spread_term, fewest_workers_term, fewest_gpus_term,
                    main_layers_term, locality_term, offload_term>;

/// @brief The default scorer: the standard terms weighted by the request's policy.
///
/// | term | binpack | spread |
/// |---|---|---|
/// | binpack | 6 | 0 |
/// | spread | 0 | 6 |
/// | fewest_workers | 4 | 4 |
/// | fewest_gpus | 3 | 3 |
/// | main_layers | 2 | 2 |
/// | locality | 2 | 2 |
/// | offload | 3 | 3 |
template <candidate_scorer Base, score_term Term>
class scorer_with_term;

/// @brief A term whose name is made at run time ("prefer zone=a") and whose value is any
/// callable.
struct dynamic_term {
  std::string name;
  std::function<double(const placement&, const plan_context&)> fn;
  /// The label keys `fn` reads ("*": any, the default; empty: none), so workers that differ in
  /// them are scored apart.
  std::vector<std::string> labels = {"*"};
  double operator()(const placement& p, const plan_context& ctx) const { return fn(p, ctx); }
  [[nodiscard]] std::vector<std::string> label_keys() const { return labels; }
};

/// @brief `base`'s score with one more weighted term: the base's parts and weights stay as they
/// are (the binpack or spread policy included) and the term joins the weighted mean.
template <candidate_scorer Base, score_term Term>
class scorer_with_term {
 public:
  scorer_with_term(Base base, Term term, int weight)
      : base_(std::move(base)), term_(std::move(term)), weight_(weight) {
    if (weight < 0) throw error::invalid_argument("score weights cannot be negative");
  }
  [[nodiscard]] score_card score(const placement& p, const plan_context& ctx) const {
    score_card card = base_.score(p, ctx);
    if (weight_ == 0) return card;
    long sum_w = 0;
    double sum = 0;
    for (const auto& part : card.parts) {
      sum_w += part.weight;
      sum += part.weight * part.value;
    }
    const double v = detail::checked_value(term_.name, static_cast<double>(term_(p, ctx)));
    card.parts.push_back({std::string(term_.name), weight_, v});
    sum += weight_ * v;
    sum_w += weight_;
    card.total = sum / static_cast<double>(sum_w);
    return card;
  }
  [[nodiscard]] std::vector<std::string> label_keys() const {
    std::vector<std::string> keys = detail::label_keys_of(base_);
    detail::add_keys(keys, detail::label_keys_of(term_));
    return keys;
  }
  /// @brief This scorer with one more term.
  template <score_term T>
  [[nodiscard]] scorer_with_term<scorer_with_term, T> with_term(T term, int weight) const {
    return {*this, std::move(term), weight};
  }

 private:
  Base base_;
  Term term_;
  int weight_;
};

class default_scorer {
 public:
  [[nodiscard]] score_card score(const placement& p, const plan_context& ctx) const;
  [[nodiscard]] std::vector<std::string> label_keys() const { return {}; }
  /// @brief The default ranking (the request's binpack or spread policy, its weights) with one
  /// more term: `default_scorer{}.with_term(zone_term{"a"}, 10)`.
  template <score_term T>
  [[nodiscard]] scorer_with_term<default_scorer, T> with_term(T term, int weight) const {
    return {*this, std::move(term), weight};
  }

 private:
  standard_scorer binpack_{{6, 0, 4, 3, 2, 2, 3}};
  standard_scorer spread_{{0, 6, 4, 3, 2, 2, 3}};
};

/// @brief A scorer chosen at run time (from a configuration file, say): any
/// `candidate_scorer`, type-erased. The compile-time policies stay the primary way in.
///
/// Example:
/// @code
///   shardfit::any_scorer s = prefer_local ? shardfit::any_scorer(my_locality_scorer{})
///                                         : shardfit::any_scorer(shardfit::default_scorer{});
///   shardfit::basic_planner<shardfit::static_inventory, shardfit::default_estimator,
///                           shardfit::any_scorer> p(shardfit::static_inventory{c}, {}, s);
/// @endcode
class any_scorer {
 public:
  any_scorer() : any_scorer(default_scorer{}) {}
  template <class S>
  requires(candidate_scorer<S> && !std::same_as<std::remove_cvref_t<S>, any_scorer>)
      any_scorer(S scorer)  // NOLINT(google-explicit-constructor): a wrapper converts implicitly
      : keys_(detail::label_keys_of(scorer)),
        fn_([s = std::move(scorer)](const placement& p, const plan_context& ctx) {
          return s.score(p, ctx);
        }) {}

  [[nodiscard]] score_card score(const placement& p, const plan_context& ctx) const;
  [[nodiscard]] std::vector<std::string> label_keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;
  std::function<score_card(const placement&, const plan_context&)> fn_;
};

static_assert(score_term<binpack_term> && score_term<spread_term> &&
              score_term<fewest_workers_term> && score_term<fewest_gpus_term> &&
              score_term<main_layers_term> && score_term<locality_term> &&
              score_term<offload_term>);
static_assert(candidate_scorer<default_scorer>);
static_assert(candidate_scorer<standard_scorer>);
static_assert(candidate_scorer<any_scorer>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/scoring-inl.hpp>
#endif
