#pragma once

/// @file
/// @brief The planner: inventory → staged candidates → estimates → filters → scores → plan.
/// `basic_planner<Inventory, Estimator, Scorer>` composes the three policies (concepts.hpp);
/// `planner` uses the defaults (a cluster JSON file, shardfit's estimators, the policy-weighted
/// scorer).
///
/// Example:
/// @code
///   shardfit::planner p(shardfit::cluster_json_inventory("cluster.json"));
///   shardfit::plan_request rq;
///   rq.context = 8192;  // tokens, both engines
///   const auto plan = p.plan(shardfit::load_model("Llama-3.1-70B-Q4_K_M.gguf"), rq);
///   if (plan.chosen) { /* plan.chosen->workers: who runs what */ }
///   for (const auto& r : plan.rejected) { /* r.candidate, r.rule, r.reason */ }
/// @endcode
///
/// Rules every plan keeps (tests/planner_property_test.cpp checks them on thousands of random
/// clusters): every GPU given work holds at least one whole repeating layer; no GPU is given
/// more than it has free after reservations and claims; vLLM tensor-parallel degrees pass every
/// parallelism rule; llama.cpp uses at most 15 devices; the same input gives the same plan.

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/validate.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/estimate/default_estimator.hpp>
#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/plan/candidates.hpp>
#include <shardfit/plan/filters.hpp>
#include <shardfit/plan/placement.hpp>
#include <shardfit/plan/scoring.hpp>
#include <shardfit/plan/storage.hpp>

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace shardfit {

namespace detail {

// Inventory order of a placement: its (worker, GPU slot) sequence, compared lexicographically.
SHARDFIT_INLINE std::vector<std::pair<std::uint32_t, std::uint32_t>> inventory_key(
    const placement& p);

// Ranking: earlier stage; within partial offload, more offloaded layers (the README's promise:
// the most layers the GPUs hold; the score only decides between equal counts); then higher
// score, fewer workers, fewer GPUs, then inventory order.
struct rank_key {
  plan_stage stage;
  std::uint32_t offloaded;
  double score;
  std::size_t workers;
  std::size_t gpus;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> inventory;

  explicit rank_key(const placement& p)
      : stage(p.stage),
        offloaded(p.stage == plan_stage::partial_offload ? p.offloaded_layers : 0),
        score(p.score.total),
        workers(p.workers.size()),
        gpus(p.gpu_count()),
        inventory(inventory_key(p)) {}

  friend bool operator<(const rank_key& a, const rank_key& b) {
    if (a.stage != b.stage) return a.stage < b.stage;
    if (a.offloaded != b.offloaded) return a.offloaded > b.offloaded;
    if (a.score != b.score) return a.score > b.score;
    if (a.workers != b.workers) return a.workers < b.workers;
    if (a.gpus != b.gpus) return a.gpus < b.gpus;
    return a.inventory < b.inventory;
  }
};

SHARDFIT_INLINE bool ranks_before(const placement& a, const placement& b);

// The stage a manual GPU selection stands for: one GPU, one worker's GPUs, or several workers.
SHARDFIT_INLINE plan_stage manual_stage(const std::vector<gpu_ref>& gpus);

SHARDFIT_INLINE bytes largest_worker_vram(const cluster_view& v);

template <class Estimator, class Scorer, class Filter = accept_all_filter>
plan_result plan_on(const cluster& c, const model_profile& m, const plan_request& request,
                    const Estimator& estimator, const Scorer& scorer,
                    const Filter& filter = Filter{}) {
  if (m.n_layer == 0 || m.layers.size() != m.n_layer) {
    throw error::invalid_argument("model '" + m.name + "' has no layers to place");
  }
  const plan_request rq = resolved_request(request);  // one context for both engines
  std::uint64_t context = 0;                          // as the engine resolves it
  validate(c);  // an in-memory cluster gets the file reader's checks
  plan_result r;
  r.engine = rq.engine;
  r.model = m.name;
  r.cluster_version = c.version;
  const model_ref ref = model_ref_of(m);
  plan_context ctx{c, ref, rq.engine, rq.policy};
  ctx.request = &rq;
  ctx.profile = &m;
  // The filter decides which workers and GPUs exist for this plan; the labels the policies
  // read keep workers that differ in them apart.
  view_policies policies;
  policies.label_keys = label_keys_of(scorer);
  add_keys(policies.label_keys, label_keys_of(filter));
  if constexpr (!std::is_same_v<Filter, accept_all_filter>) {
    policies.worker = [&](std::size_t w) { return filter.worker(c.workers[w], ctx); };
    policies.gpu = [&](std::size_t w, std::size_t g) {
      return filter.gpu(c.workers[w], c.workers[w].gpus[g], ctx);
    };
  }
  policies.rejected = &r.rejected;
  const cluster_view view(c, ref, m.disk_bytes(), rq.storage, &policies);
  ctx.sources.reserve(view.workers.size());
  for (const auto& w : view.workers) ctx.sources.push_back(w.location.source);
  std::vector<placement> found;

  // Every stage of the engine in order, stopping at the first that yields a placement (unless
  // asked for all): the one stage driver `enumerate_stage` uses too.
  auto run_stages = [&](auto& driver) {
    for (const plan_stage s : stages_of(rq.engine)) {
      if (!found.empty() && !rq.all_stages) break;
      r.stages.push_back(s);
      for (auto& p : driver.run(s)) found.push_back(std::move(p));
    }
  };

  if (rq.engine == backend::llama_cpp) {
    r.total_layers = m.n_layer + 1;
    if (rq.tp || rq.pp) {
      r.messages.emplace_back(
          "tensor and pipeline parallel degrees apply to vLLM; llama.cpp splits by layers");
    }
    const llama_estimator est = estimator.llama(m, rq.llama);
    const llama_enumerator en(c, view, est, rq, r.rejected);
    context = rq.llama.n_ctx != 0 ? rq.llama.n_ctx : est.n_ctx();
    if (!rq.gpus.empty()) {
      found = en.manual(rq.gpus);
      r.stages.push_back(found.empty() ? manual_stage(rq.gpus) : found.front().stage);
    } else {
      if (rq.gpu_layers && *rq.gpu_layers == 0) {
        r.messages.emplace_back("gpu_layers 0 keeps every layer in RAM: only a CPU plan is made");
      } else if (!en.full_offload_allowed()) {
        r.messages.push_back("gpu_layers " + std::to_string(*rq.gpu_layers) +
                             " keeps some layers in RAM: only partial offload is planned");
      }
      stage_driver driver(en);
      run_stages(driver);
    }
    if (found.empty()) {
      const auto need = en.one_device_need();
      r.messages.push_back("the model needs " + gib(need.device) + " VRAM and " + gib(need.host) +
                           " RAM; the largest worker provides " + gib(largest_worker_vram(view)) +
                           " VRAM");
      if (!rq.cpu_offload) {
        r.messages.emplace_back("CPU offload is off: layers could not stay in RAM");
      }
      if (!rq.distributed) {
        r.messages.emplace_back("distributed placement is off: one worker must hold it all");
      }
    }
  } else {
    r.total_layers = m.n_layer;
    auto vest = [&](const vllm_settings& s) { return estimator.vllm(m, s); };
    const vllm_enumerator<decltype(vest)> en(c, view, m, vest, rq, r.rejected);
    context = m.vllm_context(rq.vllm.max_model_len);
    bool wish_ok = true;
    // vLLM loads one GGUF file (model_executor/model_loader/gguf_loader.py); a split must be
    // merged first.
    const auto gguf_files = std::count_if(m.files.begin(), m.files.end(), [](const auto& f) {
      return f.size() >= 5 && f.compare(f.size() - 5, 5, ".gguf") == 0;
    });
    if (m.source == "gguf" && gguf_files > 1) {
      wish_ok = false;
      const std::string why =
          "vLLM loads a single GGUF file, not a split of " + std::to_string(gguf_files) +
          "; merge it first (llama-gguf-split --merge FIRST-SHARD OUT.gguf) or plan it for "
          "llama.cpp";
      r.rejected.push_back({"model", rule_id::vllm_gguf_split, why, 1});
      r.messages.push_back(why);
    }
    if (wish_ok && (rq.tp || rq.pp)) {
      const std::uint32_t tp = rq.tp.value_or(1);
      const std::uint32_t pp = rq.pp.value_or(1);
      const auto check = check_parallel(
          m, {tp, pp, rq.vllm.ep, serving_engine::vllm, rq.vllm.mm_encoder_data, rq.vllm.version});
      if (!check.valid) {
        wish_ok = false;
        for (const auto& reason : check.reasons) {
          r.rejected.push_back({"tp " + std::to_string(tp) + " x pp " + std::to_string(pp),
                                reason.rule,
                                reason.message,
                                1,
                                {},
                                tp,
                                pp});
        }
        std::string near;
        for (const auto& s : suggest_parallel(m, tp * pp, rq.vllm.ep)) {
          near += (near.empty() ? "" : ", ") + ("tp " + std::to_string(s.tp) +
                                                (s.pp > 1 ? " x pp " + std::to_string(s.pp) : ""));
        }
        r.messages.push_back("tp " + std::to_string(tp) + " x pp " + std::to_string(pp) +
                             " is not valid for this model: " + check.reasons.front().message +
                             (near.empty() ? "" : "; nearest valid: " + near));
      }
    }
    if (wish_ok) {
      if (!rq.gpus.empty()) {
        found = en.manual(rq.gpus);
        r.stages.push_back(found.empty() ? manual_stage(rq.gpus) : found.front().stage);
      } else {
        stage_driver driver(en);
        run_stages(driver);
      }
      if (found.empty()) {
        r.messages.push_back("the model needs " + gib(en.single_need()) +
                             " VRAM on one GPU at tp 1 (vLLM, max_model_len " +
                             std::to_string(en.layout(1, 1).max_model_len) +
                             "); the largest worker provides " + gib(largest_worker_vram(view)) +
                             " VRAM");
      }
    }
  }

  // Score everything, then order only the best few (the chosen and the alternatives).
  std::vector<rank_key> keys;
  keys.reserve(found.size());
  for (auto& p : found) {
    p.context = context;
    p.score = scorer.score(p, ctx);
    keys.emplace_back(p);
  }
  std::vector<std::size_t> order(found.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t keep = std::min(order.size(), rq.max_alternatives + 1);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                    [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  r.candidates = found.size();
  if (!found.empty()) {
    r.status = plan_status::planned;
    r.chosen = std::move(found[order.front()]);
    name_placement(*r.chosen, c);
    attach_storage(*r.chosen, c, m);
    for (std::size_t i = 1; i < keep; ++i) {
      r.alternatives.push_back(std::move(found[order[i]]));
      name_placement(r.alternatives.back(), c);
      attach_storage(r.alternatives.back(), c, m);
    }
    // Interchangeable workers were tried once (their class's first): the chosen placement on
    // each twin of its worker is as good, and is what a scheduler falls back on when its
    // commit fails. Ranked after the alternatives found, in inventory order.
    if (r.chosen->workers.size() == 1 && r.alternatives.size() < rq.max_alternatives) {
      const std::uint32_t main = r.chosen->workers.front().worker;
      for (const auto& v : view.workers) {
        if (r.alternatives.size() >= rq.max_alternatives) break;
        if (v.excluded || v.worker == main || v.cls != view.workers[main].cls) continue;
        placement twin = *r.chosen;
        placed_worker& tw = twin.workers.front();
        tw.worker = v.worker;
        bool ok = true;
        for (auto& g : tw.gpus) {
          const auto& gpus = c.workers[v.worker].gpus;
          const auto it = std::find_if(gpus.begin(), gpus.end(),
                                       [&](const gpu_info& x) { return x.index == g.index; });
          if (it == gpus.end()) {
            ok = false;
            break;
          }
          g.slot = static_cast<std::uint32_t>(it - gpus.begin());
          for (const auto& gv : v.gpus) {
            if (gv.index == g.index) g.allocatable = gv.allocatable;  // its own exact figure
          }
        }
        tw.ram_allocatable = v.ram_allocatable;
        if (!ok) continue;
        name_placement(twin, c);
        attach_storage(twin, c, m);
        twin.score = scorer.score(twin, ctx);
        r.alternatives.push_back(std::move(twin));
      }
    }
    const placement& p = *r.chosen;
    if (p.engine == backend::vllm &&
        p.gpu_memory_utilization + 1e-9 < rq.vllm.gpu_memory_utilization) {
      r.messages.push_back("gpu_memory_utilization lowered from " +
                           fixed2(rq.vllm.gpu_memory_utilization) + " to " +
                           fixed2(p.gpu_memory_utilization) + " to fit the GPUs' free memory");
    }
    for (const auto& sug : p.storage.suggestions) r.messages.push_back(sug);
    if (p.stage == plan_stage::partial_offload) {
      r.messages.push_back(std::to_string(p.offloaded_layers) + " of " +
                           std::to_string(p.total_layers) +
                           " layers on GPUs; the rest run from RAM, slower");
    } else if (p.stage == plan_stage::cpu_only) {
      r.messages.emplace_back("no GPU can take a layer: the model runs on the CPU");
    }
  }
  return r;
}

}  // namespace detail

/// @brief The planner, composed of an inventory source, a memory estimator and a scorer.
template <inventory_source Inventory = cluster_json_inventory,
          memory_estimator Estimator = default_estimator, candidate_scorer Scorer = default_scorer,
          candidate_filter Filter = accept_all_filter>
class basic_planner {
 public:
  explicit basic_planner(Inventory inventory, Estimator estimator = {}, Scorer scorer = {},
                         Filter filter = {})
      : inventory_(std::move(inventory)),
        estimator_(std::move(estimator)),
        scorer_(std::move(scorer)),
        filter_(std::move(filter)) {}

  /// @brief Plans `model` on the inventory's current snapshot.
  /// @throws shardfit::error when the inventory cannot be read, the settings are refused, or
  /// a manual GPU selection names a worker or GPU that does not exist.
  [[nodiscard]] plan_result plan(const model_profile& model, const plan_request& request) const {
    const auto& snapshot = inventory_.snapshot();  // a reference, or a temporary kept alive
    const cluster& c = snapshot;
    return detail::plan_on(c, model, request, estimator_, scorer_, filter_);
  }

  [[nodiscard]] const Inventory& inventory() const noexcept { return inventory_; }

 private:
  Inventory inventory_;
  Estimator estimator_;
  Scorer scorer_;
  Filter filter_;
};

/// @brief The planner with every default policy.
using planner = basic_planner<>;

/// @brief Plans `model` on a cluster held in memory (shorthand for a `static_inventory`).
[[nodiscard]] SHARDFIT_INLINE plan_result plan(const cluster& c, const model_profile& model,
                                               const plan_request& request);

#ifdef SHARDFIT_COMPILED_LIB
// Instantiated once, in shardfit::compiled (src/plan.cpp): the default planner's policies.
namespace detail {
extern template plan_result plan_on<default_estimator, default_scorer, accept_all_filter>(
    const cluster&, const model_profile&, const plan_request&, const default_estimator&,
    const default_scorer&, const accept_all_filter&);
}  // namespace detail
#endif

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/planner-inl.hpp>
#endif
