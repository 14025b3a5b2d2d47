#include <shardfit/plan/placement.hpp>

#include <gtest/gtest.h>

namespace {

using namespace shardfit;

TEST(Placement, ParsesManualGpuLists) {
  const auto g = parse_gpu_list("host4080:0,host4080:1,10.0.0.2:50052:3");
  ASSERT_EQ(g.size(), 3U);
  EXPECT_EQ(g[0], (gpu_ref{"host4080", 0}));
  EXPECT_EQ(g[1], (gpu_ref{"host4080", 1}));
  EXPECT_EQ(g[2], (gpu_ref{"10.0.0.2:50052", 3}));  // the index follows the last colon
}

TEST(Placement, RejectsMalformedGpuLists) {
  for (const char* bad :
       {"", "host", "host:", ":1", "host:x", "host:-1", "a:1,,b:2", "a:1,a:1", "a:99999999999"}) {
    EXPECT_THROW((void)parse_gpu_list(bad), shardfit::error) << bad;
  }
  try {
    (void)parse_gpu_list("a:0,b");
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(), "GPU 'b' must be written worker:index, e.g. host4080:0");
  }
}

TEST(Placement, NamesAreStable) {
  EXPECT_EQ(parse_backend("llama.cpp"), backend::llama_cpp);
  EXPECT_EQ(parse_backend("llama"), backend::llama_cpp);
  EXPECT_EQ(parse_backend("vllm"), backend::vllm);
  EXPECT_FALSE(parse_backend("tgi").has_value());
  EXPECT_EQ(to_string(backend::llama_cpp), "llama.cpp");
  EXPECT_EQ(to_string(worker_role::rpc), "rpc");
  EXPECT_EQ(to_string(worker_role::pipeline), "pipeline");
  EXPECT_EQ(to_string(plan_stage::partial_offload), "partial_offload");
  EXPECT_EQ(to_string(plan_status::no_fit), "no_fit");
  EXPECT_EQ(to_string(scoring_policy::spread), "spread");
  EXPECT_EQ(llama_max_plan_devices, 15U);
}

TEST(Placement, CountsGpus) {
  placement p;
  p.workers.resize(2);
  p.workers[0].gpus.resize(3);
  p.workers[1].gpus.resize(2);
  EXPECT_EQ(p.gpu_count(), 5U);
}

}  // namespace
