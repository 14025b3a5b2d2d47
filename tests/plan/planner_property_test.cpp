// The planner's rules as properties over thousands of random clusters, models and requests
// (a fixed seed, so a failure reproduces; the failing case's index is printed).

#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>
#include <shardfit/plan/storage.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"
#include "support/placement_checks.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
namespace cfg = shardfit::test::configs;

class random_case {
 public:
  explicit random_case(std::uint64_t seed) : rng_(seed) {}

  std::uint32_t pick(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(0, static_cast<std::uint32_t>(v.size() - 1))];
  }

  // A random decoder-only model: dimensions that vLLM's rules may or may not accept.
  model_profile synthetic_model() {
    const std::uint32_t heads = one_of<std::uint32_t>({8, 12, 16, 24, 32, 40, 64});
    const std::uint32_t head_dim = one_of<std::uint32_t>({64, 128});
    std::vector<std::uint32_t> kv;
    for (std::uint32_t k = 1; k <= heads; ++k) {
      if (heads % k == 0) kv.push_back(k);
    }
    const std::uint32_t hidden = heads * head_dim;
    const std::string config =
        "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": " +
        std::to_string(hidden) +
        ", \"intermediate_size\": " + std::to_string(hidden * pick(2, 4) + 128 * pick(0, 3)) +
        ", \"num_hidden_layers\": " + std::to_string(pick(1, 100)) +
        ", \"num_attention_heads\": " + std::to_string(heads) +
        ", \"num_key_value_heads\": " + std::to_string(one_of(kv)) +
        ", \"vocab_size\": " + std::to_string(pick(1000, 160000)) +
        ", \"max_position_embeddings\": 32768, \"torch_dtype\": \"" +
        one_of<std::string>({"bfloat16", "float16", "float32"}) + "\"}";
    auto m = profile_from_config(parse_hf_config(config, "random.json"));
    m.name = "random";
    return m;
  }

  model_profile model() {
    static const std::vector<std::string> real{
        cfg::llama_3_1_8b, cfg::llama_3_1_70b, cfg::qwen2_5_7b, cfg::gemma_3_27b_it,
        cfg::mixtral_8x7b, cfg::qwen3_30b_a3b, cfg::phi_3_mini, cfg::deepseek_v3,
        cfg::gpt_oss_120b, cfg::glm_4_5};
    if (chance(0.5)) return synthetic_model();
    auto m = profile_from_config(parse_hf_config(one_of(real), "config.json"));
    m.name = "real";
    return m;
  }

  cluster make_cluster(const std::string& model_name) {
    static const std::vector<std::uint64_t> sizes{8, 12, 16, 24, 40, 48, 80, 96, 141};
    cluster c;
    c.reserved.ram = bytes{pick(0, 4)} * (1ULL << 30U);
    c.reserved.vram = bytes{pick(0, 2048)} * (1ULL << 20U);
    if (chance(0.3)) {
      volume_info v;
      v.name = "nfs";
      if (chance(0.5)) v.models.push_back({"", model_name, bytes{}});
      c.volumes.push_back(v);
    }
    const std::uint32_t n = pick(1, 12);
    for (std::uint32_t w = 0; w < n; ++w) {
      worker_info wk;
      wk.name = "w" + std::to_string(w);
      wk.address = wk.name;
      wk.ram = bytes{pick(4, 1024)} * (1ULL << 30U);
      wk.ram_used = chance(0.5) ? bytes{wk.ram.count() / pick(2, 20)} : bytes{};
      wk.uma = chance(0.05);
      if (chance(0.4)) wk.disk_free = bytes{std::uint64_t{pick(1, 2000)} * 1'000'000'000ULL};
      if (!c.volumes.empty() && chance(0.4)) wk.mounts.push_back({"/mnt", "nfs", true});
      if (chance(0.1)) wk.models.push_back({"/data", model_name, bytes{}});
      const std::uint32_t g = chance(0.15) ? 0 : pick(1, 10);
      const std::uint64_t base = one_of(sizes);
      for (std::uint32_t i = 0; i < g; ++i) {
        gpu_info gi;
        gi.index = i;
        const std::uint64_t gib = chance(0.2) ? one_of(sizes) : base;
        gi.name = "GPU-" + std::to_string(gib);
        gi.vram = bytes{gib << 30U};
        if (chance(0.3)) gi.vram_used = bytes{gi.vram.count() / 100 * pick(0, 100)};
        wk.gpus.push_back(gi);
      }
      c.workers.push_back(std::move(wk));
    }
    const std::uint32_t claims = chance(0.3) ? pick(1, 4) : 0;
    for (std::uint32_t i = 0; i < claims; ++i) {
      const auto& wk = c.workers[pick(0, n - 1)];
      claim cl;
      cl.instance = "c" + std::to_string(i);
      cl.worker = wk.name;
      if (!wk.gpus.empty())
        cl.gpu = wk.gpus[pick(0, static_cast<std::uint32_t>(wk.gpus.size() - 1))].index;
      cl.vram = bytes{std::uint64_t{pick(0, 40)} << 30U};
      cl.ram = bytes{std::uint64_t{pick(0, 16)} << 30U};
      c.claims.push_back(cl);
    }
    return c;
  }

  plan_request request(const cluster& c) {
    plan_request rq;
    rq.engine = chance(0.5) ? backend::vllm : backend::llama_cpp;
    const std::uint32_t ctx = one_of<std::uint32_t>({512, 2048, 4096, 8192, 32768});
    rq.llama.n_ctx = ctx;
    rq.llama.n_parallel = chance(0.2) ? pick(2, 4) : 1;
    rq.vllm.max_model_len = ctx;
    // Past a model's maximum vLLM refuses to start unless told to allow it (a plan error).
    rq.vllm.allow_long_max_model_len = true;
    rq.vllm.gpu_memory_utilization = one_of<double>({0.5, 0.8, 0.9, 0.95});
    rq.policy = chance(0.5) ? scoring_policy::spread : scoring_policy::binpack;
    rq.cpu_offload = chance(0.8);
    rq.distributed = chance(0.8);
    rq.all_stages = chance(0.1);
    rq.max_rpc_servers = chance(0.2) ? pick(0, 3) : llama_max_plan_devices;
    if (chance(0.1)) rq.gpu_layers = pick(0, 120);
    if (rq.engine == backend::vllm && chance(0.15)) rq.tp = one_of<std::uint32_t>({1, 2, 3, 4, 8});
    if (rq.engine == backend::vllm && chance(0.1)) rq.pp = pick(1, 3);
    if (chance(0.1)) {  // a manual selection of existing GPUs
      std::vector<gpu_ref> all;
      for (const auto& w : c.workers) {
        for (const auto& g : w.gpus) all.push_back({w.name, g.index});
      }
      std::shuffle(all.begin(), all.end(), rng_);
      all.resize(std::min<std::size_t>(all.size(), pick(1, 4)));
      rq.gpus = all;
    }
    return rq;
  }

 private:
  std::mt19937_64 rng_;
};

// Every rule of a placement; `where` names the case.
void check_placement(const placement& p, const cluster& c, const model_profile& m,
                     const plan_request& rq, const llama_estimator* est, const std::string& where) {
  SCOPED_TRACE(where);
  ASSERT_FALSE(p.workers.empty());
  std::set<std::uint32_t> workers;
  std::set<std::pair<std::uint32_t, std::uint32_t>> used;
  std::uint32_t layers = 0;
  std::uint32_t repeating = 0;
  std::uint32_t outputs = 0;
  for (std::size_t wi = 0; wi < p.workers.size(); ++wi) {
    const auto& w = p.workers[wi];
    ASSERT_LT(w.worker, c.workers.size());
    EXPECT_TRUE(workers.insert(w.worker).second) << "a worker appears twice";
    EXPECT_EQ(w.name, c.workers[w.worker].name);
    EXPECT_EQ(w.role, wi == 0
                          ? worker_role::main
                          : (p.engine == backend::vllm ? worker_role::pipeline : worker_role::rpc));
    for (const auto& g : w.gpus) {
      ASSERT_LT(g.slot, c.workers[w.worker].gpus.size());
      EXPECT_EQ(g.index, c.workers[w.worker].gpus[g.slot].index);
      EXPECT_TRUE(used.insert({w.worker, g.slot}).second) << "a GPU appears twice";
      // Rule 2: every GPU given work holds at least one whole repeating layer.
      EXPECT_GE(g.repeating_layers, 1U);
      // Rule 4: never more than it has free after reservations and claims.
      EXPECT_EQ(g.allocatable, c.allocatable_vram(w.worker, g.slot));
      EXPECT_LE(g.vram, g.allocatable);
      layers += g.layers;
      repeating += g.repeating_layers;
      outputs += g.output_layer ? 1 : 0;
    }
    if (wi > 0) {
      EXPECT_FALSE(w.gpus.empty()) << "a worker without GPUs as RPC or pipeline stage";
      EXPECT_EQ(w.cpu_layers, 0U);
    }
  }
  // Storage: whoever reads weights finds them or has the disk for them; RPC servers read none.
  for (const auto& w : p.workers) {
    const bool reads = !(p.engine == backend::llama_cpp && w.role == worker_role::rpc);
    if (!reads) {
      EXPECT_EQ(w.source, storage_source::none);
      continue;
    }
    EXPECT_NE(w.source, storage_source::none);
    EXPECT_FALSE(disk_problem(c.locate_model(w.worker, model_ref_of(m)),
                              c.workers[w.worker].disk_free, w.weights, rq.storage))
        << c.workers[w.worker].name;
  }
  if (!rq.distributed) {
    EXPECT_EQ(p.workers.size(), 1U);
  }
  if (!rq.gpus.empty()) {
    std::set<std::pair<std::uint32_t, std::uint32_t>> wanted;
    for (const auto& ref : rq.gpus) {
      const auto w = *c.find_worker(ref.worker);
      for (std::uint32_t s = 0; s < c.workers[w].gpus.size(); ++s) {
        if (c.workers[w].gpus[s].index == ref.index)
          wanted.insert({static_cast<std::uint32_t>(w), s});
      }
    }
    EXPECT_EQ(used, wanted) << "a manual selection is used exactly";
  }
  const auto& main = p.workers.front();
  if (p.engine == backend::llama_cpp) {
    EXPECT_EQ(p.total_layers, m.n_layer + 1);
    EXPECT_EQ(layers, p.offloaded_layers);
    EXPECT_EQ(p.tensor_split.size(), used.size());
    EXPECT_LE(used.size(), llama_max_plan_devices);
    EXPECT_LE(p.workers.size() - 1, rq.max_rpc_servers);
    EXPECT_EQ(repeating + main.cpu_layers, m.n_layer);
    EXPECT_EQ(outputs, p.offloaded_layers == 0 ? 0U : 1U);
    EXPECT_LE(main.ram, c.allocatable_ram(main.worker));
    if (!rq.cpu_offload) {
      EXPECT_EQ(main.cpu_layers, 0U);
    }
    if (rq.gpu_layers) {
      EXPECT_LE(p.offloaded_layers, *rq.gpu_layers);
      // --gpu-layers N is exact when it keeps layers in RAM.
      if (p.stage == plan_stage::partial_offload) {
        EXPECT_EQ(p.offloaded_layers, *rq.gpu_layers);
      }
    }
    if (p.stage != plan_stage::cpu_only) {
      EXPECT_FALSE(main.gpus.empty());
    }
    // The bytes are the estimator's own for the placement's split.
    shardfit::test::expect_llama_bytes_match(p, *est);
  } else {
    // Rule 3: only layouts vLLM's rules accept.
    EXPECT_TRUE(check_parallel(m, {p.tensor_parallel, p.pipeline_parallel, rq.vllm.ep}).valid);
    // Every stage 0..pp-1 once, in order over the workers (a worker may hold several), each
    // of tp GPUs with the same layers.
    std::vector<std::uint32_t> per_stage_gpus(p.pipeline_parallel, 0);
    std::vector<std::uint32_t> per_stage_layers(p.pipeline_parallel, 0);
    std::uint32_t next_stage = 0;
    for (const auto& w : p.workers) {
      EXPECT_EQ(w.stage, next_stage);
      for (const auto& g : w.gpus) {
        ASSERT_LT(g.stage, p.pipeline_parallel);
        EXPECT_GE(g.stage, next_stage);
        ++per_stage_gpus[g.stage];
        if (per_stage_layers[g.stage] == 0) per_stage_layers[g.stage] = g.layers;
        EXPECT_EQ(g.layers, per_stage_layers[g.stage]);
        next_stage = std::max(next_stage, g.stage);
      }
      ++next_stage;
    }
    EXPECT_EQ(next_stage, p.pipeline_parallel);
    std::uint32_t stage_layers = 0;
    for (std::uint32_t st = 0; st < p.pipeline_parallel; ++st) {
      EXPECT_EQ(per_stage_gpus[st], p.tensor_parallel);
      stage_layers += per_stage_layers[st];
    }
    EXPECT_EQ(stage_layers, m.n_layer);
    EXPECT_LE(p.gpu_memory_utilization, rq.vllm.gpu_memory_utilization + 1e-9);
    if (rq.tp) {
      EXPECT_EQ(p.tensor_parallel, *rq.tp);
    }
    if (rq.pp) {
      EXPECT_EQ(p.pipeline_parallel, *rq.pp);
    }
  }
  EXPECT_GE(p.score.total, 0.0);
  EXPECT_LE(p.score.total, 100.0);
}

// Whether worker `w` can read the whole model (a copy, or the disk for one).
bool can_store(const cluster& c, const model_profile& m, const plan_request& rq, std::size_t w) {
  return !disk_problem(c.locate_model(w, model_ref_of(m)), c.workers[w].disk_free, m.disk_bytes(),
                       rq.storage);
}

// Whether one GPU alone could hold the model (so the plan must be a single-GPU one).
bool single_gpu_possible(const cluster& c, const model_profile& m, const plan_request& rq,
                         const llama_estimator* est) {
  if (!rq.gpus.empty() || rq.gpu_layers || rq.tp.value_or(1) != 1 || rq.pp.value_or(1) != 1) {
    return false;
  }
  if (rq.engine == backend::llama_cpp) {
    const llama_device d{"gpu", device_kind::gpu, bytes::max(), false};
    const auto e = est->estimate(std::span<const llama_device>(&d, 1), {-1, {}});
    for (std::size_t w = 0; w < c.workers.size(); ++w) {
      for (std::size_t g = 0; g < c.workers[w].gpus.size(); ++g) {
        const bytes free =
            bytes{c.allocatable_vram(w, g).count() / plan_granularity * plan_granularity};
        const bytes ram = bytes{c.allocatable_ram(w).count() / plan_granularity * plan_granularity};
        if (c.workers[w].uma || !can_store(c, m, rq, w)) continue;
        if (e.devices[1].total <= free && e.host().total <= ram) return true;
      }
    }
    return false;
  }
  vllm_settings s = rq.vllm;
  s.tp = 1;
  s.pp = 1;
  const auto e = estimate_vllm(m, s);
  if (!e.parallel.valid) return false;
  for (std::size_t w = 0; w < c.workers.size(); ++w) {
    for (std::size_t g = 0; g < c.workers[w].gpus.size(); ++g) {
      const auto& gi = c.workers[w].gpus[g];
      if (gi.vram == bytes{} || !can_store(c, m, rq, w)) continue;
      bytes alloc = c.allocatable_vram(w, g);
      if (c.workers[w].uma) alloc = std::min(alloc, c.allocatable_ram(w));  // shares the RAM
      const double free = static_cast<double>(alloc.count() / plan_granularity * plan_granularity);
      const double u = std::floor(std::min(s.gpu_memory_utilization,
                                           free / static_cast<double>(gi.vram.count())) *
                                      100.0 +
                                  1e-9) /
                       100.0;
      if (static_cast<std::uint64_t>(u * static_cast<double>(gi.vram.count())) >=
          e.stages[0].required.count()) {
        return true;
      }
    }
  }
  return false;
}

// The GPUs of a placement as a manual selection (the main worker's first).
std::vector<gpu_ref> selection_of(const placement& p, const cluster& c) {
  std::vector<gpu_ref> out;
  for (const auto& w : p.workers) {
    for (const auto& g : w.gpus) out.push_back({c.workers[w.worker].name, g.index});
  }
  return out;
}

// Under binpack, no RPC GPU of a main + RPC plan can go while the rest still hold every layer.
void expect_minimal_rpc_set(const placement& p, const cluster& c, const model_profile& m,
                            const plan_request& rq, const std::string& where) {
  const auto all = selection_of(p, c);
  const std::size_t local = p.workers.front().gpus.size();
  for (std::size_t i = local; i < all.size(); ++i) {
    plan_request manual = rq;
    manual.cpu_offload = false;
    manual.gpus = all;
    manual.gpus.erase(manual.gpus.begin() + static_cast<std::ptrdiff_t>(i));
    const auto r = plan(c, m, manual);
    EXPECT_EQ(r.status, plan_status::no_fit)
        << where << ": RPC GPU " << all[i].worker << ":" << all[i].index << " is not needed";
  }
}

TEST(PlannerProperty, EveryRuleHoldsOnThousandsOfRandomClusters) {
  random_case rnd(0x5eedf17ULL);
  std::size_t planned = 0;
  std::size_t rpc_checked = 0;
  std::size_t by_stage[5] = {};
  constexpr int cases = 3000;
  for (int i = 0; i < cases; ++i) {
    const model_profile m = rnd.model();
    const cluster c = rnd.make_cluster(m.name);
    const plan_request rq = rnd.request(c);
    const std::string where = "case " + std::to_string(i);
    std::optional<llama_estimator> est;
    if (rq.engine == backend::llama_cpp) est.emplace(m, rq.llama);
    const llama_estimator* e = est ? &*est : nullptr;
    plan_result r;
    try {
      r = plan(c, m, rq);
    } catch (const shardfit::error& x) {
      // Only settings the engines refuse may throw (no such settings are generated).
      ADD_FAILURE() << where << ": " << x.what();
      continue;
    }
    // Rule 5: the same input gives the same plan, byte for byte.
    const nlohmann::ordered_json a = r;
    const nlohmann::ordered_json b = plan(c, m, rq);
    ASSERT_EQ(a.dump(), b.dump()) << where;
    for (const auto& x : r.rejected) {
      EXPECT_FALSE(x.candidate.empty() || to_string(x.rule) == "unknown" || x.reason.empty())
          << where;
      EXPECT_GE(x.count, 1U);
    }
    if (r.status == plan_status::no_fit) {
      EXPECT_FALSE(r.chosen) << where;
      EXPECT_FALSE(r.messages.empty()) << where;
      EXPECT_FALSE(single_gpu_possible(c, m, rq, e)) << where << ": one GPU could hold it";
      continue;
    }
    ++planned;
    ASSERT_TRUE(r.chosen) << where;
    ++by_stage[static_cast<int>(r.chosen->stage)];
    check_placement(*r.chosen, c, m, rq, e, where);
    for (const auto& alt : r.alternatives) {
      check_placement(alt, c, m, rq, e, where + " (alternative)");
      EXPECT_FALSE(detail::ranks_before(alt, *r.chosen)) << where;
      // Partial offload: no candidate of the stage offloads more layers than the choice.
      if (alt.stage == plan_stage::partial_offload &&
          r.chosen->stage == plan_stage::partial_offload) {
        EXPECT_LE(alt.offloaded_layers, r.chosen->offloaded_layers) << where;
      }
    }
    if (rq.engine == backend::llama_cpp && rq.policy == scoring_policy::binpack &&
        r.chosen->stage == plan_stage::multi_worker && rq.gpus.empty() && !rq.gpu_layers) {
      ++rpc_checked;
      expect_minimal_rpc_set(*r.chosen, c, m, rq, where);
    }
    if (single_gpu_possible(c, m, rq, e)) {
      EXPECT_EQ(r.chosen->stage, plan_stage::single_gpu) << where;
    }
  }
  // The generator reaches every stage (otherwise the properties prove little).
  EXPECT_GT(planned, static_cast<std::size_t>(cases / 4));
  EXPECT_GT(rpc_checked, 10U);
  for (int s = 0; s < 5; ++s) EXPECT_GT(by_stage[s], 10U) << "stage " << s;
}

std::string describe(const placement& p, const cluster& c) {
  std::string s = std::string(to_string(p.stage)) + " " + std::to_string(p.score.total);
  for (const auto& w : p.workers) {
    s += " " + c.workers[w.worker].name + "[";
    for (const auto& g : w.gpus) {
      s += std::to_string(g.index) + ":" + std::to_string(g.layers) + "/" +
           std::to_string(g.allocatable.count() >> 20U) + "M ";
    }
    s += "]";
  }
  return s;
}

// On small clusters (up to 4 workers x 4 GPUs, at most 6 GPUs in all), llama.cpp's full
// offload: the planner's choice ranks at least as high as the best of every GPU subset with
// every worker of it as the main (the manual path, under the same rules and scorer).
TEST(PlannerProperty, SmallClustersChoiceIsAsGoodAsExhaustiveSearch) {
  random_case rnd(0xe8a5713eULL);
  std::size_t compared = 0;
  std::size_t several = 0;
  std::size_t multi = 0;
  for (int i = 0; i < 150; ++i) {
    const model_profile m = rnd.model();
    cluster c;
    const std::uint32_t n = rnd.pick(1, 4);
    std::uint32_t total = 0;
    for (std::uint32_t w = 0; w < n; ++w) {
      worker_info wk;
      wk.name = "w" + std::to_string(w);
      wk.address = wk.name;
      wk.ram = 1024_GiB;
      const std::uint32_t g = std::min<std::uint32_t>(rnd.pick(1, 4), 6 - total);
      const std::uint64_t gib = rnd.one_of<std::uint64_t>({16, 24, 48, 80});
      for (std::uint32_t k = 0; k < g; ++k) {
        gpu_info gi;
        gi.index = k;
        gi.name = "GPU";
        gi.vram =
            bytes{(rnd.chance(0.3) ? rnd.one_of<std::uint64_t>({16, 24, 48, 80}) : gib) << 30U};
        if (rnd.chance(0.3)) gi.vram_used = bytes{gi.vram.count() / 100 * rnd.pick(0, 60)};
        wk.gpus.push_back(gi);
      }
      total += g;
      c.workers.push_back(std::move(wk));
      if (total == 6) break;
    }
    plan_request rq;
    rq.engine = backend::llama_cpp;
    rq.llama.n_ctx = rnd.one_of<std::uint32_t>({2048, 8192});
    rq.policy = rnd.chance(0.5) ? scoring_policy::spread : scoring_policy::binpack;
    rq.cpu_offload = false;
    const std::string where = "case " + std::to_string(i);
    const auto r = plan(c, m, rq);

    std::vector<gpu_ref> all;
    for (const auto& w : c.workers) {
      for (const auto& g : w.gpus) all.push_back({w.name, g.index});
    }
    std::optional<placement> best;
    for (std::uint32_t mask = 1; mask < (1U << all.size()); ++mask) {
      for (const auto& main : c.workers) {
        std::vector<gpu_ref> pick;
        for (std::size_t b = 0; b < all.size(); ++b) {
          if ((mask >> b & 1U) != 0 && all[b].worker == main.name) pick.push_back(all[b]);
        }
        if (pick.empty()) continue;
        for (std::size_t b = 0; b < all.size(); ++b) {
          if ((mask >> b & 1U) != 0 && all[b].worker != main.name) pick.push_back(all[b]);
        }
        plan_request manual = rq;
        manual.gpus = pick;
        const auto x = plan(c, m, manual);
        if (x.status != plan_status::planned) continue;
        if (!best || detail::ranks_before(*x.chosen, *best)) best = *x.chosen;
      }
    }
    if (!best) {
      EXPECT_EQ(r.status, plan_status::no_fit) << where;
      continue;
    }
    ASSERT_EQ(r.status, plan_status::planned) << where << ": exhaustive search found a plan";
    ++compared;
    if (r.chosen->gpu_count() > 1) ++several;
    if (r.chosen->workers.size() > 1) ++multi;
    // GPUs whose free memory rounds to the same plan granularity count as identical, so the
    // scores may differ below 0.01 points.
    const std::string detail = where + ": a subset ranks higher (" + describe(*best, c) + " vs " +
                               describe(*r.chosen, c) + ")";
    EXPECT_LE(r.chosen->stage, best->stage) << detail;
    if (r.chosen->stage == best->stage) {
      EXPECT_GE(r.chosen->score.total + 0.01, best->score.total) << detail;
    }
  }
  EXPECT_GT(compared, 30U);
  EXPECT_GT(several, 10U);
  EXPECT_GE(multi, 5U);
}

}  // namespace
