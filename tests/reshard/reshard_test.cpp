// Layer-aligned resharding of synthetic checkpoints with real (patterned) tensor data.
#include <shardfit/formats/gguf_writer.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/reshard/interrupt.hpp>
#include <shardfit/reshard/reshard.hpp>

#include <gtest/gtest.h>

#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace shardfit;
using shardfit::test::temp_dir;

// Bytes no two tensors share: every byte depends on the tensor's name and its position.
std::string pattern(const std::string& name, std::uint64_t n) {
  std::string s(static_cast<std::size_t>(n), '\0');
  std::uint64_t x = std::hash<std::string>{}(name) | 1U;
  for (auto& c : s) {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    c = static_cast<char>(x & 0xFFU);
  }
  return s;
}

struct st_spec {
  std::string name;
  std::vector<std::uint64_t> shape;  // BF16
  [[nodiscard]] std::uint64_t bytes() const {
    std::uint64_t n = 2;
    for (auto d : shape) n *= d;
    return n;
  }
};

// A safetensors file whose data order is the given order.
void write_st(const std::string& path, const std::vector<st_spec>& tensors,
              const std::string& metadata = R"("__metadata__":{"format":"pt"},)") {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::string json = "{" + metadata;
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    json += (i ? "," : "") + ("\"" + t.name + "\":{\"dtype\":\"BF16\",\"shape\":[");
    for (std::size_t d = 0; d < t.shape.size(); ++d)
      json += (d ? "," : "") + std::to_string(t.shape[d]);
    json +=
        "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + t.bytes()) + "]}";
    off += t.bytes();
  }
  json += "}";
  while (json.size() % 8 != 0) json += ' ';
  std::ofstream f(path, std::ios::binary);
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) f.put(static_cast<char>((n >> (8 * i)) & 0xFFU));
  f << json;
  for (const auto& t : tensors) f << pattern(t.name, t.bytes());
}

std::vector<st_spec> tiny_checkpoint(std::uint32_t layers) {
  std::vector<st_spec> t{{"model.embed_tokens.weight", {50, 16}}};
  for (std::uint32_t l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {16}});
    t.push_back({p + "self_attn.q_proj.weight", {16, 16}});
    t.push_back({p + "self_attn.k_proj.weight", {8, 16}});
    t.push_back({p + "self_attn.v_proj.weight", {8, 16}});
    t.push_back({p + "mlp.down_proj.weight", {16, 64}});
  }
  t.push_back({"model.norm.weight", {16}});
  t.push_back({"lm_head.weight", {50, 16}});
  return t;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Every tensor's bytes in the output equal the pattern it was written with.
void expect_tensors_intact(const std::string& dir, const reshard_plan& plan) {
  for (const auto& s : plan.shards) {
    const auto h = safetensors_header::open(dir + "/" + s.file);
    const std::string data = read_all(dir + "/" + s.file);
    for (const auto& t : h.tensors()) {
      const auto got = data.substr(static_cast<std::size_t>(h.data_offset() + t.begin),
                                   static_cast<std::size_t>(t.size().count()));
      EXPECT_EQ(got, pattern(t.name, t.size().count())) << t.name << " in " << s.file;
    }
  }
}

TEST(Reshard, SafetensorsIntoLayerAlignedShardsWithIndex) {
  temp_dir d;
  const auto spec = tiny_checkpoint(6);  // a layer: 32 + 512 + 256 + 256 + 2048 = 3104 bytes
  write_st(d / "model.safetensors", spec);
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");  // two layers and their headers per shard
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  ASSERT_EQ(plan.shards.size(), 4U);
  EXPECT_EQ(plan.shards[0].file, "model-00001-of-00004.safetensors");
  EXPECT_EQ(plan.shards[3].file, "model-00004-of-00004.safetensors");
  EXPECT_EQ(plan.index_file, "model.safetensors.index.json");
  EXPECT_TRUE(plan.warnings.empty());
  // Every layer whole in one shard, in source order.
  std::map<std::uint32_t, std::set<std::size_t>> shards_of_layer;
  for (std::size_t s = 0; s < plan.shards.size(); ++s) {
    EXPECT_LE(plan.shards[s].size, o.max_shard_size);
    for (const auto ti : plan.shards[s].tensors) {
      if (plan.tensors[ti].layer) shards_of_layer[*plan.tensors[ti].layer].insert(s);
    }
  }
  ASSERT_EQ(shards_of_layer.size(), 6U);
  for (const auto& [layer, shards] : shards_of_layer) EXPECT_EQ(shards.size(), 1U) << layer;
  // The same plan on a second run.
  const auto again = plan_reshard(d / "model.safetensors", d / "out", o);
  ASSERT_EQ(again.shards.size(), plan.shards.size());
  for (std::size_t s = 0; s < plan.shards.size(); ++s) {
    EXPECT_EQ(again.shards[s].tensors, plan.shards[s].tensors);
    EXPECT_EQ(again.shards[s].size, plan.shards[s].size);
  }

  const auto done = write_reshard(plan, o);
  EXPECT_EQ(done.files.size(), 5U);
  EXPECT_EQ(done.verified_tensors, spec.size());
  for (const auto& s : plan.shards) {
    EXPECT_EQ(std::filesystem::file_size(d / ("out/" + s.file)), s.size.count());
  }
  expect_tensors_intact(d / "out", plan);
  // The index, and the set as discovery sees it: complete, its total the source's tensors.
  const auto index = parse_weight_index(read_all(d / "out/model.safetensors.index.json"), "index");
  std::uint64_t total = 0;
  for (const auto& t : spec) total += t.bytes();
  EXPECT_EQ(index.total_size, bytes{total});
  EXPECT_EQ(index.tensors.size(), spec.size());
  EXPECT_EQ(index.files.size(), 4U);
  const auto found = discover(d / "out");
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_TRUE(found.sets[0].missing.empty());
  EXPECT_EQ(found.sets[0].files.size(), 4U);
  // __metadata__ carried over; no working files left.
  EXPECT_EQ(safetensors_header::open(d / "out/model-00002-of-00004.safetensors").metadata().front(),
            (std::pair<std::string, std::string>{"format", "pt"}));
  for (const auto& e : std::filesystem::directory_iterator(d / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".shardfit"), std::string::npos) << e.path();
  }
}

TEST(Reshard, LayersLargerThanTheLimitSplitBetweenTensorsAndHugeTensorsStandAlone) {
  temp_dir d;
  std::vector<st_spec> spec = tiny_checkpoint(2);
  spec.push_back({"model.huge.weight", {100, 100}});  // 20,000 bytes > the 6 KB limit
  write_st(d / "model.safetensors", spec);
  reshard_options o;
  o.max_shard_size = parse_bytes("3000B");  // less than a layer (3104 bytes)
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  ASSERT_EQ(plan.warnings.size(), 1U);
  EXPECT_EQ(plan.warnings[0],
            "tensor 'model.huge.weight' (20.00 kB) is larger than the shard limit 3.00 kB: it gets "
            "a shard of its own");
  std::size_t oversized = 0;
  for (const auto& s : plan.shards) {
    if (s.oversized) {
      ++oversized;
      ASSERT_EQ(s.tensors.size(), 1U);
      EXPECT_EQ(plan.tensors[s.tensors[0]].name, "model.huge.weight");
    } else {
      EXPECT_LE(s.size, o.max_shard_size);
    }
  }
  EXPECT_EQ(oversized, 1U);
  write_reshard(plan, o);
  expect_tensors_intact(d / "out", plan);
}

TEST(Reshard, ASetIsReshardedAcrossItsFiles) {
  temp_dir d;
  const auto spec = tiny_checkpoint(4);
  std::vector<st_spec> a(spec.begin(), spec.begin() + 11);
  std::vector<st_spec> b(spec.begin() + 11, spec.end());
  write_st(d / "in/model-00001-of-00002.safetensors", a);
  write_st(d / "in/model-00002-of-00002.safetensors", b);
  reshard_options o;
  o.max_shard_size = parse_bytes("20KB");
  o.stem = "merged";
  const auto plan = plan_reshard(d / "in", d / "out", o);
  ASSERT_EQ(plan.shards.size(), 1U);  // everything fits one file: no index, no numbering
  EXPECT_EQ(plan.shards[0].file, "merged.safetensors");
  EXPECT_TRUE(plan.index_file.empty());
  write_reshard(plan, o);
  expect_tensors_intact(d / "out", plan);
  EXPECT_EQ(safetensors_header::open(d / "out/merged.safetensors").tensors().size(), spec.size());
}

TEST(Reshard, RefusesToOverwriteWithoutForceAndNeverTheSource) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(4));
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  write_reshard(plan, o);
  try {
    write_reshard(plan, o);
    FAIL() << "overwrote an existing set";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), shardfit::errc::already_exists);
    EXPECT_EQ(std::string(e.what()),
              d / "out/model-00001-of-00003.safetensors" + std::string(": already exists"));
    EXPECT_EQ(e.option(), "force");
  }
  o.force = true;
  EXPECT_NO_THROW(write_reshard(plan, o));
  // Resharding into the source's own directory under its own name is refused even with force.
  o.max_shard_size = parse_bytes("1MB");
  const auto same = plan_reshard(d / "model.safetensors", d.path(), o);
  ASSERT_EQ(same.shards[0].file, "model.safetensors");
  try {
    write_reshard(same, o);
    FAIL() << "overwrote the source";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              d.path() +
                  ": is the source's directory; reshard in place (the old set is replaced once "
                  "the new one verifies) or choose another output directory");
  }
}

// Issue 19: the output is a model directory (config, generation config, tokenizer and chat
// template copied; other files not), and replacing a set with force removes its old shards.
TEST(Reshard, CopiesTheModelFilesAndForceRemovesTheReplacedShards) {
  temp_dir d;
  write_st(d / "in/model.safetensors", tiny_checkpoint(6));
  d.write("in/config.json", R"({"model_type":"llama"})");
  d.write("in/generation_config.json", R"({"temperature":0.6})");
  d.write("in/tokenizer.json", R"({"version":"1.0"})");
  d.write("in/tokenizer_config.json", R"({"chat_template":null})");
  d.write("in/chat_template.jinja", "{{ messages }}");
  d.write("in/README.md", "not a model file");
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  const auto plan = plan_reshard(d / "in/model.safetensors", d / "out", o);
  ASSERT_EQ(plan.companion_files.size(), 5U);
  const auto done = write_reshard(plan, o);
  for (const char* f : {"config.json", "generation_config.json", "tokenizer.json",
                        "tokenizer_config.json", "chat_template.jinja"}) {
    EXPECT_EQ(read_all(d / "out/" + f), read_all(d / "in/" + f)) << f;
  }
  EXPECT_FALSE(std::filesystem::exists(d / "out/README.md"));
  EXPECT_EQ(done.files.size(), 4U + 5U + 1U);
  EXPECT_EQ(done.files.back(), d / "out/model.safetensors.index.json");  // the index last

  // Again with a larger limit: 2 shards replace 4 only with force, and the old 3rd and 4th
  // shards do not stay behind as foreign files.
  o.max_shard_size = parse_bytes("16KB");
  const auto bigger = plan_reshard(d / "in/model.safetensors", d / "out", o);
  ASSERT_EQ(bigger.shards.size(), 2U);
  try {
    write_reshard(bigger, o);
    FAIL() << "replaced a set without force";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), shardfit::errc::already_exists) << e.what();
    EXPECT_EQ(e.option(), "force");
  }
  o.force = true;
  const auto replaced = write_reshard(bigger, o);
  EXPECT_EQ(
      replaced.removed,
      (std::vector<std::string>{
          d / "out/model-00001-of-00004.safetensors", d / "out/model-00002-of-00004.safetensors",
          d / "out/model-00003-of-00004.safetensors", d / "out/model-00004-of-00004.safetensors"}));
  const auto found = discover(d / "out");
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_TRUE(found.sets[0].complete());
  EXPECT_EQ(found.sets[0].files.size(), 2U);
  EXPECT_TRUE(found.sets[0].foreign.empty());
  expect_tensors_intact(d / "out", bigger);
}

// Issue 19: --out equal to the source needs in_place, which keeps the old set until the new
// one verifies, then puts the new one in place and removes the old file.
TEST(Reshard, InPlaceReplacesTheSourceSetOnceTheNewOneVerifies) {
  temp_dir d;
  write_st(d / "m/model.safetensors", tiny_checkpoint(6));
  d.write("m/config.json", "{}");
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  o.in_place = true;
  const auto plan = plan_reshard(d / "m/model.safetensors", d / "m", o);
  // A failure during verification leaves the source as it was.
  reshard_options failing = o;
  failing.progress = [](const reshard_progress& p) {
    if (p.phase == "verify") throw std::runtime_error("injected");
  };
  const std::string before = read_all(d / "m/model.safetensors");
  EXPECT_THROW(write_reshard(plan, failing), std::runtime_error);
  EXPECT_EQ(read_all(d / "m/model.safetensors"), before);
  const auto done = write_reshard(plan, o);
  EXPECT_EQ(done.removed, (std::vector<std::string>{d / "m/model.safetensors"}));
  const auto found = discover(d / "m");
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_TRUE(found.sets[0].complete());
  EXPECT_EQ(found.sets[0].files.size(), 4U);
  EXPECT_EQ(read_all(d / "m/config.json"), "{}");  // kept, not copied onto itself
  expect_tensors_intact(d / "m", plan);
  // In place elsewhere than the source's directory is refused.
  EXPECT_THROW(write_reshard(plan_reshard(d / "m", d / "other", o), o), shardfit::error);
}

// Issue 19: free space is checked before anything is written.
TEST(Reshard, RefusesWhenTheOutputFilesystemIsTooSmall) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(6));
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  o.free_space = [](const std::string&) { return std::optional<bytes>(bytes{10000}); };
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  try {
    write_reshard(plan, o);
    FAIL() << "wrote past the free space";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::limit_exceeded);
    std::uint64_t shards = 0;
    for (const auto& s : plan.shards) shards += s.size.count();
    EXPECT_EQ(e.message(), "the new set needs " +
                               to_string_decimal(bytes{shards + detail::index_json(plan).size()}) +
                               " but its filesystem has 10.00 kB free");
  }
  EXPECT_TRUE(std::filesystem::is_empty(d / "out"));
  // What the dry run reports: the shards' bytes plus an upper bound of the index's.
  std::uint64_t shards = 0;
  for (const auto& s : plan.shards) shards += s.size.count();
  EXPECT_GE(plan.bytes_to_write().count(), shards + detail::index_json(plan).size());
  EXPECT_LE(plan.bytes_to_write().count(), shards + 2 * detail::index_json(plan).size());
}

// Issue 19: SIGINT/SIGTERM at any point (before the first shard is done, between shards,
// during verification) stop the run, remove the working directory and leave the source as it
// was and nothing in the output; a run SIGKILL stopped leaves a locked working directory that
// the next run removes, saying so.
TEST(Reshard, ASignalStopsTheRunAndRemovesWhatItWrote) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(6));
  const std::string before = read_all(d / "model.safetensors");
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  o.buffer_size = 1024;
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  struct point {
    const char* name;
    std::function<bool(const reshard_progress&)> at;
    int sig;
  };
  const std::vector<point> points = {
      {"before the first shard", [](const reshard_progress&) { return true; }, SIGINT},
      {"between shards",
       [](const reshard_progress& p) { return p.phase == "write" && p.shard == 1; }, SIGTERM},
      {"during verification", [](const reshard_progress& p) { return p.phase == "verify"; },
       SIGTERM}};
  for (const auto& pt : points) {
    std::filesystem::remove_all(d / "out");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      interrupt_guard guard;
      reshard_options c = o;
      c.cancelled = interrupt_guard::requested;
      bool sent = false;
      c.progress = [&](const reshard_progress& p) {
        if (!sent && pt.at(p)) {
          sent = true;
          ::raise(pt.sig);
        }
      };
      try {
        write_reshard(plan, c);
      } catch (const shardfit::error& e) {
        ::_exit(e.code() == errc::interrupted ? 128 + interrupt_guard::signal() : 3);
      } catch (...) {
        ::_exit(4);
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << pt.name;
    EXPECT_EQ(WEXITSTATUS(status), 128 + pt.sig) << pt.name;
    EXPECT_EQ(read_all(d / "model.safetensors"), before) << pt.name;
    EXPECT_TRUE(std::filesystem::is_empty(d / "out")) << pt.name;
  }

  // SIGKILL cannot be caught: the working directory stays, locked by a process that is gone.
  std::filesystem::remove_all(d / "out");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    reshard_options c = o;
    c.progress = [](const reshard_progress& p) {
      if (p.shard == 2) ::raise(SIGKILL);
    };
    write_reshard(plan, c);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto left = leftover_work_dirs(d / "out");
  ASSERT_EQ(left.size(), 1U);
  EXPECT_NE(left[0].find("process " + std::to_string(child) + ", left by a run that was stopped"),
            std::string::npos)
      << left[0];
  const auto done = write_reshard(plan, o);
  ASSERT_EQ(done.cleaned.size(), 1U);
  EXPECT_EQ(done.cleaned[0].rfind("removed " + d / "out/.shardfit-reshard-", 0), 0U)
      << done.cleaned[0];
  EXPECT_TRUE(leftover_work_dirs(d / "out").empty());
  expect_tensors_intact(d / "out", plan);

  // A working directory whose process still runs (this one) stops a second writer.
  std::filesystem::create_directories(d / "busy/.shardfit-reshard-abc123");
  d.write("busy/.shardfit-reshard-abc123/lock", std::to_string(::getpid()) + "\n");
  try {
    write_reshard(plan_reshard(d / "model.safetensors", d / "busy", o), o);
    FAIL() << "wrote beside a running reshard";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.message(), "another reshard (process " + std::to_string(::getpid()) +
                               ") is writing here (" + d / "busy/.shardfit-reshard-abc123" +
                               "); wait for it or stop it");
  }
}

TEST(Reshard, AFailureMidwayLeavesTheSourceIntactAndNothingBehind) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(6));
  const std::string before = read_all(d / "model.safetensors");
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  o.buffer_size = 1024;
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  o.progress = [](const reshard_progress& p) {
    if (p.done.count() > 9000) throw std::runtime_error("injected write failure");
  };
  EXPECT_THROW(write_reshard(plan, o), std::runtime_error);
  EXPECT_EQ(read_all(d / "model.safetensors"), before);
  EXPECT_TRUE(std::filesystem::is_empty(d / "out"));  // not even the working directory
}

TEST(Reshard, AKilledWriterLeavesNoSetThatLooksComplete) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(6));
  const std::string before = read_all(d / "model.safetensors");
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  o.buffer_size = 1024;
  const auto plan = plan_reshard(d / "model.safetensors", d / "out", o);
  for (const char* phase : {"write", "verify"}) {
    std::filesystem::remove_all(d / "out");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      o.progress = [phase](const reshard_progress& p) {
        if (p.phase == phase && p.done.count() > 12000) ::kill(::getpid(), SIGKILL);
      };
      try {
        write_reshard(plan, o);
      } catch (...) {
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << phase;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_EQ(read_all(d / "model.safetensors"), before);
    // What the kill left (a hidden working directory of .partial files) is no model set.
    const auto found = discover(d / "out", {.recursive = true});
    for (const auto& s : found.sets) {
      EXPECT_FALSE(s.missing.empty() && !s.files.empty()) << phase << ": " << s.name;
    }
    EXPECT_FALSE(std::filesystem::exists(d / "out/model.safetensors.index.json"));
    EXPECT_FALSE(std::filesystem::exists(d / "out/model-00001-of-00004.safetensors"));
  }
}

// A GGUF model whose tensors carry patterned data, with non-default alignment.
std::string write_gguf_model(const std::string& path) {
  gguf_builder b(64);
  b.add_string("general.architecture", "llama");
  b.add_string("general.name", "patterned");
  b.add_u32("llama.block_count", 4);
  b.add_u32("llama.embedding_length", 64);
  b.add_u32("llama.feed_forward_length", 128);
  b.add_u32("llama.attention.head_count", 4);
  b.add_u32("llama.attention.head_count_kv", 2);
  b.add_u32("llama.context_length", 2048);
  std::vector<std::pair<std::string, std::vector<std::uint64_t>>> t{
      {"token_embd.weight", {64, 100}}};
  for (int l = 0; l < 4; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    t.push_back({p + "attn_norm.weight", {64}});
    t.push_back({p + "attn_q.weight", {64, 64}});
    t.push_back({p + "attn_k.weight", {64, 32}});
    t.push_back({p + "attn_v.weight", {64, 32}});
    t.push_back({p + "attn_output.weight", {64, 64}});
    t.push_back({p + "ffn_norm.weight", {64}});
    t.push_back({p + "ffn_up.weight", {64, 128}});
    t.push_back({p + "ffn_gate.weight", {64, 128}});
    t.push_back({p + "ffn_down.weight", {128, 64}});
  }
  t.push_back({"output_norm.weight", {64}});
  t.push_back({"output.weight", {64, 100}});
  std::vector<std::uint64_t> offsets;
  for (const auto& [name, ne] : t) {
    offsets.push_back(b.add_tensor(name, ne, name.find("norm") != std::string::npos ? 0 : 1));
  }
  const auto header = b.header();
  std::string data(static_cast<std::size_t>(b.data_size()), '\0');
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::uint64_t n = t[i].first.find("norm") != std::string::npos ? 4 : 2;
    for (auto d : t[i].second) n *= d;
    data.replace(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(n),
                 pattern(t[i].first, n));
  }
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(header.data()),
          static_cast<std::streamsize>(header.size()));
  f << data;
  return path;
}

TEST(Reshard, GgufIntoSplitFilesWithMetadataInTheFirst) {
  temp_dir d;
  write_gguf_model(d / "patterned.gguf");
  reshard_options o;
  o.max_shard_size = parse_bytes("60KB");
  const auto plan = plan_reshard(d / "patterned.gguf", d / "out", o);
  ASSERT_GE(plan.shards.size(), 3U);
  EXPECT_EQ(plan.shards[0].file,
            "patterned-00001-of-0000" + std::to_string(plan.shards.size()) + ".gguf");
  EXPECT_EQ(plan.alignment, 64U);
  for (const auto& s : plan.shards) EXPECT_LE(s.size, o.max_shard_size);
  write_reshard(plan, o);
  // Our reader opens the split set (it checks split.no, split.count and split.tensors.count).
  const auto set = gguf_set::open(d / ("out/" + plan.shards[1].file));
  EXPECT_EQ(set.shards().size(), plan.shards.size());
  EXPECT_EQ(set.tensors().size(), 39U);
  EXPECT_EQ(set.metadata().architecture(), "llama");
  EXPECT_FALSE(set.shards()[1].get_string("general.architecture").has_value());
  const auto src = gguf_file::open(d / "patterned.gguf");
  const std::string src_bytes = read_all(d / "patterned.gguf");
  for (const auto& st : set.tensors()) {
    EXPECT_EQ(st.file_offset % 64, 0U) << st.tensor.name;  // alignment respected
    const std::string out_bytes = read_all(set.files().files[st.shard].path);
    const auto orig = std::find_if(src.tensors().begin(), src.tensors().end(),
                                   [&](const auto& t) { return t.name == st.tensor.name; });
    ASSERT_NE(orig, src.tensors().end());
    EXPECT_EQ(out_bytes.substr(static_cast<std::size_t>(st.file_offset),
                               static_cast<std::size_t>(st.tensor.size.count())),
              src_bytes.substr(static_cast<std::size_t>(src.data_offset() + orig->offset),
                               static_cast<std::size_t>(orig->size.count())))
        << st.tensor.name;
  }
  // The same model either way.
  const auto a = load_model(d / "patterned.gguf");
  const auto b = load_model(d / ("out/" + plan.shards[0].file));
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.weights(), b.weights());
}

TEST(Reshard, RefusesIncompleteSourcesAndZeroLimits) {
  temp_dir d;
  write_st(d / "in/model-00001-of-00002.safetensors", tiny_checkpoint(1));
  reshard_options o;
  o.max_shard_size = parse_bytes("8KB");
  EXPECT_THROW((void)plan_reshard(d / "in", d / "out", o), shardfit::error);
  write_st(d / "one.safetensors", tiny_checkpoint(1));
  o.max_shard_size = bytes{};
  EXPECT_THROW((void)plan_reshard(d / "one.safetensors", d / "out", o), shardfit::error);
  o.max_shard_size = parse_bytes("40B");  // not even a header
  EXPECT_THROW((void)plan_reshard(d / "one.safetensors", d / "out", o), shardfit::error);
}

TEST(CliReshard, DryRunPrintsThePlanAndWritesNothing) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(6));
  auto r = shardfit::test::run_cli({"reshard", d / "model.safetensors", "--max-shard-size", "8KB",
                                    "--out", d / "out", "--dry-run"});
  EXPECT_EQ(r.code, 0) << r.err;
  // The bytes it would write and the room there.
  EXPECT_NE(r.out.find("\nwould write "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" free on its filesystem\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("into 4 safetensors shards of at most 8.00 kB (dry run)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("model-00001-of-00004.safetensors"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(d / "out"));
  r = shardfit::test::run_cli({"reshard", d / "model.safetensors", "--max-shard-size", "8KB",
                               "--out", d / "out", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["written"], true);
  EXPECT_EQ(j["shards"].size(), 4U);
  EXPECT_EQ(j["verified_tensors"], 33);
  EXPECT_EQ(j["index"], "model.safetensors.index.json");
  r = shardfit::test::run_cli(
      {"reshard", d / "model.safetensors", "--max-shard-size", "8KB", "--out", d / "out"});
  EXPECT_EQ(r.code, 2);
  // The library names its setting (`force`); the tool names its flag.
  EXPECT_NE(r.err.find("already exists (use --force to replace the set)\n"), std::string::npos)
      << r.err;
  r = shardfit::test::run_cli({"reshard", d / "model.safetensors", "--max-shard-size", "8KB",
                               "--out", d / "out", "--format", "gguf"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("converting is not resharding"), std::string::npos) << r.err;
}

// Issue 19: progress into a file or pipe is plain lines (no carriage returns), at most one per
// 5% of each phase, each with the bytes done, the rate and the time left; --quiet prints none.
TEST(CliReshard, ProgressIsPlainLinesWhenNotATerminal) {
  temp_dir d;
  write_st(d / "model.safetensors", tiny_checkpoint(40));
  auto r = shardfit::test::run_cli({"reshard", d / "model.safetensors", "--max-shard-size", "16KB",
                                    "--out", d / "out", "--no-sync"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  std::istringstream lines(r.err);
  std::string line;
  std::map<std::string, int> per_phase;
  // "write   45% 1.21 kB / 2.68 kB, 310 kB/s, 0 s left": phase, percent, done / total, rate.
  const auto shaped = [](const std::string& l) {
    if (l.rfind("write ", 0) != 0 && l.rfind("verify ", 0) != 0) return false;
    const auto pct = l.find('%');
    if (pct == std::string::npos || pct < 8) return false;
    const auto digits = l.substr(7, pct - 7);
    if (digits.find_first_not_of(" 0123456789") != std::string::npos) return false;
    return l.find(" / ", pct) != std::string::npos && l.find("B", pct) != std::string::npos;
  };
  while (std::getline(lines, line)) {
    EXPECT_TRUE(shaped(line)) << line;
    ++per_phase[line.substr(0, line.find(' '))];
  }
  EXPECT_GE(per_phase["write"], 2);
  EXPECT_LE(per_phase["write"], 21);
  EXPECT_GE(per_phase["verify"], 2);
  EXPECT_LE(per_phase["verify"], 21);
  EXPECT_NE(r.err.find("write  100% "), std::string::npos) << r.err;
  r = shardfit::test::run_cli({"reshard", d / "model.safetensors", "--max-shard-size", "16KB",
                               "--out", d / "out2", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // In place from the tool: --out may be left out.
  r = shardfit::test::run_cli(
      {"reshard", d / "model.safetensors", "--max-shard-size", "16KB", "--in-place", "-q"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("removed 1 file of the replaced set"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(d / "model.safetensors"));
}

}  // namespace
