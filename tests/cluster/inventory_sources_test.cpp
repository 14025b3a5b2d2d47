#include <shardfit/cluster/inventory_sources.hpp>

#include <gtest/gtest.h>

#include "support/errors.hpp"

#include "support/inventory_samples.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <vector>

namespace {

using shardfit::test::error_of;

using shardfit::bytes;
using shardfit::cluster;
using shardfit::worker_info;
using namespace shardfit::literals;
namespace samples = shardfit::test::samples;

worker_info named(const std::string& name) {
  worker_info w;
  w.name = name;
  w.address = name;
  return w;
}

TEST(NvidiaSmi, ReadsOneWorkersGpus) {
  worker_info base = named("box");
  base.ram = 128_GiB;
  const worker_info w = shardfit::parse_nvidia_smi(samples::nvidia_smi_2x4090(), "smi.csv", base);
  EXPECT_EQ(w.name, "box");
  EXPECT_EQ(w.ram, 128_GiB);
  ASSERT_EQ(w.gpus.size(), 2U);
  EXPECT_EQ(w.gpus[0].index, 0U);
  EXPECT_EQ(w.gpus[0].name, "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(w.gpus[0].vendor, "nvidia");
  EXPECT_EQ(w.gpus[0].vram, bytes{25757220864});
  EXPECT_EQ(w.gpus[0].vram_used, bytes{1177550848});
  EXPECT_EQ(w.gpus[1].index, 1U);
  EXPECT_EQ(w.gpus[1].vram_used, 3_MiB);
}

TEST(NvidiaSmi, AcceptsTheHeaderUnitsCrlfAndUnknownUsedMemory) {
  const worker_info w =
      shardfit::parse_nvidia_smi(samples::nvidia_smi_with_header(), "smi.csv", named("h100"));
  ASSERT_EQ(w.gpus.size(), 2U);
  EXPECT_EQ(w.gpus[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(w.gpus[0].vram, bytes{85520809984});
  EXPECT_EQ(w.gpus[1].vram_used, bytes{});
}

// Issue 18: a header maps columns by name, in any order, with or without units; memory.free is
// what counts (an idle RTX 4090 reporting 24 GiB free is 24 GiB free, not 24 GiB used).
TEST(NvidiaSmi, AHeaderMapsColumnsByName) {
  const worker_info w = shardfit::parse_nvidia_smi(
      "index, name, memory.total [MiB], memory.free [MiB]\n0, NVIDIA GeForce RTX 4090, 24564 MiB, "
      "24080 MiB\n",
      "smi.csv", named("box"));
  ASSERT_EQ(w.gpus.size(), 1U);
  EXPECT_EQ(w.gpus[0].name, "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(w.gpus[0].vram, bytes{24564ULL << 20U});
  EXPECT_EQ(w.gpus[0].vram_used, bytes{484ULL << 20U});  // total - free

  const worker_info o = shardfit::parse_nvidia_smi(
      "memory.used,memory.total,index\n100,16376,1\n0,16376,0\n", "smi.csv", named("box"));
  ASSERT_EQ(o.gpus.size(), 2U);
  EXPECT_EQ(o.gpus[0].index, 1U);
  EXPECT_EQ(o.gpus[0].vram_used, bytes{100ULL << 20U});
  EXPECT_EQ(o.gpus[0].vram, bytes{16376ULL << 20U});
  EXPECT_EQ(o.gpus[1].index, 0U);

  const auto refused = [](const char* text) {
    return error_of([&] { (void)shardfit::parse_nvidia_smi(text, "smi.csv", named("x")); });
  };
  EXPECT_EQ(refused("index, name, utilization.gpu [%], memory.total [MiB]\n0, A, 3 %, 100\n"),
            "smi.csv: line 1: the header names column 'utilization.gpu [%]', which shardfit does "
            "not read (it reads index, name, memory.total, memory.used and memory.free)");
  EXPECT_EQ(refused("index, name, memory.total [MiB]\n0, A, 100\n"),
            "smi.csv: line 1: the header must name index, memory.total and memory.used or "
            "memory.free");
  EXPECT_EQ(refused("index, memory.total, memory.free\n0, 100, 200\n"),
            "smi.csv: line 2: memory.free is more than memory.total");
}

TEST(NvidiaSmi, MalformedRowsNameTheLine) {
  const auto parse = [](const char* text) {
    return error_of([&] { (void)shardfit::parse_nvidia_smi(text, "smi.csv", named("x")); });
  };
  EXPECT_EQ(parse("0, A, 100, 1\n1, B, 100\n"),
            "smi.csv: line 2: expected 4 comma-separated fields (index, name, memory.total, "
            "memory.used), found 3; run nvidia-smi --query-gpu=index,name,memory.total,memory.used "
            "--format=csv,noheader,nounits");
  EXPECT_EQ(parse("\n0, A, 100, 1\nx, B, 100, 1\n"),
            "smi.csv: line 3: the GPU index 'x' is not a non-negative integer");
  EXPECT_EQ(parse("0, A, 24GB, 1\n"),
            "smi.csv: line 1: memory.total '24GB' is not a whole number of MiB");
  EXPECT_EQ(parse("0, A, [N/A], 1\n"),
            "smi.csv: line 1: memory.total is [N/A]; give this worker's GPUs in the cluster "
            "JSON instead");
  EXPECT_EQ(parse("0, A, 100, 200\n"), "smi.csv: line 1: memory.used is more than memory.total");
  EXPECT_EQ(parse("0, A, 100, 1\n0, A, 100, 1\n"), "smi.csv: line 2: GPU index 0 appears twice");
  EXPECT_EQ(parse("0, A, 99999999999999999999, 1\n"),
            "smi.csv: line 1: memory.total '99999999999999999999' is not a whole number of MiB");
  EXPECT_EQ(parse(""), "smi.csv: no GPU rows (is this nvidia-smi CSV output?)");
}

TEST(RocmSmi, ReadsCardsWithTheirProductNames) {
  const worker_info w =
      shardfit::parse_rocm_smi(samples::rocm_smi_mi250x(), "rocm.json", named("m"));
  ASSERT_EQ(w.gpus.size(), 2U);
  EXPECT_EQ(w.gpus[0].index, 0U);
  EXPECT_EQ(w.gpus[0].name, "AMD Instinct MI250X");
  EXPECT_EQ(w.gpus[0].vendor, "amd");
  EXPECT_EQ(w.gpus[0].vram, bytes{68702699520});
  EXPECT_EQ(w.gpus[0].vram_used, bytes{10960896});
  EXPECT_EQ(w.gpus[1].vram_used, 1000_MiB);
}

TEST(RocmSmi, OrdersCardsAndDefaultsTheName) {
  const worker_info w = shardfit::parse_rocm_smi(
      R"j({"card1": {"VRAM Total Memory (B)": 1024}, "card0": {"VRAM Total Memory (B)": "2048"}})j",
      "r.json", named("m"));
  ASSERT_EQ(w.gpus.size(), 2U);
  EXPECT_EQ(w.gpus[0].index, 0U);
  EXPECT_EQ(w.gpus[0].vram, bytes{2048});
  EXPECT_EQ(w.gpus[1].name, "AMD GPU");
}

TEST(RocmSmi, MalformedCardsNameTheLine) {
  const auto parse = [](const char* text) {
    return error_of([&] { (void)shardfit::parse_rocm_smi(text, "rocm.json", named("x")); });
  };
  EXPECT_EQ(parse("{\n\"card0\": {\"VRAM Total Used Memory (B)\": \"1\"}}"),
            "rocm.json: line 2: card0: no \"VRAM Total Memory (B)\"; run rocm-smi --showmeminfo "
            "vram --json");
  EXPECT_EQ(parse("{\"card0\":\n {\"VRAM Total Memory (B)\":\n \"64 GB\"}}"),
            "rocm.json: line 3: card0: \"VRAM Total Memory (B)\" is not a whole number of bytes");
  EXPECT_EQ(
      parse(R"j({"card0": {"VRAM Total Memory (B)": "1", "VRAM Total Used Memory (B)": "2"}})j"),
      "rocm.json: line 1: card0: more VRAM used than there is");
  EXPECT_EQ(parse(R"j({"system": {}})j"),
            "rocm.json: line 1: no \"cardN\" objects (is this rocm-smi --json output?)");
  EXPECT_EQ(parse("[1, 2]"), "rocm.json: line 1: rocm-smi --json output must be a JSON object");
  EXPECT_EQ(parse("{\n\"card0\": {\n\"VRAM Total Memory (B)\" \"1\"}}"),
            "rocm.json: line 3 (offset 37): expected ':' after key \"VRAM Total Memory (B)\"");
}

TEST(Quantity, ParsesKubernetesQuantities) {
  using shardfit::parse_quantity;
  EXPECT_EQ(parse_quantity("528157196Ki"), 540832968704ULL);
  EXPECT_EQ(parse_quantity("64Gi"), 68719476736ULL);
  EXPECT_EQ(parse_quantity("1.5G"), 1500000000ULL);
  EXPECT_EQ(parse_quantity("0.5Ki"), 512ULL);
  EXPECT_EQ(parse_quantity("8"), 8ULL);
  EXPECT_EQ(parse_quantity("1e3"), 1000ULL);
  EXPECT_EQ(parse_quantity("1E3"), 1000ULL);
  EXPECT_EQ(parse_quantity("1.5e3"), 1500ULL);
  EXPECT_EQ(parse_quantity("1Gie3"), std::nullopt);
  EXPECT_EQ(parse_quantity("16E"), 16'000'000'000'000'000'000ULL);
  EXPECT_EQ(parse_quantity("1500m"), 1ULL);
  EXPECT_EQ(parse_quantity("100m"), 0ULL);
  EXPECT_EQ(parse_quantity("19E"), std::nullopt);
  EXPECT_EQ(parse_quantity("12Zi"), std::nullopt);
  EXPECT_EQ(parse_quantity(""), std::nullopt);
  EXPECT_EQ(parse_quantity("Gi"), std::nullopt);
  EXPECT_EQ(parse_quantity("1."), std::nullopt);
  EXPECT_EQ(parse_quantity("-1"), std::nullopt);
  EXPECT_EQ(parse_quantity("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_quantity("1e99"), std::nullopt);
}

TEST(Kubernetes, ReadsSchedulableReadyNodesAndTheirGpus) {
  std::vector<std::string> warnings;
  const cluster c =
      shardfit::parse_kubernetes_nodes(samples::kubectl_nodes(), "nodes.json", &warnings);
  ASSERT_EQ(c.workers.size(), 4U);
  const auto& a = c.workers[0];
  EXPECT_EQ(a.name, "gpu-a100-0");
  EXPECT_EQ(a.address, "10.1.0.10");
  EXPECT_EQ(a.ram, bytes{2164074246144});
  EXPECT_EQ(a.label("topology.kubernetes.io/zone"), "us-east-1a");
  ASSERT_EQ(a.gpus.size(), 8U);
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(a.gpus[i].index, i);
    EXPECT_EQ(a.gpus[i].name, "NVIDIA-A100-SXM4-80GB");
    EXPECT_EQ(a.gpus[i].vendor, "nvidia");
    EXPECT_EQ(a.gpus[i].vram, 80_GiB);
    EXPECT_EQ(a.gpus[i].vram_used, bytes{});
  }
  EXPECT_FALSE(a.disk_free.has_value());

  const auto& m = c.workers[1];
  EXPECT_EQ(m.name, "gpu-mi250-0");
  EXPECT_EQ(m.address, "gpu-mi250-0.lab");
  EXPECT_EQ(m.ram, 512_GiB);
  ASSERT_EQ(m.gpus.size(), 4U);
  EXPECT_EQ(m.gpus[3].index, 3U);
  EXPECT_EQ(m.gpus[3].vendor, "amd");
  EXPECT_EQ(m.gpus[3].vram, 64_GiB);

  const auto& l4 = c.workers[2];
  EXPECT_EQ(l4.ram, bytes{128'000'000'000});
  ASSERT_EQ(l4.gpus.size(), 2U);
  EXPECT_EQ(l4.gpus[0].vram, bytes{});

  EXPECT_EQ(c.workers[3].name, "cpu-0");
  EXPECT_EQ(c.workers[3].ram, 64_GiB);
  EXPECT_TRUE(c.workers[3].gpus.empty());

  ASSERT_EQ(warnings.size(), 3U);
  EXPECT_EQ(warnings[0],
            "node 'gpu-l4-0': 2 nvidia GPUs but no nvidia.com/gpu.memory label; their memory "
            "counts as 0 until another source (nvidia-smi, rocm-smi, cluster JSON) gives it");
  EXPECT_EQ(warnings[1], "node 'gpu-a100-1' is unschedulable (cordoned); left out");
  EXPECT_EQ(warnings[2], "node 'gpu-a100-2' is not Ready; left out");
}

TEST(Kubernetes, ReadsOneNodeAndTheAmdValueLabel) {
  const cluster c = shardfit::parse_kubernetes_nodes(
      R"j({"kind": "Node", "metadata": {"name": "n", "labels": {"amd.com/gpu.vram": "192G",
          "amd.com/gpu.product-name": "AMD Instinct MI300X"}},
          "status": {"capacity": {"memory": "1Ti", "amd.com/gpu": 8}}})j",
      "node.json");
  ASSERT_EQ(c.workers.size(), 1U);
  EXPECT_EQ(c.workers[0].ram, 1_TiB);
  ASSERT_EQ(c.workers[0].gpus.size(), 8U);
  EXPECT_EQ(c.workers[0].gpus[7].vram, 192_GiB);
  EXPECT_EQ(c.workers[0].gpus[7].name, "AMD Instinct MI300X");
}

TEST(Kubernetes, MalformedNodesNameTheLineAndTheNode) {
  const auto parse = [](const char* text) {
    return error_of([&] { (void)shardfit::parse_kubernetes_nodes(text, "nodes.json"); });
  };
  EXPECT_EQ(parse("{\"items\": [{\"metadata\": {\"name\": \"n1\"},\n \"status\": {\"allocatable\":"
                  "\n {\"memory\": \"12Zi\"}}}]}"),
            "nodes.json: line 3: node 'n1': memory '12Zi' is not a Kubernetes quantity (e.g. "
            "64Gi)");
  EXPECT_EQ(parse("{\"items\": [{\"metadata\": {}, \"status\": {}}]}"),
            "nodes.json: line 1: node 0: no metadata.name");
  EXPECT_EQ(parse("{\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}]}"),
            "nodes.json: line 1: node 0: is a Pod, not a Node");
  EXPECT_EQ(parse("{\"items\": [\n{\"metadata\": {\"name\": \"n\", \"labels\": "
                  "{\"nvidia.com/gpu.memory\": \"80GB\"}}, \"status\": {\"allocatable\": "
                  "{\"nvidia.com/gpu\": \"1\"}}}]}"),
            "nodes.json: line 2: node 'n': label nvidia.com/gpu.memory '80GB' is not a whole "
            "number of MiB");
  EXPECT_EQ(parse("{\"items\": [{\"metadata\": {\"name\": \"n\"}, \"status\": {\"allocatable\": "
                  "{\"nvidia.com/gpu\": \"5000\"}}}]}"),
            "nodes.json: line 1: node 'n': nvidia.com/gpu = 5000 GPUs on one node");
  EXPECT_EQ(parse("{\"items\": [{\"metadata\": {\"name\": \"n\"}, \"status\": {}},"
                  "\n{\"metadata\": {\"name\": \"n\"}, \"status\": {}}]}"),
            "nodes.json: line 2: node 'n': two nodes have this name");
  EXPECT_EQ(parse("{\"kind\": \"PodList\"}"),
            "nodes.json: line 1: expected kubectl get nodes -o json output (a List with "
            "\"items\", or one Node)");
}

TEST(Merge, LaterSourcesRefineEarlierOnes) {
  cluster kube = shardfit::parse_kubernetes_nodes(samples::kubectl_nodes(), "nodes.json");
  cluster smi;
  smi.workers.push_back(shardfit::parse_nvidia_smi(
      "0, NVIDIA L4, 23034, 0\n1, NVIDIA L4, 23034, 512\n", "l4.csv", named("gpu-l4-0")));
  const cluster file = shardfit::parse_cluster(R"j({
      "reserved": {"vram": "1GiB"},
      "volumes": [{"name": "nfs", "models": [{"name": "m", "bytes": 1000}]}],
      "workers": [{"name": "gpu-a100-0", "disk_free": "2TB", "labels": {"rack": "r7"},
                   "mounts": [{"path": "/mnt/models", "volume": "nfs"}]},
                  {"name": "edge", "ram": "32GiB", "gpus": [{"vram": "8GiB"}]}],
      "claims": [{"instance": "chat", "worker": "gpu-a100-0", "gpu": 0, "vram": "10GiB"}]})j",
                                               "cluster.json");
  const cluster c = shardfit::merge_clusters({kube, file, smi});
  ASSERT_EQ(c.workers.size(), 5U);
  EXPECT_EQ(c.reserved.vram, 1_GiB);
  ASSERT_EQ(c.volumes.size(), 1U);
  ASSERT_EQ(c.claims.size(), 1U);
  const auto& a = c.workers[0];
  EXPECT_EQ(a.address, "10.1.0.10");       // the cluster JSON gave no address: kept
  EXPECT_EQ(a.ram, bytes{2164074246144});  // nor RAM
  EXPECT_EQ(a.gpus.size(), 8U);            // nor GPUs
  EXPECT_EQ(a.disk_free, bytes{2'000'000'000'000});
  EXPECT_EQ(a.label("rack"), "r7");
  EXPECT_EQ(a.label("topology.kubernetes.io/zone"), "us-east-1a");
  ASSERT_EQ(a.mounts.size(), 1U);
  const auto& l4 = c.workers[2];
  ASSERT_EQ(l4.gpus.size(), 2U);  // nvidia-smi filled in the memory the labels lacked
  EXPECT_EQ(l4.gpus[1].vram, 23034_MiB);
  EXPECT_EQ(l4.gpus[1].vram_used, 512_MiB);
  EXPECT_EQ(l4.address, "10.1.0.30");
  EXPECT_EQ(l4.ram, bytes{128'000'000'000});
  EXPECT_EQ(c.workers[4].name, "edge");
}

TEST(Merge, InventorySourcesReadTheirFilesOnEverySnapshot) {
  const shardfit::test::temp_dir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    return dir.write(name, text);
  };
  const std::string nodes = write("nodes.json", samples::kubectl_nodes());
  const std::string smi = write("l4.csv", "0, NVIDIA L4, 23034, 0\n");
  const std::string rocm = write("rocm.json", samples::rocm_smi_mi250x());
  const shardfit::merged_inventory inv{shardfit::kubernetes_nodes_inventory(nodes),
                                       shardfit::nvidia_smi_inventory(smi, named("gpu-l4-0")),
                                       shardfit::rocm_smi_inventory(rocm, named("gpu-mi250-0"))};
  cluster c = inv.snapshot();
  ASSERT_EQ(c.workers.size(), 4U);
  EXPECT_EQ(c.workers[1].gpus.size(), 2U);  // rocm-smi's two GCDs replace the labels' four
  EXPECT_EQ(c.workers[1].gpus[0].name, "AMD Instinct MI250X");
  EXPECT_EQ(c.workers[2].gpus.size(), 1U);
  (void)write("l4.csv", "0, NVIDIA L4, 23034, 0\n1, NVIDIA L4, 23034, 0\n");
  c = inv.snapshot();
  EXPECT_EQ(c.workers[2].gpus.size(), 2U);
  (void)write("l4.csv", "0, NVIDIA L4\n");
  EXPECT_EQ(error_of([&] { (void)inv.snapshot(); }),
            smi +
                ": line 1: expected 4 comma-separated fields (index, name, memory.total, "
                "memory.used), found 2; run nvidia-smi --query-gpu=index,name,memory.total,"
                "memory.used --format=csv,noheader,nounits");
}

}  // namespace
