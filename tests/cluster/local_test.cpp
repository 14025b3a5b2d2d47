// This machine as an inventory (issue 18, item 6): GPUs from the nvidia-smi found on PATH (a
// fake one here), RAM from a meminfo file, the model's directory as a copy present; a tool that
// is absent or hangs is a warning, not an error. Inputs can be pipes and process substitution.
#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/local.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using shardfit::bytes;
using shardfit::local_inventory;
using shardfit::local_options;
using shardfit::test::temp_dir;
using namespace shardfit::literals;

// Puts `dir` first on PATH for the scope.
class path_prefix {
 public:
  explicit path_prefix(const std::string& dir)
      : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", (dir + ":" + old_).c_str(), 1);
  }
  ~path_prefix() { ::setenv("PATH", old_.c_str(), 1); }
  path_prefix(const path_prefix&) = delete;
  path_prefix& operator=(const path_prefix&) = delete;

 private:
  std::string old_;
};

void script(const temp_dir& d, const std::string& name, const std::string& body) {
  const std::string p = d.write("bin/" + name, "#!/bin/sh\n" + body + "\n");
  ::chmod(p.c_str(), 0755);
}

local_options options(const temp_dir& d) {
  local_options o;
  o.meminfo = d.write("meminfo",
                      "MemTotal:       65536000 kB\nMemFree:         1000 kB\n"
                      "MemAvailable:   32768000 kB\n");
  o.model_dir = d.path();
  o.model_name = "model";
  o.model_bytes = 16_GiB;
  o.timeout = std::chrono::milliseconds(3000);
  return o;
}

TEST(LocalInventory, GpusFromNvidiaSmiOnPathRamFromMeminfo) {
  temp_dir d;
  script(d, "nvidia-smi", "echo '0, NVIDIA GeForce RTX 4090, 24564, 500'");
  const path_prefix on_path(d / "bin");
  std::vector<std::string> warnings;
  const auto c = local_inventory(options(d), &warnings).snapshot();
  ASSERT_EQ(c.workers.size(), 1U);
  const auto& w = c.workers[0];
  EXPECT_EQ(w.address, "127.0.0.1");
  EXPECT_EQ(w.ram, bytes{65536000ULL << 10U});
  EXPECT_EQ(w.ram_used, bytes{(65536000ULL - 32768000ULL) << 10U});
  ASSERT_EQ(w.gpus.size(), 1U);
  EXPECT_EQ(w.gpus[0].name, "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(w.gpus[0].vram, bytes{24564ULL << 20U});
  EXPECT_EQ(w.gpus[0].vram_used, bytes{500ULL << 20U});
  ASSERT_TRUE(w.disk_free.has_value());
  ASSERT_EQ(w.models.size(), 1U);
  EXPECT_EQ(w.models[0].path, d.path());
  // rocm-smi is not on PATH (unless the machine has one): a warning, not an error.
  if (warnings.size() == 1U) {
    EXPECT_EQ(warnings[0],
              "rocm-smi is not on PATH: no GPUs of its vendor are counted on this machine");
  }
}

TEST(LocalInventory, AToolThatHangsOrFailsIsAWarning) {
  temp_dir d;
  script(d, "nvidia-smi", "sleep 5");
  script(d, "rocm-smi", "exit 3");
  const path_prefix on_path(d / "bin");
  auto o = options(d);
  o.timeout = std::chrono::milliseconds(200);
  std::vector<std::string> warnings;
  const auto started = std::chrono::steady_clock::now();
  const auto c = local_inventory(o, &warnings).snapshot();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_TRUE(c.workers[0].gpus.empty());
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "nvidia-smi did not answer within 200 ms: its GPUs are not counted",
                          "rocm-smi exited with status 3: its GPUs are not counted"}));
}

TEST(LocalInventory, PlanWithNoInventoryPlansForThisMachine) {
  temp_dir d;
  script(d, "nvidia-smi", "echo '0, NVIDIA H100 80GB HBM3, 81559, 0'");
  const path_prefix on_path(d / "bin");
  const auto r = shardfit::test::run_cli(
      {"plan", std::string(SHARDFIT_EXAMPLES_DATA) + "/models/Llama-3.1-8B-Instruct", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("no inventory given (--cluster, --kube-nodes, --nvidia-smi, --rocm-smi): "
                       "planning for this machine"),
            std::string::npos)
      << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "planned");
}

TEST(LocalInventory, InputsMayBePipes) {
  temp_dir d;
  const std::string fifo = d / "cluster.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream f(fifo);
    f << R"({"workers": [{"name": "piped", "ram": "64GiB", "gpus": [{"vram": "24GiB"}]}]})";
  });
  const auto r = shardfit::test::run_cli({"inventory", "--cluster", fifo});
  writer.join();
  ASSERT_EQ(r.code, 0) << r.err;
  const auto c = shardfit::parse_cluster(r.out, "inventory output");
  ASSERT_EQ(c.workers.size(), 1U);
  EXPECT_EQ(c.workers[0].name, "piped");
  EXPECT_EQ(c.workers[0].ram, 64_GiB);
  EXPECT_EQ(c.workers[0].gpus[0].vram, 24_GiB);
}

}  // namespace
