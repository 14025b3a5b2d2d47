#include <shardfit/cluster/inventory.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using shardfit::bytes;
using shardfit::cluster;
using shardfit::parse_cluster;
using namespace shardfit::literals;

// The issue's example, with a volume, a model copy and a claim added.
const std::string kCluster = R"({
  "reserved": {"ram": "2GiB", "vram": "1GiB"},
  "volumes": [{"name": "nfs", "free": "2TB",
               "models": [{"name": "Llama-3.1-70B", "bytes": "141107412992"}]}],
  "workers": [
    {"name": "host4080", "ram": "64GiB", "ram_used": "8GiB", "uma": false, "labels": {"zone": "a"},
     "disk_free": "500GB", "mounts": [{"path": "/mnt/models", "shared": true}],
     "future_key": [1, 2, 3],
     "gpus": [{"index": 0, "name": "RTX 4080", "vendor": "nvidia", "vram": "16GiB",
               "vram_used": "500MiB", "temperature": 41}]},
    {"name": "a100", "address": "10.0.0.9", "ram": 549755813888,
     "mounts": [{"path": "/models", "volume": "nfs"}],
     "models": [{"name": "Llama-3.1-8B", "path": "/data/l8", "bytes": 16060522496}],
     "gpus": [{"index": 1, "vram": "80GiB"}, {"index": 0, "vram": "80GiB"}]}],
  "claims": [{"instance": "chat", "worker": "a100", "gpu": 1, "vram": "30GiB", "ram": "16GiB"}]
})";

TEST(Inventory, ParsesTheClusterJsonWithUnitsAndIgnoresUnknownKeys) {
  const cluster c = parse_cluster(kCluster, "cluster.json");
  ASSERT_EQ(c.workers.size(), 2U);
  EXPECT_EQ(c.reserved.ram, 2_GiB);
  EXPECT_EQ(c.reserved.vram, 1_GiB);
  const auto& h = c.workers[0];
  EXPECT_EQ(h.name, "host4080");
  EXPECT_EQ(h.address, "host4080");  // defaults to the name
  EXPECT_EQ(h.ram, 64_GiB);
  EXPECT_EQ(h.ram_used, 8_GiB);
  EXPECT_EQ(h.label("zone"), "a");
  EXPECT_FALSE(h.label("rack").has_value());
  ASSERT_EQ(h.mounts.size(), 1U);
  EXPECT_TRUE(h.mounts[0].shared);
  ASSERT_EQ(h.gpus.size(), 1U);
  EXPECT_EQ(h.gpus[0].name, "RTX 4080");
  EXPECT_EQ(h.gpus[0].vram, 16_GiB);
  EXPECT_EQ(h.gpus[0].vram_used, 500_MiB);
  const auto& a = c.workers[1];
  EXPECT_EQ(a.address, "10.0.0.9");
  EXPECT_EQ(a.ram, 512_GiB);  // a plain integer is bytes
  EXPECT_EQ(a.gpus[0].index, 1U);
  EXPECT_TRUE(a.mounts[0].shared);  // a mount of a named volume is shared unless it says not
  ASSERT_EQ(c.claims.size(), 1U);
  EXPECT_EQ(c.claims[0].gpu, 1U);
}

// Issue 18: a typo is reported, not silently ignored; a bare number is bytes, so a small one
// is refused with the unit it surely meant.
TEST(Inventory, UnknownKeysWarnWithTheNearestKnownKey) {
  std::vector<std::string> warnings;
  (void)parse_cluster(kCluster, "cluster.json", &warnings);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "cluster.json: unknown key 'future_key' in worker 'host4080'; it is "
                          "ignored",
                          "cluster.json: unknown key 'temperature' in worker 'host4080' gpu 0; "
                          "it is ignored"}));
  warnings.clear();
  const cluster c = parse_cluster(
      R"({"workers": [{"name": "box", "rma": "64GiB", "gpus": [{"vrma": "24GiB"}]}]})", "c.json",
      &warnings);
  EXPECT_EQ(c.workers[0].gpus[0].vram, shardfit::bytes{});
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "c.json: unknown key 'rma' in worker 'box'; it is ignored (did you mean 'ram'?)",
                "c.json: unknown key 'vrma' in worker 'box' gpu 0; it is ignored (did you mean "
                "'vram'?)"}));
}

TEST(Inventory, ABareNumberUnderOneMibIsRefusedWithAUnit) {
  try {
    (void)parse_cluster(R"({"workers": [{"name": "box", "gpus": [{"vram": 24}]}]})", "c.json");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              "c.json: worker 'box' gpu 0 key 'vram': a bare number is a count of bytes, and 24 "
              "bytes is less than 1 MiB; write the unit, e.g. \"24GiB\" or \"24GB\"");
  }
  // 0 and whole byte counts stay valid.
  const cluster c = parse_cluster(
      R"({"workers": [{"name": "b", "ram": 1048576, "gpus": [{"vram": 25769803776, "vram_used": 0}]}]})",
      "c.json");
  EXPECT_EQ(c.workers[0].ram, 1_MiB);
  EXPECT_EQ(c.workers[0].gpus[0].vram, 24_GiB);
}

// The schema in docs/ names exactly the keys the reader knows, object by object, and every
// bundled example cluster uses only those keys.
TEST(Inventory, TheSchemaAndTheExamplesMatchTheReader) {
  const auto schema = nlohmann::json::parse(shardfit::posix_filesystem{}.read_file(
      std::string(SHARDFIT_SOURCE_DIR) + "/docs/cluster.schema.json", 1U << 20U));
  const auto keys = [](const nlohmann::json& object) {
    std::vector<std::string> out;
    for (const auto& [k, v] : object.at("properties").items()) out.push_back(k);
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto known = [](const auto& arr) {
    std::vector<std::string> out(arr.begin(), arr.end());
    std::sort(out.begin(), out.end());
    return out;
  };
  using k = shardfit::cluster_keys;
  EXPECT_EQ(keys(schema), known(k::top));
  const auto& defs = schema.at("$defs");
  EXPECT_EQ(keys(defs.at("reserved")), known(k::reserved));
  EXPECT_EQ(keys(defs.at("volume")), known(k::volume));
  EXPECT_EQ(keys(defs.at("model")), known(k::model));
  EXPECT_EQ(keys(defs.at("worker")), known(k::worker));
  EXPECT_EQ(keys(defs.at("mount")), known(k::mount));
  EXPECT_EQ(keys(defs.at("gpu")), known(k::gpu));
  EXPECT_EQ(keys(defs.at("claim")), known(k::claim));
  for (const char* name : {"lab.json", "box-8x24.json", "large.json"}) {
    const std::string path = std::string(SHARDFIT_EXAMPLES_DATA) + "/clusters/" + name;
    std::vector<std::string> warnings;
    (void)parse_cluster(shardfit::posix_filesystem{}.read_file(path, 64U << 20U), path, &warnings);
    EXPECT_TRUE(warnings.empty()) << path << ": " << warnings.front();
  }
}

TEST(Inventory, AllocatableMemorySubtractsUseReservationsAndClaims) {
  const cluster c = parse_cluster(kCluster, "cluster.json");
  // host4080: 16 GiB - 500 MiB used - 1 GiB reserved.
  EXPECT_EQ(c.allocatable_vram(0, 0), 16_GiB - 500_MiB - 1_GiB);
  EXPECT_EQ(c.allocatable_ram(0), 64_GiB - 8_GiB - 2_GiB);
  // a100: the claim holds 30 GiB of GPU index 1 (slot 0) and 16 GiB of RAM.
  EXPECT_EQ(c.allocatable_vram(1, 0), 80_GiB - 1_GiB - 30_GiB);
  EXPECT_EQ(c.allocatable_vram(1, 1), 80_GiB - 1_GiB);
  EXPECT_EQ(c.allocatable_ram(1), 512_GiB - 2_GiB - 16_GiB);
}

TEST(Inventory, AllocatableNeverGoesBelowZero) {
  const cluster c = parse_cluster(
      R"({"reserved": {"vram": "2GiB"}, "workers": [{"name": "w", "ram": "1GiB",
          "gpus": [{"vram": "1GiB"}]}],
          "claims": [{"worker": "w", "gpu": 0, "vram": "8GiB", "ram": "8GiB"}]})",
      "c.json");
  EXPECT_EQ(c.allocatable_vram(0, 0), bytes{});
  EXPECT_EQ(c.allocatable_ram(0), bytes{});
}

TEST(Inventory, ModelCopiesOnDiskOrOnAMountedSharedVolume) {
  const cluster c = parse_cluster(kCluster, "cluster.json");
  using shardfit::model_ref;
  using shardfit::storage_source;
  EXPECT_TRUE(c.holds_model(1, model_ref{"Llama-3.1-8B", "", bytes{16060522496}}));
  EXPECT_TRUE(c.holds_model(1, model_ref{"Llama-3.1-8B", "", bytes{}}));      // size unknown
  EXPECT_FALSE(c.holds_model(1, model_ref{"Llama-3.1-8B", "", bytes{123}}));  // another file
  EXPECT_TRUE(c.holds_model(1, model_ref{"Meta Llama 3.1 8B", "Llama-3.1-8B", bytes{}}));  // set
  const auto present = c.locate_model(1, model_ref{"Llama-3.1-8B", "", bytes{}});
  EXPECT_EQ(present.source, storage_source::present);
  EXPECT_EQ(present.path, "/data/l8");
  const auto shared = c.locate_model(1, model_ref{"Llama-3.1-70B", "", bytes{141107412992}});
  EXPECT_EQ(shared.source, storage_source::shared);  // via the volume it mounts at /models
  EXPECT_EQ(shared.volume, "nfs");
  EXPECT_EQ(shared.path, "/models");
  EXPECT_EQ(c.locate_model(0, model_ref{"Llama-3.1-70B", "", bytes{}}).source,
            storage_source::download);  // mounts no volume
  EXPECT_EQ(c.workers[0].disk_free, 500_GB);
  EXPECT_FALSE(c.workers[1].disk_free.has_value());  // not given: never checked
}

void expect_error(const std::string& json, const std::string& part) {
  try {
    (void)parse_cluster(json, "bad.json");
    FAIL() << "no error for " << json;
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), shardfit::errc::invalid_format);
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Inventory, ABadValueNamesTheFileTheWorkerAndTheKey) {
  expect_error(R"({"workers": [{"name": "host4080", "ram": "64XB"}]})",
               "worker 'host4080' key 'ram': invalid size '64XB'");
  expect_error(R"({"workers": [{"name": "h", "ram": -5}]})", "worker 'h' key 'ram'");
  expect_error(R"({"workers": [{"name": "h", "ram": 1.5}]})", "worker 'h' key 'ram'");
  expect_error(R"({"workers": [{"name": "h", "gpus": [{"vram": "8GiB", "vram_used": "9GiB"}]}]})",
               "worker 'h' gpu 0 key 'vram_used': is more than the GPU's vram");
  expect_error(R"({"workers": [{"name": "h", "gpus": [{"index": 0}, {"index": 0}]}]})",
               "two GPUs have index 0");
  expect_error(R"({"workers": [{"name": "h"}, {"name": "h"}]})", "worker 'h': two workers");
  expect_error(R"({"workers": [{"ram": "1GiB"}]})", "worker 0 key 'name'");
  expect_error(R"({"workers": [{"name": "h", "uma": "yes"}]})", "worker 'h' key 'uma'");
  expect_error(R"({"workers": [{"name": "h", "labels": {"a": 1}}]})", "label 'a'");
  expect_error(R"({"workers": []], "x": 1})", "bad.json");
  expect_error(R"({"nodes": []})", "\"workers\" array");
  expect_error(R"([1, 2])", "a cluster must be a JSON object");
  expect_error(R"({"workers": [], "claims": [{"worker": "ghost"}]})",
               "claim 0 key 'worker': no worker is named 'ghost'");
  expect_error(R"({"reserved": {"vram": "lots"}, "workers": []})", "reserved key 'vram'");
}

TEST(Inventory, TheJsonInventoryReadsTheFileOnEverySnapshot) {
  shardfit::test::temp_dir d;
  d.write("c.json", R"({"workers": [{"name": "a"}]})");
  const shardfit::cluster_json_inventory inv(d / "c.json");
  EXPECT_EQ(inv.snapshot().workers.size(), 1U);
  d.write("c.json", R"({"workers": [{"name": "a"}, {"name": "b"}]})");
  EXPECT_EQ(inv.snapshot().workers.size(), 2U);
  const shardfit::cluster_json_inventory missing(d / "nope.json");
  EXPECT_THROW((void)missing.snapshot(), shardfit::error);
}

}  // namespace
