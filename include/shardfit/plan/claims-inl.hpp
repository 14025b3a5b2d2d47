#pragma once

// The bodies of <shardfit/plan/claims.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/claims.hpp>

namespace shardfit {

SHARDFIT_INLINE std::vector<claim> to_claims(const placement& p, const std::string& instance) {
  std::vector<claim> out;
  for (const auto& w : p.workers) {
    if (w.name.empty()) {
      throw error::invalid_argument("the placement's worker " + std::to_string(w.worker) +
                                    " has no name: claims name workers (use a planned placement)");
    }
    if (w.ram != bytes{}) out.push_back({instance, w.name, std::nullopt, w.ram, bytes{}});
    for (const auto& g : w.gpus) out.push_back({instance, w.name, g.index, bytes{}, g.vram});
  }
  return out;
}

SHARDFIT_INLINE void commit(cluster& c, const std::vector<claim>& claims) {
  c.claims.insert(c.claims.end(), claims.begin(), claims.end());
  ++c.version;
}

SHARDFIT_INLINE std::size_t release(cluster& c, std::string_view instance) {
  const auto before = c.claims.size();
  c.claims.erase(std::remove_if(c.claims.begin(), c.claims.end(),
                                [&](const claim& cl) { return cl.instance == instance; }),
                 c.claims.end());
  const std::size_t removed = before - c.claims.size();
  if (removed != 0) ++c.version;
  return removed;
}

}  // namespace shardfit
