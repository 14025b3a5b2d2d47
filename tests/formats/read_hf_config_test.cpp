#include <shardfit/formats/read_hf_config.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"

#include <algorithm>
#include <string>

namespace {

using shardfit::parse_hf_config;
namespace cfg = shardfit::test::configs;

TEST(HfConfig, Llama) {
  const auto c = parse_hf_config(cfg::llama_3_1_8b, "config.json");
  EXPECT_EQ(c.architectures, (std::vector<std::string>{"LlamaForCausalLM"}));
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.num_hidden_layers, 32U);
  EXPECT_EQ(c.hidden_size, 4096U);
  EXPECT_EQ(c.num_attention_heads, 32U);
  EXPECT_EQ(c.num_key_value_heads, 8U);
  EXPECT_EQ(c.head_dim, 128U);
  EXPECT_EQ(c.intermediate_size, 14336U);
  EXPECT_EQ(c.vocab_size, 128256U);
  EXPECT_EQ(c.max_position_embeddings, 131072U);
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.is_moe());
  EXPECT_FALSE(c.is_mla());
  EXPECT_FALSE(c.quantization.has_value());
  EXPECT_TRUE(c.sliding_layers.empty());
}

TEST(HfConfig, HeadDimAndKvHeadsDefault) {
  const auto c = parse_hf_config(
      R"({"num_hidden_layers": 2, "hidden_size": 4096, "num_attention_heads": 32})", "c.json");
  EXPECT_EQ(c.num_key_value_heads, 32U);
  EXPECT_EQ(c.head_dim, 128U);
}

TEST(HfConfig, MultimodalTextAndVisionConfigs) {
  const auto g = parse_hf_config(cfg::gemma_3_27b_it, "config.json");
  EXPECT_EQ(g.model_type, "gemma3_text");
  EXPECT_EQ(g.num_hidden_layers, 62U);
  EXPECT_EQ(g.num_attention_heads, 32U);
  EXPECT_EQ(g.num_key_value_heads, 16U);
  EXPECT_EQ(g.head_dim, 128U);
  EXPECT_EQ(g.vocab_size, 262208U);
  EXPECT_EQ(g.torch_dtype, "bfloat16");  // from the top level
  EXPECT_EQ(g.vision_heads, 16U);
  EXPECT_EQ(g.vision_layers, 27U);
  EXPECT_EQ(g.vision_hidden_size, 1152U);
  EXPECT_EQ(g.sliding_window, 1024U);
  ASSERT_EQ(g.sliding_layers.size(), 62U);
  // Five local layers, then one global.
  EXPECT_TRUE(g.sliding_layers[0]);
  EXPECT_TRUE(g.sliding_layers[4]);
  EXPECT_FALSE(g.sliding_layers[5]);
  EXPECT_FALSE(g.sliding_layers[11]);
  EXPECT_EQ(std::count(g.sliding_layers.begin(), g.sliding_layers.end(), false), 10);

  const auto q = parse_hf_config(cfg::qwen2_5_vl_7b, "config.json");
  EXPECT_EQ(q.num_attention_heads, 28U);  // the language model is at the top level
  EXPECT_EQ(q.vision_heads, 16U);
  EXPECT_EQ(q.vision_layers, 32U);
  EXPECT_EQ(q.sliding_window, 0U);  // use_sliding_window: false
  EXPECT_TRUE(q.sliding_layers.empty());

  const auto i = parse_hf_config(cfg::internvl_8b, "config.json");
  EXPECT_EQ(i.model_type, "internlm2");
  EXPECT_EQ(i.num_key_value_heads, 8U);
  EXPECT_EQ(i.vocab_size, 92553U);
  EXPECT_EQ(i.vision_heads, 16U);

  const auto l4 = parse_hf_config(cfg::llama_4_scout, "config.json");
  EXPECT_EQ(l4.num_attention_heads, 40U);
  EXPECT_EQ(l4.num_experts, 16U);
  EXPECT_EQ(l4.experts_per_token, 1U);
  EXPECT_EQ(l4.vision_layers, 34U);
}

// Without `sliding_window_pattern` or `layer_types`, the model type's default pattern
// (transformers' Gemma3TextConfig: every 6th layer global), and for a type not known here full
// attention everywhere (never fewer cached tokens than the engine keeps).
TEST(HfConfig, SlidingPatternDefaultsByModelTypeElseFullAttention) {
  std::string cfg = shardfit::test::configs::gemma_3_27b_it;
  const std::string key = "\"sliding_window_pattern\": 6,";
  const auto at = cfg.find(key);
  ASSERT_NE(at, std::string::npos);
  cfg.erase(at, key.size());
  const auto g = parse_hf_config(cfg, "config.json");
  const auto with = parse_hf_config(shardfit::test::configs::gemma_3_27b_it, "config.json");
  EXPECT_EQ(g.sliding_layers, with.sliding_layers);
  EXPECT_EQ(std::count(g.sliding_layers.begin(), g.sliding_layers.end(), false), 10);

  const auto m = parse_hf_config(
      R"({"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
          "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "intermediate_size": 14336, "vocab_size": 32000, "sliding_window": 4096})",
      "config.json");
  ASSERT_EQ(m.sliding_layers.size(), 32U);
  EXPECT_EQ(std::count(m.sliding_layers.begin(), m.sliding_layers.end(), true), 0);
}

TEST(HfConfig, MixturesOfExperts) {
  const auto d = parse_hf_config(cfg::deepseek_v3, "config.json");
  EXPECT_EQ(d.num_experts, 256U);
  EXPECT_EQ(d.experts_per_token, 8U);
  EXPECT_EQ(d.shared_experts, 1U);
  EXPECT_EQ(d.first_dense_layers, 3U);
  EXPECT_EQ(d.moe_intermediate_size, 2048U);
  EXPECT_EQ(d.mtp_layers, 1U);
  EXPECT_TRUE(d.is_mla());
  EXPECT_EQ(d.kv_lora_rank, 512U);
  EXPECT_EQ(d.q_lora_rank, 1536U);
  EXPECT_EQ(d.qk_rope_head_dim, 64U);
  EXPECT_EQ(d.head_dim, 192U);
  ASSERT_TRUE(d.quantization);
  EXPECT_EQ(d.quantization->method, "fp8");
  EXPECT_EQ(d.quantization->weight_block_size, (std::vector<std::uint32_t>{128, 128}));
  EXPECT_EQ(d.quantization->format, "e4m3");

  const auto m = parse_hf_config(cfg::mixtral_8x7b, "config.json");
  EXPECT_EQ(m.num_experts, 8U);
  EXPECT_EQ(m.experts_per_token, 2U);
  EXPECT_EQ(m.moe_intermediate_size, 14336U);  // experts are full-width FFNs
  EXPECT_EQ(m.sliding_window, 0U);             // null is absent

  const auto q = parse_hf_config(cfg::qwen3_235b_a22b_fp8, "config.json");
  EXPECT_EQ(q.num_experts, 128U);
  EXPECT_EQ(q.moe_intermediate_size, 1536U);

  const auto o = parse_hf_config(cfg::gpt_oss_120b, "config.json");
  EXPECT_EQ(o.num_experts, 128U);
  EXPECT_EQ(o.experts_per_token, 4U);
  EXPECT_EQ(o.quantization->method, "mxfp4");
  ASSERT_EQ(o.sliding_layers.size(), 36U);
  EXPECT_TRUE(o.sliding_layers[0]);
  EXPECT_FALSE(o.sliding_layers[1]);
  EXPECT_EQ(o.sliding_window, 128U);
}

TEST(HfConfig, GptqQuantization) {
  const auto c = parse_hf_config(R"({"num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "quantization_config": {"quant_method": "gptq", "bits": 4,
    "group_size": 128, "desc_act": false}})",
                                 "c.json");
  EXPECT_EQ(c.quantization->method, "gptq");
  EXPECT_EQ(c.quantization->bits, 4U);
  EXPECT_EQ(c.quantization->group_size, 128U);
  const auto per_channel = parse_hf_config(R"({"num_hidden_layers": 2, "hidden_size": 64,
    "num_attention_heads": 4, "quantization_config": {"quant_method": "gptq", "bits": 8,
    "group_size": -1}})",
                                           "c.json");
  EXPECT_EQ(per_channel.quantization->group_size, 0U);
}

void expect_error(const std::string& text, const std::string& what) {
  try {
    (void)parse_hf_config(text, "m/config.json");
    ADD_FAILURE() << "accepted";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), shardfit::errc::invalid_format);
    EXPECT_EQ(std::string(e.what()), what);
  }
}

TEST(HfConfig, WrongTypesNameTheKey) {
  expect_error(R"({"num_hidden_layers": "32", "hidden_size": 1, "num_attention_heads": 1})",
               "m/config.json: at offset 22: key 'num_hidden_layers' must be a non-negative "
               "integer, not string");
  expect_error(
      R"({"num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 1, "text_config": 7})",
      "m/config.json: at offset 84: key 'text_config' must be an object, not number");
}

TEST(HfConfig, WrongTypesInNestedObjectsNameTheirPath) {
  try {
    (void)parse_hf_config(R"({"text_config": {"num_hidden_layers": 2, "hidden_size": 8,
      "num_attention_heads": 1, "num_key_value_heads": 1.5}})",
                          "m/config.json");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_NE(std::string(e.what()).find("key 'text_config.num_key_value_heads' must be a "
                                         "non-negative integer, not number"),
              std::string::npos)
        << e.what();
  }
  try {
    (void)parse_hf_config(R"({"num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 1,
      "tie_word_embeddings": "yes"})",
                          "m/config.json");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_NE(std::string(e.what()).find("key 'tie_word_embeddings' must be a boolean, not string"),
              std::string::npos);
  }
}

TEST(HfConfig, UnknownKeysAreIgnoredAndNotAModelIsAnError) {
  EXPECT_NO_THROW((void)parse_hf_config(R"({"num_hidden_layers": 2, "hidden_size": 8,
    "num_attention_heads": 1, "some_future_key": {"x": [1, 2, {"y": null}]}})",
                                        "c.json"));
  expect_error(R"({"model_type": "tokenizer"})",
               "m/config.json: no num_hidden_layers: not a model config");
  expect_error("[1]", "m/config.json: at offset 0: config.json must be an object");
  expect_error("{", "m/config.json: at offset 1: expected a string key");
}

}  // namespace
