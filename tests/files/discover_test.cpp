#include <shardfit/files/discover.hpp>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using shardfit::bytes;
using shardfit::discover;
using shardfit::discovery_options;
using shardfit::errc;
using shardfit::model_format;
using shardfit::shard_set;
using shardfit::test::temp_dir;
using namespace shardfit::literals;

constexpr std::uint64_t GB = 1'000'000'000ULL;

std::vector<std::string> names(const shardfit::discovery_result& r) {
  std::vector<std::string> out;
  for (const auto& s : r.sets) out.push_back(s.name);
  return out;
}

std::vector<std::uint32_t> indices(const shard_set& s) {
  std::vector<std::uint32_t> out;
  for (const auto& f : s.files) out.push_back(f.index);
  return out;
}

TEST(ShardSet, SplitModelIsSizedByAllShards) {
  temp_dir d;
  d.sparse("x-00001-of-00003.gguf", 46 * GB);
  d.sparse("x-00002-of-00003.gguf", 46 * GB);
  d.sparse("x-00003-of-00003.gguf", 39 * GB);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  const shard_set& s = r.sets[0];
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.format, model_format::gguf);
  EXPECT_EQ(s.expected_shards, 3U);
  EXPECT_EQ(s.present_shards(), 3U);
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(s.total_bytes.count(), 131'000'000'000ULL);
  EXPECT_EQ(s.allocated_bytes.count(), 0U);  // sparse: nothing on disk
  ASSERT_EQ(s.files.size(), 3U);
  EXPECT_EQ(s.files[0].path, d / "x-00001-of-00003.gguf");
  EXPECT_EQ(s.files[2].size.count(), 39 * GB);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_TRUE(r.all_complete());
}

TEST(ShardSet, MissingMiddleShardIsReported) {
  temp_dir d;
  d.sparse("x-00001-of-00003.gguf", 46 * GB);
  d.sparse("x-00003-of-00003.gguf", 39 * GB);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_FALSE(r.sets[0].complete());
  EXPECT_EQ(r.sets[0].missing, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(r.sets[0].total_bytes.count(), 85 * GB);
  EXPECT_FALSE(r.all_complete());
}

TEST(ShardSet, AnyShardSelectsItsWholeSet) {
  temp_dir d;
  d.sparse("x-00001-of-00003.gguf", 10);
  d.sparse("x-00002-of-00003.gguf", 20);
  d.sparse("x-00003-of-00003.gguf", 30);
  d.sparse("y-00001-of-00002.gguf", 5);
  d.sparse("y-00002-of-00002.gguf", 5);
  for (const char* f :
       {"x-00001-of-00003.gguf", "x-00002-of-00003.gguf", "x-00003-of-00003.gguf"}) {
    const auto r = discover(d / f);
    ASSERT_EQ(r.sets.size(), 1U) << f;
    EXPECT_EQ(r.sets[0].name, "x");
    EXPECT_EQ(r.sets[0].total_bytes.count(), 60U);
  }
}

TEST(ShardSet, SeveralSetsSideBySide) {
  temp_dir d;
  for (int i = 1; i <= 3; ++i) {
    d.sparse("Llama-70B-Q4_K_M-0000" + std::to_string(i) + "-of-00003.gguf", 100);
  }
  for (int i = 1; i <= 2; ++i)
    d.sparse("Llama-70B-Q8_0-0000" + std::to_string(i) + "-of-00002.gguf", 7);
  d.sparse("tiny.gguf", 3);
  d.write("README.md", "hello");
  const auto r = discover(d.path());
  EXPECT_EQ(names(r), (std::vector<std::string>{"Llama-70B-Q4_K_M", "Llama-70B-Q8_0", "tiny"}));
  EXPECT_EQ(r.sets[0].total_bytes.count(), 300U);
  EXPECT_EQ(r.sets[1].total_bytes.count(), 14U);
  EXPECT_EQ(r.sets[2].expected_shards, 1U);
  EXPECT_TRUE(r.all_complete());
}

TEST(ShardSet, WidthsOtherThanFive) {
  temp_dir d;
  d.sparse("m-1-of-3.gguf", 1);
  d.sparse("m-2-of-3.gguf", 2);
  d.sparse("m-3-of-3.gguf", 3);
  d.sparse("n-001-of-012.safetensors", 1);
  d.sparse("n-012-of-012.safetensors", 1);
  const auto r = discover(d.path());
  ASSERT_EQ(names(r), (std::vector<std::string>{"m", "n"}));
  EXPECT_TRUE(r.sets[0].complete());
  EXPECT_EQ(r.sets[0].total_bytes.count(), 6U);
  EXPECT_EQ(r.sets[1].format, model_format::safetensors);
  EXPECT_EQ(r.sets[1].expected_shards, 12U);
  EXPECT_EQ(r.sets[1].missing, (std::vector<std::uint32_t>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(ShardSet, ExtensionCaseDoesNotMatter) {
  temp_dir d;
  d.sparse("m-00001-of-00002.GGUF", 1);
  d.sparse("m-00002-of-00002.gguf", 1);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_TRUE(r.sets[0].complete());
}

TEST(ShardSet, ProjectorsAreCompanionsCountedOnce) {
  temp_dir d;
  d.sparse("gemma-Q4_K_M-00001-of-00002.gguf", 1000);
  d.sparse("gemma-Q4_K_M-00002-of-00002.gguf", 1000);
  d.sparse("gemma-Q8_0.gguf", 3000);
  d.sparse("mmproj-gemma-f16.gguf", 800);
  const auto r = discover(d.path());
  ASSERT_EQ(names(r), (std::vector<std::string>{"gemma-Q4_K_M", "gemma-Q8_0"}));
  for (const auto& s : r.sets) {
    ASSERT_EQ(s.companions.size(), 1U);
    EXPECT_EQ(s.companions[0].path, d / "mmproj-gemma-f16.gguf");
    EXPECT_EQ(s.companion_bytes().count(), 800U);
  }
  EXPECT_EQ(r.sets[0].total_bytes.count(), 2000U);  // the projector is not part of the model
  EXPECT_EQ(r.sets[1].total_bytes.count(), 3000U);
  try {
    (void)discover(d / "mmproj-gemma-f16.gguf");
    ADD_FAILURE() << "a projector was taken for a model";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("is a multimodal projector"), std::string::npos);
  }
}

TEST(ShardSet, LoneProjectorIsAProblemNotASet) {
  temp_dir d;
  d.sparse("mmproj-f16.gguf", 10);
  const auto r = discover(d.path());
  EXPECT_TRUE(r.sets.empty());
  ASSERT_EQ(r.problems.size(), 1U);
  EXPECT_EQ(r.problems[0].message, "multimodal projector with no GGUF model beside it");
}

TEST(ShardSet, DuplicatesAndForeignShards) {
  temp_dir d;
  d.sparse("x-00001-of-00003.gguf", 1);
  d.sparse("x-00002-of-00003.gguf", 2);
  d.sparse("x-2-of-3.gguf", 2);
  d.sparse("x-00003-of-00003.gguf", 3);
  d.sparse("x-00004-of-00003.gguf", 4);
  d.sparse("x-00003-of-00004.gguf", 5);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  const auto& s = r.sets[0];
  EXPECT_EQ(s.expected_shards, 3U);
  EXPECT_EQ(indices(s), (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(s.files[1].path, d / "x-00002-of-00003.gguf");  // the canonical width is kept
  ASSERT_EQ(s.duplicates.size(), 1U);
  EXPECT_EQ(s.duplicates[0].index, 2U);
  EXPECT_EQ(s.duplicates[0].paths, (std::vector<std::string>{d / "x-2-of-3.gguf"}));
  ASSERT_EQ(s.foreign.size(), 2U);
  EXPECT_EQ(s.foreign[0].path, d / "x-00003-of-00004.gguf");
  EXPECT_EQ(s.foreign[0].why, "-of-4 disagrees with the set's 3 shards");
  EXPECT_EQ(s.foreign[1].path, d / "x-00004-of-00003.gguf");
  EXPECT_EQ(s.foreign[1].why, "index 4 is outside the set's 3 shards");
  EXPECT_TRUE(s.complete());  // all three present; the extras are reported, not counted
  EXPECT_EQ(s.total_bytes.count(), 6U);
}

TEST(ShardSet, CountTakenFromShardOneElseTheMajority) {
  temp_dir d;
  d.sparse("a-00002-of-00004.gguf", 1);
  d.sparse("a-00003-of-00004.gguf", 1);
  d.sparse("a-00004-of-00005.gguf", 1);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_EQ(r.sets[0].expected_shards, 4U);
  EXPECT_EQ(r.sets[0].missing, (std::vector<std::uint32_t>{1, 4}));
  ASSERT_EQ(r.sets[0].foreign.size(), 1U);
}

TEST(ShardSet, AbsurdShardCountsAreRefusedNotEnumerated) {
  temp_dir d;
  d.sparse("a-00001-of-999999999.gguf", 1);
  const auto r = discover(d.path());
  EXPECT_TRUE(r.sets.empty());
  ASSERT_EQ(r.problems.size(), 1U);
  EXPECT_EQ(r.problems[0].message, "claims 999999999 shards; sets of 1 to 100000 are supported");
}

constexpr const char* kIndex = R"({
  "metadata": {"total_size": 2900},
  "weight_map": {
    "model.embed_tokens.weight": "model-00001-of-00003.safetensors",
    "model.layers.0.self_attn.q_proj.weight": "model-00002-of-00003.safetensors",
    "lm_head.weight": "model-00003-of-00003.safetensors"
  }
})";

TEST(ShardSet, IndexDefinesTheSet) {
  temp_dir d;
  d.write("model.safetensors.index.json", kIndex);
  d.sparse("model-00001-of-00003.safetensors", 1000);
  d.sparse("model-00002-of-00003.safetensors", 1000);
  d.sparse("model-00003-of-00003.safetensors", 1000);
  d.write("config.json", "{}");
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  const auto& s = r.sets[0];
  EXPECT_EQ(s.name, "model");
  EXPECT_EQ(s.format, model_format::safetensors);
  EXPECT_EQ(s.index_path, d / "model.safetensors.index.json");
  EXPECT_EQ(s.expected_shards, 3U);
  EXPECT_TRUE(s.complete());
  EXPECT_EQ(s.total_bytes.count(), 3000U);
  ASSERT_TRUE(s.index_total_size.has_value());
  EXPECT_EQ(s.index_total_size->count(), 2900U);
  // The index file selects the set, and so does any shard.
  EXPECT_EQ(discover(d / "model.safetensors.index.json").sets.size(), 1U);
  EXPECT_EQ(discover(d / "model-00002-of-00003.safetensors").sets[0].index_path, s.index_path);
}

TEST(ShardSet, IndexNamingAnAbsentFileNamesTheEntry) {
  temp_dir d;
  d.write("model.safetensors.index.json", kIndex);
  d.sparse("model-00001-of-00003.safetensors", 1000);
  d.sparse("model-00003-of-00003.safetensors", 1000);
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  const auto& s = r.sets[0];
  EXPECT_FALSE(s.complete());
  EXPECT_EQ(s.missing, (std::vector<std::uint32_t>{2}));
  ASSERT_EQ(s.problems.size(), 1U);
  EXPECT_EQ(s.problems[0],
            "weight_map entry 'model.layers.0.self_attn.q_proj.weight' names "
            "'model-00002-of-00003.safetensors', which is absent");
}

TEST(ShardSet, IndexOnlyDirectoryIsSizedByTheIndex) {
  temp_dir d;
  d.write("model.safetensors.index.json", kIndex);
  d.write("config.json", "{}");
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  const auto& s = r.sets[0];
  EXPECT_EQ(s.present_shards(), 0U);
  EXPECT_EQ(s.missing, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(s.index_total_size->count(), 2900U);
  ASSERT_EQ(s.problems.size(), 1U);
  EXPECT_EQ(s.problems[0],
            "none of the 3 files named by the index is present (index only, not downloaded)");
}

TEST(ShardSet, IndexEscapingTheDirectoryIsAnError) {
  temp_dir d;
  d.write("model.safetensors.index.json",
          R"({"weight_map": {"lm_head.weight": "../secret.safetensors"}})");
  try {
    (void)discover(d.path());
    ADD_FAILURE() << "accepted ../";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::unsafe_path);
    EXPECT_EQ(std::string(e.what()),
              d / "model.safetensors.index.json" +
                  ": weight_map entry 'lm_head.weight' names '../secret.safetensors', which is "
                  "outside the model directory");
  }
  d.write("model.safetensors.index.json", R"({"weight_map": {"w": "/etc/passwd"}})");
  EXPECT_THROW((void)discover(d.path()), shardfit::error);
}

TEST(ShardSet, StrayShardsBesideAnIndexAreForeign) {
  temp_dir d;
  d.write("model.safetensors.index.json",
          R"({"weight_map": {"a": "model-00001-of-00002.safetensors",
                             "b": "model-00002-of-00002.safetensors"}})");
  d.sparse("model-00001-of-00002.safetensors", 1);
  d.sparse("model-00002-of-00002.safetensors", 1);
  d.sparse("model-00003-of-00003.safetensors", 1);  // left over from an older revision
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  ASSERT_EQ(r.sets[0].foreign.size(), 1U);
  EXPECT_EQ(r.sets[0].foreign[0].path, d / "model-00003-of-00003.safetensors");
  EXPECT_TRUE(r.sets[0].complete());
}

TEST(ShardSet, PytorchSets) {
  temp_dir d;
  d.write("pytorch_model.bin.index.json",
          R"({"metadata":{"total_size":10},"weight_map": {"a": "pytorch_model-00001-of-00002.bin",
                             "b": "pytorch_model-00002-of-00002.bin"}})");
  d.sparse("pytorch_model-00001-of-00002.bin", 6);
  d.sparse("pytorch_model-00002-of-00002.bin", 6);
  d.sparse("training_args.bin", 1);  // not a model
  const auto r = discover(d.path());
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_EQ(r.sets[0].name, "pytorch_model");
  EXPECT_EQ(r.sets[0].format, model_format::pytorch);
  EXPECT_EQ(r.sets[0].total_bytes.count(), 12U);

  temp_dir single;
  single.sparse("pytorch_model.bin", 9);
  const auto s = discover(single.path());
  ASSERT_EQ(s.sets.size(), 1U);
  EXPECT_EQ(s.sets[0].name, "pytorch_model");
}

TEST(ShardSet, RecursionIntoQuantFolders) {
  temp_dir d;
  d.sparse("Q4_K_M/m-00001-of-00002.gguf", 1);
  d.sparse("Q4_K_M/m-00002-of-00002.gguf", 1);
  d.sparse("Q8_0/m-00001-of-00002.gguf", 2);
  d.sparse("Q8_0/m-00002-of-00002.gguf", 2);
  d.sparse(".cache/huggingface/m.gguf", 9);  // hidden: skipped
  d.sparse("a/b/c/deep.gguf", 1);
  EXPECT_TRUE(discover(d.path()).sets.empty());
  discovery_options rec;
  rec.recursive = true;
  const auto r = discover(d.path(), rec);
  EXPECT_EQ(names(r), (std::vector<std::string>{"Q4_K_M/m", "Q8_0/m", "a/b/c/deep"}));
  EXPECT_EQ(r.sets[1].total_bytes.count(), 4U);
  rec.max_depth = 2;
  const auto shallow = discover(d.path(), rec);
  EXPECT_EQ(names(shallow), (std::vector<std::string>{"Q4_K_M/m", "Q8_0/m"}));
  ASSERT_EQ(shallow.problems.size(), 1U);
  EXPECT_EQ(shallow.problems[0].path, d / "a/b/c");
}

TEST(ShardSet, SymlinkLoopsBrokenLinksAndFifosAreReportedNotFollowed) {
  temp_dir d;
  d.sparse("m.gguf", 1);
  ASSERT_EQ(::symlink("loop-b.gguf", (d / "loop-a.gguf").c_str()), 0);
  ASSERT_EQ(::symlink("loop-a.gguf", (d / "loop-b.gguf").c_str()), 0);
  ASSERT_EQ(::symlink("nowhere.gguf", (d / "broken.gguf").c_str()), 0);
  ASSERT_EQ(::mkfifo((d / "model.safetensors.index.json").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((d / "pipe-00001-of-00001.gguf").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("/dev/null", (d / "dev.gguf").c_str()), 0);
  ASSERT_EQ(::symlink(".", (d / "self").c_str()), 0);  // a directory loop when recursing
  discovery_options rec;
  rec.recursive = true;
  const auto r = discover(d.path(), rec);  // must return, not hang on the FIFOs
  EXPECT_EQ(names(r), (std::vector<std::string>{"m"}));
  std::vector<std::string> msgs;
  for (const auto& p : r.problems) {
    msgs.push_back(p.path.substr(d.path().size() + 1) + ": " + p.message);
  }
  EXPECT_EQ(msgs, (std::vector<std::string>{
                      "broken.gguf: broken symbolic link; skipped",
                      "dev.gguf: a symbolic link out of the model directory; not followed",
                      "loop-a.gguf: symbolic link loop; skipped",
                      "loop-b.gguf: symbolic link loop; skipped",
                      "model.safetensors.index.json: a FIFO (named pipe); skipped, never opened",
                      "pipe-00001-of-00001.gguf: a FIFO (named pipe); skipped, never opened",
                      "self: directory reached twice (through a link); searched once",
                  }));
  // Selecting a FIFO directly is refused without opening it.
  EXPECT_THROW((void)discover(d / "pipe-00001-of-00001.gguf"), shardfit::error);
}

TEST(ShardSet, LinksOutOfTheModelDirectoryAreNotFollowed) {
  temp_dir d;
  d.sparse("elsewhere/secret.gguf", 100);
  d.sparse("model/m-00001-of-00002.gguf", 10);
  d.sparse("model/real/m-00002.bin", 10);
  ASSERT_EQ(
      ::symlink((d / "elsewhere/secret.gguf").c_str(), (d / "model/m-00002-of-00002.gguf").c_str()),
      0);
  ASSERT_EQ(::symlink("real/m-00002.bin", (d / "model/inside.gguf").c_str()), 0);
  const auto r = discover(d / "model");
  ASSERT_EQ(r.sets.size(), 2U);
  const auto& m = r.sets[1].name == "m" ? r.sets[1] : r.sets[0];
  EXPECT_EQ(m.missing, (std::vector<std::uint32_t>{2}));  // the outside link is no shard of it
  bool reported = false;
  for (const auto& p : r.problems) {
    reported =
        reported || (p.path == d / "model/m-00002-of-00002.gguf" &&
                     p.message == "a symbolic link out of the model directory; not followed");
  }
  EXPECT_TRUE(reported);
  // A link to a file inside the directory is an ordinary member.
  EXPECT_TRUE(
      std::any_of(r.sets.begin(), r.sets.end(), [](const auto& s) { return s.name == "inside"; }));
}

TEST(ShardSet, HuggingFaceCacheSnapshotsMayLinkIntoTheirBlobs) {
  temp_dir d;
  const std::string repo = d / "hub/models--org--m";
  d.sparse("hub/models--org--m/blobs/aaa", 100);
  d.sparse("hub/models--org--m/blobs/bbb", 200);
  std::filesystem::create_directories(repo + "/snapshots/rev1");
  ASSERT_EQ(::symlink("../../blobs/aaa",
                      (repo + "/snapshots/rev1/model-00001-of-00002.safetensors").c_str()),
            0);
  ASSERT_EQ(::symlink("../../blobs/bbb",
                      (repo + "/snapshots/rev1/model-00002-of-00002.safetensors").c_str()),
            0);
  const auto r = discover(repo + "/snapshots/rev1");
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_TRUE(r.sets[0].missing.empty());
  EXPECT_EQ(r.sets[0].total_bytes, bytes{300});
  EXPECT_TRUE(r.problems.empty());
}

TEST(ShardSet, UnreadableSubdirectoryIsReported) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  temp_dir d;
  d.sparse("ok/m.gguf", 1);
  d.sparse("locked/m.gguf", 1);
  ASSERT_EQ(::chmod((d / "locked").c_str(), 0), 0);
  discovery_options rec;
  rec.recursive = true;
  const auto r = discover(d.path(), rec);
  EXPECT_EQ(names(r), (std::vector<std::string>{"ok/m"}));
  ASSERT_EQ(r.problems.size(), 1U);
  EXPECT_EQ(r.problems[0].path, d / "locked");
}

// A filesystem policy of the test's own: the real one, except that one directory cannot be
// read (what a permission error looks like when the tests run as root).
struct locked_filesystem {
  std::string locked;
  shardfit::posix_filesystem real;
  [[nodiscard]] std::optional<shardfit::file_stat> stat(const std::string& p) const {
    return real.stat(p);
  }
  [[nodiscard]] std::vector<shardfit::dir_entry> list(const std::string& dir) const {
    if (dir == locked) throw shardfit::error::io(dir, "cannot open directory: Permission denied");
    return real.list(dir);
  }
  [[nodiscard]] std::string read_file(const std::string& p, std::size_t max) const {
    return real.read_file(p, max);
  }
};
static_assert(shardfit::filesystem_policy<locked_filesystem>);
static_assert(!shardfit::byte_readable_filesystem<locked_filesystem>);

TEST(ShardSet, UnreadableDirectoryThroughAPolicy) {
  temp_dir d;
  d.sparse("ok/m.gguf", 1);
  d.sparse("locked/m.gguf", 1);
  discovery_options rec;
  rec.recursive = true;
  const auto r = discover(d.path(), rec, locked_filesystem{d / "locked", {}});
  EXPECT_EQ(names(r), (std::vector<std::string>{"ok/m"}));
  ASSERT_EQ(r.problems.size(), 1U);
  EXPECT_EQ(r.problems[0].path, d / "locked");
  EXPECT_EQ(r.problems[0].message, "cannot open directory: Permission denied");
  // The root itself unreadable is an error, not a problem.
  EXPECT_THROW((void)discover(d / "locked", {}, locked_filesystem{d / "locked", {}}),
               shardfit::error);
}

TEST(ShardSet, ErrorsForPathsThatAreNotModels) {
  temp_dir d;
  d.write("README.md", "x");
  try {
    (void)discover(d / "nothing");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::not_found);
    EXPECT_EQ(std::string(e.what()), d / "nothing" + ": no such file or directory");
  }
  try {
    (void)discover(d / "README.md");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("not a model file"), std::string::npos);
  }
  d.write("model.safetensors.index.json", "{not json");
  try {
    (void)discover(d.path());
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_format);
    EXPECT_EQ(std::string(e.what()),
              d / "model.safetensors.index.json" + ": at offset 1: expected a string key");
  }
}

// Found by fuzz_gguf_set: an empty listed file opened as a byte source (it copied from a null
// pointer, undefined behaviour).
TEST(ShardSet, AnEmptyListedFileOpensAsAnEmptySource) {
  shardfit::listing_filesystem fs;
  fs.add_file("/m/empty.gguf", bytes{}, std::string());
  const auto src = fs.open("/m/empty.gguf");
  EXPECT_EQ(src.size(), 0U);
  auto found = discover("/m", {}, fs);
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_EQ(found.sets[0].total_bytes, bytes{});
}

TEST(ShardSet, ListingFilesystemGivesTheSameSetsWithoutFiles) {
  shardfit::listing_filesystem hub;
  hub.add_file("org/model/model-00001-of-00003.safetensors", bytes{4'976'698'672});
  hub.add_file("org/model/model-00002-of-00003.safetensors", bytes{4'999'802'720});
  hub.add_file("org/model/model-00003-of-00003.safetensors", bytes{4'915'916'176});
  hub.add_file("org/model/config.json", bytes{826});
  const auto r = discover("org/model", {}, hub);
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_TRUE(r.sets[0].complete());
  EXPECT_EQ(r.sets[0].total_bytes.count(), 14'892'417'568ULL);
  EXPECT_EQ(r.sets[0].files[0].path, "org/model/model-00001-of-00003.safetensors");

  // With the index's content the listing gives the index set and its declared total.
  hub.add_file("org/model/model.safetensors.index.json", bytes{},
               std::string(R"({"metadata":{"total_size":14892000000},"weight_map":{
                 "a":"model-00001-of-00003.safetensors","b":"model-00002-of-00003.safetensors",
                 "c":"model-00003-of-00003.safetensors"}})"));
  const auto withIndex = discover("org/model", {}, hub);
  ASSERT_EQ(withIndex.sets.size(), 1U);
  EXPECT_EQ(withIndex.sets[0].index_total_size->count(), 14'892'000'000ULL);
  EXPECT_EQ(withIndex.sets[0].total_bytes.count(), 14'892'417'568ULL);
}

// Sets a directory's mtime to a fixed moment in the past, so a cached scan is not "racy".
void age(const std::string& path) {
  const timespec times[2] = {{0, UTIME_OMIT}, {1'600'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(ShardSet, CacheAnswersUntilTheDirectoryChanges) {
  temp_dir d;
  d.sparse("x-00001-of-00002.gguf", 10);
  age(d.path());
  shardfit::discovery_cache cache;
  const auto first = discover(d.path(), {}, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.misses(), 1U);
  EXPECT_EQ(first.sets[0].missing, (std::vector<std::uint32_t>{2}));
  const auto second = discover(d.path(), {}, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.hits(), 1U);
  EXPECT_EQ(second.sets[0].missing, first.sets[0].missing);

  // Adding the missing shard changes the directory's mtime: the cache is invalidated.
  d.sparse("x-00002-of-00002.gguf", 20);
  const auto third = discover(d.path(), {}, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.misses(), 2U);
  EXPECT_TRUE(third.sets[0].complete());
  EXPECT_EQ(third.sets[0].total_bytes.count(), 30U);
}

TEST(ShardSet, CacheInvalidatesOnInodeChange) {
  temp_dir d;
  d.sparse("sub/m.gguf", 1);
  age(d / "sub");
  shardfit::discovery_cache cache;
  (void)discover(d / "sub", {}, shardfit::posix_filesystem{}, &cache);
  // Replace the directory by another with the same name, size and (aged) mtime.
  std::filesystem::rename(d / "sub", d / "old");
  d.sparse("sub/m.gguf", 2);
  age(d / "sub");
  const auto r = discover(d / "sub", {}, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.misses(), 2U);
  EXPECT_EQ(r.sets[0].total_bytes.count(), 2U);
}

TEST(ShardSet, RacyDirectoriesAreScannedAgain) {
  temp_dir d;
  d.sparse("m.gguf", 1);  // modified just now: within the racy window
  shardfit::discovery_cache cache(std::chrono::seconds(60));
  (void)discover(d.path(), {}, shardfit::posix_filesystem{}, &cache);
  (void)discover(d.path(), {}, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.hits(), 0U);
  EXPECT_EQ(cache.misses(), 2U);
}

TEST(ShardSet, RevalidateFilesCatchesAFileChangedInPlace) {
  temp_dir d;
  d.sparse("m.gguf", 100);
  age(d.path());
  shardfit::discovery_cache cache;
  discovery_options opt;
  opt.revalidate_files = true;
  (void)discover(d.path(), opt, shardfit::posix_filesystem{}, &cache);
  ASSERT_EQ(::truncate((d / "m.gguf").c_str(), 200), 0);  // same directory, new size
  age(d.path());
  const auto r = discover(d.path(), opt, shardfit::posix_filesystem{}, &cache);
  EXPECT_EQ(cache.misses(), 2U);
  EXPECT_EQ(r.sets[0].total_bytes.count(), 200U);
  // Without revalidation the unchanged directory is trusted (one stat instead of one per file).
  shardfit::discovery_cache trusting;
  (void)discover(d.path(), {}, shardfit::posix_filesystem{}, &trusting);
  ASSERT_EQ(::truncate((d / "m.gguf").c_str(), 300), 0);
  age(d.path());
  (void)discover(d.path(), {}, shardfit::posix_filesystem{}, &trusting);
  EXPECT_EQ(trusting.hits(), 1U);
}

// Issue 18: Ollama's blob store names GGUF models "sha256-<digest>" with no extension; a file
// named on the command line is recognised by its magic. Other extensionless files are not.
TEST(ShardSet, AnExtensionlessFileIsGgufByItsMagic) {
  temp_dir d;
  const std::string blob =
      d.write("sha256-6a0746a1ec1a", std::string("GGUF\x03\0\0\0", 8) + std::string(56, '\0'));
  const auto r = discover(blob);
  ASSERT_EQ(r.sets.size(), 1U);
  EXPECT_EQ(r.sets[0].name, "sha256-6a0746a1ec1a");
  EXPECT_EQ(r.sets[0].format, model_format::gguf);
  EXPECT_EQ(r.sets[0].files.size(), 1U);
  EXPECT_EQ(r.sets[0].total_bytes, bytes{64});
  EXPECT_TRUE(r.sets[0].complete());
  const std::string text = d.write("sha256-license", "MIT License ...");
  try {
    (void)discover(text);
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("or a file starting with the GGUF magic"),
              std::string::npos);
  }
}

}  // namespace
