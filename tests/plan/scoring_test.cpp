#include <shardfit/plan/scoring.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <string_view>

namespace {

using namespace shardfit;
using namespace shardfit::literals;

placed_gpu pgpu(std::uint32_t index, bytes total, bytes free, bytes need, std::uint32_t layers) {
  placed_gpu g;
  g.index = index;
  g.slot = index;
  g.total = total;
  g.allocatable = free;
  g.vram = need;
  g.layers = layers;
  g.repeating_layers = layers;
  return g;
}

struct fixture {
  cluster c;
  fixture() {
    c.volumes.push_back({"nfs", true, bytes{}, {{"", "M", 10_GiB}}, ""});
    worker_info a;
    a.name = "a";
    a.mounts.push_back({"/m", "nfs", true});
    worker_info b;
    b.name = "b";
    c.workers = {a, b};
  }
  [[nodiscard]] plan_context ctx(backend e = backend::llama_cpp) const {
    return {c, model_ref{"M", "", 10_GiB}, e, scoring_policy::binpack};
  }
};

TEST(Scoring, BinpackAndSpreadLookAtUseBeforeAndAfter) {
  const fixture f;
  placement p;
  placed_worker w;
  w.worker = 0;
  // 24 GiB cards: one with 18 GiB free taking 12, one idle (24 free) taking 6.
  w.gpus = {pgpu(0, 24_GiB, 18_GiB, 12_GiB, 20), pgpu(1, 24_GiB, 24_GiB, 6_GiB, 13)};
  p.workers = {w};
  // binpack: mean of (6 + 12) / 24 = 75% and 6 / 24 = 25%.
  EXPECT_DOUBLE_EQ(binpack_term{}(p, f.ctx()), 50.0);
  // spread: mean of 18 / 24 = 75% and 100%.
  EXPECT_DOUBLE_EQ(spread_term{}(p, f.ctx()), 87.5);
  EXPECT_DOUBLE_EQ(fewest_gpus_term{}(p, f.ctx()), 50.0);
  EXPECT_DOUBLE_EQ(fewest_workers_term{}(p, f.ctx()), 100.0);
}

TEST(Scoring, CpuOnlyPlacementsAreJudgedByRam) {
  const fixture f;
  placement p;
  placed_worker w;
  w.ram = 16_GiB;
  w.ram_allocatable = 48_GiB;
  w.ram_total = 64_GiB;
  w.cpu_layers = 32;
  p.workers = {w};
  p.total_layers = 33;
  EXPECT_DOUBLE_EQ(binpack_term{}(p, f.ctx()), 50.0);  // (16 used + 16) / 64
  EXPECT_DOUBLE_EQ(spread_term{}(p, f.ctx()), 75.0);
  EXPECT_DOUBLE_EQ(offload_term{}(p, f.ctx()), 0.0);
  EXPECT_DOUBLE_EQ(main_layers_term{}(p, f.ctx()), 100.0);  // 32 layers and the output
}

TEST(Scoring, MainLayersLocalityAndOffload) {
  const fixture f;
  placement p;
  p.total_layers = 81;
  p.offloaded_layers = 81;
  placed_worker main;
  main.worker = 1;  // "b": no copy
  main.gpus = {pgpu(0, 48_GiB, 48_GiB, 40_GiB, 54)};
  main.gpus[0].output_layer = true;
  placed_worker rpc;
  rpc.worker = 0;  // "a": reads the model from the shared volume, but RPC servers do not read
  rpc.role = worker_role::rpc;
  rpc.gpus = {pgpu(0, 24_GiB, 24_GiB, 20_GiB, 27)};
  p.workers = {main, rpc};
  EXPECT_DOUBLE_EQ(main_layers_term{}(p, f.ctx()), 100.0 * 54 / 81);
  EXPECT_DOUBLE_EQ(locality_term{}(p, f.ctx()), 0.0);
  std::swap(p.workers[0].worker, p.workers[1].worker);
  EXPECT_DOUBLE_EQ(locality_term{}(p, f.ctx()), 100.0);
  EXPECT_DOUBLE_EQ(offload_term{}(p, f.ctx()), 100.0);
  EXPECT_DOUBLE_EQ(fewest_workers_term{}(p, f.ctx()), 50.0);

  // vLLM: every pipeline stage reads the weights.
  p.engine = backend::vllm;
  p.workers[1].role = worker_role::pipeline;
  EXPECT_DOUBLE_EQ(locality_term{}(p, f.ctx(backend::vllm)), 50.0);

  // The planner gives the context each worker's source once; the term reads that.
  auto ctx = f.ctx(backend::vllm);
  ctx.sources = {storage_source::download, storage_source::present};
  EXPECT_DOUBLE_EQ(locality_term{}(p, ctx), 50.0);
  ctx.sources = {storage_source::present, storage_source::present};
  EXPECT_DOUBLE_EQ(locality_term{}(p, ctx), 100.0);
}

TEST(Scoring, WeightedScorerNormalisesAndLeavesOutZeroWeights) {
  const fixture f;
  placement p;
  placed_worker w;
  w.gpus = {pgpu(0, 24_GiB, 24_GiB, 6_GiB, 1), pgpu(1, 24_GiB, 24_GiB, 6_GiB, 1)};
  p.workers = {w};
  using two = weighted_scorer<fewest_gpus_term, spread_term, binpack_term>;
  const two s({1, 3, 0});
  const auto card = s.score(p, f.ctx());
  ASSERT_EQ(card.parts.size(), 2U);
  EXPECT_EQ(card.parts[0].name, "fewest_gpus");
  EXPECT_EQ(card.parts[1].weight, 3);
  EXPECT_DOUBLE_EQ(card.total, (50.0 + 3 * 100.0) / 4);
  EXPECT_THROW(two({1, -1, 0}), shardfit::error);
  EXPECT_DOUBLE_EQ(two({0, 0, 0}).score(p, f.ctx()).total, 0.0);
}

TEST(Scoring, DefaultScorerWeightsFollowThePolicy) {
  const fixture f;
  placement p;
  placed_worker w;
  w.gpus = {pgpu(0, 24_GiB, 12_GiB, 6_GiB, 1)};
  p.workers = {w};
  p.total_layers = 1;
  p.offloaded_layers = 1;
  auto ctx = f.ctx();
  const auto bin = default_scorer{}.score(p, ctx);
  ASSERT_EQ(bin.parts.size(), 6U);
  EXPECT_EQ(bin.parts[0].name, "binpack");
  EXPECT_EQ(bin.parts[0].weight, 6);
  EXPECT_DOUBLE_EQ(bin.parts[0].value, 75.0);
  ctx.policy = scoring_policy::spread;
  const auto spread = default_scorer{}.score(p, ctx);
  EXPECT_EQ(spread.parts[0].name, "spread");
  EXPECT_DOUBLE_EQ(spread.parts[0].value, 50.0);
  EXPECT_GT(bin.total, spread.total);
  for (const auto& part : bin.parts) {
    EXPECT_GE(part.value, 0.0);
    EXPECT_LE(part.value, 100.0);
  }
}

TEST(Scoring, AnyScorerWrapsAScorerChosenAtRunTime) {
  const fixture f;
  placement p;
  placed_worker w;
  w.gpus = {pgpu(0, 24_GiB, 12_GiB, 6_GiB, 1)};
  p.workers = {w};
  struct fixed {
    double v;
    [[nodiscard]] score_card score(const placement&, const plan_context&) const { return {v, {}}; }
  };
  const any_scorer a = fixed{42};
  EXPECT_DOUBLE_EQ(a.score(p, f.ctx()).total, 42.0);
  const any_scorer d;  // the default scorer
  EXPECT_DOUBLE_EQ(d.score(p, f.ctx()).total, default_scorer{}.score(p, f.ctx()).total);
  static_assert(!candidate_scorer<int>);
  static_assert(!score_term<fixed>);
}

struct broken {
  static constexpr std::string_view name = "broken";
  double v;
  double operator()(const placement&, const plan_context&) const { return v; }
};

// Issue 22.5: a term's value outside [0, 100], NaN included, is refused naming the term (it
// used to be clamped, and NaN broke the ranking).
TEST(Scoring, ATermOutsideItsRangeOrNanIsRefusedByName) {
  const fixture f;
  placement p;
  placed_worker w;
  w.gpus = {pgpu(0, 24_GiB, 12_GiB, 6_GiB, 1)};
  p.workers = {w};
  for (const double v : {std::numeric_limits<double>::quiet_NaN(), 100.5, -1.0}) {
    const weighted_scorer<broken, binpack_term> s({1, 1}, {broken{v}, {}});
    try {
      (void)s.score(p, f.ctx());
      FAIL() << v << " accepted";
    } catch (const shardfit::error& e) {
      EXPECT_EQ(e.code(), errc::contract_violation);
      EXPECT_EQ(e.message().rfind("score term 'broken' returned ", 0), 0U) << e.message();
    }
    EXPECT_THROW((void)default_scorer{}.with_term(broken{v}, 1).score(p, f.ctx()), shardfit::error);
  }
  EXPECT_DOUBLE_EQ(weighted_scorer<broken>({1}, {broken{100.0}}).score(p, f.ctx()).total, 100.0);
}

// Issue 22.5: a term added to the default scorer keeps the policy's terms and weights (binpack
// or spread, as the request says); a term's name can be made at run time; the context carries
// the request and the model.
TEST(Scoring, WithTermKeepsThePolicyAndNamesAreMadeAtRunTime) {
  const fixture f;
  placement p;
  placed_worker w;
  w.worker = 0;
  w.gpus = {pgpu(0, 24_GiB, 12_GiB, 6_GiB, 1)};
  p.workers = {w};
  p.total_layers = 1;
  p.offloaded_layers = 1;
  const std::string key = "zone";
  const dynamic_term zone{
      "prefer " + key + "=a", [](const placement&, const plan_context& ctx) {
        return ctx.request != nullptr && ctx.request->llama.n_ctx == 8192 ? 100.0 : 0.0;
      }};
  const auto s = default_scorer{}.with_term(zone, 10);
  plan_request rq;
  rq.llama.n_ctx = 8192;
  auto ctx = f.ctx();
  ctx.request = &rq;
  const auto base = default_scorer{}.score(p, ctx);
  const auto card = s.score(p, ctx);
  ASSERT_EQ(card.parts.size(), base.parts.size() + 1);
  EXPECT_EQ(card.parts.front().name, "binpack");  // the policy's first term, its weight 6
  EXPECT_EQ(card.parts.front().weight, 6);
  EXPECT_EQ(card.parts.back().name, "prefer zone=a");
  EXPECT_EQ(card.parts.back().weight, 10);
  EXPECT_DOUBLE_EQ(card.parts.back().value, 100.0);
  long sum_w = 0;
  for (const auto& part : base.parts) sum_w += part.weight;
  EXPECT_DOUBLE_EQ(card.total, (base.total * static_cast<double>(sum_w) + 1000.0) /
                                   static_cast<double>(sum_w + 10));
  ctx.policy = scoring_policy::spread;
  EXPECT_EQ(s.score(p, ctx).parts.front().name, "spread");
  // Chained: two terms.
  const auto two = s.with_term(
      dynamic_term{"flat", [](const placement&, const plan_context&) { return 50.0; }}, 1);
  EXPECT_EQ(two.score(p, ctx).parts.back().name, "flat");
  static_assert(score_term<dynamic_term>);
  static_assert(candidate_scorer<decltype(two)>);
}

}  // namespace
