// The enumerator stage by stage (the planner's own tests cover the composition).
#include <shardfit/model/load.hpp>
#include <shardfit/plan/candidates.hpp>

#include <gtest/gtest.h>

#include "support/clusters.hpp"
#include "support/configs.hpp"

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::gpus;
using shardfit::test::worker;
namespace cfg = shardfit::test::configs;

model_profile llama8b() {
  auto m = profile_from_config(parse_hf_config(cfg::llama_3_1_8b, "config.json"));
  m.name = "Llama-3.1-8B";
  return m;
}

TEST(Candidates, IdenticalWorkersAreOneClassAndOneCandidate) {
  cluster c;
  for (int i = 0; i < 100; ++i) {
    c.workers.push_back(worker("w" + std::to_string(i), 64_GiB, gpus(4, "RTX 4090", 24_GiB)));
  }
  c.workers[37].gpus[2].vram_used = 4_GiB;  // one worker differs
  const auto s = enumerate_stage(c, llama8b(), {}, plan_stage::single_gpu);
  // w0 stands for the 99 idle workers (one candidate for its four identical GPUs); w37 offers
  // two classes of GPU (idle and partly used).
  ASSERT_EQ(s.candidates.size(), 3U);
  EXPECT_EQ(s.candidates[0].workers[0].name, "w0");
  EXPECT_EQ(s.candidates[1].workers[0].name, "w37");
  EXPECT_EQ(s.candidates[1].workers[0].gpus[0].index, 0U);
  EXPECT_EQ(s.candidates[2].workers[0].gpus[0].index, 2U);
  EXPECT_TRUE(s.rejected.empty());
}

TEST(Candidates, StagesThatCannotYieldSayWhy) {
  cluster c;
  c.workers.push_back(worker("small", 8_GiB, gpus(2, "RTX 3060", 12_GiB)));
  plan_request rq;
  const auto one = enumerate_stage(c, llama8b(), rq, plan_stage::single_gpu);
  EXPECT_TRUE(one.candidates.empty());
  ASSERT_EQ(one.rejected.size(), 1U);
  EXPECT_EQ(one.rejected[0].candidate, "worker 'small'");
  EXPECT_EQ(to_string(one.rejected[0].rule), "fit.vram");
  EXPECT_EQ(one.rejected[0].reason,
            "no single GPU holds the model: it needs 15.11 GiB, the largest has 12.00 GiB free");
  const auto two = enumerate_stage(c, llama8b(), rq, plan_stage::one_worker);
  ASSERT_EQ(two.candidates.size(), 1U);
  EXPECT_EQ(two.candidates[0].tensor_split, (std::vector<std::uint32_t>{17, 16}));
  // vLLM: one 12 GiB card at 0.9 cannot hold 8B's weights; two can.
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 4096;
  EXPECT_TRUE(enumerate_stage(c, llama8b(), rq, plan_stage::single_gpu).candidates.empty());
  const auto tp = enumerate_stage(c, llama8b(), rq, plan_stage::one_worker);
  ASSERT_EQ(tp.candidates.size(), 1U);  // tp 2 fits: no pipeline stages inside the worker
  EXPECT_EQ(tp.candidates[0].tensor_parallel, 2U);
}

}  // namespace
