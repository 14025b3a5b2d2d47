// The planner on scenarios with known answers: the seed cases of the issue (split sizing is in
// shard_set_test) and placements of both backends, asserted exactly.

#include <shardfit/json.hpp>
#include <shardfit/plan/claims.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <gtest/gtest.h>

#include "support/clusters.hpp"
#include "support/configs.hpp"
#include "support/model_files.hpp"
#include "support/models.hpp"
#include "support/placement_checks.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::config_model;
using shardfit::test::deepseek_r1_bf16;
using shardfit::test::gpu;
using shardfit::test::gpus;
using shardfit::test::llama70b;
using shardfit::test::llama8b;
using shardfit::test::worker;
namespace cfg = shardfit::test::configs;

cluster base() {
  cluster c;
  c.reserved.vram = 512_MiB;
  c.reserved.ram = 2_GiB;
  return c;
}

// "worker:index(layers)" for every GPU of the placement, workers in order.
std::string layout(const placement& p) {
  std::string s;
  for (const auto& w : p.workers) {
    if (!s.empty()) s += " ";
    s += w.name + "/" + std::string(to_string(w.role)) + "[";
    for (std::size_t i = 0; i < w.gpus.size(); ++i) {
      s +=
          (i ? "," : "") + std::to_string(w.gpus[i].index) + ":" + std::to_string(w.gpus[i].layers);
    }
    s += "]";
    if (w.cpu_layers != 0) s += "cpu" + std::to_string(w.cpu_layers);
  }
  return s;
}

const rejection* find_rejection(const plan_result& r, const std::string& candidate,
                                const std::string& rule) {
  for (const auto& x : r.rejected) {
    if (x.candidate.rfind(candidate, 0) == 0 && to_string(x.rule) == rule) return &x;
  }
  return nullptr;
}

void expect_llama_bytes_match(const plan_result& r, const model_profile& m,
                              const llama_settings& s) {
  ASSERT_TRUE(r.chosen);
  shardfit::test::expect_llama_bytes_match(*r.chosen, llama_estimator(m, s));
}

// --- llama.cpp ---------------------------------------------------------------------------------

TEST(Planner, LlamaSingleGpuBinpackTakesTheTightestFitSpreadTheIdlest) {
  cluster c = base();
  c.workers.push_back(worker(
      "w", 64_GiB,
      {gpu(0, "RTX 4090", 24_GiB), gpu(1, "RTX 4090", 24_GiB, 6_GiB), gpu(2, "L40S", 48_GiB)}));
  plan_request rq;
  const auto bin = plan(c, llama8b(), rq);
  ASSERT_EQ(bin.status, plan_status::planned);
  EXPECT_EQ(bin.chosen->stage, plan_stage::single_gpu);
  EXPECT_EQ(layout(*bin.chosen), "w/main[1:33]");  // 17.5 GiB free, the model needs 15.11
  EXPECT_EQ(bin.chosen->workers[0].gpus[0].vram, bytes{16220430336});
  // The host's RAM includes the graph inputs its compute buffer holds for the GPU (issue 21.3):
  // the f16 mask of 4096 cells x 512 tokens (4 MiB) and the positions, KV row indices and
  // output ids (12 KiB).
  EXPECT_EQ(bin.chosen->workers[0].ram, bytes{1067965440 + 4194304 + 12288});
  EXPECT_EQ(bin.chosen->offloaded_layers, 33U);
  EXPECT_EQ(bin.chosen->tensor_split, std::vector<std::uint32_t>{33});
  ASSERT_EQ(bin.alternatives.size(), 2U);
  EXPECT_EQ(layout(bin.alternatives[0]), "w/main[0:33]");
  EXPECT_EQ(layout(bin.alternatives[1]), "w/main[2:33]");
  expect_llama_bytes_match(bin, llama8b(), rq.llama);

  rq.policy = scoring_policy::spread;
  const auto spread = plan(c, llama8b(), rq);
  EXPECT_EQ(layout(*spread.chosen), "w/main[2:33]");  // 47.5 of 48 GiB free
}

TEST(Planner, LlamaBinpackAndSpreadChooseDifferentWorkersUnderLoad) {
  cluster c = base();
  c.workers.push_back(worker("a", 64_GiB, {gpu(0, "RTX 4090", 24_GiB, 6_GiB)}));
  c.workers.push_back(worker("b", 64_GiB, {gpu(0, "RTX 4090", 24_GiB)}));
  plan_request rq;
  EXPECT_EQ(layout(*plan(c, llama8b(), rq).chosen), "a/main[0:33]");
  rq.policy = scoring_policy::spread;
  const auto r = plan(c, llama8b(), rq);
  EXPECT_EQ(layout(*r.chosen), "b/main[0:33]");
  // The breakdown explains it: spread is the only term that differs.
  ASSERT_EQ(r.alternatives.size(), 1U);
  const auto& best = r.chosen->score.parts;
  const auto& next = r.alternatives[0].score.parts;
  ASSERT_EQ(best.size(), next.size());
  for (std::size_t i = 0; i < best.size(); ++i) {
    if (best[i].name == "spread") {
      EXPECT_GT(best[i].value, next[i].value);
    } else {
      EXPECT_EQ(best[i].value, next[i].value) << best[i].name;
    }
  }
}

TEST(Planner, LlamaSeveralGpusOfOneWorkerGetBalancedLayerCounts) {
  cluster c = base();
  c.workers.push_back(worker("box", 256_GiB, gpus(8, "RTX 3090", 24_GiB)));
  plan_request rq;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::one_worker);
  // 80 layers and the output over the fewest GPUs that hold them: six, the output on the last.
  EXPECT_EQ(layout(*r.chosen), "box/main[0:14,1:14,2:14,3:14,4:14,5:11]");
  EXPECT_EQ(r.chosen->tensor_split, (std::vector<std::uint32_t>{14, 14, 14, 14, 14, 11}));
  EXPECT_TRUE(r.chosen->workers[0].gpus.back().output_layer);
  EXPECT_EQ(r.chosen->workers[0].gpus.back().repeating_layers, 10U);
  EXPECT_EQ(r.chosen->offloaded_layers, 81U);
  expect_llama_bytes_match(r, llama70b(), rq.llama);
  EXPECT_TRUE(find_rejection(r, "worker 'box'", "fit.vram"));
  EXPECT_EQ(r.alternatives.size(), 0U);  // identical GPUs: one candidate, not C(8,6) of them
}

// Identical GPUs with equal scores go by inventory order (the README's tie rule): two idle
// 80 GB cards and a busy one; the plan takes GPU 0 with the busy card, not its twin GPU 2.
TEST(Planner, LlamaTiesBetweenIdenticalGpusGoByInventoryOrder) {
  cluster c = base();
  c.workers.push_back(worker("box", 256_GiB,
                             {gpu(0, "A100", 80_GiB), gpu(1, "A100", 80_GiB, 79_GiB),
                              gpu(2, "A100", 80_GiB), gpu(3, "A100", 80_GiB, 20_GiB)}));
  plan_request rq;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::one_worker);
  EXPECT_EQ(layout(*r.chosen), "box/main[0:47,3:34]");
  for (const auto& a : r.alternatives) {
    EXPECT_NE(layout(a), "box/main[2:47,3:34]") << "GPU 2 is GPU 0's twin";
  }
}

// A rejection names the constraint that binds: two GPUs whose free memory would cover the
// layers in sum (0.30 GiB over) but not whole layer by whole layer.
TEST(Planner, LlamaRejectionNamesLayerGranularityWhenTheSumWouldFit) {
  cluster c = base();
  c.workers.push_back(worker("w", 256_GiB, gpus(2, "GPU", 8600_MiB)));
  plan_request rq;
  rq.cpu_offload = false;
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::no_fit);
  const auto* x = find_rejection(r, "worker 'w'", "fit.vram");
  ASSERT_NE(x, nullptr);
  std::vector<std::string> reasons;
  for (const auto& y : r.rejected) reasons.push_back(y.reason);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(),
                      "its 2 usable GPUs cannot hold the layers: each GPU takes whole layers (up "
                      "to 0.42 GiB each with its KV cache) and the last one also the output layer "
                      "(0.98 GiB), so the 0.30 GiB left over in sum is split into pieces too small "
                      "for one more layer"),
            reasons.end());
  // No main + RPC rejection where there is no other worker to serve RPC.
  for (const auto& reason : reasons) EXPECT_EQ(reason.find("0 RPC workers"), std::string::npos);
  // 100 MiB less and the sum itself is short: then the message says so.
  c.workers[0].gpus = gpus(2, "GPU", 8400_MiB);
  const auto short_sum = plan(c, llama8b(), rq);
  reasons.clear();
  for (const auto& y : short_sum.rejected) reasons.push_back(y.reason);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(),
                      "its 2 usable GPUs cannot hold the layers: after compute buffers they have "
                      "14.41 GiB for the 14.48 GiB of layers"),
            reasons.end());
}

TEST(Planner, GpuLayersZeroPlansCpuOnlyWithoutPromisingPartialOffload) {
  cluster c = base();
  c.workers.push_back(worker("w", 256_GiB, gpus(1, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.gpu_layers = 0;
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::cpu_only);
  ASSERT_EQ(r.messages.size(), 2U);
  EXPECT_EQ(r.messages[0], "gpu_layers 0 keeps every layer in RAM: only a CPU plan is made");
  EXPECT_EQ(r.messages[1], "no GPU can take a layer: the model runs on the CPU");
}

TEST(Planner, StagesTriedNamesTheStageOfAManualSelection) {
  cluster c = base();
  c.workers.push_back(worker("w", 256_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("v", 256_GiB, gpus(1, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.gpus = {{"w", 0}, {"w", 1}};
  auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.stages, (std::vector<plan_stage>{plan_stage::one_worker}));
  rq.gpus = {{"w", 0}, {"v", 0}};
  r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.stages, (std::vector<plan_stage>{plan_stage::multi_worker}));
  rq.gpus = {{"w", 0}};
  r = plan(c, llama70b(), rq);  // one 24 GB card: the first layers stay in RAM
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.stages, (std::vector<plan_stage>{plan_stage::partial_offload}));
  rq.engine = backend::vllm;
  rq.gpus = {{"w", 0}, {"w", 1}};
  r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.stages, (std::vector<plan_stage>{plan_stage::one_worker}));
}

TEST(Planner, LlamaMainPlusRpcServersWithPerServerLayerCounts) {
  cluster c = base();
  c.workers.push_back(worker("l40s-a", 128_GiB, gpus(2, "L40S", 48_GiB)));
  c.workers.push_back(worker("l40s-b", 128_GiB, gpus(2, "L40S", 48_GiB)));
  c.workers.back().gpus[1].vram_used = 30_GiB;
  c.workers.push_back(worker("l40s-c", 128_GiB, gpus(1, "L40S", 48_GiB)));
  plan_request rq;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  EXPECT_EQ(layout(*r.chosen), "l40s-a/main[0:27,1:27] l40s-b/rpc[0:27]");
  // llama.cpp's device order: the RPC server's GPU first, then the main's.
  EXPECT_EQ(r.chosen->tensor_split, (std::vector<std::uint32_t>{27, 27, 27}));
  EXPECT_EQ(r.chosen->workers[1].ram, bytes{});
  expect_llama_bytes_match(r, llama70b(), rq.llama);
  // A small cluster (5 GPUs): every set of the fewest devices (3) that hold the layers.
  ASSERT_EQ(r.alternatives.size(), 5U);
  EXPECT_EQ(layout(r.alternatives[0]), "l40s-a/main[0:27,1:27] l40s-c/rpc[0:27]");
  EXPECT_EQ(layout(r.alternatives[1]), "l40s-b/main[0:27] l40s-a/rpc[0:27,1:27]");
  EXPECT_EQ(layout(r.alternatives[2]), "l40s-c/main[0:27] l40s-a/rpc[0:27,1:27]");
  EXPECT_EQ(layout(r.alternatives[3]), "l40s-a/main[0:27] l40s-b/rpc[0:27] l40s-c/rpc[0:27]");
  EXPECT_EQ(layout(r.alternatives[4]), "l40s-b/main[0:27] l40s-a/rpc[0:27] l40s-c/rpc[0:27]");

  rq.distributed = false;  // then only partial offload on one worker remains
  const auto one = plan(c, llama70b(), rq);
  ASSERT_EQ(one.status, plan_status::planned);
  EXPECT_EQ(one.chosen->stage, plan_stage::partial_offload);
}

// DeepSeek-R1's shape (61 layers: 3 dense, 58 of 256 experts; MLA layout) as a sparse GGUF.
const model_profile& deepseek_r1_gguf(std::uint32_t type) {
  static std::map<std::uint32_t, model_profile> cache;
  static const shardfit::test::temp_dir dir;
  auto it = cache.find(type);
  if (it != cache.end()) return it->second;
  const auto r1 = shardfit::test::deepseek_r1_shape(type);
  const std::string path = dir / ("r1-" + std::to_string(type) + ".gguf");
  return cache.emplace(type, load_model(shardfit::test::write_tiny_llama(path, r1))).first->second;
}

// A DeepSeek-R1 Q8_0 plan on two 8 x 80 GB workers: the RPC set grows from the capacity bound
// one GPU at a time and is then pruned, so every RPC GPU carries layers no other could take.
TEST(Planner, LlamaRpcSetIsGrownOneGpuAtATimeAndMinimal) {
  cluster c = base();
  c.workers.push_back(worker("a", 1024_GiB, gpus(8, "A100-80GB", 80_GiB)));
  c.workers.push_back(worker("b", 1024_GiB, gpus(8, "A100-80GB", 80_GiB)));
  const auto& m = deepseek_r1_gguf(8);
  plan_request rq;
  rq.llama.n_ctx = 2048;
  const auto r = plan(c, m, rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  // 8 x 6 layers on the main worker, 8 (three of them the small dense ones) and 6 on two RPC
  // GPUs, where the old fallback took the RPC worker's whole list when the capacity bound's set
  // did not fit.
  EXPECT_EQ(layout(*r.chosen), "a/main[0:6,1:6,2:6,3:6,4:6,5:6,6:6,7:6] b/rpc[0:8,1:6]");
  EXPECT_EQ(r.chosen->offloaded_layers, 62U);
  expect_llama_bytes_match(r, m, rq.llama);
  // Minimal: without either RPC GPU, the same rules cannot offload every layer.
  for (const std::uint32_t drop : {0U, 1U}) {
    plan_request manual = rq;
    manual.cpu_offload = false;
    for (std::uint32_t g = 0; g < 8; ++g) manual.gpus.push_back({"a", g});
    manual.gpus.push_back({"b", 1 - drop});
    EXPECT_EQ(plan(c, m, manual).status, plan_status::no_fit) << "without b:" << drop;
  }
}

// Main + RPC + RAM (issue 16): when no full offload fits, the main worker's GPUs, an RPC
// server's GPU and the first layers in the main worker's RAM; --gpu-layers N is exact, with the
// RPC GPUs when the main worker's alone cannot take N, and refused with the most that fit
// otherwise (never fewer layers silently, never a CPU-only plan instead).
TEST(Planner, LlamaPartialOffloadAddsRpcServersAndGpuLayersIsExact) {
  cluster c = base();
  c.workers.push_back(worker("main", 256_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("rpc", 64_GiB, gpus(1, "RTX 4090", 24_GiB)));
  plan_request rq;
  auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::partial_offload);
  EXPECT_EQ(layout(*r.chosen), "main/main[0:14,1:13]cpu41 rpc/rpc[0:13]");
  EXPECT_EQ(r.chosen->offloaded_layers, 40U);  // the main worker's 2 GPUs alone: 26
  expect_llama_bytes_match(r, llama70b(), rq.llama);

  rq.gpu_layers = 30;  // more than the main worker's 26: one RPC GPU takes the rest
  r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(layout(*r.chosen), "main/main[0:10,1:10]cpu51 rpc/rpc[0:10]");
  EXPECT_EQ(r.chosen->offloaded_layers, 30U);

  rq.gpu_layers = 20;  // the main worker's GPUs suffice: no RPC server
  r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->offloaded_layers, 20U);
  EXPECT_EQ(r.chosen->workers.size(), 1U);

  rq.gpu_layers = 50;  // more than every GPU holds: refused, saying how many fit
  r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::no_fit);
  const auto* x = find_rejection(r, "worker 'main'", "gpu_layers");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->reason,
            "gpu_layers 50 asks for more than its GPUs and the RPC servers' hold: at most 40 of "
            "81 layers");

  rq.distributed = false;  // one worker: the main worker's GPUs alone
  rq.gpu_layers.reset();
  r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(layout(*r.chosen), "main/main[0:13,1:13]cpu55");
}

// DeepSeek-R1 at 1.58 bits (IQ1_S, 131 GB) converted before llama.cpp's native MLA (attn_kv_b
// whole): multi-head attention caches every head (9.53 GiB at context 2048) but its compute
// buffer is an ordinary one, so 8 x 24 GB cards take all 62 layers on 6 of them. With the
// latent graph's compute buffer (12 GiB) every card was refused.
TEST(Planner, DeepseekR1ExpandedLayoutFitsEightConsumerCards) {
  const shardfit::test::temp_dir d;
  const auto m = load_model(shardfit::test::write_tiny_llama(
      d / "r1.gguf", shardfit::test::deepseek_r1_shape(19, false)));
  ASSERT_TRUE(m.latent_expanded);
  cluster c = base();
  c.workers.push_back(worker("box", 512_GiB, gpus(8, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.llama.n_ctx = 2048;
  const auto r = plan(c, m, rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::one_worker);
  EXPECT_EQ(layout(*r.chosen), "box/main[0:12,1:10,2:10,3:10,4:10,5:10]");
  EXPECT_EQ(r.chosen->offloaded_layers, 62U);
  expect_llama_bytes_match(r, m, rq.llama);
}

TEST(Planner, LlamaPartialOffloadKeepsTheFirstLayersInRam) {
  cluster c = base();
  c.workers.push_back(worker("w", 256_GiB, gpus(2, "RTX 4090", 24_GiB)));
  plan_request rq;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::partial_offload);
  EXPECT_EQ(layout(*r.chosen), "w/main[0:13,1:13]cpu55");
  EXPECT_EQ(r.chosen->offloaded_layers, 26U);  // --gpu-layers 26: 25 layers and the output
  EXPECT_EQ(r.chosen->total_layers, 81U);
  EXPECT_EQ(r.chosen->workers[0].ram, bytes{97394068480});
  expect_llama_bytes_match(r, llama70b(), rq.llama);
  ASSERT_EQ(r.messages.size(), 1U);
  EXPECT_EQ(r.messages[0], "26 of 81 layers on GPUs; the rest run from RAM, slower");

  rq.cpu_offload = false;
  EXPECT_EQ(plan(c, llama70b(), rq).status, plan_status::no_fit);
}

// Issue 16: among partial-offload placements the most offloaded layers win; the score only
// breaks ties between equal counts (one 24 GiB card alone must not beat 24 + 16 GiB together).
TEST(Planner, LlamaPartialOffloadPrefersTheMostLayers) {
  cluster c = base();
  c.workers.push_back(worker("w", 256_GiB, gpus(1, "RTX 4090", 24_GiB)));
  c.workers.back().gpus.push_back(gpus(1, "RTX 4080", 16_GiB).front());
  c.workers.back().gpus.back().index = 1;
  c.workers.back().gpus.push_back(gpus(1, "RTX 4080", 16_GiB).front());
  c.workers.back().gpus.back().index = 2;
  plan_request rq;
  rq.all_stages = true;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  ASSERT_EQ(r.chosen->stage, plan_stage::partial_offload);
  for (const auto& a : r.alternatives) {
    if (a.stage == plan_stage::partial_offload) {
      EXPECT_GE(r.chosen->offloaded_layers, a.offloaded_layers) << layout(a);
    }
  }
  EXPECT_EQ(layout(*r.chosen), "w/main[0:13,1:9,2:9]cpu50");
  EXPECT_EQ(r.chosen->offloaded_layers, 31U);  // 30 layers and the output on three GPUs
}

// The ranking itself: a partial offload with more layers on GPUs ranks first even when its
// score is lower (issue 16: 62/81 layers on two GPUs, not 48/81 on one).
TEST(Planner, PartialOffloadRanksByOffloadedLayersBeforeScore) {
  shardfit::placement one_gpu;
  one_gpu.stage = plan_stage::partial_offload;
  one_gpu.offloaded_layers = 48;
  one_gpu.score.total = 90;
  shardfit::placement two_gpus = one_gpu;
  two_gpus.offloaded_layers = 62;
  two_gpus.score.total = 80;
  EXPECT_TRUE(shardfit::detail::ranks_before(two_gpus, one_gpu));
  EXPECT_FALSE(shardfit::detail::ranks_before(one_gpu, two_gpus));
  // Equal counts: the score decides; other stages: the score decides.
  two_gpus.offloaded_layers = 48;
  EXPECT_TRUE(shardfit::detail::ranks_before(one_gpu, two_gpus));
  one_gpu.stage = two_gpus.stage = plan_stage::one_worker;
  two_gpus.offloaded_layers = 62;
  EXPECT_TRUE(shardfit::detail::ranks_before(one_gpu, two_gpus));
}

TEST(Planner, LlamaGpuLayersCapsTheOffload) {
  cluster c = base();
  c.workers.push_back(worker("a", 64_GiB, gpus(1, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.gpu_layers = 20;
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::partial_offload);
  EXPECT_EQ(layout(*r.chosen), "a/main[0:20]cpu13");
  EXPECT_EQ(r.chosen->offloaded_layers, 20U);
  expect_llama_bytes_match(r, llama8b(), rq.llama);
  rq.gpu_layers = 0;
  const auto cpu = plan(c, llama8b(), rq);
  EXPECT_EQ(cpu.chosen->stage, plan_stage::cpu_only);
}

TEST(Planner, LlamaCpuOnlyWhenNoWorkerHasAGpu) {
  cluster c = base();
  c.workers.push_back(worker("small", 8_GiB));
  c.workers.push_back(worker("cpu", 64_GiB));
  const auto r = plan(c, llama8b(), {});
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::cpu_only);
  EXPECT_EQ(layout(*r.chosen), "cpu/main[]cpu32");
  EXPECT_EQ(r.chosen->offloaded_layers, 0U);
  EXPECT_EQ(r.chosen->workers[0].ram, bytes{16877353984});
  const auto* small = find_rejection(r, "worker 'small'", "fit.ram");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->reason, "CPU only needs 15.72 GiB of RAM, it has 6.00 GiB free");
}

TEST(Planner, LlamaManualSelectionUsesExactlyThoseGpusFirstWorkerMain) {
  cluster c = base();
  c.workers.push_back(worker("a", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.gpus = parse_gpu_list("b:1,a:0");
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(layout(*r.chosen), "b/main[1:16] a/rpc[0:17]");
  EXPECT_EQ(r.chosen->tensor_split, (std::vector<std::uint32_t>{17, 16}));
  expect_llama_bytes_match(r, llama8b(), rq.llama);

  rq.gpus = parse_gpu_list("b:7");
  EXPECT_THROW((void)plan(c, llama8b(), rq), shardfit::error);
  rq.gpus = parse_gpu_list("nobody:0");
  EXPECT_THROW((void)plan(c, llama8b(), rq), shardfit::error);
  rq.gpus = parse_gpu_list("a:0,b:0");
  rq.distributed = false;
  const auto refused = plan(c, llama8b(), rq);
  EXPECT_EQ(refused.status, plan_status::no_fit);
  const auto* x = find_rejection(refused, "the selected GPUs (a:0,b:0)", "manual.distributed");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->rule, rule_id::manual_distributed);
  EXPECT_EQ(x->workers, (std::vector<rejected_worker>{{"a", {0}}, {"b", {0}}}));
}

TEST(Planner, LlamaNoFitSaysWhatTheModelNeedsAndWhatTheLargestWorkerHas) {
  cluster c = base();
  c.workers.push_back(worker("a", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.cpu_offload = false;
  rq.distributed = false;
  const auto r = plan(c, llama70b(), rq);
  EXPECT_EQ(r.status, plan_status::no_fit);
  EXPECT_FALSE(r.chosen);
  ASSERT_EQ(r.messages.size(), 3U);
  EXPECT_EQ(r.messages[0],
            "the model needs 131.34 GiB VRAM and 1.99 GiB RAM; the largest worker provides 47.00 "
            "GiB VRAM");
  // Identical workers form one class: one rejection stands for both.
  const auto* x = find_rejection(r, "worker 'a' (and 1 identical worker)", "fit.vram");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->count, 2U);
}

TEST(Planner, SeedDeepSeekR1Bf16NeverUses24GbCardsThatCannotHoldOneLayer) {
  cluster c = base();
  for (int i = 0; i < 3; ++i) {
    c.workers.push_back(worker("g24-" + std::to_string(i), 512_GiB, gpus(8, "RTX 3090", 24_GB)));
  }
  for (int i = 0; i < 2; ++i) {
    c.workers.push_back(worker("h200-" + std::to_string(i), 2048_GiB, gpus(8, "H200", 141_GB)));
  }
  const auto r = plan(c, deepseek_r1_bf16(), {});
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  for (const auto& p : std::vector<placement>{*r.chosen}) {
    for (const auto& w : p.workers) {
      EXPECT_EQ(w.name.rfind("h200-", 0), 0U) << w.name << " must not be main or RPC";
      for (const auto& g : w.gpus) EXPECT_GE(g.repeating_layers, 1U);
    }
  }
  EXPECT_EQ(layout(*r.chosen), "h200-0/main[0:6,1:6,2:6,3:6,4:6,5:6,6:6,7:6] h200-1/rpc[0:8,1:6]");
  const auto* x = find_rejection(r, "worker 'g24-0' (and 2 identical workers)", "layer.min");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->count, 3U);
  EXPECT_EQ(x->rule, rule_id::layer_min);
  // The class stands for three workers: every one is named, as a whole worker.
  EXPECT_EQ(x->workers,
            (std::vector<rejected_worker>{{"g24-0", {}}, {"g24-1", {}}, {"g24-2", {}}}));
  EXPECT_EQ(x->reason,
            "cannot be main or RPC: its largest GPU has 21.81 GiB free; one layer needs 22.19 GiB "
            "(21.44 GiB of weights and KV cache, 0.37 GiB of compute buffer, 0.38 GiB of "
            "overhead)");
}

TEST(Planner, SeedNoFitMessageForDeepSeekR1Bf16) {
  cluster c;  // nothing reserved: the largest worker offers 8 x 138 GiB
  c.workers.push_back(worker("big", 2048_GiB, gpus(8, "H200-NVL", 138_GiB)));
  c.workers.push_back(worker("g24", 512_GiB, gpus(8, "RTX 3090", 24_GB)));
  plan_request rq;
  rq.cpu_offload = false;
  rq.distributed = false;
  const auto r = plan(c, deepseek_r1_bf16(), rq);
  EXPECT_EQ(r.status, plan_status::no_fit);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_EQ(r.messages[0],
            "the model needs 1249.17 GiB VRAM and 1.76 GiB RAM; the largest worker provides "
            "1104.00 GiB VRAM");
}

TEST(Planner, ClaimsAndReservationsKeepGpusFromBeingOverPromised) {
  cluster c = base();
  c.workers.push_back(worker("w", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.claims.push_back({"other", "w", 0U, 0_GiB, 20_GiB});
  const auto r = plan(c, llama8b(), {});
  EXPECT_EQ(layout(*r.chosen), "w/main[1:33]");
  c.claims.push_back({"third", "w", 1U, 0_GiB, 20_GiB});
  const auto none = plan(c, llama8b(), {});
  ASSERT_EQ(none.status, plan_status::planned);
  EXPECT_EQ(none.chosen->stage, plan_stage::partial_offload);
  for (const auto& g : none.chosen->workers[0].gpus) EXPECT_LE(g.vram, g.allocatable);
}

TEST(Planner, UmaWorkersCountGpuMemoryAgainstTheirRam) {
  cluster c = base();
  auto mac = worker("mac", 64_GiB, {gpu(0, "Apple M2 Max", 48_GiB)});
  mac.uma = true;
  mac.ram_used = 40_GiB;  // 22 GiB left (2 GiB reserved): the GPU's 48 GiB share that memory
  c.workers.push_back(mac);
  plan_request rq;
  rq.cpu_offload = false;
  const auto fits = plan(c, llama8b(), rq);
  ASSERT_EQ(fits.status, plan_status::planned);  // 15.11 GiB on the GPU + 0.99 GiB host <= 22
  EXPECT_EQ(fits.chosen->workers[0].gpus[0].allocatable, 47_GiB + 512_MiB);
  c.workers[0].ram_used = 46_GiB;  // 16 GiB left: the GPU part alone fits, not with the host's
  const auto r = plan(c, llama8b(), rq);
  EXPECT_EQ(r.status, plan_status::no_fit);
  EXPECT_TRUE(find_rejection(r, "worker 'mac'", "fit.ram"));
}

// --- vLLM --------------------------------------------------------------------------------------

plan_request vllm_request(std::uint64_t max_model_len) {
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = max_model_len;
  return rq;
}

TEST(Planner, VllmSingleGpu) {
  cluster c = base();
  c.workers.push_back(worker("h100", 256_GiB, gpus(1, "H100", 80_GiB)));
  const auto r = plan(c, llama8b(), vllm_request(8192));
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(layout(*r.chosen), "h100/main[0:32]");
  EXPECT_EQ(r.chosen->tensor_parallel, 1U);
  EXPECT_DOUBLE_EQ(r.chosen->gpu_memory_utilization, 0.9);
  EXPECT_EQ(r.chosen->workers[0].gpus[0].vram, bytes{77309411328});  // 0.9 x 80 GiB
}

TEST(Planner, SeedVllmNeverChoosesThreeGpusForA32HeadModel) {
  cluster c = base();
  c.workers.push_back(worker("w3", 128_GiB, gpus(3, "RTX 4080", 16_GiB)));
  // Needs more than one 16 GB card: tp 2 (3 would break the 32 heads).
  const auto two = plan(c, llama8b(), vllm_request(8192));
  ASSERT_EQ(two.status, plan_status::planned);
  EXPECT_EQ(two.chosen->tensor_parallel, 2U);
  EXPECT_EQ(layout(*two.chosen), "w3/main[0:32,1:32]");
  const auto* tp3 = find_rejection(two, "tp 3", "tp.attention_heads");
  ASSERT_TRUE(tp3);
  EXPECT_EQ(tp3->reason, "32 attention heads are not divisible by tensor parallel size 3");
  EXPECT_EQ(tp3->rule, rule_id::tp_attention_heads);
  EXPECT_EQ(tp3->tp, 3U);
  EXPECT_EQ(tp3->pp, 0U);
  EXPECT_TRUE(tp3->workers.empty());

  // With the full context it needs more than two: three GPUs as tp 3 are not an answer, but
  // as three pipeline stages on the worker they are (vLLM runs tp 1 x pp 3 on one node)...
  const auto three = plan(c, llama8b(), vllm_request(131072));
  ASSERT_EQ(three.status, plan_status::planned);
  EXPECT_EQ(three.chosen->tensor_parallel, 1U);
  EXPECT_EQ(three.chosen->pipeline_parallel, 3U);
  EXPECT_EQ(layout(*three.chosen), "w3/main[0:11,1:11,2:10]");
  // ...and so are four.
  c.workers.push_back(worker("w4", 128_GiB, gpus(4, "RTX 4080", 16_GiB)));
  const auto four = plan(c, llama8b(), vllm_request(131072));
  ASSERT_EQ(four.status, plan_status::planned);
  EXPECT_EQ(four.chosen->tensor_parallel, 4U);
  EXPECT_EQ(layout(*four.chosen), "w4/main[0:32,1:32,2:32,3:32]");
}

// The seed case (issue 17): gemma-3-27b-it has 32 attention heads, so tp 3 is refused; vLLM
// runs it on three 24 GB cards as tp 1 x pp 3 on one node (no Ray).
TEST(Planner, SeedGemma3PipelineStagesInsideOneWorker) {
  const auto gemma = config_model(cfg::gemma_3_27b_it, "gemma-3-27b-it");
  cluster c = base();
  c.workers.push_back(worker("w", 128_GiB, gpus(3, "RTX 4090", 24_GiB)));
  const auto three = plan(c, gemma, vllm_request(8192));
  ASSERT_EQ(three.status, plan_status::planned);
  EXPECT_EQ(three.chosen->stage, plan_stage::one_worker);
  EXPECT_EQ(three.chosen->tensor_parallel, 1U);
  EXPECT_EQ(three.chosen->pipeline_parallel, 3U);
  EXPECT_EQ(layout(*three.chosen), "w/main[0:21,1:21,2:20]");
  ASSERT_EQ(three.chosen->workers.size(), 1U);
  EXPECT_EQ(three.chosen->workers[0].gpus[2].stage, 2U);
  launch_settings ls = launch_settings_for(gemma, vllm_request(8192), "google/gemma-3-27b-it");
  const auto cmds = launch_commands(*three.chosen, c, ls);
  ASSERT_EQ(cmds.size(), 2U);  // one node: the download, then vllm serve (no Ray)
  EXPECT_EQ(cmds[0].role, "download");
  std::string argv;
  for (const auto& a : cmds[1].argv) argv += a + " ";
  EXPECT_NE(argv.find("--tensor-parallel-size 1 --pipeline-parallel-size 3 "), std::string::npos)
      << argv;
  EXPECT_EQ(argv.find("--distributed-executor-backend"), std::string::npos) << argv;

  // Two cards cannot hold it at all: refused with the numbers.
  c.workers[0].gpus.pop_back();
  const auto two = plan(c, gemma, vllm_request(8192));
  ASSERT_EQ(two.status, plan_status::no_fit);
  const auto* x = find_rejection(two, "worker 'w'", "fit.vram");
  ASSERT_NE(x, nullptr);
  std::vector<std::string> reasons;
  for (const auto& y : two.rejected) reasons.push_back(y.reason);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(),
                      "tp 2 needs 29.39 GiB per GPU, the 2 roomiest give 21.60 GiB, pipeline "
                      "stages: its 2 GPUs give 43.20 GiB together, the weights alone are 51.09 "
                      "GiB"),
            reasons.end())
      << ::testing::PrintToString(reasons);

  // Four: tensor parallelism alone fits (tp 4), so no pipeline stages are planned inside it
  // (tp x pp inside a worker is the fallback when tp alone does not fit, as in the issue's
  // order; planner_bench's vLLM case keeps its candidate count).
  c.workers[0].gpus = gpus(4, "RTX 4090", 24_GiB);
  const auto four = plan(c, gemma, vllm_request(8192));
  ASSERT_EQ(four.status, plan_status::planned);
  EXPECT_EQ(four.chosen->tensor_parallel, 4U);
  EXPECT_EQ(four.chosen->pipeline_parallel, 1U);
  EXPECT_EQ(layout(*four.chosen), "w/main[0:62,1:62,2:62,3:62]");
  for (const auto& a : four.alternatives) EXPECT_EQ(a.pipeline_parallel, 1U);
}

// A manual list split 3 + 1 over two workers: four pipeline stages of one GPU, three of them on
// the first worker (vLLM on Ray places ranks so), where equal counts were required before.
TEST(Planner, VllmManualUnevenSelectionIsFourStages) {
  cluster c = base();
  c.workers.push_back(worker("a", 128_GiB, gpus(3, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 128_GiB, gpus(1, "RTX 4090", 24_GiB)));
  auto rq = vllm_request(8192);
  rq.gpus = {{"a", 0}, {"a", 1}, {"a", 2}, {"b", 0}};
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  EXPECT_EQ(r.chosen->tensor_parallel, 1U);
  EXPECT_EQ(r.chosen->pipeline_parallel, 4U);
  EXPECT_EQ(layout(*r.chosen), "a/main[0:8,1:8,2:8] b/pipeline[0:8]");
  EXPECT_EQ(r.chosen->workers[1].stage, 3U);
  rq.tp = 2;  // 3 GPUs cannot be stages of 2
  const auto bad = plan(c, llama8b(), rq);
  EXPECT_EQ(bad.status, plan_status::no_fit);
  const auto* x = find_rejection(bad, "the selected GPUs (", "pp.equal_gpus");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->reason, "every pipeline stage needs tp = 2 GPUs; worker 'a' was given 3");
}

// Issue 17: uneven GPU counts found without a manual list. gemma-3-27b-it at its full 131072
// tokens needs four 24 GB cards; worker a has three, b one. tp 1 x pp 4 with three stages on a
// (consecutive, one entry) and the last on b; vLLM on Ray places the ranks so.
TEST(Planner, VllmUnevenWorkersGetSeveralStages) {
  const auto gemma = config_model(cfg::gemma_3_27b_it, "gemma-3-27b-it");
  cluster c = base();
  c.workers.push_back(worker("a", 128_GiB, gpus(3, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 128_GiB, gpus(1, "RTX 4090", 24_GiB)));
  const auto r = plan(c, gemma, vllm_request(131072));
  ASSERT_EQ(r.status, plan_status::planned) << ::testing::PrintToString(r.messages);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  EXPECT_EQ(r.chosen->tensor_parallel, 1U);
  EXPECT_EQ(r.chosen->pipeline_parallel, 4U);
  EXPECT_EQ(layout(*r.chosen), "a/main[0:15,1:16,2:16] b/pipeline[0:15]");  // vLLM: 15 16 16 15
  ASSERT_EQ(r.chosen->workers.size(), 2U);
  EXPECT_EQ(r.chosen->workers[1].stage, 3U);
  EXPECT_TRUE(shardfit::check_parallel(gemma, {1, 4}).valid);
  launch_settings ls = launch_settings_for(gemma, vllm_request(131072), "google/gemma-3-27b-it");
  const auto cmds = launch_commands(*r.chosen, c, ls);
  ASSERT_EQ(cmds.size(), 5U);  // downloads on a and b, Ray head on a, Ray worker on b, vllm
  EXPECT_EQ(cmds[1].role, "download");
  EXPECT_EQ(cmds[2].argv.back(), "--num-gpus=3");
  EXPECT_EQ(cmds[3].argv.back(), "--num-gpus=1");
}

TEST(Planner, VllmTensorTimesPipelineAcrossWorkers) {
  cluster c = base();
  c.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.workers.push_back(worker("b", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  auto rq = vllm_request(8192);
  rq.vllm.max_num_batched_tokens = 8192;  // not the A100's 2048: one worker falls short
  const auto r = plan(c, llama70b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::multi_worker);
  EXPECT_EQ(r.chosen->tensor_parallel, 4U);
  EXPECT_EQ(r.chosen->pipeline_parallel, 2U);
  EXPECT_EQ(layout(*r.chosen), "a/main[0:40,1:40,2:40,3:40] b/pipeline[0:40,1:40,2:40,3:40]");
  EXPECT_EQ(r.chosen->workers[1].stage, 1U);
  // One worker's four GPUs were considered and dropped, with numbers.
  const auto* x = find_rejection(r, "worker 'a' (and 1 identical worker)", "fit.vram");
  ASSERT_TRUE(x);
}

TEST(Planner, VllmInvalidWishedDegreeOffersTheNearestValid) {
  cluster c = base();
  c.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  auto rq = vllm_request(8192);
  rq.tp = 3;
  const auto r = plan(c, llama8b(), rq);
  EXPECT_EQ(r.status, plan_status::no_fit);
  ASSERT_EQ(r.messages.size(), 1U);
  EXPECT_EQ(r.messages[0],
            "tp 3 x pp 1 is not valid for this model: 32 attention heads are not divisible by "
            "tensor parallel size 3; nearest valid: tp 1 x pp 3, tp 2, tp 4");
  EXPECT_TRUE(find_rejection(r, "tp 3 x pp 1", "tp.kv_heads"));
  rq.tp = 4;
  const auto ok = plan(c, llama8b(), rq);
  ASSERT_EQ(ok.status, plan_status::planned);
  EXPECT_EQ(ok.chosen->tensor_parallel, 4U);
}

TEST(Planner, VllmManualSelectionAndLoweredUtilization) {
  cluster c = base();
  c.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.workers[0].gpus[3].vram_used = 10_GiB;
  auto rq = vllm_request(8192);
  rq.gpus = parse_gpu_list("a:2,a:3");
  const auto r = plan(c, llama8b(), rq);
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(layout(*r.chosen), "a/main[2:32,3:32]");
  // GPU 3 has 29.5 of 40 GiB free: both ranks run at 0.73.
  EXPECT_DOUBLE_EQ(r.chosen->gpu_memory_utilization, 0.73);
  for (const auto& g : r.chosen->workers[0].gpus) EXPECT_LE(g.vram, g.allocatable);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_EQ(r.messages.back(),
            "gpu_memory_utilization lowered from 0.90 to 0.73 to fit the GPUs' free memory");
  rq.gpus = parse_gpu_list("a:0,a:1,a:2");
  const auto three = plan(c, llama8b(), rq);
  EXPECT_EQ(three.status, plan_status::no_fit);
  EXPECT_TRUE(find_rejection(three, "tp 3 x pp 1", "tp.attention_heads"));
}

// --- both ---------------------------------------------------------------------------------------

TEST(Planner, SameInputSamePlanByteForByte) {
  const cluster c = parse_cluster(
      R"({"reserved": {"vram": "1GiB"}, "workers": [
        {"name": "a", "ram": "128GiB", "gpus": [{"vram": "24GiB"}, {"vram": "24GiB"}]},
        {"name": "b", "ram": "128GiB", "gpus": [{"vram": "24GiB"}, {"vram": "24GiB"}]}]})",
      "c.json");
  for (const auto engine : {backend::llama_cpp, backend::vllm}) {
    plan_request rq;
    rq.engine = engine;
    rq.vllm.max_model_len = 8192;
    const nlohmann::ordered_json first = plan(c, llama70b(), rq);
    for (int i = 0; i < 3; ++i) {
      const nlohmann::ordered_json again = plan(c, llama70b(), rq);
      EXPECT_EQ(first.dump(), again.dump());
    }
  }
}

TEST(Planner, AllStagesKeepsTheFirstStagesPlanFirst) {
  cluster c = base();
  c.workers.push_back(worker("w", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.all_stages = true;
  rq.max_alternatives = 10;
  const auto r = plan(c, llama8b(), rq);
  EXPECT_EQ(r.chosen->stage, plan_stage::single_gpu);
  EXPECT_EQ(r.stages.size(), 5U);
  bool cpu = false;
  for (const auto& a : r.alternatives) cpu = cpu || a.stage == plan_stage::cpu_only;
  EXPECT_TRUE(cpu);
}

TEST(Planner, CustomScorerAndEstimatorPlugIn) {
  // A scorer that wants the GPU with the highest index; an estimator that calibrates overhead.
  struct last_gpu_scorer {
    [[nodiscard]] score_card score(const placement& p, const plan_context&) const {
      score_card s;
      s.total = p.workers.empty() || p.workers[0].gpus.empty() ? 0 : p.workers[0].gpus[0].index;
      return s;
    }
  };
  struct calibrated {
    [[nodiscard]] llama_estimator llama(const model_profile& m, llama_settings s) const {
      s.gpu_overhead = 1_GiB;
      return {m, s};
    }
    [[nodiscard]] vllm_estimate vllm(const model_profile& m, const vllm_settings& s) const {
      return estimate_vllm(m, s);
    }
  };
  static_assert(candidate_scorer<last_gpu_scorer>);
  static_assert(memory_estimator<calibrated>);
  cluster c = base();
  // Three GPUs with different loads (identical ones would be one class, one candidate).
  c.workers.push_back(worker("w", 64_GiB,
                             {gpu(0, "RTX 4090", 24_GiB), gpu(1, "RTX 4090", 24_GiB, 1_GiB),
                              gpu(2, "RTX 4090", 24_GiB, 2_GiB)}));
  const basic_planner<static_inventory, calibrated, last_gpu_scorer> p(static_inventory{c});
  const auto r = p.plan(llama8b(), {});
  EXPECT_EQ(layout(*r.chosen), "w/main[2:33]");
  EXPECT_EQ(r.chosen->workers[0].gpus[0].vram, bytes{16220430336} - 384_MiB + 1_GiB);
}

TEST(Planner, PlannerReadsTheClusterFileThroughItsInventory) {
  const planner p{
      cluster_json_inventory(std::string(SHARDFIT_EXAMPLES_DATA) + "/clusters/box-8x24.json")};
  const auto r = p.plan(llama8b(), {});
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->workers[0].name, "box8");
}

TEST(Planner, RejectsAModelWithoutLayers) {
  model_profile m;
  m.name = "empty";
  EXPECT_THROW((void)plan(cluster{}, m, {}), shardfit::error);
}

}  // namespace

namespace {

// Issue 22.6: a cluster built in memory gets the file reader's checks when it is planned on.
TEST(Planner, AnInvalidInMemoryClusterIsRefused) {
  const auto refused = [](const cluster& c) {
    try {
      (void)plan(c, llama8b(), {});
    } catch (const shardfit::error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  cluster c;
  c.workers.push_back(worker("a", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("a", 64_GiB));
  EXPECT_EQ(refused(c), "cluster: worker 'a': two workers have this name");
  c.workers[1].name = "b";
  c.workers[0].gpus[1].vram_used = 25_GiB;
  EXPECT_EQ(refused(c), "cluster: worker 'a' gpu 1 key 'vram_used': is more than the GPU's vram");
  c.workers[0].gpus[1].vram_used = bytes{};
  c.workers[0].gpus[1].index = 0;
  EXPECT_EQ(refused(c), "cluster: worker 'a' gpu 1 key 'index': two GPUs have index 0");
  c.workers[0].gpus[1].index = 1;
  c.claims.push_back({"chat-1", "c", std::nullopt, 1_GiB, bytes{}});
  EXPECT_EQ(refused(c), "cluster: claim 0 key 'worker': no worker is named 'c'");
  c.claims[0] = {"chat-1", "a", 7U, bytes{}, 4_GiB};
  EXPECT_EQ(refused(c), "cluster: claim 0 key 'gpu': worker 'a' has no GPU with index 7");
  c.claims[0].gpu = 1;
  EXPECT_EQ(refused(c), "accepted");
  c.workers[1].ram_used = 65_GiB;
  EXPECT_EQ(refused(c), "cluster: worker 'b' key 'ram_used': is more than the worker's ram");
}

}  // namespace

namespace {

// Issue 22.3: to_claims turns a placement into claims; committed, the next plan sees that
// memory as used; released, it is free again. Placements name their workers, and launch
// commands find them by name in a later snapshot, refusing one without them.
TEST(Planner, ClaimsReserveAndReleaseAPlacement) {
  cluster c = base();
  c.workers.push_back(worker("w", 64_GiB, gpus(1, "RTX 4090", 24_GiB)));
  const auto first = plan(c, llama8b(), {});
  ASSERT_TRUE(first.chosen);
  EXPECT_EQ(first.cluster_version, 0U);
  const placed_worker& pw = first.chosen->workers.front();
  EXPECT_EQ(pw.name, "w");
  EXPECT_EQ(pw.address, "w");
  const auto claims = to_claims(*first.chosen, "chat-1");
  ASSERT_EQ(claims.size(), 2U);
  EXPECT_EQ(claims[0].instance, "chat-1");
  EXPECT_EQ(claims[0].worker, "w");
  EXPECT_FALSE(claims[0].gpu.has_value());
  EXPECT_EQ(claims[0].ram, pw.ram);
  EXPECT_EQ(claims[1].gpu, std::optional<std::uint32_t>(0));
  EXPECT_EQ(claims[1].vram, pw.gpus[0].vram);
  const bytes free_before = c.allocatable_vram(0, 0);
  commit(c, claims);
  EXPECT_EQ(c.version, 1U);
  EXPECT_EQ(c.allocatable_vram(0, 0), free_before - pw.gpus[0].vram);
  // The same model again: the GPU's memory is taken, so it cannot be placed there in full.
  const auto second = plan(c, llama8b(), {});
  EXPECT_EQ(second.cluster_version, 1U);
  ASSERT_TRUE(second.chosen);
  EXPECT_NE(second.chosen->stage, plan_stage::single_gpu);
  EXPECT_EQ(release(c, "chat-1"), 2U);
  EXPECT_EQ(release(c, "chat-1"), 0U);
  EXPECT_EQ(c.version, 2U);
  const auto third = plan(c, llama8b(), {});
  ASSERT_TRUE(third.chosen);
  EXPECT_EQ(third.chosen->stage, plan_stage::single_gpu);

  // Launch commands look workers up by name: a later snapshot with another worker first gives
  // the command for "w"; one without "w" is refused instead of naming the wrong host.
  cluster later = c;
  later.workers.insert(later.workers.begin(), worker("new", 64_GiB, gpus(1, "RTX 4090", 24_GiB)));
  later.workers[0].address = "10.9.9.9";
  const auto ls = launch_settings_for(llama8b(), {}, "/m/l8.gguf");
  const auto cmds = launch_commands(*third.chosen, later, ls);
  EXPECT_EQ(cmds.back().worker, "w");
  EXPECT_EQ(cmds.back().address, "w");
  later.workers.erase(later.workers.begin() + 1);
  try {
    (void)launch_commands(*third.chosen, later, ls);
    FAIL() << "launched on a cluster without the plan's worker";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the placement's worker 'w' is not in this cluster (it changed since the plan: plan "
              "again)");
  }
}

}  // namespace

namespace {

cluster twins_in_two_zones() {
  cluster c = base();
  c.workers.push_back(worker("box-b", 128_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("box-a", 128_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers[0].labels = {{"zone", "b"}};
  c.workers[1].labels = {{"zone", "a"}};
  return c;
}

// Issue 22.1: two identical workers that differ only in a zone label. A term that reads the
// label keeps them apart (the zone-a box is scored and wins, though listed second); the default
// scorer reads no label and keeps today's single try, and the twin comes back as an
// alternative to fall back on.
TEST(Planner, AZonePreferenceSeesBothTwins) {
  const cluster c = twins_in_two_zones();
  const basic_planner<static_inventory, default_estimator,
                      scorer_with_term<default_scorer, label_term>>
      prefer_a{static_inventory{c}, {}, default_scorer{}.with_term(label_term("zone", "a"), 100)};
  const auto r = prefer_a.plan(llama8b(), {});
  ASSERT_TRUE(r.chosen);
  EXPECT_EQ(r.chosen->workers.front().name, "box-a");
  EXPECT_EQ(r.chosen->score.parts.back().name, "prefer zone=a");
  EXPECT_DOUBLE_EQ(r.chosen->score.parts.back().value, 100.0);

  plan_request rq;
  rq.max_alternatives = 10;
  const auto d = plan(c, llama8b(), rq);
  ASSERT_TRUE(d.chosen);
  EXPECT_EQ(d.chosen->workers.front().name, "box-b");  // first in inventory order
  ASSERT_FALSE(d.alternatives.empty());
  const auto& last = d.alternatives.back();
  EXPECT_EQ(last.workers.front().name, "box-a");
  EXPECT_EQ(last.workers.front().gpus.size(), d.chosen->workers.front().gpus.size());
  EXPECT_DOUBLE_EQ(last.score.total, d.chosen->score.total);
}

// Issue 22.2: a GPU labelled for maintenance is avoided, with a rejection naming it; a worker
// lacking a required label is left out, with the reason.
TEST(Planner, LabelFilterAvoidsGpusAndRequiresLabels) {
  cluster c = twins_in_two_zones();
  c.workers[0].gpus[0].labels = {{"maintenance", "true"}};
  label_filter f;
  f.avoid = {{"maintenance", "true"}};
  const basic_planner<static_inventory, default_estimator, default_scorer, label_filter> p{
      static_inventory{c}, {}, {}, f};
  const auto r = p.plan(llama8b(), {});
  ASSERT_TRUE(r.chosen);
  for (const auto& w : r.chosen->workers) {
    for (const auto& g : w.gpus) EXPECT_FALSE(w.name == "box-b" && g.index == 0);
  }
  const auto* x = find_rejection(r, "box-b:0", "filter");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->reason, "has label maintenance=true (avoided)");
  EXPECT_EQ(x->rule, rule_id::filter);
  EXPECT_EQ(x->workers, (std::vector<rejected_worker>{{"box-b", {0}}}));

  label_filter zone_a;
  zone_a.require = {{"zone", "a"}};
  const basic_planner<static_inventory, default_estimator, default_scorer, label_filter> q{
      static_inventory{c}, {}, {}, zone_a};
  const auto s = q.plan(llama8b(), {});
  ASSERT_TRUE(s.chosen);
  EXPECT_EQ(s.chosen->workers.front().name, "box-a");
  const auto* y = find_rejection(s, "worker 'box-b'", "filter");
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(y->reason, "needs label zone=a but has zone=b");
  EXPECT_EQ(y->workers, (std::vector<rejected_worker>{{"box-b", {}}}));
  EXPECT_THROW((void)parse_label("zone"), shardfit::error);
  EXPECT_EQ(parse_label("zone=a=b"), (std::pair<std::string, std::string>{"zone", "a=b"}));
}

}  // namespace

// Issue 22.4: a rejection of GPUs inside a class of identical workers names every member with
// the GPUs at the same place in each (device indices may differ from worker to worker).
TEST(Planner, GpuRejectionsCoverEveryWorkerOfTheClassByDeviceIndex) {
  cluster c = base();
  for (int i = 0; i < 3; ++i) {
    const std::uint32_t first = i == 1 ? 4 : 0;  // w1 numbers its GPUs 4, 5, 6
    c.workers.push_back(worker("w" + std::to_string(i), 128_GiB,
                               {gpu(first, "A2000", 12_GiB), gpu(first + 1, "A2000", 12_GiB),
                                gpu(first + 2, "tiny", 256_MiB)}));
  }
  const auto r = plan(c, llama8b(), {});
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->stage, plan_stage::one_worker);
  const auto* x = find_rejection(r, "w0:2 (and 2 identical workers)", "layer.min");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->rule, rule_id::layer_min);
  EXPECT_EQ(x->count, 3U);
  EXPECT_EQ(x->workers, (std::vector<rejected_worker>{{"w0", {2}}, {"w1", {6}}, {"w2", {2}}}));
  EXPECT_EQ(x->tp, 0U);
}

// Issue 22.4: every rule has one stable id, and the ids read back.
TEST(Rules, EveryRuleHasAStableIdThatParsesBack) {
  std::vector<std::string_view> seen;
  for (const auto& r : all_rules) {
    EXPECT_EQ(to_string(r.id), r.name);
    EXPECT_EQ(parse_rule(r.name), r.id);
    EXPECT_FALSE(r.what.empty());
    EXPECT_EQ(std::count(seen.begin(), seen.end(), r.name), 0) << r.name;
    seen.push_back(r.name);
  }
  EXPECT_EQ(to_string(rule_id::fit_vram), "fit.vram");
  EXPECT_EQ(to_string(rule_id::tp_attention_heads), "tp.attention_heads");
  EXPECT_EQ(to_string(static_cast<rule_id>(200)), "unknown");
  EXPECT_FALSE(parse_rule("tp.heads"));
}

// The README's table lists every rule with the words `all_rules` gives it.
TEST(Rules, TheReadmeListsEveryRule) {
  std::ifstream in(std::string(SHARDFIT_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& r : all_rules) {
    const std::string row = "| `" + std::string(r.name) + "` | " + std::string(r.what) + " |";
    EXPECT_NE(readme.find(row), std::string::npos) << row;
  }
}

// Issue 22.7: one context for both engines. A default request plans llama.cpp and vLLM alike
// (4096 tokens), 0 is the model's maximum for both, an engine's own setting overrides it, and
// the placement and the launch command carry what was planned.
TEST(Planner, OneContextSettingForBothEngines) {
  cluster c = base();
  c.workers.push_back(worker("big", 512_GiB, gpus(4, "H100", 80_GiB)));
  const auto& m = llama8b();  // 131072 tokens of training context
  plan_request llama_rq;
  plan_request vllm_rq;
  vllm_rq.engine = backend::vllm;
  const auto a = plan(c, m, llama_rq);
  const auto b = plan(c, m, vllm_rq);
  ASSERT_TRUE(a.chosen && b.chosen);
  EXPECT_EQ(a.chosen->context, 4096U);
  EXPECT_EQ(b.chosen->context, 4096U);

  llama_rq.context = vllm_rq.context = 0;  // the model's maximum, for both
  const auto full_llama = plan(c, m, llama_rq);
  const auto full_vllm = plan(c, m, vllm_rq);
  ASSERT_TRUE(full_llama.chosen && full_vllm.chosen);
  EXPECT_EQ(full_llama.chosen->context, 131072U);
  EXPECT_EQ(full_vllm.chosen->context, 131072U);
  // The longer context costs KV cache: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes per
  // token, 131072 - 4096 tokens more.
  EXPECT_EQ(full_llama.chosen->workers[0].gpus[0].vram.count() -
                a.chosen->workers[0].gpus[0].vram.count(),
            32ULL * 8 * 128 * 2 * 2 * (131072 - 4096));

  vllm_rq.context = 4096;
  vllm_rq.vllm.max_model_len = 8192;  // vLLM's own setting wins
  const auto over = plan(c, m, vllm_rq);
  ASSERT_TRUE(over.chosen);
  EXPECT_EQ(over.chosen->context, 8192U);
  const auto cmds = launch_commands(*over.chosen, c, launch_settings_for(m, vllm_rq, "/m"));
  const auto& argv = cmds.back().argv;
  const auto at = std::find(argv.begin(), argv.end(), "--max-model-len");
  ASSERT_NE(at, argv.end());
  EXPECT_EQ(*(at + 1), "8192");

  llama_rq.context = 1ULL << 33;
  EXPECT_THROW((void)plan(c, m, llama_rq), shardfit::error);
}
