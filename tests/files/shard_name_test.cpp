#include <shardfit/files/shard_name.hpp>

#include <gtest/gtest.h>

namespace {

using shardfit::model_format;
using shardfit::parse_shard_name;

TEST(ShardName, ParsesTheCommonFiveDigitForm) {
  const auto s = parse_shard_name("Llama-3.1-70B-Q4_K_M-00002-of-00003.gguf");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->stem, "Llama-3.1-70B-Q4_K_M");
  EXPECT_EQ(s->index, 2U);
  EXPECT_EQ(s->count, 3U);
  EXPECT_EQ(s->index_width, 5);
  EXPECT_EQ(s->count_width, 5);
  EXPECT_EQ(s->format, model_format::gguf);
  EXPECT_EQ(s->extension, "gguf");
}

TEST(ShardName, AnyWidthAndAnyExtensionCase) {
  const auto a = parse_shard_name("m-1-of-3.GGUF");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->stem, "m");
  EXPECT_EQ(a->index, 1U);
  EXPECT_EQ(a->count, 3U);
  EXPECT_EQ(a->index_width, 1);
  EXPECT_EQ(a->extension, "GGUF");
  const auto b = parse_shard_name("model-007-of-120.SafeTensors");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->index, 7U);
  EXPECT_EQ(b->count, 120U);
  EXPECT_EQ(b->index_width, 3);
  EXPECT_EQ(b->format, model_format::safetensors);
  const auto c = parse_shard_name("x-000000001-OF-000000002.gguf");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index_width, 9);
}

TEST(ShardName, PytorchShards) {
  const auto s = parse_shard_name("pytorch_model-00001-of-00002.bin");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stem, "pytorch_model");
  EXPECT_EQ(s->format, model_format::pytorch);
}

TEST(ShardName, KeepsOutOfRangeValuesForDiscoveryToJudge) {
  const auto s = parse_shard_name("x-00004-of-00003.gguf");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 4U);
  EXPECT_EQ(s->count, 3U);
  EXPECT_EQ(parse_shard_name("x-0-of-3.gguf")->index, 0U);
}

TEST(ShardName, RejectsWhatIsNotAShard) {
  for (const char* name :
       {"model.gguf", "model.safetensors", "-00001-of-00002.gguf", "x-00001-of-.gguf",
        "x--of-00002.gguf", "x-00001-of-00002.txt", "x-00001-of-00002", "x00001-of-00002.gguf",
        "x-00001_of-00002.gguf", "x-0000000001-of-0000000002.gguf", "x-1a-of-2.gguf",
        "x-1-of-2a.gguf", "", ".gguf", "of-2.gguf"}) {
    EXPECT_FALSE(parse_shard_name(name).has_value()) << name;
  }
}

TEST(ShardName, MakeShardNamePadsToFiveOrMore) {
  EXPECT_EQ(shardfit::make_shard_name("model", 1, 3, "safetensors"),
            "model-00001-of-00003.safetensors");
  EXPECT_EQ(shardfit::make_shard_name("m", 12, 123456, "gguf"), "m-000012-of-123456.gguf");
  EXPECT_EQ(shardfit::make_shard_name("m", 2, 3, "gguf", 1), "m-2-of-3.gguf");
  const auto round = parse_shard_name(shardfit::make_shard_name("a-b", 9, 10, "gguf"));
  ASSERT_TRUE(round);
  EXPECT_EQ(round->stem, "a-b");
  EXPECT_EQ(round->index, 9U);
}

TEST(ShardName, ProjectorsAndIndexes) {
  EXPECT_TRUE(shardfit::is_projector_name("mmproj-model-f16.gguf"));
  EXPECT_TRUE(shardfit::is_projector_name("MMPROJ.GGUF"));
  EXPECT_TRUE(shardfit::is_projector_name("gemma-3-27b-it-mmproj-f16.gguf"));
  EXPECT_FALSE(shardfit::is_projector_name("mmproj.safetensors"));
  EXPECT_FALSE(shardfit::is_projector_name("model.gguf"));
  EXPECT_TRUE(shardfit::is_weight_index_name("model.safetensors.index.json"));
  EXPECT_TRUE(shardfit::is_weight_index_name("pytorch_model.bin.index.json"));
  EXPECT_FALSE(shardfit::is_weight_index_name("config.json"));
  EXPECT_FALSE(shardfit::is_weight_index_name("model.index.json"));
}

TEST(ShardName, Formats) {
  EXPECT_EQ(shardfit::format_from_extension("Bin"), model_format::pytorch);
  EXPECT_FALSE(shardfit::format_from_extension("pt").has_value());
  EXPECT_EQ(shardfit::to_string(model_format::safetensors), "safetensors");
}

}  // namespace
