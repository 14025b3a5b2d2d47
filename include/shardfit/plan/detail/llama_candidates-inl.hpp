#pragma once

// The bodies of <shardfit/plan/detail/llama_candidates.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/detail/llama_candidates.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE llama_enumerator::llama_enumerator(const cluster& c, const cluster_view& v,
                                                   const llama_estimator& est,
                                                   const plan_request& rq,
                                                   std::vector<rejection>& rejected)
    : enumerator_base(c, v, rq, rejected), est_(est), L_(est.model().n_layer) {
  legacy_ = est.settings().rule == offload_rule::legacy;
  few_workers_ =
      static_cast<std::size_t>(std::count_if(v.workers.begin(), v.workers.end(), [](const auto& w) {
        return w.representative;
      })) <= few_workers_max;
  // What a device needs to take one layer (the heaviest), as a local GPU and as an RPC server.
  min_gpu_ =
      est.max_layer_cost() + est.layer_compute(false) + est.device_overhead(device_kind::gpu);
  min_rpc_ =
      est.max_layer_cost() + est.layer_compute(false) + est.device_overhead(device_kind::rpc);
  std::uint64_t all = est.layers_cost(0, L_).count() + est.output_weights().count();
  layers_bytes_ = bytes{all};
  // The cap: --gpu-layers counts the output as a layer (current rule).
  if (rq.gpu_layers) {
    const std::uint32_t cap = *rq.gpu_layers;
    max_repeating_ = legacy_ ? std::min(cap, L_) : (cap == 0 ? 0 : std::min(cap - 1, L_));
    if (legacy_ && cap > L_) max_repeating_ = L_;
  } else {
    max_repeating_ = L_;
  }
}

SHARDFIT_INLINE bool llama_enumerator::full_offload_allowed() const {
  return !rq_.gpu_layers || *rq_.gpu_layers >= L_ + 1;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::single_gpu() const {
  std::vector<placement> out;
  if (!full_offload_allowed()) return out;
  const auto one = one_device_need();
  for (const auto& w : v_.workers) {
    if (!w.representative || w.disk_short) continue;
    if (w.gpus.empty()) continue;
    bytes best{};
    bool any = false;
    bool ram_short = false;
    std::vector<const gpu_view*> seen;
    for (std::uint32_t g = 0; g < w.gpus.size(); ++g) {
      const gpu_view& gv = w.gpus[g];
      best = std::max(best, gv.free);
      if (gv.free < one.device) continue;
      // Identical GPUs of one worker give identical candidates: keep the first.
      if (std::any_of(seen.begin(), seen.end(),
                      [&](const gpu_view* x) { return same_gpu_class(w, *x, gv); })) {
        continue;
      }
      seen.push_back(&gv);
      std::vector<llama_dev> devs{{index_of(w), g, gv.free, device_kind::gpu}};
      if (auto p = build(devs, 0, plan_stage::single_gpu, &ram_short)) {
        out.push_back(std::move(*p));
        any = true;
      }
    }
    if (!any) {
      if (ram_short) {
        reject(w, rule_id::fit_ram,
               "needs " + gib(one.host) + " of RAM beside the GPU, has " + gib(w.ram));
      } else {
        reject(w, rule_id::fit_vram,
               "no single GPU holds the model: it needs " + gib(one.device) + ", the largest has " +
                   gib(best) + " free");
      }
    }
  }
  return out;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::one_worker() const {
  std::vector<placement> out;
  if (!full_offload_allowed()) return out;
  for (const auto& w : v_.workers) {
    if (!w.representative || w.gpus.empty() || w.disk_short) continue;
    std::vector<std::uint32_t> usable = usable_gpus(w, min_gpu_, true);
    if (usable.size() < 2) continue;  // stage one said why
    const std::uint32_t limit = std::min<std::uint32_t>(
        {static_cast<std::uint32_t>(usable.size()), llama_max_plan_devices, L_});
    // Roomiest first: the largest k GPUs.
    std::vector<std::uint32_t> by_free = usable;
    std::stable_sort(by_free.begin(), by_free.end(), [&](std::uint32_t a, std::uint32_t b) {
      return w.gpus[a].free > w.gpus[b].free;
    });
    bool found = false;
    bool ram_short = false;
    std::vector<std::vector<std::uint32_t>> tried;  // the sets emitted
    std::uint32_t found_k = 0;                      // the fewest GPUs that hold it
    for (std::uint32_t k = 2; k <= limit && !found; ++k) {
      std::vector<std::uint32_t> pick(by_free.begin(), by_free.begin() + k);
      if (!bound_ok(w, pick, device_kind::gpu)) continue;
      auto roomy = build(local_devs(w, pick), 0, plan_stage::one_worker, &ram_short);
      if (!roomy) continue;
      found = true;
      found_k = k;
      // The tightest run of k GPUs (by free memory, ascending) that still fits.
      std::vector<std::uint32_t> asc(by_free.rbegin(), by_free.rend());
      for (std::size_t s = 0; s + k <= asc.size(); ++s) {
        std::vector<std::uint32_t> run(asc.begin() + static_cast<std::ptrdiff_t>(s),
                                       asc.begin() + static_cast<std::ptrdiff_t>(s + k));
        if (alike_gpus(c_, w, run, pick)) break;  // reached (a set like) the roomiest one
        if (!bound_ok(w, run, device_kind::gpu)) continue;
        run = first_alike(w, usable, run);  // identical GPUs go by inventory order
        if (auto tight = build(local_devs(w, run), 0, plan_stage::one_worker, &ram_short)) {
          out.push_back(std::move(*tight));
          tried.push_back(run);
          break;
        }
      }
      out.push_back(std::move(*roomy));
      tried.push_back(pick);
      if (k > 2) {
        reject(w, rule_id::fit_vram,
               "fewer than " + std::to_string(k) + " of its GPUs cannot hold the model: the " +
                   std::to_string(k - 1) + " roomiest have " + gib(sum_free(w, usable, k - 1)) +
                   " free");
      }
    }
    if (found && few_workers_) every_class_mix(w, usable, found_k, tried, out);
    if (!found) {
      if (ram_short) {
        reject(w, rule_id::fit_ram,
               "its GPUs could hold the layers but its RAM cannot hold the host part (" +
                   gib(one_device_need().host) + " needed, " + gib(w.ram) + " free)");
      } else {
        std::vector<std::uint32_t> roomiest = by_free;
        roomiest.resize(limit);
        std::uint64_t cap = 0;
        for (auto g : roomiest) cap += spare(w.gpus[g].free, device_kind::gpu);
        reject(w, rule_id::fit_vram,
               "its " + std::to_string(limit) +
                   " usable GPUs cannot hold the layers: " + shortfall(cap, layers_bytes_.count()));
      }
    }
  }
  return out;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::multi_worker() const {
  std::vector<placement> out;
  if (!full_offload_allowed() || !rq_.distributed || rq_.max_rpc_servers == 0) return out;
  const auto& pool = rpc_pool();
  const auto one = one_device_need();
  for (std::uint32_t mi = 0; mi < v_.workers.size(); ++mi) {
    const auto& m = v_.workers[mi];
    if (!m.representative || m.gpus.empty() || m.disk_short) continue;
    auto local = usable_gpus(m, min_gpu_, false);
    if (local.empty()) continue;  // rejected with layer.min already
    if (m.ram < one.host) {
      reject(m, rule_id::fit_ram,
             "cannot be the main worker: the host part needs " + gib(one.host) +
                 " of RAM, it has " + gib(m.ram));
      continue;
    }
    std::stable_sort(local.begin(), local.end(), [&](std::uint32_t a, std::uint32_t b) {
      return m.gpus[a].free > m.gpus[b].free;
    });
    if (local.size() > llama_max_plan_devices - 1) local.resize(llama_max_plan_devices - 1);
    std::uint64_t capacity = 0;
    for (auto g : local) capacity += spare(m.gpus[g].free, device_kind::gpu);
    const std::uint64_t need = layers_bytes_.count() + est_.layer_compute(true).count() -
                               est_.layer_compute(false).count();
    if (few_gpu_sets(mi, local, pool, need, out)) continue;
    std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> rpc;  // view, gpus
    std::size_t devices = local.size();
    bool got = false;
    for (const auto& p : pool) {
      if (p.view == mi) continue;
      if (rpc.size() >= rq_.max_rpc_servers || devices >= llama_max_plan_devices) break;
      std::vector<std::uint32_t> take;
      for (auto g : p.gpus) {
        if (devices + take.size() >= llama_max_plan_devices) break;
        take.push_back(g);
        capacity += spare(v_.workers[p.view].gpus[g].free, device_kind::rpc);
      }
      devices += take.size();
      rpc.emplace_back(p.view, std::move(take));
      if (capacity < need) continue;
      if (fit_rpc_set(mi, local, rpc, trim(capacity, rpc, need), out)) {
        got = true;
        break;
      }
    }
    if (!got && !rpc.empty()) {
      reject(m, rule_id::fit_vram,
             "as the main worker with " + std::to_string(rpc.size()) + " RPC worker" +
                 (rpc.size() == 1 ? "" : "s") + " (" + std::to_string(devices) +
                 " devices; llama.cpp takes at most " + std::to_string(llama_max_plan_devices) +
                 ") the GPUs cannot hold the layers: " + shortfall(capacity, need));
    }
  }
  return out;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::partial_offload() const {
  std::vector<placement> out;
  if (!rq_.cpu_offload || max_repeating_ == 0) return out;
  for (std::uint32_t wi = 0; wi < v_.workers.size(); ++wi) {
    const auto& w = v_.workers[wi];
    if (!w.representative || w.gpus.empty() || w.disk_short) continue;
    auto usable = usable_gpus(w, min_gpu_, false);
    if (usable.empty()) continue;
    std::stable_sort(usable.begin(), usable.end(), [&](std::uint32_t a, std::uint32_t b) {
      return w.gpus[a].free > w.gpus[b].free;
    });
    if (usable.size() > llama_max_plan_devices) usable.resize(llama_max_plan_devices);
    // The most layers offloaded, over device counts from all usable GPUs down to one.
    std::optional<placement> best;
    std::uint32_t best_h = L_;
    bool ram_short = false;
    for (std::size_t k = 1; k <= usable.size(); ++k) {
      std::vector<std::uint32_t> pick(usable.begin(),
                                      usable.begin() + static_cast<std::ptrdiff_t>(k));
      const auto devs = local_devs(w, pick);
      const std::uint32_t h_floor = L_ - std::min(max_repeating_, L_);
      // Least host layers that still fit on these devices (feasibility is monotone in h).
      std::uint32_t lo = std::max<std::uint32_t>(h_floor, 1);
      std::uint32_t hi = L_ - static_cast<std::uint32_t>(k);
      if (lo > hi) continue;
      if (!distribute(devs, hi, false)) continue;
      while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        if (distribute(devs, mid, false)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      if (hi >= best_h) continue;  // more devices only when they offload more layers
      if (auto p = build(devs, hi, plan_stage::partial_offload, &ram_short)) {
        best = std::move(p);
        best_h = hi;
      }
    }
    // Main + RPC servers + the rest in RAM, when the RPC GPUs offload more layers.
    if (auto d = distributed_partial(wi, usable, best ? best_h : L_)) best = std::move(d);
    if (best && rq_.gpu_layers && best->offloaded_layers != *rq_.gpu_layers) {
      // gpu_layers N is exact: fewer layers on the GPUs is a different plan.
      reject(w, rule_id::gpu_layers,
             "gpu_layers " + std::to_string(*rq_.gpu_layers) + " asks for more than its GPUs" +
                 (rq_.distributed && rq_.max_rpc_servers != 0 ? " and the RPC servers'" : "") +
                 " hold: at most " + std::to_string(best->offloaded_layers) + " of " +
                 std::to_string(L_ + 1) + " layers");
      continue;
    }
    if (best) {
      out.push_back(std::move(*best));
    } else if (ram_short) {
      reject(w, rule_id::fit_ram,
             "cannot keep the remaining layers in RAM: " + gib(w.ram) + " free");
    } else {
      reject(w, rule_id::fit_vram,
             "with the other layers in RAM its GPUs cannot hold one layer beside the output "
             "layer (" +
                 gib(est_.output_weights()) +
                 ") and the weights op offload copies to the first GPU");
    }
  }
  return out;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::cpu_only() const {
  std::vector<placement> out;
  // --gpu-layers N > 0 is exact: running every layer on the CPU is not what was asked.
  if (!rq_.cpu_offload || (rq_.gpu_layers && *rq_.gpu_layers != 0)) return out;
  const llama_estimate e = est_.estimate({}, {0, {}});
  const bytes need = e.host().total;
  for (std::uint32_t wi = 0; wi < v_.workers.size(); ++wi) {
    const auto& w = v_.workers[wi];
    if (!w.representative || w.disk_short) continue;
    if (w.ram < need) {
      reject(w, rule_id::fit_ram,
             "CPU only needs " + gib(need) + " of RAM, it has " + gib(w.ram) + " free");
      continue;
    }
    placement p;
    p.engine = backend::llama_cpp;
    p.stage = plan_stage::cpu_only;
    p.total_layers = L_ + 1;
    placed_worker pw;
    pw.worker = w.worker;
    pw.role = worker_role::main;
    pw.cpu_layers = L_;
    pw.ram = need;
    fill_ram(pw);
    p.workers.push_back(std::move(pw));
    out.push_back(std::move(p));
  }
  return out;
}

SHARDFIT_INLINE std::vector<placement> llama_enumerator::manual(
    const std::vector<gpu_ref>& gpus) const {
  std::vector<placement> out;
  const auto groups = group_selection(c_, v_, gpus);
  if (groups.size() > 1 && !rq_.distributed) {
    reject_selection(groups, rule_id::manual_distributed,
                     "the GPUs are on " + std::to_string(groups.size()) +
                         " workers but distributed placement is not allowed");
    return out;
  }
  if (groups.size() - 1 > rq_.max_rpc_servers) {
    reject_selection(groups, rule_id::rpc_max,
                     "the GPUs are on " + std::to_string(groups.size()) + " workers, which needs " +
                         std::to_string(groups.size() - 1) + " RPC servers; at most " +
                         std::to_string(rq_.max_rpc_servers) + " are allowed");
    return out;
  }
  if (gpus.size() > llama_max_plan_devices) {
    reject_selection(groups, rule_id::devices_max,
                     std::to_string(gpus.size()) + " GPUs; llama.cpp takes at most " +
                         std::to_string(llama_max_plan_devices));
    return out;
  }
  bool ok = true;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& w = v_.workers[groups[gi].first];
    const bytes min = gi == 0 ? min_gpu_ : min_rpc_;
    for (auto g : groups[gi].second) {
      if (w.gpus[g].free < min) {
        reject_gpus(w, {g}, rule_id::layer_min, one_layer_text(w.gpus[g].free, min, "the GPU has"),
                    false);
        ok = false;
      }
    }
  }
  if (!ok) return out;
  if (const auto& d = v_.workers[groups.front().first].disk_short) {
    reject(v_.workers[groups.front().first], rule_id::disk_space, "cannot be main: " + *d, false);
    return out;
  }
  const std::uint32_t main = groups.front().first;
  std::vector<std::uint32_t> local = groups.front().second;
  std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> rpc(groups.begin() + 1,
                                                                        groups.end());
  const auto devs = distributed_devs(main, local, rpc);
  const plan_stage stage = groups.size() > 1 ? plan_stage::multi_worker
                           : gpus.size() > 1 ? plan_stage::one_worker
                                             : plan_stage::single_gpu;
  bool ram_short = false;
  if (full_offload_allowed()) {
    if (auto p = build(devs, 0, stage, &ram_short)) {
      out.push_back(std::move(*p));
      return out;
    }
  }
  if (rq_.cpu_offload && max_repeating_ >= devs.size()) {
    const std::uint32_t h_floor = L_ - std::min(max_repeating_, L_);
    for (std::uint32_t h = std::max<std::uint32_t>(h_floor, 1); h + devs.size() <= L_; ++h) {
      if (!distribute(devs, h, false)) continue;
      if (rq_.gpu_layers && h != std::max<std::uint32_t>(h_floor, 1)) {
        reject_selection(groups, rule_id::gpu_layers,
                         "--gpu-layers " + std::to_string(*rq_.gpu_layers) +
                             " asks for more than the chosen GPUs hold: at most " +
                             std::to_string(L_ - h + (output_on_device(h) ? 1 : 0)) + " of " +
                             std::to_string(L_ + 1) + " layers");
        return out;
      }
      if (auto p = build(devs, h, plan_stage::partial_offload, &ram_short))
        out.push_back(std::move(*p));
      break;
    }
    if (!out.empty()) return out;
  }
  reject_selection(groups, ram_short ? rule_id::fit_ram : rule_id::fit_vram,
                   ram_short
                       ? "the main worker's RAM cannot hold the host part"
                       : "the chosen GPUs cannot hold the model" +
                             std::string(rq_.cpu_offload ? " even with layers left in RAM" : ""));
  return out;
}

SHARDFIT_INLINE void llama_enumerator::reject_storage() const {
  for (const auto& w : v_.workers) {
    if (w.representative && w.disk_short)
      reject(w, rule_id::disk_space, "cannot be main: " + *w.disk_short);
  }
}

SHARDFIT_INLINE void llama_enumerator::reject_unusable() const {
  for (const auto& w : v_.workers) {
    if (!w.representative || w.gpus.empty()) continue;
    bytes best{};
    for (const auto& g : w.gpus) best = std::max(best, g.free);
    if (best < std::min(min_gpu_, min_rpc_)) {
      reject(w, rule_id::layer_min,
             "cannot be main or RPC: " + one_layer_text(best, std::min(min_gpu_, min_rpc_)));
    }
  }
}

SHARDFIT_INLINE auto llama_enumerator::one_device_need() const -> one_need {
  if (!one_) {
    const llama_device d{"gpu0", device_kind::gpu, bytes::max(), false};
    const llama_estimate e = est_.estimate(std::span<const llama_device>(&d, 1), {-1, {}});
    one_ = one_need{e.devices[1].total, e.host().total};
  }
  return *one_;
}

SHARDFIT_INLINE std::string llama_enumerator::one_layer_text(bytes has, bytes min,
                                                             std::string_view who) const {
  return std::string(who) + " " + gib(has) + " free; one layer needs " + gib(min) + " (" +
         gib(est_.max_layer_cost()) + " of weights and KV cache, " +
         gib(est_.layer_compute(false)) + " of compute buffer, " +
         gib(est_.device_overhead(device_kind::gpu)) + " of overhead)";
}

SHARDFIT_INLINE std::uint32_t llama_enumerator::index_of(const worker_view& w) const {
  return static_cast<std::uint32_t>(&w - v_.workers.data());
}

SHARDFIT_INLINE bool llama_enumerator::same_gpu_class(const worker_view& w, const gpu_view& a,
                                                      const gpu_view& b) const {
  const auto& ga = c_.workers[w.worker].gpus[a.slot];
  const auto& gb = c_.workers[w.worker].gpus[b.slot];
  return a.free == b.free && a.total == b.total && ga.name == gb.name;
}

SHARDFIT_INLINE std::vector<std::uint32_t> llama_enumerator::usable_gpus(const worker_view& w,
                                                                         bytes min,
                                                                         bool report) const {
  std::vector<std::uint32_t> out;
  std::vector<std::uint32_t> small;
  bytes best{};
  for (std::uint32_t g = 0; g < w.gpus.size(); ++g) {
    if (w.gpus[g].free >= min) {
      out.push_back(g);
    } else {
      small.push_back(g);
      best = std::max(best, w.gpus[g].free);
    }
  }
  if (report && !small.empty() && !out.empty()) {
    reject_gpus(
        w, small, rule_id::layer_min,
        "too small for one layer: " +
            one_layer_text(best, min, small.size() == 1 ? "it has" : "the largest of them has"));
  }
  return out;
}

SHARDFIT_INLINE std::uint64_t llama_enumerator::spare(bytes free, device_kind kind) const {
  const std::uint64_t fixed =
      est_.layer_compute(false).count() + est_.device_overhead(kind).count();
  return free.count() > fixed ? free.count() - fixed : 0;
}

SHARDFIT_INLINE std::string llama_enumerator::shortfall(std::uint64_t capacity,
                                                        std::uint64_t need) const {
  if (capacity < need) {
    return "after compute buffers they have " + gib(bytes{capacity}) + " for the " +
           gib(bytes{need}) + " of layers";
  }
  return "each GPU takes whole layers (up to " + gib(est_.max_layer_cost()) +
         " each with its KV cache) and the last one also the output layer (" +
         gib(est_.output_weights()) + "), so the " + gib(bytes{capacity - need}) +
         " left over in sum is split into pieces too small for one more layer";
}

SHARDFIT_INLINE bytes llama_enumerator::sum_free(const worker_view& w,
                                                 const std::vector<std::uint32_t>& gpus,
                                                 std::uint32_t limit) const {
  std::vector<bytes> f;
  for (auto g : gpus) f.push_back(w.gpus[g].free);
  std::sort(f.rbegin(), f.rend());
  bytes s{};
  for (std::uint32_t i = 0; i < limit && i < f.size(); ++i) s += f[i];
  return s;
}

SHARDFIT_INLINE bool llama_enumerator::bound_ok(const worker_view& w,
                                                const std::vector<std::uint32_t>& pick,
                                                device_kind kind) const {
  std::uint64_t cap = 0;
  for (auto g : pick) cap += spare(w.gpus[g].free, kind);
  return cap >= layers_bytes_.count();
}

SHARDFIT_INLINE std::vector<llama_dev> llama_enumerator::local_devs(
    const worker_view& w, std::vector<std::uint32_t> pick) const {
  std::sort(pick.begin(), pick.end());  // CUDA order
  std::vector<llama_dev> d;
  for (auto g : pick) d.push_back({index_of(w), g, w.gpus[g].free, device_kind::gpu});
  return d;
}

SHARDFIT_INLINE std::vector<llama_dev> llama_enumerator::distributed_devs(
    std::uint32_t main, std::vector<std::uint32_t> local,
    const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& rpc) const {
  std::vector<llama_dev> d;
  for (const auto& [view, gpus] : rpc) {
    std::vector<std::uint32_t> g = gpus;
    std::sort(g.begin(), g.end());
    for (auto x : g) d.push_back({view, x, v_.workers[view].gpus[x].free, device_kind::rpc});
  }
  std::sort(local.begin(), local.end());
  for (auto x : local) d.push_back({main, x, v_.workers[main].gpus[x].free, device_kind::gpu});
  return d;
}

SHARDFIT_INLINE bool llama_enumerator::same_gpu(const worker_view& w, std::uint32_t a,
                                                std::uint32_t b) const {
  const auto& x = w.gpus[a];
  const auto& y = w.gpus[b];
  return x.free == y.free && x.total == y.total &&
         c_.workers[w.worker].gpus[x.slot].name == c_.workers[w.worker].gpus[y.slot].name;
}

SHARDFIT_INLINE std::vector<std::uint32_t> llama_enumerator::first_alike(
    const worker_view& w, std::vector<std::uint32_t> usable,
    const std::vector<std::uint32_t>& pick) const {
  std::sort(usable.begin(), usable.end());
  std::vector<bool> taken(usable.size(), false);
  std::vector<std::uint32_t> out;
  for (const auto g : pick) {
    for (std::size_t i = 0; i < usable.size(); ++i) {
      if (!taken[i] && same_gpu(w, usable[i], g)) {
        taken[i] = true;
        out.push_back(usable[i]);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

SHARDFIT_INLINE void llama_enumerator::every_class_mix(
    const worker_view& w, const std::vector<std::uint32_t>& usable, std::uint32_t k_gpus,
    const std::vector<std::vector<std::uint32_t>>& tried, std::vector<placement>& out) const {
  // Identical GPUs only: every set of k is alike the roomiest, already tried.
  if (std::all_of(usable.begin(), usable.end(),
                  [&](std::uint32_t g) { return same_gpu(w, usable.front(), g); })) {
    return;
  }
  std::vector<std::uint32_t> by_index = usable;
  std::sort(by_index.begin(), by_index.end());
  if (by_index.size() <= 8) {
    // Few GPUs: every subset, since where each GPU sits in the device order matters too (the
    // last one takes the output layer). Subsets alike GPU for GPU in device order are one
    // candidate: the first in inventory order. A subset's key: its GPUs' class ids in order.
    std::vector<std::uint64_t> cls(by_index.size());
    for (std::size_t i = 0; i < by_index.size(); ++i) {
      cls[i] = i;
      for (std::size_t j = 0; j < i; ++j) {
        if (same_gpu(w, by_index[j], by_index[i])) {
          cls[i] = cls[j];
          break;
        }
      }
    }
    std::vector<std::uint64_t> spare_of(by_index.size());
    for (std::size_t i = 0; i < by_index.size(); ++i) {
      spare_of[i] = spare(w.gpus[by_index[i]].free, device_kind::gpu);
    }
    auto key_of = [&](std::uint32_t mask) {
      std::uint64_t k = 0;
      for (std::size_t b = 0; b < by_index.size(); ++b) {
        if ((mask >> b & 1U) != 0) k = k * 16 + cls[b] + 1;
      }
      return k;
    };
    auto mask_of = [&](const std::vector<std::uint32_t>& t) {
      std::uint32_t m = 0;
      for (const auto g : t) {
        const auto it = std::find(by_index.begin(), by_index.end(), g);
        if (it != by_index.end()) m |= 1U << (it - by_index.begin());
      }
      return m;
    };
    std::vector<std::uint64_t> seen;
    for (const auto& t : tried) seen.push_back(key_of(mask_of(t)));
    // Of alike subsets, keep the lexicographically smallest (masks do not visit it first).
    std::vector<std::pair<std::uint64_t, std::vector<std::uint32_t>>> unique;
    for (std::uint32_t mask = 1; mask < (1U << by_index.size()); ++mask) {
      if (static_cast<std::uint32_t>(std::popcount(mask)) != k_gpus) continue;
      std::uint64_t cap = 0;
      for (std::size_t b = 0; b < by_index.size(); ++b) {
        if ((mask >> b & 1U) != 0) cap += spare_of[b];
      }
      if (cap < layers_bytes_.count()) continue;
      const std::uint64_t k = key_of(mask);
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) continue;
      std::vector<std::uint32_t> pick;
      for (std::size_t b = 0; b < by_index.size(); ++b) {
        if ((mask >> b & 1U) != 0) pick.push_back(by_index[b]);
      }
      auto it =
          std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.first == k; });
      if (it == unique.end()) {
        unique.emplace_back(k, std::move(pick));
      } else if (pick < it->second) {
        it->second = std::move(pick);
      }
    }
    std::sort(unique.begin(), unique.end(),
              [](const auto& x, const auto& y) { return x.second < y.second; });
    for (const auto& u : unique) {
      if (auto p = build(local_devs(w, u.second), 0, plan_stage::one_worker, nullptr)) {
        out.push_back(std::move(*p));
      }
    }
    return;
  }
  std::vector<std::vector<std::uint32_t>> classes;
  for (const auto g : by_index) {
    auto it = std::find_if(classes.begin(), classes.end(),
                           [&](const auto& cl) { return same_gpu(w, cl.front(), g); });
    if (it == classes.end()) {
      classes.push_back({g});
    } else {
      it->push_back(g);
    }
  }
  std::uint64_t mixes = 1;
  for (const auto& cl : classes) {
    mixes *= cl.size() + 1;
    if (mixes > 256) return;
  }
  std::vector<std::size_t> count(classes.size(), 0);
  for (;;) {
    std::size_t i = 0;  // next mix (an odometer over the class counts)
    while (i < count.size() && count[i] == classes[i].size()) count[i++] = 0;
    if (i == count.size()) return;
    ++count[i];
    std::vector<std::uint32_t> pick;
    for (std::size_t c = 0; c < classes.size(); ++c) {
      pick.insert(pick.end(), classes[c].begin(),
                  classes[c].begin() + static_cast<std::ptrdiff_t>(count[c]));
    }
    if (pick.size() != k_gpus || !bound_ok(w, pick, device_kind::gpu)) continue;
    if (std::any_of(tried.begin(), tried.end(),
                    [&](const auto& t) { return alike_gpus(c_, w, t, pick); })) {
      continue;
    }
    if (auto p = build(local_devs(w, pick), 0, plan_stage::one_worker, nullptr)) {
      out.push_back(std::move(*p));
    }
  }
}

SHARDFIT_INLINE auto llama_enumerator::rpc_pool() const -> const std::vector<pooled>& {
  if (pool_) return *pool_;
  std::vector<pooled> pool;
  for (std::uint32_t i = 0; i < v_.workers.size(); ++i) {
    const auto& w = v_.workers[i];
    auto usable = usable_gpus(w, min_rpc_, false);
    if (usable.empty()) continue;
    std::stable_sort(usable.begin(), usable.end(), [&](std::uint32_t a, std::uint32_t b) {
      return w.gpus[a].free > w.gpus[b].free;
    });
    std::uint64_t cap = 0;
    for (auto g : usable) cap += spare(w.gpus[g].free, device_kind::rpc);
    pool.push_back({i, std::move(usable), cap});
  }
  std::stable_sort(pool.begin(), pool.end(),
                   [](const pooled& a, const pooled& b) { return a.capacity > b.capacity; });
  pool_ = std::move(pool);
  return *pool_;
}

SHARDFIT_INLINE bool llama_enumerator::few_gpu_sets(std::uint32_t mi,
                                                    const std::vector<std::uint32_t>& local,
                                                    const std::vector<pooled>& pool,
                                                    std::uint64_t need,
                                                    std::vector<placement>& out) const {
  struct cand {
    std::uint32_t view, gpu;
  };
  std::size_t total = local.size();  // give up early: this runs for every main worker
  for (const auto& p : pool) {
    if (p.view != mi) total += p.gpus.size();
    if (total > 8) return false;
  }
  std::vector<cand> all;
  std::vector<std::uint32_t> sorted_local = local;
  std::sort(sorted_local.begin(), sorted_local.end());
  for (const auto g : sorted_local) all.push_back({mi, g});
  const std::size_t n_local = all.size();
  std::vector<const pooled*> others;
  for (const auto& p : pool) {
    if (p.view != mi) others.push_back(&p);
  }
  std::sort(others.begin(), others.end(),
            [](const pooled* a, const pooled* b) { return a->view < b->view; });
  for (const auto* p : others) {
    std::vector<std::uint32_t> g = p->gpus;
    std::sort(g.begin(), g.end());
    for (const auto x : g) all.push_back({p->view, x});
  }
  if (all.size() > 8 || all.size() == n_local) return false;
  // A GPU's class: the first GPU of the same worker alike to it.
  std::vector<std::size_t> cls(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    cls[i] = i;
    for (std::size_t j = 0; j < i; ++j) {
      if (all[j].view == all[i].view && same_gpu(v_.workers[all[i].view], all[j].gpu, all[i].gpu)) {
        cls[i] = cls[j];
        break;
      }
    }
  }
  const auto n = static_cast<std::uint32_t>(all.size());
  const std::uint32_t local_bits = (1U << n_local) - 1;
  for (std::uint32_t k = 2; k <= std::min<std::uint32_t>(n, llama_max_plan_devices); ++k) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> unique;  // key, first mask
    for (std::uint32_t mask = 1; mask < (1U << n); ++mask) {
      if (static_cast<std::uint32_t>(std::popcount(mask)) != k) continue;
      if ((mask & local_bits) == 0 || (mask & ~local_bits) == 0) continue;
      std::uint64_t key = 0;
      std::uint64_t cap = 0;
      std::vector<std::uint32_t> views;
      for (std::uint32_t b = 0; b < n; ++b) {
        if ((mask >> b & 1U) == 0) continue;
        key = key * 16 + cls[b] + 1;
        const auto kind = b < n_local ? device_kind::gpu : device_kind::rpc;
        cap += spare(v_.workers[all[b].view].gpus[all[b].gpu].free, kind);
        if (b >= n_local && std::find(views.begin(), views.end(), all[b].view) == views.end())
          views.push_back(all[b].view);
      }
      if (cap < need || views.size() > rq_.max_rpc_servers) continue;
      if (std::none_of(unique.begin(), unique.end(),
                       [&](const auto& u) { return u.first == key; })) {
        unique.emplace_back(key, mask);
      }
    }
    bool any = false;
    for (const auto& [key, mask] : unique) {
      std::vector<std::uint32_t> mine;
      rpc_set rpc;
      for (std::uint32_t b = 0; b < n; ++b) {
        if ((mask >> b & 1U) == 0) continue;
        if (b < n_local) {
          mine.push_back(all[b].gpu);
        } else if (!rpc.empty() && rpc.back().first == all[b].view) {
          rpc.back().second.push_back(all[b].gpu);
        } else {
          rpc.push_back({all[b].view, {all[b].gpu}});
        }
      }
      if (auto p = build(distributed_devs(mi, mine, rpc), 0, plan_stage::multi_worker, nullptr)) {
        out.push_back(std::move(*p));
        any = true;
      }
    }
    if (any) return true;
  }
  return false;
}

SHARDFIT_INLINE std::optional<std::uint32_t> llama_enumerator::least_host_layers(
    std::span<const llama_dev> devs) const {
  const std::uint32_t h_floor = L_ - std::min(max_repeating_, L_);
  std::uint32_t lo = std::max<std::uint32_t>(h_floor, 1);
  if (devs.size() >= L_) return std::nullopt;
  std::uint32_t hi = L_ - static_cast<std::uint32_t>(devs.size());
  if (lo > hi || !distribute(devs, hi, false)) return std::nullopt;
  while (lo < hi) {  // feasibility is monotone in the host layers
    const std::uint32_t mid = lo + (hi - lo) / 2;
    if (distribute(devs, mid, false)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return hi;
}

SHARDFIT_INLINE std::optional<placement> llama_enumerator::distributed_partial(
    std::uint32_t mi, const std::vector<std::uint32_t>& local, std::uint32_t local_h) const {
  if (!rq_.distributed || rq_.max_rpc_servers == 0) return std::nullopt;
  rpc_set rpc;
  std::size_t devices = local.size();
  for (const auto& p : rpc_pool()) {
    if (p.view == mi || v_.workers[p.view].worker == v_.workers[mi].worker) continue;
    if (rpc.size() >= rq_.max_rpc_servers || devices >= llama_max_plan_devices) break;
    std::vector<std::uint32_t> take;
    for (auto g : p.gpus) {
      if (devices + take.size() >= llama_max_plan_devices) break;
      take.push_back(g);
    }
    devices += take.size();
    if (!take.empty()) rpc.emplace_back(p.view, std::move(take));
  }
  if (rpc.empty()) return std::nullopt;
  const auto h = least_host_layers(distributed_devs(mi, local, rpc));
  if (!h || *h >= local_h) return std::nullopt;
  for (std::size_t r = rpc.size(); r-- > 0;) {
    for (std::size_t k = rpc[r].second.size(); k-- > 0;) {
      rpc_set fewer = rpc;
      fewer[r].second.erase(fewer[r].second.begin() + static_cast<std::ptrdiff_t>(k));
      if (fewer[r].second.empty()) fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(r));
      if (distribute(distributed_devs(mi, local, fewer), *h, false)) rpc = std::move(fewer);
      if (r >= rpc.size()) break;
    }
  }
  if (rpc.empty()) return std::nullopt;
  return build(distributed_devs(mi, local, rpc), *h, plan_stage::partial_offload, nullptr);
}

SHARDFIT_INLINE bool llama_enumerator::fit_rpc_set(std::uint32_t mi,
                                                   const std::vector<std::uint32_t>& local,
                                                   const rpc_set& pool, rpc_set set,
                                                   std::vector<placement>& out) const {
  auto try_set = [&](const rpc_set& s) {
    return build(distributed_devs(mi, local, s), 0, plan_stage::multi_worker, nullptr);
  };
  auto has = [](const rpc_set& s, std::uint32_t view, std::uint32_t g) {
    for (const auto& [v, gs] : s) {
      if (v == view) return std::find(gs.begin(), gs.end(), g) != gs.end();
    }
    return false;
  };
  auto add = [&](rpc_set& s, std::uint32_t view, std::uint32_t g) {
    for (auto& [v, gs] : s) {
      if (v == view) {
        gs.push_back(g);
        return;
      }
    }
    // Keep the pool's worker order.
    auto pos = s.begin();
    for (const auto& [v, gs] : pool) {
      if (v == view) break;
      if (pos != s.end() && pos->first == v) ++pos;
    }
    s.insert(pos, {view, {g}});
  };
  std::optional<placement> got = try_set(set);
  for (std::size_t r = 0; r < pool.size() && !got; ++r) {
    for (const auto g : pool[r].second) {
      if (has(set, pool[r].first, g)) continue;
      add(set, pool[r].first, g);
      if ((got = try_set(set))) break;
    }
  }
  if (!got) return false;
  // Prune: the smallest GPUs of the last workers first.
  rpc_set minimal = set;
  std::optional<placement> best;
  for (std::size_t r = minimal.size(); r-- > 0;) {
    for (std::size_t k = minimal[r].second.size(); k-- > 0;) {
      rpc_set fewer = minimal;
      fewer[r].second.erase(fewer[r].second.begin() + static_cast<std::ptrdiff_t>(k));
      if (fewer[r].second.empty()) fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(r));
      if (auto p = try_set(fewer)) {
        minimal = std::move(fewer);
        best = std::move(p);
        if (r >= minimal.size()) break;  // the worker left the set
      }
    }
  }
  if (best) out.push_back(std::move(*best));
  out.push_back(std::move(*got));
  return true;
}

SHARDFIT_INLINE auto llama_enumerator::trim(std::uint64_t capacity, rpc_set rpc,
                                            std::uint64_t need) const -> rpc_set {
  for (std::size_t r = rpc.size(); r-- > 0;) {
    auto& gpus = rpc[r].second;  // roomiest first
    while (!gpus.empty()) {
      const std::uint64_t s =
          spare(v_.workers[rpc[r].first].gpus[gpus.back()].free, device_kind::rpc);
      if (capacity - s < need) break;
      capacity -= s;
      gpus.pop_back();
    }
  }
  rpc.erase(std::remove_if(rpc.begin(), rpc.end(), [](const auto& x) { return x.second.empty(); }),
            rpc.end());
  return rpc;
}

SHARDFIT_INLINE auto llama_enumerator::extras(std::span<const llama_dev> d, std::uint32_t h) const
    -> input_extras {
  const bool rpc = std::any_of(d.begin(), d.end(),
                               [](const llama_dev& g) { return g.kind == device_kind::rpc; });
  const std::uint32_t copies = est_.sched_copies(d.size(), rpc, h, !output_on_device(h));
  return {est_.device_inputs_extra(copies, h == 0, d.size() == 1).count(),
          est_.device_inputs_extra(copies, false, false).count(),
          est_.device_inputs_extra(copies, false, true).count()};
}

SHARDFIT_INLINE std::uint64_t llama_enumerator::cost(std::span<const llama_dev> d, std::size_t i,
                                                     std::uint32_t f, std::uint32_t n,
                                                     std::uint32_t h,
                                                     const input_extras& in) const {
  const bool out = i + 1 == d.size() && output_on_device(h);
  std::uint64_t x = est_.layers_cost(f, n).count() + (out ? est_.output_weights().count() : 0) +
                    est_.layer_compute(out).count() + est_.device_overhead(d[i].kind).count();
  if (i == 0) x += est_.op_offload_extra(h, !output_on_device(h)).count();
  x += i == 0 ? in.first : i + 1 == d.size() ? in.last : in.middle;
  return x;
}

SHARDFIT_INLINE std::optional<std::vector<std::uint32_t>> llama_enumerator::distribute(
    std::span<const llama_dev> d, std::uint32_t h, bool balance) const {
  const std::size_t k = d.size();
  if (k == 0 || h >= L_ || L_ - h < k) return std::nullopt;
  const std::uint32_t n = L_ - h;
  std::vector<std::uint32_t> counts(k, 0);
  const input_extras in = extras(d, h);
  auto run = [&](double lambda, std::vector<std::uint32_t>& out) {
    std::uint32_t f = h;
    std::uint32_t left = n;
    for (std::size_t i = 0; i < k; ++i) {
      const double cap = lambda * static_cast<double>(d[i].free.count());
      const auto later = static_cast<std::uint32_t>(k - 1 - i);
      std::uint32_t c = 0;
      if (i + 1 == k) {
        c = left;
        if (static_cast<double>(cost(d, i, f, c, h, in)) > cap) return false;
      } else {
        if (static_cast<double>(cost(d, i, f, 1, h, in)) > cap) return false;
        std::uint32_t lo = 1;
        std::uint32_t hi = left - later;
        while (lo < hi) {
          const std::uint32_t mid = lo + (hi - lo + 1) / 2;
          if (static_cast<double>(cost(d, i, f, mid, h, in)) <= cap) {
            lo = mid;
          } else {
            hi = mid - 1;
          }
        }
        c = lo;
      }
      out[i] = c;
      f += c;
      left -= c;
    }
    return true;
  };
  if (!run(1.0, counts)) return std::nullopt;
  if (!balance || k == 1) return counts;
  double lo = 0.0;
  double hi = 1.0;
  std::vector<std::uint32_t> trial(k, 0);
  for (int it = 0; it < 20; ++it) {
    const double mid = (lo + hi) / 2;
    if (run(mid, trial)) {
      hi = mid;
      counts = trial;
    } else {
      lo = mid;
    }
  }
  return counts;
}

SHARDFIT_INLINE void llama_enumerator::fill_ram(placed_worker& pw) const {
  pw.ram_allocatable = v_.workers[pw.worker].ram_allocatable;
  pw.ram_total = c_.workers[pw.worker].ram;
}

SHARDFIT_INLINE std::optional<placement> llama_enumerator::build(std::span<const llama_dev> d,
                                                                 std::uint32_t h, plan_stage stage,
                                                                 bool* ram_short) const {
  const auto counts = distribute(d, h, true);
  if (!counts) return std::nullopt;
  std::vector<double> split(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) split[i] = (*counts)[i];
  const bool out_dev = output_on_device(h);
  if (out_dev) split.back() += 1;
  std::vector<std::uint32_t> split_counts(*counts);
  if (out_dev) ++split_counts.back();
  // --gpu-layers: the offloaded repeating layers, plus the output layer when it goes along.
  const std::int32_t ngl = static_cast<std::int32_t>(L_ - h) + (out_dev ? 1 : 0);
  std::vector<llama_device> devs(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    devs[i].kind = d[i].kind;
    devs[i].free = d[i].free;
    devs[i].uma = v_.workers[d[i].view].uma;
  }
  const llama_estimate e = est_.estimate(devs, {ngl, split});
  // The estimator's assignment must be the one intended, every device within its free memory.
  const std::uint32_t main_view = d.back().view;
  bytes uma_used{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto& de = e.devices[i + 1];
    if (de.layers == 0 || de.total > d[i].free) return std::nullopt;
    if (v_.workers[d[i].view].uma && d[i].view == main_view) uma_used += de.total;
  }
  const auto& mw = v_.workers[main_view];
  if (e.host().total + uma_used > mw.ram) {
    if (ram_short != nullptr) *ram_short = true;
    return std::nullopt;
  }
  placement p;
  p.engine = backend::llama_cpp;
  p.stage = stage;
  p.total_layers = L_ + 1;
  p.offloaded_layers = e.offloaded_layers + (e.output_offloaded ? 1 : 0);
  p.tensor_split = std::move(split_counts);
  placed_worker main;
  main.worker = mw.worker;
  main.role = worker_role::main;
  main.cpu_layers = e.host().layers;
  main.ram = e.host().total;
  fill_ram(main);
  p.workers.push_back(std::move(main));
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto& wv = v_.workers[d[i].view];
    const auto& gv = wv.gpus[d[i].gpu];
    const auto& de = e.devices[i + 1];
    placed_gpu g;
    g.slot = gv.slot;
    g.index = gv.index;
    g.repeating_layers = de.layers;
    g.output_layer = de.output_layer;
    g.layers = de.layers + (de.output_layer ? 1 : 0);
    g.vram = de.total;
    g.allocatable = gv.allocatable;
    g.total = gv.total;
    auto it = std::find_if(p.workers.begin(), p.workers.end(),
                           [&](const placed_worker& x) { return x.worker == wv.worker; });
    if (it == p.workers.end()) {
      placed_worker r;
      r.worker = wv.worker;
      r.role = worker_role::rpc;
      fill_ram(r);
      p.workers.push_back(std::move(r));
      it = p.workers.end() - 1;
    }
    it->gpus.push_back(g);
  }
  return p;
}

}  // namespace shardfit::detail
