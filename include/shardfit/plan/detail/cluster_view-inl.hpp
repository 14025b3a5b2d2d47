#pragma once

// The bodies of <shardfit/plan/detail/cluster_view.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/detail/cluster_view.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE bytes plan_floor(bytes b) {
  return bytes{b.count() / plan_granularity * plan_granularity};
}

SHARDFIT_INLINE cluster_view::cluster_view(const cluster& c, const model_ref& model, bytes whole,
                                           const storage_settings& s, const view_policies* policies)
    : storage(s) {
  const bool all_labels =
      policies != nullptr && std::find(policies->label_keys.begin(), policies->label_keys.end(),
                                       "*") != policies->label_keys.end();
  // The values of the labels the policies read, appended to a class key.
  const auto label_part = [&](const std::vector<std::pair<std::string, std::string>>& labels) {
    std::string out;
    if (policies == nullptr || policies->label_keys.empty()) return out;
    for (const auto& [k, val] : labels) {
      if (all_labels || std::find(policies->label_keys.begin(), policies->label_keys.end(), k) !=
                            policies->label_keys.end()) {
        out += '\x1c' + k + '=' + val;
      }
    }
    return out;
  };
  std::unordered_map<std::string, std::uint32_t> classes;
  classes.reserve(c.workers.size());
  std::vector<std::uint32_t> sizes;
  workers.reserve(c.workers.size());
  const auto alloc = c.allocatable();
  for (std::size_t w = 0; w < c.workers.size(); ++w) {
    const worker_info& wk = c.workers[w];
    worker_view v;
    v.worker = static_cast<std::uint32_t>(w);
    v.ram_allocatable = alloc.ram[w];
    v.ram = plan_floor(alloc.ram[w]);
    v.uma = wk.uma;
    v.location = c.locate_model(w, model);
    v.disk_free = wk.disk_free;
    v.disk_short = disk_problem(v.location, v.disk_free, whole, s);
    if (policies != nullptr && policies->worker) {
      const filter_verdict fv = policies->worker(w);
      if (!fv.pass) {
        if (policies->rejected != nullptr) {
          policies->rejected->push_back(
              {"worker '" + wk.name + "'", rule_id::filter, fv.reason, 1, {{wk.name, {}}}});
        }
        v.excluded = true;
        v.representative = false;
        v.ram = v.ram_allocatable = bytes{};
        v.disk_short = fv.reason;
        v.cls = static_cast<std::uint32_t>(sizes.size());
        sizes.push_back(1);
        workers.push_back(std::move(v));
        continue;
      }
    }
    for (std::size_t g = 0; g < wk.gpus.size(); ++g) {
      if (policies != nullptr && policies->gpu) {
        const filter_verdict fv = policies->gpu(w, g);
        if (!fv.pass) {
          if (policies->rejected != nullptr) {
            policies->rejected->push_back({wk.name + ":" + std::to_string(wk.gpus[g].index),
                                           rule_id::filter,
                                           fv.reason,
                                           1,
                                           {{wk.name, {wk.gpus[g].index}}}});
          }
          continue;
        }
      }
      gpu_view gv;
      gv.slot = static_cast<std::uint32_t>(g);
      gv.index = wk.gpus[g].index;
      gv.total = wk.gpus[g].vram;
      gv.allocatable = alloc.vram[w][g];
      gv.free = plan_floor(gv.allocatable);
      if (v.uma) gv.free = std::min(gv.free, v.ram);
      v.gpus.push_back(gv);
    }
    std::sort(v.gpus.begin(), v.gpus.end(),
              [](const gpu_view& a, const gpu_view& b) { return a.index < b.index; });
    // The class key: what makes two workers interchangeable for planning and scoring.
    std::vector<std::string> parts;
    for (const auto& g : v.gpus) {
      const auto& info = wk.gpus[g.slot];
      parts.push_back(info.name + '\x1f' + info.vendor + '\x1f' + std::to_string(g.total.count()) +
                      '\x1f' + std::to_string(g.free.count()) + label_part(info.labels));
    }
    std::string key = std::to_string(v.ram.count()) + (v.uma ? "u" : "d") +
                      std::to_string(static_cast<int>(v.location.source)) + v.location.volume +
                      '\x1d' + (v.disk_free ? std::to_string(v.disk_free->count()) : "?") + '\x1d' +
                      std::to_string(wk.ram.count()) + label_part(wk.labels);
    for (const auto& p : parts) key += '\x1e' + p;
    const auto [it, inserted] =
        classes.emplace(std::move(key), static_cast<std::uint32_t>(sizes.size()));
    if (inserted) sizes.push_back(0);
    v.cls = it->second;
    v.representative = inserted;
    ++sizes[v.cls];
    workers.push_back(std::move(v));
  }
  class_head.assign(sizes.size(), none);
  next_in_class.assign(workers.size(), none);
  for (std::size_t i = workers.size(); i-- > 0;) {
    auto& v = workers[i];
    v.class_size = sizes[v.cls];
    next_in_class[i] = class_head[v.cls];
    class_head[v.cls] = static_cast<std::uint32_t>(i);
  }
}

SHARDFIT_INLINE std::optional<std::string> cluster_view::disk_short_for(const worker_view& w,
                                                                        bytes need) const {
  return disk_problem(w.location, w.disk_free, need, storage);
}

SHARDFIT_INLINE void name_placement(placement& p, const cluster& c) {
  for (auto& w : p.workers) {
    w.name = c.workers[w.worker].name;
    w.address = c.workers[w.worker].address;
    for (auto& g : w.gpus) g.name = c.workers[w.worker].gpus[g.slot].name;
  }
}

SHARDFIT_INLINE std::string worker_label(const cluster& c, const worker_view& v) {
  std::string s = "worker '" + c.workers[v.worker].name + "'";
  if (v.class_size > 1) {
    s += " (and " + std::to_string(v.class_size - 1) + " identical worker" +
         (v.class_size > 2 ? "s" : "") + ")";
  }
  return s;
}

SHARDFIT_INLINE std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> group_selection(
    const cluster& c, const cluster_view& v, const std::vector<gpu_ref>& gpus) {
  std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> groups;
  for (const auto& ref : gpus) {
    const auto wi = c.find_worker(ref.worker);
    if (!wi) {
      throw error::invalid_argument("GPU selection: no worker is named '" + ref.worker + "'");
    }
    const auto& w = v.workers[*wi];
    std::optional<std::uint32_t> g;
    for (std::uint32_t i = 0; i < w.gpus.size(); ++i) {
      if (w.gpus[i].index == ref.index) g = i;
    }
    if (!g) {
      throw error::invalid_argument("GPU selection: worker '" + ref.worker + "' has no GPU " +
                                    std::to_string(ref.index));
    }
    const auto view = static_cast<std::uint32_t>(*wi);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& grp) { return grp.first == view; });
    if (it == groups.end()) {
      groups.emplace_back(view, std::vector<std::uint32_t>{*g});
    } else {
      it->second.push_back(*g);
    }
  }
  return groups;
}

SHARDFIT_INLINE bool alike_gpus(const cluster& c, const worker_view& w,
                                const std::vector<std::uint32_t>& a,
                                const std::vector<std::uint32_t>& b) {
  auto key = [&](const std::vector<std::uint32_t>& x) {
    std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string_view>> k;
    for (auto g : x) {
      k.emplace_back(w.gpus[g].free.count(), w.gpus[g].total.count(),
                     c.workers[w.worker].gpus[w.gpus[g].slot].name);
    }
    std::sort(k.begin(), k.end());
    return k;
  };
  return key(a) == key(b);
}

}  // namespace detail

}  // namespace shardfit
