#pragma once

// The bodies of <shardfit/plan/filters.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/filters.hpp>

namespace shardfit {

SHARDFIT_INLINE filter_verdict accept_all_filter::gpu(const worker_info&, const gpu_info&,
                                                      const plan_context&) const {
  return {};
}

SHARDFIT_INLINE std::pair<std::string, std::string> parse_label(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw error::invalid_argument("label '" + std::string(text) + "': expected KEY=VALUE");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

SHARDFIT_INLINE filter_verdict label_filter::worker(const worker_info& w,
                                                    const plan_context&) const {
  for (const auto& [k, v] : require) {
    const auto have = w.label(k);
    if (have != v) {
      return filter_verdict::refuse("needs label " + k + "=" + v +
                                    (have ? " but has " + k + "=" + *have : ", which it lacks"));
    }
  }
  for (const auto& [k, v] : avoid) {
    if (w.label(k) == v) return filter_verdict::refuse("has label " + k + "=" + v + " (avoided)");
  }
  return {};
}

SHARDFIT_INLINE filter_verdict label_filter::gpu(const worker_info&, const gpu_info& g,
                                                 const plan_context&) const {
  for (const auto& [k, v] : avoid) {
    if (g.label(k) == v) return filter_verdict::refuse("has label " + k + "=" + v + " (avoided)");
  }
  return {};
}

SHARDFIT_INLINE std::vector<std::string> label_filter::label_keys() const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : require) keys.push_back(k);
  for (const auto& [k, v] : avoid) keys.push_back(k);
  return keys;
}

}  // namespace shardfit
