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
  for (const auto& r : c.reasons) out.emplace_back(to_string(r.rule));
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
  EXPECT_EQ(to_string(three.reasons[0].rule), "tp.attention_heads");
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

// Dense GPTQ/AWQ layers: each rank's slice of a row-parallel input must hold whole groups
// (vLLM's "The input size is not aligned with the quantized weight shape"); Marlin's 128-column
// alignment is not a hard rule, as vLLM falls back to other kernels (AWQ: awq.py per layer;
// GPTQ: Machete, Conch, Exllama in kernels/linear).
TEST(Parallelism, GptqGroupsAreHardMarlinAlignmentIsNot) {
  auto m = model(cfg::llama_3_1_8b);
  m.quant.method = "gptq";
  m.quant.bits = 4;
  m.quant.group_size = 128;
  EXPECT_TRUE(check_parallel(m, {4}).valid);  // 14336 / 4 = 3584 = 28 groups
  m.n_ff = 14336 + 64;                        // 14400 / 4 = 3600: not whole groups
  const auto c = check_parallel(m, {4});
  EXPECT_EQ(rules(c), (std::vector<std::string>{"tp.quant_group"}));
  m.quant.group_size = 32;  // 3600 is 112.5 groups of 32: still not whole
  EXPECT_FALSE(check_parallel(m, {4}).valid);
  m.quant.group_size = 16;  // 225 groups of 16; 3600 is not a multiple of 128, which is fine
  EXPECT_TRUE(check_parallel(m, {4}).valid);
}

// GPTQ/AWQ experts (vLLM utils/marlin_utils.py check_moe_marlin_supports_layer, then
// quantization/moe_wna16.py): Marlin when the hidden size is a multiple of 128 and each rank's
// expert width of max(64, group); otherwise moe_wna16 halves the group until it divides both,
// down to 32. Qwen3-30B-A3B-GPTQ-Int4 (moe_intermediate 768, hidden 2048, group 128): TP 4
// (192 per rank) and TP 8 (96) run on moe_wna16, TP 16 (48) does not; Qwen3-235B-A22B-GPTQ-Int4
// (1536, 4096): TP 8 and 16 run, TP 32 (48) does not.
TEST(Parallelism, QuantizedExpertsFallBackToMoeWna16) {
  auto a3b = model(cfg::qwen3_30b_a3b);
  a3b.quant.method = "gptq";
  a3b.quant.bits = 4;
  a3b.quant.group_size = 128;
  EXPECT_TRUE(check_parallel(a3b, {4}).valid);
  EXPECT_TRUE(check_parallel(a3b, {8}).valid);
  const auto tp16 = check_parallel(a3b, {16});
  EXPECT_FALSE(tp16.valid);
  ASSERT_TRUE(has(rules(tp16), "tp.moe_wna16"));
  EXPECT_EQ(tp16.reasons.back().message,
            "the expert FFN width 768 / 16 = 48 per rank and the hidden size 2048 are not both "
            "multiples of 32, as vLLM's gptq MoE kernels need (Marlin, or moe_wna16 with a "
            "smaller group)");
  EXPECT_TRUE(check_parallel(a3b, {16, 1, true}).valid);  // expert parallel keeps 768 whole
  auto a22b = model(cfg::qwen3_235b_a22b_fp8);
  a22b.quant = {};
  a22b.quant.method = "awq";
  a22b.quant.bits = 4;
  a22b.quant.group_size = 128;
  EXPECT_TRUE(check_parallel(a22b, {8}).valid);
  EXPECT_TRUE(check_parallel(a22b, {16}).valid);
  EXPECT_TRUE(has(rules(check_parallel(a22b, {32})), "tp.moe_wna16"));
}

// Vision towers (vLLM): the heads must divide TP except InternViT's, which falls back to
// unsharded attention (intern_vit.py, InternParallelAttention; InternVL2.5-78B's 25 heads run
// at TP 2-16); the MLP width must divide TP (Qwen2_5_VisionMLP's ColumnParallel fc1:
// Qwen2.5-VL-3B's 3420 fails at TP 8); `--mm-encoder-tp-mode data` lifts both where the model
// supports it. Mllama (Llama-3.2-Vision, vision heads in `attention_heads`) was removed in 0.11.
TEST(Parallelism, VisionTowersAsVllmShardsThem) {
  const auto vl3b = model(R"({
    "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
    "hidden_size": 2048, "intermediate_size": 11008, "num_hidden_layers": 36,
    "num_attention_heads": 16, "num_key_value_heads": 2, "vocab_size": 151936,
    "max_position_embeddings": 128000, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "vision_config": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420,
                      "num_heads": 16, "out_hidden_size": 2048}})");
  EXPECT_EQ(vl3b.vision_ff, 3420U);
  EXPECT_TRUE(check_parallel(vl3b, {2}).valid);
  const auto tp8 = check_parallel(vl3b, {8});
  EXPECT_EQ(rules(tp8), (std::vector<std::string>{"tp.vision_intermediate"}));
  EXPECT_EQ(tp8.reasons[0].message,
            "the vision tower's MLP width 3420 is not divisible by tensor parallel size 8");
  shardfit::parallel_plan data{8};
  data.mm_encoder_data = true;
  EXPECT_TRUE(check_parallel(vl3b, data).valid);

  const auto internvl78b = model(R"({
    "architectures": ["InternVLChatModel"], "model_type": "internvl_chat",
    "llm_config": {"model_type": "qwen2", "hidden_size": 8192, "intermediate_size": 29568,
                   "num_hidden_layers": 80, "num_attention_heads": 64,
                   "num_key_value_heads": 8, "vocab_size": 151674,
                   "max_position_embeddings": 32768, "torch_dtype": "bfloat16"},
    "vision_config": {"model_type": "intern_vit_6b", "num_hidden_layers": 45,
                      "hidden_size": 3200, "num_attention_heads": 25,
                      "intermediate_size": 12800}})");
  for (const std::uint32_t tp : {2U, 4U, 8U, 16U}) {
    EXPECT_TRUE(check_parallel(internvl78b, {tp}).valid) << tp;
  }

  const auto mllama = model(R"({
    "architectures": ["MllamaForConditionalGeneration"], "model_type": "mllama",
    "text_config": {"model_type": "mllama_text_model", "hidden_size": 4096,
                    "intermediate_size": 14336, "num_hidden_layers": 40,
                    "num_attention_heads": 32, "num_key_value_heads": 8,
                    "vocab_size": 128256, "max_position_embeddings": 131072},
    "vision_config": {"model_type": "mllama_vision_model", "hidden_size": 1280,
                      "attention_heads": 16, "num_hidden_layers": 32,
                      "intermediate_size": 5120}})");
  EXPECT_EQ(mllama.vision_heads, 16U);
  const auto now = check_parallel(mllama, {1});
  EXPECT_EQ(rules(now), (std::vector<std::string>{"vllm.removed"}));
  shardfit::parallel_plan old{1};
  old.version = 1002;  // 0.10.2
  EXPECT_TRUE(check_parallel(mllama, old).valid);
  old.tp = 32;
  EXPECT_TRUE(has(rules(check_parallel(mllama, old)), "tp.vision_heads"));
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
  EXPECT_EQ(to_string(tp16.reasons.front().rule), "tp.ssm_groups");
  EXPECT_EQ(tp16.reasons.front().message,
            "8 state-space groups are not divisible by tensor parallel size 16 (only 1 group is "
            "replicated)");
  const auto pp2 = shardfit::check_parallel(m, {1, 2});
  ASSERT_FALSE(pp2.valid);
  EXPECT_EQ(to_string(pp2.reasons.front().rule), "pp.unsupported");
}

}  // namespace
