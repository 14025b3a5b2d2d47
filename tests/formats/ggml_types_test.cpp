#include <shardfit/formats/ggml_types.hpp>

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace {

using shardfit::ggml_type_info;

TEST(GgmlTypes, BlockSizesAndBytes) {
  struct row {
    std::uint32_t id;
    const char* name;
    std::uint32_t block;
    std::uint32_t size;
  };
  // ggml.h ids with ggml-common.h block layouts.
  const std::vector<row> expected{
      {0, "f32", 1, 4},         {1, "f16", 1, 2},         {2, "q4_0", 32, 18},
      {3, "q4_1", 32, 20},      {6, "q5_0", 32, 22},      {7, "q5_1", 32, 24},
      {8, "q8_0", 32, 34},      {9, "q8_1", 32, 36},      {10, "q2_K", 256, 84},
      {11, "q3_K", 256, 110},   {12, "q4_K", 256, 144},   {13, "q5_K", 256, 176},
      {14, "q6_K", 256, 210},   {15, "q8_K", 256, 292},   {16, "iq2_xxs", 256, 66},
      {17, "iq2_xs", 256, 74},  {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50},
      {20, "iq4_nl", 32, 18},   {21, "iq3_s", 256, 110},  {22, "iq2_s", 256, 82},
      {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1},         {25, "i16", 1, 2},
      {26, "i32", 1, 4},        {27, "i64", 1, 8},        {28, "f64", 1, 8},
      {29, "iq1_m", 256, 56},   {30, "bf16", 1, 2},       {34, "tq1_0", 256, 54},
      {35, "tq2_0", 256, 66},   {39, "mxfp4", 32, 17},    {40, "nvfp4", 64, 36},
      {41, "q1_0", 128, 18},    {42, "q2_0", 64, 18}};
  for (const auto& r : expected) {
    const auto t = ggml_type_info(r.id);
    ASSERT_TRUE(t) << r.name;
    EXPECT_EQ(t->name, r.name);
    EXPECT_EQ(t->block_size, r.block) << r.name;
    EXPECT_EQ(t->type_size, r.size) << r.name;
    EXPECT_EQ(shardfit::ggml_type_by_name(r.name)->id, r.id);
  }
  for (const std::uint32_t removed : {4U, 5U, 31U, 32U, 33U, 36U, 37U, 38U, 43U, 4294967295U}) {
    EXPECT_FALSE(ggml_type_info(removed).has_value()) << removed;
  }
  EXPECT_EQ(shardfit::ggml_type_by_name("Q4_K")->id, 12U);
  EXPECT_FALSE(shardfit::ggml_type_by_name("q4_2").has_value());
}

TEST(GgmlTypes, TensorBytes) {
  const std::array<std::uint64_t, 2> ne{4096, 4096};
  EXPECT_EQ(shardfit::ggml_tensor_bytes(*ggml_type_info(1), ne)->count(), 4096ULL * 4096 * 2);
  EXPECT_EQ(shardfit::ggml_tensor_bytes(*ggml_type_info(12), ne)->count(),
            4096ULL * 4096 / 256 * 144);
  EXPECT_EQ(shardfit::ggml_tensor_bytes(*ggml_type_info(8), ne)->count(), 4096ULL * 4096 / 32 * 34);
  const std::array<std::uint64_t, 1> odd{100};
  shardfit::tensor_size_problem p{};
  EXPECT_FALSE(shardfit::ggml_tensor_bytes(*ggml_type_info(12), odd, &p));
  EXPECT_EQ(p, shardfit::tensor_size_problem::row_not_multiple_of_block);
  const std::array<std::uint64_t, 2> huge{1ULL << 40, 1ULL << 40};
  EXPECT_FALSE(shardfit::ggml_tensor_bytes(*ggml_type_info(0), huge, &p));
  EXPECT_EQ(p, shardfit::tensor_size_problem::overflow);
}

TEST(GgmlTypes, LlamaFileTypes) {
  EXPECT_EQ(shardfit::llama_file_type_name(15), "Q4_K_M");
  EXPECT_EQ(shardfit::llama_file_type_name(7), "Q8_0");
  EXPECT_EQ(shardfit::llama_file_type_name(32), "BF16");
  EXPECT_EQ(shardfit::llama_file_type_name(38), "MXFP4_MOE");
  EXPECT_EQ(shardfit::llama_file_type_name(4), "");
  EXPECT_EQ(shardfit::llama_file_type_name(1024), "");
}

}  // namespace
