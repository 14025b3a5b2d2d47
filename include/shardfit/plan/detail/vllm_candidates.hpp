#pragma once

// The vLLM candidate enumerator: one GPU, tensor parallel within a worker (valid degrees only),
// tensor × pipeline parallel across workers with equal GPU counts. Internal to candidates.hpp.

#include <shardfit/core/error.hpp>
#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/estimate/vllm.hpp>
#include <shardfit/plan/detail/cluster_view.hpp>
#include <shardfit/plan/detail/enumerator_base.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shardfit::detail {

// The vLLM enumerator. `Estimate` maps vllm_settings (tp, pp set) to vLLM's requirement.
template <class Estimate>
class vllm_enumerator : enumerator_base {
 public:
  vllm_enumerator(const cluster& c, const cluster_view& v, const model_profile& m, Estimate est,
                  const plan_request& rq, std::vector<rejection>& rejected)
      : enumerator_base(c, v, rq, rejected), m_(m), est_(std::move(est)), base_(rq.vllm) {
    for (const auto& w : v_.workers) {
      max_gpus_ = std::max<std::uint32_t>(max_gpus_, static_cast<std::uint32_t>(w.gpus.size()));
    }
    // vLLM's batch defaults and its MXFP4 kernels depend on the GPU, and a layout's figures are
    // shared by every GPU it may land on: take the most demanding of the cluster's GPUs (the
    // larger defaults if any GPU gets them, the widest MXFP4 padding).
    bool large = false;
    std::uint64_t align = 0;
    for (const auto& w : c.workers) {
      for (const auto& g : w.gpus) {
        large = large || vllm_large_gpu_defaults(g.name, g.vram);
        const auto a = detail::mxfp4_intermediate_alignment(g.name);
        if (a > align && rq.vllm.gpu_name.empty()) base_.gpu_name = g.name;
        align = std::max(align, a);
      }
    }
    const vllm_batch batch = vllm_batch_defaults(base_, large);
    base_.max_num_seqs = batch.seqs;
    base_.max_num_batched_tokens = batch.tokens;
  }

  // Tensor-parallel degrees from 2 to the largest worker's GPU count that vLLM accepts; the
  // others are rejected once each with the rule that refuses them.
  [[nodiscard]] std::vector<std::uint32_t> tensor_degrees() const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t t = 2; t <= max_gpus_; ++t) {
      if (rq_.tp && *rq_.tp != t) continue;
      const auto& e = layout(t, 1);
      if (e.parallel.valid) {
        out.push_back(t);
      } else if (!rejected_degree_[t]) {
        rejected_degree_[t] = true;
        const auto& r = e.parallel.reasons.front();
        reject_layout("tp " + std::to_string(t), t, 0, r.rule, r.message);
      }
    }
    return out;
  }

  // Workers that cannot read the whole model: never a single-worker placement (a pipeline stage
  // reads less and is checked per stage).
  void reject_storage() const {
    for (const auto& w : v_.workers) {
      if (w.representative && w.disk_short) {
        reject(w, rule_id::disk_space, "cannot hold the whole model: " + *w.disk_short);
      }
    }
  }

  [[nodiscard]] std::vector<placement> single_gpu() const {
    std::vector<placement> out;
    if ((rq_.tp && *rq_.tp != 1) || (rq_.pp && *rq_.pp != 1)) return out;
    const auto& e = layout(1, 1);
    if (!e.parallel.valid) return out;
    const auto& st = e.stages.front();
    for (std::uint32_t wi = 0; wi < v_.workers.size(); ++wi) {
      const auto& w = v_.workers[wi];
      if (!w.representative || w.gpus.empty() || w.disk_short) continue;
      bytes best{};
      bool any = false;
      std::vector<std::pair<bytes, bytes>> seen;  // (total, free) classes already proposed
      for (std::uint32_t g = 0; g < w.gpus.size(); ++g) {
        const auto& gv = w.gpus[g];
        const double u = util(gv);
        const bytes b = budget(u, gv.total);
        best = std::max(best, b);
        if (b < st.required) continue;
        if (std::find(seen.begin(), seen.end(), std::pair{gv.total, gv.free}) != seen.end())
          continue;
        seen.emplace_back(gv.total, gv.free);
        out.push_back(make(e, {{wi, {g}}}, u, plan_stage::single_gpu, 1));
        any = true;
      }
      if (!any)
        reject(w, rule_id::fit_vram, need_text(e, 1) + "; its largest GPU budget is " + gib(best));
    }
    return out;
  }

  [[nodiscard]] std::vector<placement> one_worker() const {
    std::vector<placement> out;
    const auto degrees = rq_.pp && *rq_.pp != 1 ? std::vector<std::uint32_t>{} : tensor_degrees();
    for (std::uint32_t wi = 0; wi < v_.workers.size(); ++wi) {
      const auto& w = v_.workers[wi];
      if (!w.representative || w.gpus.size() < 2 || w.disk_short) continue;
      std::string tried;
      const std::size_t before = out.size();
      for (const std::uint32_t t : degrees) {
        if (t > w.gpus.size()) break;
        const auto& e = layout(t, 1);
        const bytes req = e.stages.front().required;
        auto order = by_budget(w);  // roomiest first
        std::vector<std::uint32_t> pick(order.begin(), order.begin() + t);
        const double u = group_util(w, pick);
        if (!fits(w, pick, u, req)) {
          tried += (tried.empty() ? "" : ", ") +
                   ("tp " + std::to_string(t) + " needs " + gib(req) + " per GPU, the " +
                    std::to_string(t) + " roomiest give " + gib(least(w, pick, u)));
          continue;
        }
        // The tightest run of t GPUs that still fits (binpack's favourite).
        std::vector<std::uint32_t> asc(order.rbegin(), order.rend());
        std::vector<std::uint32_t> sorted_pick = pick;
        std::sort(sorted_pick.begin(), sorted_pick.end());
        for (std::size_t s = 0; s + t <= asc.size(); ++s) {
          std::vector<std::uint32_t> run(asc.begin() + static_cast<std::ptrdiff_t>(s),
                                         asc.begin() + static_cast<std::ptrdiff_t>(s + t));
          std::sort(run.begin(), run.end());
          if (alike_gpus(c_, w, run, sorted_pick)) break;
          const double ur = group_util(w, run);
          if (fits(w, run, ur, req)) {
            out.push_back(make(e, {{wi, run}}, ur, plan_stage::one_worker, t));
            break;
          }
        }
        out.push_back(make(e, {{wi, sorted_pick}}, u, plan_stage::one_worker, t));
      }
      // Pipeline stages inside the worker only where tensor parallelism alone does not fit it.
      if (out.size() == before) pipeline_in_worker(wi, tried, out);
      if (!tried.empty()) reject(w, rule_id::fit_vram, tried);
    }
    return out;
  }

  // Pipeline stages inside one worker (vLLM runs tp x pp on one node without Ray): the valid
  // tp x pp (pp >= 2) layouts of the fewest GPUs that hold the model, on its roomiest GPUs,
  // stages in index order (vLLM gives ranks to devices in order: pp rank x tp + tp rank), each
  // stage's GPUs within budget at one utilization.
  void pipeline_in_worker(std::uint32_t wi, std::string& tried, std::vector<placement>& out) const {
    const auto& w = v_.workers[wi];
    const auto n = static_cast<std::uint32_t>(w.gpus.size());
    const auto order = by_budget(w);  // roomiest first
    const std::size_t before = out.size();
    struct miss {
      std::uint32_t t, pp;
      bytes need, least;
    };
    std::optional<miss> last_miss;  // the layout with the most GPUs that did not fit
    bytes room{};                   // the k roomiest GPUs' budgets together
    for (std::uint32_t k = 1; k <= n && out.size() == before; ++k) {  // GPUs used
      room += budget(util(w.gpus[order[k - 1]]), w.gpus[order[k - 1]].total);
      // A bound first: k GPUs that cannot hold the weights at all need no layout.
      if (k < 2 || room < m_.weights()) continue;
      std::vector<std::uint32_t> pick(order.begin(), order.begin() + k);
      std::sort(pick.begin(), pick.end());
      const double u = group_util(w, pick);
      for (std::uint32_t pp = 2; pp <= std::min(k, m_.n_layer); ++pp) {
        if (k % pp != 0 || (rq_.pp && *rq_.pp != pp)) continue;
        const std::uint32_t t = k / pp;
        if (rq_.tp && *rq_.tp != t) continue;
        const auto& e = layout(t, pp);
        if (!e.parallel.valid) continue;  // check_parallel's reasons are given for tp alone
        std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> stages;
        bool ok = true;
        bytes need{};
        for (std::uint32_t st = 0; st < pp; ++st) {
          std::vector<std::uint32_t> g(pick.begin() + st * t, pick.begin() + (st + 1) * t);
          need = std::max(need, e.stages[st].required);
          if (!fits(w, g, u, e.stages[st].required)) ok = false;
          stages.emplace_back(wi, std::move(g));
        }
        if (ok) {
          out.push_back(make(e, stages, u, plan_stage::one_worker, t));
        } else {
          last_miss = miss{t, pp, need, least(w, pick, u)};
        }
      }
    }
    if (out.size() == before && !last_miss && n >= 2) {
      tried += (tried.empty() ? "" : ", ") +
               ("pipeline stages: its " + std::to_string(n) + " GPUs give " + gib(room) +
                " together, the weights alone are " + gib(m_.weights()));
    } else if (out.size() == before && last_miss) {
      tried += (tried.empty() ? "" : ", ") +
               ("tp " + std::to_string(last_miss->t) + " x pp " + std::to_string(last_miss->pp) +
                " needs " + gib(last_miss->need) + " per GPU, the " +
                std::to_string(last_miss->t * last_miss->pp) + " roomiest give " +
                gib(last_miss->least));
    }
  }

  [[nodiscard]] std::vector<placement> multi_worker() const {
    std::vector<placement> out;
    if (!rq_.distributed || v_.workers.size() < 2) return out;
    std::vector<std::uint32_t> degrees;
    if (!rq_.tp || *rq_.tp == 1) degrees.push_back(1);
    for (auto t : tensor_degrees()) degrees.push_back(t);
    const std::uint32_t L = m_.n_layer;
    for (const std::uint32_t t : degrees) {
      // Each worker's offers of stages of t GPUs: its t roomiest GPUs, then the next t, ... (a
      // worker may hold several consecutive stages: GPU counts need not be equal, as vLLM on
      // Ray places pp x tp ranks on whatever GPUs the nodes have).
      struct offer {
        std::uint32_t view;
        std::vector<std::uint32_t> gpus;
        double util;
        bytes least_total;  // the smallest GPU of the group
        bytes capacity;     // per rank at its own utilization
      };
      std::vector<offer> offers;
      for (std::uint32_t wi = 0; wi < v_.workers.size(); ++wi) {
        const auto& w = v_.workers[wi];
        if (w.gpus.size() < t) continue;
        auto order = by_budget(w);
        const auto groups = static_cast<std::uint32_t>(w.gpus.size() / t);
        for (std::uint32_t k = 0; k < groups; ++k) {
          std::vector<std::uint32_t> pick(order.begin() + k * t, order.begin() + (k + 1) * t);
          std::sort(pick.begin(), pick.end());
          const double u = group_util(w, pick);
          bytes lt = bytes::max();
          for (auto g : pick) lt = std::min(lt, w.gpus[g].total);
          offers.push_back({wi, std::move(pick), u, lt, budget(u, lt)});
        }
      }
      std::stable_sort(offers.begin(), offers.end(),
                       [](const offer& a, const offer& b) { return a.capacity > b.capacity; });
      const std::uint32_t pp_max =
          std::min<std::uint32_t>(static_cast<std::uint32_t>(offers.size()), L);
      std::optional<placement> got;
      bytes last_need{};
      std::uint32_t last_pp = 0;
      std::vector<std::uint32_t> disk_excluded;  // offers (positions) the last layout could not use
      bytes last_disk{};
      for (std::uint32_t pp = 2; pp <= pp_max && !got; ++pp) {
        if (rq_.pp && *rq_.pp != pp) continue;
        const auto& e = layout(t, pp);
        if (!e.parallel.valid) {
          const auto& r = e.parallel.reasons.front();
          reject_layout("tp " + std::to_string(t) + " x pp " + std::to_string(pp), t, pp, r.rule,
                        r.message);
          continue;
        }
        bytes need{};
        bytes smallest = bytes::max();
        bytes disk{};  // the most a stage reads from disk
        for (std::uint32_t st = 0; st < pp; ++st) {
          const auto& se = e.stages[st];
          need = std::max(need, se.required);
          smallest = std::min(smallest, se.required);
          disk =
              std::max(disk, m_.disk_bytes_for(se.first_layer, se.layers, st == 0, st + 1 == pp));
        }
        last_need = need;
        last_pp = pp;
        last_disk = disk;
        // The roomiest pp offers whose workers' disks take their stages' files (a worker
        // holding several stages reads each), on two workers at least (one worker's stages are
        // the one-worker layouts').
        std::vector<std::uint32_t> sel;
        disk_excluded.clear();
        std::map<std::uint32_t, std::uint32_t> taken;  // view -> offers selected
        for (std::uint32_t i = 0; i < offers.size() && sel.size() < pp; ++i) {
          const auto view = offers[i].view;
          const std::uint64_t n = taken[view] + 1;
          if (v_.disk_short_for(v_.workers[view], bytes{disk.count() * n})) {
            if (n == 1) disk_excluded.push_back(i);
            continue;
          }
          if (sel.size() + 1 == pp && taken.size() == 1 && taken.begin()->first == view) continue;
          ++taken[view];
          sel.push_back(i);
        }
        if (sel.size() < pp) continue;
        // Necessary: the pp-th roomiest offer must hold the smallest stage.
        if (offers[sel[pp - 1]].capacity < smallest) continue;
        // One utilization for the whole instance: the least of the chosen workers'.
        double u = 1.0;
        for (std::uint32_t i = 0; i < pp; ++i) u = std::min(u, offers[sel[i]].util);
        // Stages in inventory order when that fits; else the largest stage to the roomiest.
        std::vector<std::uint32_t> in_order = sel;
        std::sort(in_order.begin(), in_order.end(), [&](std::uint32_t a, std::uint32_t b) {
          return offers[a].view != offers[b].view ? offers[a].view < offers[b].view : a < b;
        });
        bool direct = true;
        for (std::uint32_t i = 0; i < pp && direct; ++i) {
          direct = budget(u, offers[in_order[i]].least_total) >= e.stages[i].required;
        }
        if (direct) {
          std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> stages;
          for (std::uint32_t i = 0; i < pp; ++i) {
            stages.emplace_back(offers[in_order[i]].view, offers[in_order[i]].gpus);
          }
          got = make(e, stages, u, plan_stage::multi_worker, t);
          break;
        }
        // A worker's stages must be consecutive: the largest-stage-first order is for one stage
        // per worker.
        if (taken.size() != pp) continue;
        std::vector<std::uint32_t> stage_order(pp);
        std::iota(stage_order.begin(), stage_order.end(), 0U);
        std::stable_sort(stage_order.begin(), stage_order.end(),
                         [&](std::uint32_t a, std::uint32_t b) {
                           return e.stages[a].required > e.stages[b].required;
                         });
        std::vector<std::uint32_t> worker_order = sel;
        std::stable_sort(
            worker_order.begin(), worker_order.end(), [&](std::uint32_t a, std::uint32_t b) {
              return budget(u, offers[a].least_total) > budget(u, offers[b].least_total);
            });
        std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> stages(pp);
        bool ok = true;
        for (std::uint32_t i = 0; i < pp; ++i) {
          const auto& o = offers[worker_order[i]];
          if (budget(u, o.least_total) < e.stages[stage_order[i]].required) ok = false;
          stages[stage_order[i]] = {o.view, o.gpus};
        }
        if (ok) got = make(e, stages, u, plan_stage::multi_worker, t);
      }
      const std::string layout_name =
          "tp " + std::to_string(t) + " x pp " + std::to_string(last_pp);
      for (const auto i : disk_excluded) {
        const auto& w = v_.workers[offers[i].view];
        reject(w, rule_id::disk_space,
               "cannot be a stage of " + layout_name + ": " + *v_.disk_short_for(w, last_disk),
               false);
      }
      if (got) {
        out.push_back(std::move(*got));
      } else if (last_pp != 0) {
        reject_layout("tp " + std::to_string(t) + " x pp " + (last_pp > 2 ? "2.." : "") +
                          std::to_string(last_pp),
                      t, last_pp > 2 ? 0 : last_pp, rule_id::fit_vram,
                      std::to_string(offers.size()) + " worker" + (offers.size() == 1 ? "" : "s") +
                          " can give " + std::to_string(t) + " GPU" + (t == 1 ? "" : "s") +
                          " each; at pp " + std::to_string(last_pp) +
                          " the largest stage still needs " + gib(last_need) + " per GPU");
      }
    }
    return out;
  }

  // Manual selection: one worker (tensor parallel) or equal GPU counts on several (pipeline).
  [[nodiscard]] std::vector<placement> manual(const std::vector<gpu_ref>& gpus) const {
    std::vector<placement> out;
    const auto selected = group_selection(c_, v_, gpus);
    // Equal GPU counts: one stage of tp = that count per worker (or --tp). Uneven counts (3 + 1):
    // stages of tp GPUs (--tp, else the counts' greatest common divisor), several on a worker,
    // as vLLM on Ray places ranks.
    bool equal = true;
    std::uint32_t common = 0;
    for (const auto& g : selected) {
      equal = equal && g.second.size() == selected.front().second.size();
      common = std::gcd(common, static_cast<std::uint32_t>(g.second.size()));
    }
    const std::uint32_t t =
        rq_.tp ? *rq_.tp
               : (equal ? static_cast<std::uint32_t>(selected.front().second.size()) : common);
    std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> groups;
    for (const auto& [view, g] : selected) {
      if (t == 0 || g.size() % t != 0) {
        reject_selection(selected, rule_id::pp_equal_gpus,
                         "every pipeline stage needs tp = " + std::to_string(t) +
                             " GPUs; worker '" + c_.workers[v_.workers[view].worker].name +
                             "' was given " + std::to_string(g.size()));
        return out;
      }
      for (std::size_t i = 0; i < g.size(); i += t) {
        groups.emplace_back(
            view, std::vector<std::uint32_t>(g.begin() + static_cast<std::ptrdiff_t>(i),
                                             g.begin() + static_cast<std::ptrdiff_t>(i + t)));
      }
    }
    if (selected.size() > 1 && !rq_.distributed) {
      reject_selection(selected, rule_id::manual_distributed,
                       "the GPUs are on " + std::to_string(selected.size()) +
                           " workers but distributed placement is not allowed");
      return out;
    }
    const auto pp = static_cast<std::uint32_t>(groups.size());
    if ((rq_.tp && *rq_.tp != t) || (rq_.pp && *rq_.pp != pp)) {
      reject_selection(selected, rule_id::manual_layout,
                       "the chosen GPUs make tp " + std::to_string(t) + " x pp " +
                           std::to_string(pp) + ", not the tp/pp asked for");
      return out;
    }
    const auto& e = layout(t, pp);
    if (!e.parallel.valid) {
      for (const auto& r : e.parallel.reasons) {
        reject_layout("tp " + std::to_string(t) + " x pp " + std::to_string(pp), t, pp, r.rule,
                      r.message);
      }
      return out;
    }
    for (std::uint32_t st = 0; st < pp; ++st) {
      const auto& w = v_.workers[groups[st].first];
      const auto& se = e.stages[st];
      const bytes disk = pp == 1
                             ? m_.disk_bytes()
                             : m_.disk_bytes_for(se.first_layer, se.layers, st == 0, st + 1 == pp);
      if (auto why = v_.disk_short_for(w, disk)) {
        reject(w, rule_id::disk_space, *why, false);
        return out;
      }
    }
    double u = 1.0;
    for (const auto& [wi, g] : groups) u = std::min(u, group_util(v_.workers[wi], g));
    for (std::uint32_t st = 0; st < pp; ++st) {
      const auto& w = v_.workers[groups[st].first];
      if (!fits(w, groups[st].second, u, e.stages[st].required)) {
        reject_gpus(w, groups[st].second, rule_id::fit_vram,
                    "stage " + std::to_string(st) + " needs " + gib(e.stages[st].required) +
                        " per GPU; the chosen GPUs give " + gib(least(w, groups[st].second, u)) +
                        " at utilization " + fixed2(u),
                    false);
        return out;
      }
    }
    const plan_stage stage = selected.size() > 1 ? plan_stage::multi_worker
                             : t * pp > 1        ? plan_stage::one_worker
                                                 : plan_stage::single_gpu;
    out.push_back(make(e, groups, u, stage, t));
    return out;
  }

  // The figures of the no-fit message: one GPU holding everything at tp 1.
  [[nodiscard]] bytes single_need() const { return layout(1, 1).stages.front().required; }

  // vLLM's estimate of a layout (computed once per layout).
  [[nodiscard]] const vllm_estimate& layout(std::uint32_t tp, std::uint32_t pp) const {
    const auto key = std::pair{tp, pp};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      vllm_settings s = base_;
      s.tp = tp;
      s.pp = pp;
      it = cache_.emplace(key, est_(s)).first;
    }
    return it->second;
  }

 private:
  [[nodiscard]] std::string need_text(const vllm_estimate& e, std::uint32_t t) const {
    const auto& st = e.stages.front();
    return "tp " + std::to_string(t) + " needs " + gib(st.required) + " per GPU (weights " +
           gib(st.weights) + ", activation " + gib(st.activation) + ", overheads " +
           gib(st.non_torch + st.cuda_graphs) + ", KV cache for " +
           std::to_string(e.max_model_len) + " tokens " + gib(st.kv_needed) + ")";
  }

  // The utilization one GPU can run at: the asked one, lowered to what is free, in hundredths.
  [[nodiscard]] double util(const gpu_view& g) const {
    if (g.total == bytes{}) return 0;
    const double free_share =
        static_cast<double>(g.free.count()) / static_cast<double>(g.total.count());
    return std::floor(std::min(rq_.vllm.gpu_memory_utilization, free_share) * 100.0 + 1e-9) / 100.0;
  }
  [[nodiscard]] static bytes budget(double u, bytes total) {
    return bytes{static_cast<std::uint64_t>(u * static_cast<double>(total.count()))};
  }
  [[nodiscard]] double group_util(const worker_view& w,
                                  const std::vector<std::uint32_t>& gpus) const {
    double u = 1.0;
    for (auto g : gpus) u = std::min(u, util(w.gpus[g]));
    return u;
  }
  [[nodiscard]] bytes least(const worker_view& w, const std::vector<std::uint32_t>& gpus,
                            double u) const {
    bytes b = bytes::max();
    for (auto g : gpus) b = std::min(b, budget(u, w.gpus[g].total));
    return b;
  }
  [[nodiscard]] bool fits(const worker_view& w, const std::vector<std::uint32_t>& gpus, double u,
                          bytes req) const {
    return least(w, gpus, u) >= req;
  }
  // GPU positions by budget at their own utilization, roomiest first (index order among equals).
  [[nodiscard]] std::vector<std::uint32_t> by_budget(const worker_view& w) const {
    std::vector<std::uint32_t> order(w.gpus.size());
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return budget(util(w.gpus[a]), w.gpus[a].total) > budget(util(w.gpus[b]), w.gpus[b].total);
    });
    return order;
  }

  [[nodiscard]] placement make(
      const vllm_estimate& e,
      const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& stages, double u,
      plan_stage stage, std::uint32_t t) const {
    placement p;
    p.engine = backend::vllm;
    p.stage = stage;
    p.total_layers = m_.n_layer;
    p.offloaded_layers = m_.n_layer;
    p.tensor_parallel = t;
    p.pipeline_parallel = static_cast<std::uint32_t>(stages.size());
    p.gpu_memory_utilization = u;
    p.kv_tokens = ~std::uint64_t{0};
    for (std::uint32_t st = 0; st < stages.size(); ++st) {
      const auto& w = v_.workers[stages[st].first];
      const auto& se = e.stages[st];
      // Consecutive stages on one worker (pipeline parallel inside it) share its entry; its GPUs
      // are listed stage by stage, the order vLLM gives ranks (pp rank x tp + tp rank).
      const bool same = st > 0 && stages[st - 1].first == stages[st].first;
      if (!same) {
        placed_worker fresh;
        fresh.worker = w.worker;
        fresh.role = st == 0 ? worker_role::main : worker_role::pipeline;
        fresh.stage = st;
        fresh.ram_allocatable = w.ram_allocatable;
        fresh.ram_total = c_.workers[w.worker].ram;
        p.workers.push_back(std::move(fresh));
      }
      placed_worker& pw = p.workers.back();
      std::vector<std::uint32_t> g = stages[st].second;
      std::sort(g.begin(), g.end());
      for (auto x : g) {
        const auto& gv = w.gpus[x];
        placed_gpu pg;
        pg.slot = gv.slot;
        pg.index = gv.index;
        pg.stage = st;
        pg.layers = se.layers;
        pg.repeating_layers = se.layers;
        pg.vram = budget(u, gv.total);
        pg.allocatable = gv.allocatable;
        pg.total = gv.total;
        // KV cache tokens this rank holds (the least rank decides).
        const std::uint64_t fixed = (se.required - se.kv_needed).count();
        const std::uint64_t swa =
            se.kv_needed.count() -
            std::min(se.kv_needed.count(), se.kv_per_token.count() * e.max_model_len);
        const std::uint64_t left =
            pg.vram.count() > fixed + swa ? pg.vram.count() - fixed - swa : 0;
        p.kv_tokens = std::min(p.kv_tokens,
                               se.kv_per_token.count() != 0 ? left / se.kv_per_token.count() : 0);
        pw.gpus.push_back(pg);
      }
    }
    if (p.kv_tokens == ~std::uint64_t{0}) p.kv_tokens = 0;
    return p;
  }

  const model_profile& m_;
  Estimate est_;
  vllm_settings base_;  // the request's settings, vLLM's GPU-dependent defaults resolved
  std::uint32_t max_gpus_ = 0;
  mutable std::map<std::pair<std::uint32_t, std::uint32_t>, vllm_estimate> cache_;
  mutable std::map<std::uint32_t, bool> rejected_degree_;
};

}  // namespace shardfit::detail
