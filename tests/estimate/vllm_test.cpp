#include <shardfit/estimate/vllm.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"

#include <cmath>

namespace {

using shardfit::bytes;
using shardfit::estimate_vllm;
using shardfit::vllm_settings;
namespace cfg = shardfit::test::configs;

constexpr double GiB = 1024.0 * 1024.0 * 1024.0;

shardfit::model_profile model(const std::string& config) {
  return shardfit::profile_from_config(shardfit::parse_hf_config(config, "config.json"));
}

double gib(bytes b) {
  return static_cast<double>(b.count()) / GiB;
}

// Figures vLLM itself logged:
// - vllm-project/vllm PR #10511 (2024-12-14), `vllm serve meta-llama/Meta-Llama-3-8B` on an
//   80 GB H100 (79.22 GiB, gpu_memory_utilization 0.90 = 71.29 GiB): "model weights take
//   14.96GiB", "PyTorch activation peak memory 1.26GiB", "available_kv_cache_memory 53.29GiB";
//   with -tp 2: "model weights take 7.48GiB", activation peak again 1.26 GiB.
// - vllm-project/vllm-ascend issue #2235 (2025-08-06), DeepSeek-R1-Distill-Llama-70B (the
//   Llama-3.1-70B architecture, bf16) with -tp=8: "Loading model weights took 16.4610 GB" per
//   rank (vLLM divides by 2^30).
// Meta-Llama-3-8B and Llama-3.1-8B have the same shapes and dtype.
TEST(EstimateVllm, Llama31_8bMatchesVllmsLogs) {
  const auto m = model(cfg::llama_3_1_8b);
  vllm_settings s;
  s.max_model_len = 8192;
  const auto h100 = bytes{static_cast<std::uint64_t>(79.22 * GiB)};
  const auto tp1 = estimate_vllm(m, s, h100);
  ASSERT_TRUE(tp1.parallel.valid);
  ASSERT_EQ(tp1.stages.size(), 1U);
  EXPECT_NEAR(gib(tp1.stages[0].weights), 14.96, 14.96 * 0.01);
  EXPECT_NEAR(gib(tp1.stages[0].activation), 1.26, 1.26 * 0.10);
  EXPECT_NEAR(gib(tp1.stages[0].budget), 71.29, 0.01);
  EXPECT_NEAR(gib(tp1.stages[0].kv_available), 53.29, 53.29 * 0.10);
  EXPECT_TRUE(tp1.fits());
  // 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes = 128 KiB per token.
  EXPECT_EQ(tp1.stages[0].kv_per_token, bytes{131072});
  EXPECT_EQ(tp1.stages[0].kv_needed, bytes{131072ULL * 8192});
  EXPECT_EQ(tp1.stages[0].kv_tokens, tp1.stages[0].kv_available.count() / 131072);

  s.tp = 2;
  const auto tp2 = estimate_vllm(m, s, h100);
  EXPECT_NEAR(gib(tp2.stages[0].weights), 7.48, 7.48 * 0.01);
  EXPECT_EQ(tp2.stages[0].kv_per_token, bytes{65536});  // 4 KV heads per rank
}

TEST(EstimateVllm, Llama31_70bPerRank) {
  const auto m = model(cfg::llama_3_1_70b);
  vllm_settings s;
  s.tp = 8;
  s.max_model_len = 32768;
  const auto tp8 = estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(79.22 * GiB)});
  EXPECT_NEAR(gib(tp8.stages[0].weights), 16.461, 16.461 * 0.01);
  EXPECT_TRUE(tp8.fits());
  // No published TP 4 figure was found; the split halves TP 8's shard count, so each rank holds
  // about twice as much (the few replicated norms aside).
  s.tp = 4;
  const auto tp4 = estimate_vllm(m, s);
  EXPECT_NEAR(gib(tp4.stages[0].weights), 2 * gib(tp8.stages[0].weights), 0.01);
  EXPECT_NEAR(gib(tp4.stages[0].weights), 32.87, 0.05);
  // A 40 GB A100 cannot hold a TP 4 shard plus a 128k context; an 80 GB one can.
  s.max_model_len = 131072;
  EXPECT_FALSE(estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(39.39 * GiB)}).fits());
  EXPECT_TRUE(estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(79.22 * GiB)}).fits());
}

TEST(EstimateVllm, PipelineStagesCarryTheirLayersEmbeddingsAndHead) {
  const auto m = model(cfg::llama_3_1_70b);
  vllm_settings s;
  s.tp = 2;
  s.pp = 3;
  s.max_model_len = 8192;
  const auto e = estimate_vllm(m, s);
  ASSERT_EQ(e.stages.size(), 3U);
  EXPECT_EQ(e.stages[0].layers, 27U);
  EXPECT_EQ(e.stages[2].layers, 26U);
  EXPECT_EQ(e.stages[1].first_layer, 27U);
  // The first stage adds the embeddings, the last the head: both 128256 x 8192 bf16 / 2.
  const double layer = static_cast<double>(m.layers[0].weights.count()) / 2;
  const double vocab = 128256.0 * 8192 * 2 / 2;
  EXPECT_NEAR(static_cast<double>(e.stages[1].weights.count()), 27 * layer, 27 * layer * 0.001);
  EXPECT_NEAR(static_cast<double>(e.stages[0].weights.count()), 27 * layer + vocab,
              27 * layer * 0.001);
  EXPECT_NEAR(static_cast<double>(e.stages[2].weights.count()), 26 * layer + vocab,
              26 * layer * 0.001);
  // KV per token on a stage: its layers, 4 KV heads per rank.
  EXPECT_EQ(e.stages[0].kv_per_token, bytes{27ULL * 4 * 128 * 2 * 2});
  EXPECT_GT(e.min_gpu_memory.count(), 0U);
}

TEST(EstimateVllm, ReplicatedKvHeadsMlaAndFp8Cache) {
  // TP 16 on 8 KV heads: every rank keeps one head (two ranks share each).
  const auto l405 = model(cfg::llama_3_1_405b);
  vllm_settings s;
  s.tp = 16;
  s.max_model_len = 4096;
  EXPECT_EQ(estimate_vllm(l405, s).stages[0].kv_per_token, bytes{126ULL * 1 * 128 * 2 * 2});
  // MLA: one latent of 512 + 64 per token and layer on every rank, whatever the TP.
  const auto ds = model(cfg::deepseek_v3);
  s.tp = 8;
  EXPECT_EQ(estimate_vllm(ds, s).stages[0].kv_per_token, bytes{61ULL * 576 * 2});
  s.kv_cache_dtype = "fp8";
  EXPECT_EQ(estimate_vllm(ds, s).stages[0].kv_per_token, bytes{61ULL * 576});
  s.kv_cache_dtype = "int3";
  EXPECT_THROW((void)estimate_vllm(ds, s), shardfit::error);
}

TEST(EstimateVllm, SlidingWindowLayersNeedOnlyTheirWindow) {
  const auto g = model(cfg::gemma_3_27b_it);
  vllm_settings s;
  s.tp = 2;
  s.max_model_len = 131072;
  const auto e = estimate_vllm(g, s);
  // 10 global layers pay per token; 52 local layers hold 1024 tokens each. 8 KV heads per rank.
  const std::uint64_t per_layer_token = 8ULL * 128 * 2 * 2;
  EXPECT_EQ(e.stages[0].kv_per_token, bytes{10 * per_layer_token});
  EXPECT_EQ(e.stages[0].kv_needed,
            bytes{10 * per_layer_token * 131072 + 52 * per_layer_token * 1024});
}

// Issue 17: a gemma-3 config without sliding_window_pattern was read as "every layer sliding"
// (0.48 GiB of KV at 131,072 tokens); the model type's pattern gives the same KV as the config
// that states it (10.4 GiB at TP 1).
TEST(EstimateVllm, SlidingPatternAbsentGivesTheModelTypesKv) {
  std::string cfg_text = cfg::gemma_3_27b_it;
  const std::string key = "\"sliding_window_pattern\": 6,";
  cfg_text.erase(cfg_text.find(key), key.size());
  vllm_settings s;
  s.max_model_len = 131072;
  const auto without = estimate_vllm(model(cfg_text), s);
  const auto with = estimate_vllm(model(cfg::gemma_3_27b_it), s);
  EXPECT_EQ(without.stages[0].kv_needed, with.stages[0].kv_needed);
  EXPECT_GT(gib(without.stages[0].kv_needed), 10.0);
}

TEST(EstimateVllm, InvalidLayoutsAndSettings) {
  const auto g = model(cfg::gemma_3_27b_it);
  vllm_settings s;
  s.tp = 3;
  const auto e = estimate_vllm(g, s);
  EXPECT_FALSE(e.parallel.valid);
  EXPECT_FALSE(e.fits());
  s.tp = 1;
  s.gpu_memory_utilization = 1.5;
  EXPECT_THROW((void)estimate_vllm(g, s), shardfit::error);
}

}  // namespace
