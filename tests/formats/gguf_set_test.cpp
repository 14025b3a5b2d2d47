#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/verify.hpp>

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>

namespace {

using shardfit::discover;
using shardfit::gguf_builder;
using shardfit::gguf_set;
using shardfit::test::temp_dir;
using shardfit::test::tiny_llama;

TEST(GgufSet, SharedSplitOpensFromAnyShard) {
  const std::string dir = std::string(SHARDFIT_SHARED_DATA) + "/gguf/tiny/";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "../shared/data is absent";
  for (int i = 1; i <= 3; ++i) {
    const auto set =
        gguf_set::open(dir + "L4_f16_split-0000" + std::to_string(i) + "-of-00003.gguf");
    EXPECT_EQ(set.shards().size(), 3U);
    EXPECT_EQ(set.tensors().size(), 39U);
    EXPECT_EQ(set.metadata().architecture(), "llama");
    EXPECT_EQ(set.tensors()[13].shard, 1U);
    EXPECT_EQ(set.tensors()[13].file_offset, 896U);
  }
}

TEST(GgufSet, GeneratedSplitMergesTensorsWithTheirFiles) {
  temp_dir d;
  tiny_llama m;
  const auto paths = shardfit::test::write_tiny_llama_split(d / "m", m, 3);
  const auto set = gguf_set::open(paths[2]);
  ASSERT_EQ(set.tensors().size(), 39U);
  EXPECT_EQ(set.tensors().front().tensor.name, "token_embd.weight");
  EXPECT_EQ(set.tensors().back().tensor.name, "blk.3.ffn_down.weight");
  EXPECT_EQ(set.tensors().back().shard, 2U);
  EXPECT_EQ(set.files().total_bytes.count(), std::filesystem::file_size(paths[0]) +
                                                 std::filesystem::file_size(paths[1]) +
                                                 std::filesystem::file_size(paths[2]));
}

TEST(GgufSet, MissingShardIsAnIncompleteError) {
  temp_dir d;
  const auto paths = shardfit::test::write_tiny_llama_split(d / "m", tiny_llama{}, 3);
  std::filesystem::remove(paths[1]);
  try {
    (void)gguf_set::open(paths[0]);
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), shardfit::errc::incomplete);
    EXPECT_EQ(std::string(e.what()),
              d.path() + ": shard set incomplete: missing 1 of 3 shards of m (first missing: 2)");
  }
}

// Writes a 2-shard set whose second shard carries the given split fields.
void write_pair(const temp_dir& d, std::uint16_t no2, std::uint16_t count2, std::int32_t tensors2) {
  for (std::uint16_t i = 0; i < 2; ++i) {
    gguf_builder b;
    if (i == 0) b.add_string("general.architecture", "llama");
    b.add_u16("split.no", i == 0 ? 0 : no2);
    b.add_u16("split.count", i == 0 ? 2 : count2);
    b.add_i32("split.tensors.count", i == 0 ? 2 : tensors2);
    b.add_tensor("t" + std::to_string(i), {32}, 0);
    shardfit::test::write_gguf_file(d / shardfit::make_shard_name("p", i + 1U, 2, "gguf"), b);
  }
}

TEST(GgufSet, SplitMetadataMustAgreeWithNamesAndEachOther) {
  temp_dir d;
  write_pair(d, 1, 2, 2);
  EXPECT_EQ(gguf_set::open(d / "p-00001-of-00002.gguf").tensors().size(), 2U);
  write_pair(d, 0, 2, 2);
  try {
    (void)gguf_set::open(d / "p-00001-of-00002.gguf");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              d / "p-00002-of-00002.gguf" + ": split.no is 0, its name says 1");
  }
  write_pair(d, 1, 3, 2);
  EXPECT_THROW((void)gguf_set::open(d / "p-00001-of-00002.gguf"), shardfit::error);
  write_pair(d, 1, 2, 5);
  EXPECT_THROW((void)gguf_set::open(d / "p-00001-of-00002.gguf"), shardfit::error);

  // Discovery with header checks reports the same disagreement without throwing.
  write_pair(d, 0, 2, 2);
  auto r = discover(d.path());
  EXPECT_TRUE(r.sets[0].complete());  // discovery names and sizes; headers are checked apart
  shardfit::verify_sets(r);
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_FALSE(r.sets[0].complete());
  EXPECT_EQ(r.sets[0].problems, (std::vector<std::string>{d / "p-00002-of-00002.gguf" +
                                                          ": split.no is 0, its name says 1"}));
  EXPECT_EQ(r.sets[0].status(), shardfit::set_status::corrupt);
  write_pair(d, 1, 2, 3);
  r = discover(d.path());
  shardfit::verify_sets(r);
  EXPECT_EQ(
      r.sets[0].problems,
      (std::vector<std::string>{d / "p-00002-of-00002.gguf" +
                                    ": split.tensors.count 3 disagrees with the other shards' 2",
                                "split.tensors.count is 3 but the 2 shards hold 2 tensors"}));
  write_pair(d, 1, 2, 2);
  r = discover(d.path());
  shardfit::verify_sets(r);
  EXPECT_TRUE(r.sets[0].complete());
}

// Issue 18: a shard whose header does not parse makes its set corrupt (it used to be reported
// beside a set still called complete); one cut short makes it truncated.
TEST(GgufSet, UnreadableHeadersMakeTheSetCorruptAndShortFilesTruncated) {
  temp_dir d;
  d.sparse("z-00001-of-00002.gguf", 4096);  // zeros: no GGUF magic
  d.sparse("z-00002-of-00002.gguf", 4096);
  auto r = discover(d.path());
  EXPECT_TRUE(r.sets[0].complete());  // names and sizes only
  shardfit::verify_sets(r);
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_EQ(r.sets[0].status(), shardfit::set_status::corrupt);
  ASSERT_EQ(r.sets[0].problems.size(), 2U);
  EXPECT_EQ(r.sets[0].problems[0],
            d / "z-00001-of-00002.gguf" + ": at offset 0: not a GGUF file (bad magic)");
  EXPECT_EQ(shardfit::status_message(r.sets[0]),
            "shard set 'z' is corrupt: " + d / "z-00001-of-00002.gguf" +
                ": at offset 0: not a GGUF file (bad magic) (and 1 more)");

  // A valid single file cut inside its tensor data.
  temp_dir t;
  gguf_builder b;
  b.add_string("general.architecture", "llama");
  b.add_tensor("w", {1024}, 0);
  const std::string path = t / "cut.gguf";
  shardfit::test::write_gguf_file(path, b);
  const auto full = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, full - 100);
  auto cut = discover(path);
  shardfit::verify_sets(cut);
  EXPECT_EQ(cut.sets[0].status(), shardfit::set_status::truncated);
  ASSERT_EQ(cut.sets[0].problems.size(), 1U);
  EXPECT_NE(cut.sets[0].problems[0].find(path + ": at offset "), std::string::npos)
      << cut.sets[0].problems[0];
  EXPECT_NE(cut.sets[0].problems[0].find("ends beyond the file's " + std::to_string(full - 100)),
            std::string::npos)
      << cut.sets[0].problems[0];
}

}  // namespace
