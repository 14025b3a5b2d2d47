#pragma once

// The bodies of <shardfit/plan/storage.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/storage.hpp>

namespace shardfit {

SHARDFIT_INLINE model_ref model_ref_of(const model_profile& m) {
  return {m.name, m.set, m.file_bytes};
}

SHARDFIT_INLINE std::optional<std::string> disk_problem(const model_location& where,
                                                        const std::optional<bytes>& disk_free,
                                                        bytes need, const storage_settings& s) {
  if (!s.check_disk || where.source != storage_source::download || !disk_free) return std::nullopt;
  const auto with_margin = bytes{static_cast<std::uint64_t>(static_cast<double>(need.count()) *
                                                            (1.0 + std::max(0.0, s.disk_margin)))};
  if (*disk_free >= with_margin) return std::nullopt;
  std::string percent = detail::fixed2(std::max(0.0, s.disk_margin) * 100.0);
  while (percent.back() == '0') percent.pop_back();
  if (percent.back() == '.') percent.pop_back();
  return "needs " + to_string_decimal(need) + " of weights on disk (" +
         to_string_decimal(with_margin) + " with the " + percent + "% margin) but has " +
         to_string_decimal(*disk_free) +
         " free and no copy on its disk or on a shared volume it mounts";
}

SHARDFIT_INLINE void attach_storage(placement& p, const cluster& c, const model_profile& m) {
  const model_ref ref = model_ref_of(m);
  const bytes whole = m.disk_bytes();
  std::vector<std::string> volumes_read;
  p.storage = {};
  std::size_t readers = 0;
  for (std::size_t i = 0; i < p.workers.size(); ++i) {
    placed_worker& w = p.workers[i];
    w.source = storage_source::none;
    w.volume.clear();
    w.path.clear();
    w.weights = bytes{};
    w.partial = false;
    if (p.engine == backend::llama_cpp && w.role == worker_role::rpc) continue;
    ++readers;
    bytes need = whole;
    if (const layers_read r = layers_read_by(p, i); !r.whole) {
      need = m.disk_bytes_for(r.first, r.count, r.input, r.output);
      w.partial = need < whole;
    }
    const model_location where = c.locate_model(w.worker, ref);
    w.source = where.source;
    w.volume = where.volume;
    w.path = where.path;
    w.weights = need;
    switch (where.source) {
      case storage_source::present:
        ++p.storage.copies;
        break;
      case storage_source::shared:
        if (std::find(volumes_read.begin(), volumes_read.end(), where.volume) ==
            volumes_read.end()) {
          volumes_read.push_back(where.volume);
          ++p.storage.copies;
        }
        break;
      case storage_source::download:
        ++p.storage.copies;
        p.storage.download += need;
        break;
      case storage_source::none:
        break;
    }
  }
  // One copy on a shared volume that several downloading workers mount.
  std::optional<std::string> best;
  bytes best_saving{};
  for (const auto& v : c.volumes) {
    if (!v.shared) continue;
    if (v.free != bytes{} && v.free < whole) continue;
    std::size_t mounted = 0;
    bytes downloads{};
    for (const auto& w : p.workers) {
      if (w.source != storage_source::download) continue;
      const auto& mounts = c.workers[w.worker].mounts;
      const bool mounts_it = std::any_of(mounts.begin(), mounts.end(), [&](const mount_info& mt) {
        return mt.shared && mt.volume == v.name;
      });
      if (!mounts_it) continue;
      ++mounted;
      downloads += w.weights;
    }
    // Worth saying when it saves at least a tenth of a copy.
    if (mounted < 2 || downloads <= whole + whole / 10) continue;
    const bytes saving = downloads - whole;
    if (saving > best_saving) {
      best_saving = saving;
      best = "put one copy on volume " + v.name + ", mounted by " + std::to_string(mounted) +
             " of " + std::to_string(readers) + " placed workers: saves " +
             to_string_decimal(saving) + " of downloads";
    }
  }
  if (best) p.storage.suggestions.push_back(std::move(*best));
}

}  // namespace shardfit
