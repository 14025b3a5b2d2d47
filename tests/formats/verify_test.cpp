// Every shard checked (issue 18): a safetensors set cut short is truncated, a broken header or
// trailing bytes make it corrupt, an index whose metadata.total_size disagrees with the shards'
// tensors makes it corrupt; each problem names the file (and the offset where there is one).
#include <shardfit/files/discover.hpp>
#include <shardfit/formats/verify.hpp>

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using shardfit::discover;
using shardfit::set_status;
using shardfit::verify_sets;
using shardfit::test::st_tensor;
using shardfit::test::temp_dir;
using shardfit::test::write_safetensors;

// Two shards of 1 GiB of (sparse) bf16 data each, and their index.
void write_pair(const temp_dir& d, std::uint64_t index_total) {
  const std::uint64_t n = 1ULL << 29U;  // elements: 1 GiB of bf16
  write_safetensors(d / "model-00001-of-00002.safetensors",
                    {{"model.layers.0.mlp.up_proj.weight", "BF16", {n}, 2 * n}}, {}, false);
  write_safetensors(d / "model-00002-of-00002.safetensors",
                    {{"model.layers.1.mlp.up_proj.weight", "BF16", {n}, 2 * n}}, {}, false);
  d.write(
      "model.safetensors.index.json",
      R"({"metadata": {"total_size": )" + std::to_string(index_total) +
          R"(}, "weight_map": {"model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
 "model.layers.1.mlp.up_proj.weight": "model-00002-of-00002.safetensors"}})");
}

shardfit::shard_set verified(const temp_dir& d) {
  auto r = discover(d.path());
  EXPECT_EQ(r.sets.size(), 1U);
  verify_sets(r);
  return r.sets.front();
}

TEST(Verify, AnIntactSafetensorsSetIsComplete) {
  temp_dir d;
  write_pair(d, 2ULL << 30U);
  const auto s = verified(d);
  EXPECT_EQ(s.status(), set_status::complete);
  EXPECT_TRUE(s.problems.empty());
  EXPECT_EQ(shardfit::status_message(s), "");
}

TEST(Verify, AShardCutShortIsTruncated) {
  temp_dir d;
  write_pair(d, 2ULL << 30U);
  const std::string cut = d / "model-00002-of-00002.safetensors";
  const auto size = std::filesystem::file_size(cut);
  std::filesystem::resize_file(cut, size - (1ULL << 29U));  // half of its data is gone
  const auto s = verified(d);
  EXPECT_EQ(s.status(), set_status::truncated);
  ASSERT_EQ(s.problems.size(), 1U);
  const std::uint64_t data = size - (1ULL << 29U) - (size - (1ULL << 30U));
  EXPECT_EQ(s.problems[0], cut +
                               ": at offset 45: tensor 'model.layers.1.mlp.up_proj.weight' data "
                               "ends at 1073741824, past the file's " +
                               std::to_string(data) + " bytes of data");
  EXPECT_EQ(shardfit::status_message(s), "shard set 'model' is truncated: " + s.problems[0]);
}

TEST(Verify, ABrokenHeaderOrTrailingBytesAreCorrupt) {
  temp_dir d;
  write_pair(d, 2ULL << 30U);
  const std::string bad = d / "model-00001-of-00002.safetensors";
  {
    // Overwrite the first byte of the JSON: '{' becomes 'x'.
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    f.put('x');
  }
  auto s = verified(d);
  EXPECT_EQ(s.status(), set_status::corrupt);
  ASSERT_EQ(s.problems.size(), 1U);
  EXPECT_EQ(s.problems[0].rfind(bad + ": at offset 8: ", 0), 0U) << s.problems[0];

  write_pair(d, 2ULL << 30U);
  const std::string longer = d / "model-00002-of-00002.safetensors";
  const auto size = std::filesystem::file_size(longer);
  std::filesystem::resize_file(longer, size + 4096);
  s = verified(d);
  EXPECT_EQ(s.status(), set_status::corrupt);
  ASSERT_EQ(s.problems.size(), 1U);
  EXPECT_EQ(s.problems[0], longer + ": at offset " + std::to_string(size) +
                               ": 4096 bytes after the last tensor's data (the file is " +
                               std::to_string(size + 4096) + " bytes)");
}

TEST(Verify, AnIndexTotalThatDisagreesWithTheShardsIsCorrupt) {
  temp_dir d;
  write_pair(d, 3ULL << 30U);
  const auto s = verified(d);
  EXPECT_EQ(s.status(), set_status::corrupt);
  ASSERT_EQ(s.problems.size(), 1U);
  EXPECT_EQ(s.problems[0], d / "model.safetensors.index.json" +
                               ": metadata.total_size is 3221225472 but the 2 shards hold "
                               "2147483648 bytes of tensors");
}

}  // namespace
