#pragma once

// The bodies of <shardfit/plan/scoring.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/scoring.hpp>

namespace shardfit {

SHARDFIT_INLINE bool plan_context::holds_model(std::uint32_t w) const {
  return w < sources.size() ? sources[w] != storage_source::download : c.holds_model(w, model);
}

namespace detail {

SHARDFIT_INLINE double checked_value(std::string_view term, double v) {
  if (!(v >= 0.0 && v <= 100.0)) {
    throw error(errc::contract_violation, "score term '" + std::string(term) + "' returned " +
                                              std::to_string(v) +
                                              "; a term's value must be a number in [0, 100]");
  }
  return v;
}

SHARDFIT_INLINE double share(bytes part, bytes whole) {
  if (whole == bytes{}) return 0;
  return std::clamp(static_cast<double>(part.count()) / static_cast<double>(whole.count()), 0.0,
                    1.0);
}

SHARDFIT_INLINE void add_keys(std::vector<std::string>& to, const std::vector<std::string>& more) {
  for (const auto& k : more) {
    if (std::find(to.begin(), to.end(), k) == to.end()) to.push_back(k);
  }
}

}  // namespace detail

SHARDFIT_INLINE score_card default_scorer::score(const placement& p,
                                                 const plan_context& ctx) const {
  return (ctx.policy == scoring_policy::spread ? spread_ : binpack_).score(p, ctx);
}

SHARDFIT_INLINE score_card any_scorer::score(const placement& p, const plan_context& ctx) const {
  return fn_(p, ctx);
}

}  // namespace shardfit
