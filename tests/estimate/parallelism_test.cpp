#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using shardfit::check_parallel;
using shardfit::parallel_choice;
using shardfit::serving_engine;
namespace cfg = shardfit::test::configs;

shardfit::model_profile model(const std::string& config) {
  return shardfit::profile_from_config(shardfit::parse_hf_config(config, "config.json"));
}

std::vector<std::string> rules(const shardfit::parallel_check& c) {
  std::vector<std::string> out;
  for (const auto& r : c.reasons) out.push_back(r.rule);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(Parallelism, Gemma3_27bRefusesThreeGpusAndOffersTwoAndFour) {
  const auto m = model(cfg::gemma_3_27b_it);
  const auto three = check_parallel(m, {3});
  EXPECT_FALSE(three.valid);
  ASSERT_FALSE(three.reasons.empty());
  EXPECT_EQ(three.reasons[0].rule, "tp.attention_heads");
  EXPECT_EQ(three.reasons[0].message,
            "32 attention heads are not divisible by tensor parallel size 3");
  EXPECT_TRUE(check_parallel(m, {2}).valid);
  EXPECT_TRUE(check_parallel(m, {4}).valid);
  const auto s = shardfit::suggest_parallel(m, 3);
  EXPECT_EQ(s, (std::vector<parallel_choice>{{1, 3, 3}, {2, 1, 2}, {4, 1, 4}}));
  EXPECT_EQ(shardfit::valid_tensor_parallel(m, 32), (std::vector<std::uint32_t>{1, 2, 4, 8, 16}));
}

TEST(Parallelism, Qwen25_7bTpSevenPassesHeadsButFailsKvHeads) {
  const auto m = model(cfg::qwen2_5_7b);
  const auto c = check_parallel(m, {7});
  EXPECT_FALSE(c.valid);
  const auto r = rules(c);
  EXPECT_FALSE(has(r, "tp.attention_heads"));
  EXPECT_TRUE(has(r, "tp.kv_heads"));
  const auto at =
      static_cast<std::size_t>(std::find(r.begin(), r.end(), "tp.kv_heads") - r.begin());
  EXPECT_EQ(c.reasons[at].message,
            "tensor parallel size 7 is not a multiple of the 4 KV heads, so they cannot be "
            "replicated evenly");
  EXPECT_EQ(shardfit::valid_tensor_parallel(m, 16), (std::vector<std::uint32_t>{1, 2, 4}));
}

TEST(Parallelism, Glm45KvHeadsSplitOrReplicate) {
  const auto m = model(cfg::glm_4_5);
  for (const std::uint32_t tp : {3U, 6U, 12U}) {
    const auto c = check_parallel(m, {tp});
    EXPECT_FALSE(c.valid) << tp;
    EXPECT_TRUE(has(rules(c), "tp.kv_heads")) << tp;
    EXPECT_FALSE(has(rules(c), "tp.attention_heads")) << tp;
  }
  EXPECT_EQ(check_parallel(m, {6}).reasons[0].message,
            "8 KV heads are not divisible by tensor parallel size 6");
  const auto sixteen = check_parallel(m, {16});
  EXPECT_TRUE(sixteen.valid);
  EXPECT_EQ(sixteen.kv_heads_per_rank, 1U);
  EXPECT_EQ(sixteen.kv_head_replicas, 2U);
  const auto eight = check_parallel(m, {8});
  EXPECT_TRUE(eight.valid);
  EXPECT_EQ(eight.kv_heads_per_rank, 1U);
  EXPECT_EQ(eight.kv_head_replicas, 1U);
}

TEST(Parallelism, DeepSeekV3MlaIsExemptFromKvRulesButNotFromFp8Blocks) {
  const auto m = model(cfg::deepseek_v3);
  EXPECT_TRUE(check_parallel(m, {8}).valid);
  EXPECT_TRUE(check_parallel(m, {16}).valid);
  const auto c32 = check_parallel(m, {32});
  EXPECT_FALSE(c32.valid);
  EXPECT_EQ(rules(c32), (std::vector<std::string>{"tp.quant_block", "tp.quant_block"}));
  EXPECT_EQ(c32.reasons[0].message,
            "the expert FFN width 2048 / 32 = 64 per rank is not a multiple of the fp8 weight "
            "block of 128");
  EXPECT_EQ(check_parallel(m, {8}).kv_heads_per_rank, 1U);
  EXPECT_EQ(check_parallel(m, {8, 1, true}).reasons.size(), 0U);  // EP over 256 experts
}

TEST(Parallelism, Qwen3_235bFp8TpEightFailsOnTheBlockButExpertParallelFixesIt) {
  const auto m = model(cfg::qwen3_235b_a22b_fp8);
  const auto c = check_parallel(m, {8});
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(rules(c), (std::vector<std::string>{"tp.quant_block"}));
  EXPECT_EQ(c.reasons[0].message,
            "the expert FFN width 1536 / 8 = 192 per rank is not a multiple of the fp8 weight "
            "block of 128");
  EXPECT_TRUE(check_parallel(m, {4}).valid);
  EXPECT_TRUE(check_parallel(m, {8, 1, true}).valid);
  EXPECT_EQ(shardfit::valid_tensor_parallel(m, 16), (std::vector<std::uint32_t>{1, 2, 4}));
}

TEST(Parallelism, OtherPublishedModels) {
  const auto l405 = model(cfg::llama_3_1_405b);
  EXPECT_EQ(shardfit::valid_tensor_parallel(l405, 32),
            (std::vector<std::uint32_t>{1, 2, 4, 8, 16, 32}));
  const auto mixtral = model(cfg::mixtral_8x7b);
  EXPECT_TRUE(check_parallel(mixtral, {8}).valid);
  const auto ep16 = check_parallel(mixtral, {16, 1, true});
  EXPECT_FALSE(ep16.valid);
  EXPECT_TRUE(has(rules(ep16), "ep.experts"));
  const auto oss = model(cfg::gpt_oss_120b);
  EXPECT_TRUE(check_parallel(oss, {8}).valid);
  EXPECT_FALSE(check_parallel(oss, {3}).valid);
  // A vision tower with 16 heads (Qwen2.5-VL) refuses TP 32 even where the text model would not.
  const auto vl = model(cfg::qwen2_5_vl_7b);
  EXPECT_TRUE(has(rules(check_parallel(vl, {32})), "tp.vision_heads"));
}

TEST(Parallelism, SglangNeedsEvenlyDividedExperts) {
  auto m = model(cfg::mixtral_8x7b);
  m.n_expert = 6;
  EXPECT_TRUE(check_parallel(m, {4, 1, true, serving_engine::vllm}).valid);
  EXPECT_FALSE(check_parallel(m, {4, 1, true, serving_engine::sglang}).valid);
}

TEST(Parallelism, GptqGroupsAndMarlinAlignment) {
  auto m = model(cfg::llama_3_1_8b);
  m.quant.method = "gptq";
  m.quant.bits = 4;
  m.quant.group_size = 128;
  EXPECT_TRUE(check_parallel(m, {4}).valid);  // 14336 / 4 = 3584 = 28 groups
  m.n_ff = 14336 + 64;                        // 14400 / 4 = 3600: neither groups nor Marlin
  const auto c = check_parallel(m, {4});
  EXPECT_TRUE(has(rules(c), "tp.quant_group"));
  EXPECT_TRUE(has(rules(c), "tp.marlin"));
}

TEST(Parallelism, PipelineStagesAsTheEnginesSplitThem) {
  using shardfit::pipeline_stages;
  EXPECT_EQ(pipeline_stages(61, 4, serving_engine::vllm),
            (std::vector<std::uint32_t>{15, 15, 16, 15}));
  EXPECT_EQ(pipeline_stages(80, 3, serving_engine::vllm), (std::vector<std::uint32_t>{27, 27, 26}));
  EXPECT_EQ(pipeline_stages(126, 8, serving_engine::vllm),
            (std::vector<std::uint32_t>{15, 16, 16, 16, 16, 16, 16, 15}));
  EXPECT_EQ(pipeline_stages(61, 4, serving_engine::sglang),
            (std::vector<std::uint32_t>{15, 15, 15, 16}));
  EXPECT_EQ(pipeline_stages(32, 1, serving_engine::vllm), (std::vector<std::uint32_t>{32}));
  const auto m = model(cfg::llama_3_1_8b);
  const auto too_many = check_parallel(m, {1, 40});
  EXPECT_FALSE(too_many.valid);
  EXPECT_EQ(too_many.reasons[0].message, "pipeline parallel size 40 exceeds the model's 32 layers");
  EXPECT_EQ(check_parallel(m, {2, 4}).stage_layers, (std::vector<std::uint32_t>{8, 8, 8, 8}));
  EXPECT_THROW((void)check_parallel(m, {0}), shardfit::error);
}

// Mamba-Codestral-7B-v0.1's published config: 8 state-space groups, 128 SSM heads.
TEST(Parallelism, Mamba2GroupsDivideTpAndNoPipelineInVllm) {
  const auto m = shardfit::profile_from_config(shardfit::parse_hf_config(
      R"({"architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2", "hidden_size": 4096,
          "num_hidden_layers": 64, "num_heads": 128, "head_dim": 64, "n_groups": 8,
          "state_size": 128, "expand": 2, "conv_kernel": 4, "vocab_size": 32768,
          "torch_dtype": "bfloat16"})",
      "config.json"));
  EXPECT_EQ(m.ssm_groups, 8U);
  EXPECT_TRUE(shardfit::check_parallel(m, {8, 1}).valid);
  const auto tp16 = shardfit::check_parallel(m, {16, 1});
  ASSERT_FALSE(tp16.valid);
  EXPECT_EQ(tp16.reasons.front().rule, "tp.ssm_groups");
  EXPECT_EQ(tp16.reasons.front().message,
            "8 state-space groups are not divisible by tensor parallel size 16 (only 1 group is "
            "replicated)");
  const auto pp2 = shardfit::check_parallel(m, {1, 2});
  ASSERT_FALSE(pp2.valid);
  EXPECT_EQ(pp2.reasons.front().rule, "pp.unsupported");
}

}  // namespace
