// Hostile JSON for every reader of JSON that comes from elsewhere (cluster files, HF configs,
// index files, kubectl and rocm-smi output): nesting, huge arrays and numbers past 2^63 are
// refused with errors naming the offset (and the line, for the inventory adapters), after at
// most a bounded tree is built. The binary readers' cases are in gguf_test and
// safetensors_test; the filesystem's in shard_set_test. The README's "Robustness" table lists
// them all.

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/files/index_file.hpp>
#include <shardfit/formats/read_hf_config.hpp>

#include <gtest/gtest.h>

#include "support/errors.hpp"

#include <string>

namespace {

using shardfit::test::error_of;

using namespace shardfit;

const std::string& deep() {
  static const std::string s = std::string(100000, '[') + std::string(100000, ']');
  return s;
}

// {"workers": [0,0,0,...]} with 6,000,001 elements (12 MB).
const std::string& many() {
  static const std::string s = [] {
    std::string t = "{\"workers\": [";
    t.reserve(12'000'020);
    for (int i = 0; i < 6'000'000; ++i) t += "0,";
    return t + "0]}";
  }();
  return s;
}

TEST(Robustness, DeepNestingIsRefusedAtTheDepthLimit) {
  EXPECT_EQ(error_of([] { (void)parse_cluster(deep(), "c.json"); }),
            "c.json: at offset 16: nesting deeper than 16 levels");
  EXPECT_EQ(error_of([] { (void)parse_hf_config(deep(), "config.json"); }),
            "config.json: at offset 32: nesting deeper than 32 levels");
  EXPECT_EQ(error_of([] { (void)parse_kubernetes_nodes(deep(), "nodes.json"); }),
            "nodes.json: line 1 (offset 32): nesting deeper than 32 levels");
  EXPECT_EQ(error_of([] { (void)parse_rocm_smi(deep(), "rocm.json", {}); }),
            "rocm.json: line 1 (offset 8): nesting deeper than 8 levels");
  EXPECT_EQ(error_of([] { (void)parse_weight_index(deep(), "i.json"); }),
            "i.json: at offset 0: expected an object, got array");
}

TEST(Robustness, HugeArraysStopAtTheValueBudget) {
  EXPECT_EQ(error_of([] { (void)parse_cluster(many(), "c.json"); }),
            "c.json: at offset 10000009: more than 5000000 JSON values; this file is refused");
  EXPECT_EQ(error_of([] { (void)parse_kubernetes_nodes(many(), "nodes.json"); }),
            "nodes.json: line 1 (offset 10000009): more than 5000000 JSON values; this file is "
            "refused");
  EXPECT_EQ(error_of([] { (void)parse_hf_config(many(), "config.json"); }),
            "config.json: at offset 400009: more than 200000 JSON values; this file is refused");
  // The index is read as a stream: other keys are skipped without being kept.
  EXPECT_EQ(error_of([] { (void)parse_weight_index(many(), "i.json"); }),
            "i.json: no \"weight_map\" object and no metadata.total_size");
}

TEST(Robustness, NumbersPast64BitsAreRefusedByName) {
  EXPECT_EQ(error_of([] {
              (void)parse_cluster(R"({"workers": [{"name": "w", "ram": 9223372036854775808000}]})",
                                  "c.json");
            }),
            "c.json: worker 'w' key 'ram': a size must be a non-negative whole number of bytes, "
            "not 9223372036854775808000");
  EXPECT_EQ(error_of([] {
              (void)parse_hf_config(
                  R"({"num_hidden_layers": 9223372036854775808, "model_type": "llama"})",
                  "config.json");
            }),
            "config.json: at offset 22: key 'num_hidden_layers' must be an integer below 2^32, "
            "not number");
  EXPECT_EQ(error_of([] {
              (void)parse_weight_index(
                  R"({"metadata": {"total_size": 18446744073709551616}, "weight_map": {}})",
                  "i.json");
            }),
            "i.json: at offset 28: integer 18446744073709551616 does not fit 64 bits");
  EXPECT_EQ(
      error_of([] {
        (void)parse_kubernetes_nodes(
            R"({"items": [{"metadata": {"name": "n"}, "status": {"allocatable": {"memory": "99999999999999Ei"}}}]})",
            "nodes.json");
      }),
      "nodes.json: line 1: node 'n': memory '99999999999999Ei' is not a Kubernetes "
      "quantity (e.g. 64Gi)");
  EXPECT_EQ(
      error_of([] { (void)parse_nvidia_smi("0, A, 9223372036854775808, 0\n", "smi.csv", {}); }),
      "smi.csv: line 1: memory.total '9223372036854775808' is not a whole number of MiB");
}

}  // namespace
