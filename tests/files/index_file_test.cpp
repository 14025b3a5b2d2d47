#include <shardfit/files/index_file.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using shardfit::errc;
using shardfit::parse_weight_index;

TEST(WeightIndex, ReadsFilesTensorsAndTotalSize) {
  const auto idx = parse_weight_index(R"({
    "metadata": {"total_size": 16060522496},
    "weight_map": {
      "lm_head.weight": "model-00004-of-00004.safetensors",
      "model.embed_tokens.weight": "model-00001-of-00004.safetensors",
      "model.layers.0.mlp.down_proj.weight": "model-00001-of-00004.safetensors",
      "model.norm.weight": "model-00004-of-00004.safetensors"
    }})",
                                      "m/model.safetensors.index.json");
  ASSERT_TRUE(idx.total_size.has_value());
  EXPECT_EQ(idx.total_size->count(), 16'060'522'496U);
  ASSERT_EQ(idx.files.size(), 2U);
  EXPECT_EQ(idx.files[0], "model-00004-of-00004.safetensors");
  EXPECT_EQ(idx.files[1], "model-00001-of-00004.safetensors");
  ASSERT_EQ(idx.tensors.size(), 4U);
  EXPECT_EQ(idx.tensors[2].first, "model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(idx.tensors[2].second, 1U);
  EXPECT_EQ(idx.first_tensor_of(1), "model.embed_tokens.weight");
}

TEST(WeightIndex, TotalSizeMayBeAnIntegralFloatOrAbsent) {
  EXPECT_EQ(parse_weight_index(R"({"metadata":{"total_size":1024.0},"weight_map":{}})", "i")
                .total_size->count(),
            1024U);
  EXPECT_FALSE(parse_weight_index(R"({"weight_map":{"a":"b.safetensors"}})", "i").total_size);
  EXPECT_FALSE(parse_weight_index(R"({"metadata":null,"weight_map":{}})", "i").total_size);
}

// Issue 21.9: an index carrying only metadata.total_size (empty or absent weight_map) still
// sizes the model; with neither there is nothing to read.
TEST(WeightIndex, AMapLessIndexKeepsItsTotalSize) {
  const auto empty = parse_weight_index(R"({"metadata":{"total_size":4096},"weight_map":{}})", "i");
  EXPECT_EQ(empty.total_size->count(), 4096U);
  EXPECT_TRUE(empty.files.empty());
  const auto absent = parse_weight_index(R"({"metadata":{"total_size":4096}})", "i");
  EXPECT_EQ(absent.total_size->count(), 4096U);
  EXPECT_TRUE(absent.tensors.empty());
  try {
    (void)parse_weight_index(R"({"metadata":{}})", "dir/i.json");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              "dir/i.json: no \"weight_map\" object and no metadata.total_size");
  }
}

void expect_error(const std::string& text, errc code, const std::string& what) {
  try {
    (void)parse_weight_index(text, "dir/model.safetensors.index.json");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(std::string(e.what()), what);
  }
}

TEST(WeightIndex, EntriesEscapingTheDirectoryAreErrorsNamingTheEntry) {
  expect_error(R"({"weight_map":{"lm_head.weight":"../../etc/passwd"}})", errc::unsafe_path,
               "dir/model.safetensors.index.json: weight_map entry 'lm_head.weight' names "
               "'../../etc/passwd', which is outside the model directory");
  expect_error(R"({"weight_map":{"w":"/etc/passwd"}})", errc::unsafe_path,
               "dir/model.safetensors.index.json: weight_map entry 'w' names '/etc/passwd', "
               "which is outside the model directory");
  expect_error(R"({"weight_map":{"w":"sub/../../x"}})", errc::unsafe_path,
               "dir/model.safetensors.index.json: weight_map entry 'w' names 'sub/../../x', "
               "which is outside the model directory");
  expect_error(R"({"weight_map":{"w":""}})", errc::unsafe_path,
               "dir/model.safetensors.index.json: weight_map entry 'w' names '', which is "
               "outside the model directory");
}

TEST(WeightIndex, MalformedInputNamesTheOffset) {
  expect_error(R"({"weight_map":{"w":3}})", errc::invalid_format,
               "dir/model.safetensors.index.json: at offset 19: expected a file name for "
               "weight_map entry 'w', got number");
  expect_error(R"({"metadata":{"total_size":-5},"weight_map":{}})", errc::invalid_format,
               "dir/model.safetensors.index.json: at offset 26: expected a non-negative "
               "integer, got -5");
  expect_error(
      R"({"metadata":{}})", errc::invalid_format,
      "dir/model.safetensors.index.json: no \"weight_map\" object and no metadata.total_size");
  expect_error(R"({"weight_map":{}} x)", errc::invalid_format,
               "dir/model.safetensors.index.json: at offset 18: unexpected data after the JSON "
               "value");
  expect_error(R"({"weight_map":{"a":"b")", errc::invalid_format,
               "dir/model.safetensors.index.json: at offset 22: expected ',' or '}' in object");
  expect_error("[]", errc::invalid_format,
               "dir/model.safetensors.index.json: at offset 0: expected an object, got array");
}

TEST(WeightIndex, ContainedPaths) {
  EXPECT_TRUE(shardfit::is_contained_relative_path("model-00001-of-00002.safetensors"));
  EXPECT_TRUE(shardfit::is_contained_relative_path("sub/dir/file"));
  EXPECT_TRUE(shardfit::is_contained_relative_path("a..b"));
  EXPECT_FALSE(shardfit::is_contained_relative_path(".."));
  EXPECT_FALSE(shardfit::is_contained_relative_path("a/../b"));
  EXPECT_FALSE(shardfit::is_contained_relative_path("a\\b"));
  EXPECT_FALSE(shardfit::is_contained_relative_path(std::string("a\0b", 3)));
}

}  // namespace
