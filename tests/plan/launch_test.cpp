// Launch commands of the planner's seed cases and scenarios, asserted as exact argument arrays.

#include <shardfit/json.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <gtest/gtest.h>

#include "support/clusters.hpp"
#include "support/models.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::deepseek_r1_bf16;
using shardfit::test::gpus;
using shardfit::test::llama70b;
using shardfit::test::llama8b;
using shardfit::test::worker;
using argv_t = std::vector<std::string>;
using env_t = std::vector<std::pair<std::string, std::string>>;

// The 70B as a GGUF set: what llama-server is given.
model_profile llama70b_gguf() {
  model_profile m = llama70b();
  m.source = "gguf";
  m.files = {"/data/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf",
             "/data/l70/Llama-3.1-70B-Q8_0-00002-of-00003.gguf",
             "/data/l70/Llama-3.1-70B-Q8_0-00003-of-00003.gguf"};
  return m;
}
cluster base() {
  cluster c;
  c.reserved.vram = 512_MiB;
  c.reserved.ram = 2_GiB;
  return c;
}

std::vector<launch_command> launch(const cluster& c, const model_profile& m, const plan_request& rq,
                                   const std::string& path) {
  const auto r = plan(c, m, rq);
  EXPECT_EQ(r.status, plan_status::planned);
  if (!r.chosen) return {};
  return launch_commands(*r.chosen, c, launch_settings_for(m, rq, path));
}

// Issue 19: naming the third shard of a split still launches llama-server on the first
// ("model must be loaded with the first split", llama.cpp's loader), whether the model files
// are listed in any order or the path given for the worker names that shard.
TEST(Launch, ASplitIsLoadedFromItsFirstShard) {
  model_profile m = llama70b_gguf();
  std::swap(m.files[0], m.files[2]);  // as loaded through shard 3
  cluster c = base();
  c.workers.push_back(worker("h200", 1024_GiB, gpus(2, "H200", 141_GB)));
  plan_request rq;
  const auto cmds = launch(c, m, rq, "/models/l70/Llama-3.1-70B-Q8_0-00003-of-00003.gguf");
  ASSERT_EQ(cmds.size(), 2U);
  // The worker holds no copy and no repository is known: a manual step, stated.
  EXPECT_EQ(cmds[0].role, "download");
  EXPECT_TRUE(cmds[0].argv.empty());
  EXPECT_EQ(cmds[0].note,
            "copy the model's files (Llama-3.1-70B-Q8_0-00001-of-00003.gguf, "
            "Llama-3.1-70B-Q8_0-00002-of-00003.gguf, Llama-3.1-70B-Q8_0-00003-of-00003.gguf) to "
            "/models/l70 on h200: it holds no copy and no Hugging Face repository is known to "
            "download from");
  EXPECT_EQ(cmds[0].shell(), "# " + cmds[0].note);
  ASSERT_GE(cmds[1].argv.size(), 3U);
  EXPECT_EQ(cmds[1].argv[2], "/models/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf");
}

// Issue 19: a worker without a copy downloads first. With the repository known, `hf download`
// names the files it reads (several names are patterns to huggingface_hub's download command:
// snapshot_download's allow_patterns) into the directory the server then reads.
TEST(Launch, DownloadStepsNameTheFilesEachWorkerReads) {
  model_profile m = llama70b_gguf();
  m.companions = {"/data/l70/mmproj-F16.gguf"};
  cluster c = base();
  c.workers.push_back(worker("h200", 1024_GiB, gpus(2, "H200", 141_GB)));
  const auto r = plan(c, m, {});
  ASSERT_TRUE(r.chosen);
  launch_settings s = launch_settings_for(m, {}, "/srv/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf");
  s.repo = "bartowski/Llama-3.1-70B-GGUF";
  const auto cmds = launch_commands(*r.chosen, c, s);
  ASSERT_EQ(cmds.size(), 2U);
  EXPECT_EQ(cmds[0].worker, "h200");
  EXPECT_EQ(cmds[0].argv, (argv_t{"hf", "download", "bartowski/Llama-3.1-70B-GGUF",
                                  "Llama-3.1-70B-Q8_0-00001-of-00003.gguf",
                                  "Llama-3.1-70B-Q8_0-00002-of-00003.gguf",
                                  "Llama-3.1-70B-Q8_0-00003-of-00003.gguf", "mmproj-F16.gguf",
                                  "--local-dir", "/srv/l70"}));
  EXPECT_EQ(cmds[1].argv[2], "/srv/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf");

  // vLLM across two workers, pipeline stages of 40 layers: each downloads its stage's files
  // (the storage plan's partial reads), the config and tokenizer files with them.
  model_profile hf = llama70b();
  hf.weight_files = {{"model-00001-of-00003.safetensors", 50_GB, false, 0, 30, true, false},
                     {"model-00002-of-00003.safetensors", 50_GB, false, 30, 30, false, false},
                     {"model-00003-of-00003.safetensors", 41_GB, false, 60, 20, false, true}};
  cluster two = base();
  two.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  two.workers.push_back(worker("b", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  rq.vllm.max_num_batched_tokens = 8192;
  const auto v = plan(two, hf, rq);
  ASSERT_TRUE(v.chosen);
  ASSERT_EQ(v.chosen->pipeline_parallel, 2U);
  launch_settings vs = launch_settings_for(hf, rq, "/models/Llama-3.1-70B-Instruct");
  vs.repo = "meta-llama/Llama-3.1-70B-Instruct";
  const auto vc = launch_commands(*v.chosen, two, vs);
  ASSERT_EQ(vc.size(), 5U);
  EXPECT_EQ(vc[0].worker, "a");
  EXPECT_EQ(vc[0].argv,
            (argv_t{"hf", "download", "meta-llama/Llama-3.1-70B-Instruct",
                    "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "*.json", "tokenizer*", "*.jinja", "*.tiktoken", "--local-dir",
                    "/models/Llama-3.1-70B-Instruct"}));
  EXPECT_EQ(vc[1].worker, "b");
  EXPECT_EQ(vc[1].argv,
            (argv_t{"hf", "download", "meta-llama/Llama-3.1-70B-Instruct",
                    "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
                    "*.json", "tokenizer*", "*.jinja", "*.tiktoken", "--local-dir",
                    "/models/Llama-3.1-70B-Instruct"}));
  EXPECT_EQ(v.chosen->workers[0].weights + v.chosen->workers[1].weights, 191_GB);
  EXPECT_EQ(vc[2].role, "ray-head");
}

// Issue 19: a projector found beside the GGUF set goes to llama-server as --mmproj, from
// beside the model on the worker; a model found in a Hugging Face cache is served by vLLM by
// its repository id, not its snapshot directory.
TEST(Launch, ProjectorAndHubRepository) {
  model_profile m = llama70b_gguf();
  m.companions = {"/data/l70/mmproj-Llama-3.1-70B-F16.gguf"};
  cluster c = base();
  c.workers.push_back(worker("h200", 1024_GiB, gpus(2, "H200", 141_GB)));
  const auto cmds =
      launch(c, m, plan_request{}, "/models/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf");
  ASSERT_EQ(cmds.size(), 2U);
  const auto& a = cmds[1].argv;
  const auto it = std::find(a.begin(), a.end(), "--mmproj");
  ASSERT_NE(it, a.end());
  EXPECT_EQ(*(it + 1), "/models/l70/mmproj-Llama-3.1-70B-F16.gguf");

  model_profile hf = llama70b();
  hf.hub_repo = "meta-llama/Llama-3.1-70B-Instruct";
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  const auto v = launch(
      c, hf, rq,
      "/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-70B-Instruct/snapshots/0123abcd");
  ASSERT_EQ(v.size(), 2U);
  // Into the worker's hub cache (no --local-dir), where `vllm serve REPO` looks.
  EXPECT_EQ(v[0].argv, (argv_t{"hf", "download", "meta-llama/Llama-3.1-70B-Instruct",
                               "*.safetensors", "*.json", "tokenizer*", "*.jinja", "*.tiktoken"}));
  EXPECT_EQ(v.back().argv[2], "meta-llama/Llama-3.1-70B-Instruct");
}

// Issue 19: vLLM loads one GGUF file (its gguf_loader), so a split is refused for it with the
// way out, instead of a `vllm serve DIR` that cannot start.
TEST(Launch, VllmRefusesAGgufSplit) {
  cluster c = base();
  c.workers.push_back(worker("h200", 1024_GiB, gpus(2, "H200", 141_GB)));
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  const auto r = plan(c, llama70b_gguf(), rq);
  EXPECT_EQ(r.status, plan_status::no_fit);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_EQ(r.messages.front(),
            "vLLM loads a single GGUF file, not a split of 3; merge it first (llama-gguf-split "
            "--merge FIRST-SHARD OUT.gguf) or plan it for llama.cpp");
  ASSERT_FALSE(r.rejected.empty());
  EXPECT_EQ(to_string(r.rejected.front().rule), "vllm.gguf_split");
}

TEST(Launch, SeedDeepSeekR1Bf16MainPlusOneRpcServer) {
  cluster c = base();
  for (int i = 0; i < 3; ++i) {
    c.workers.push_back(worker("g24-" + std::to_string(i), 512_GiB, gpus(8, "RTX 3090", 24_GB)));
  }
  for (int i = 0; i < 2; ++i) {
    c.workers.push_back(worker("h200-" + std::to_string(i), 2048_GiB, gpus(8, "H200", 141_GB)));
    c.workers.back().address = "10.0.0." + std::to_string(i + 1);
  }
  auto cmds = launch(c, deepseek_r1_bf16(), {}, "/models/DeepSeek-R1-BF16.gguf");
  ASSERT_EQ(cmds.size(), 3U);
  // Only the main worker reads the weights; the RPC server downloads nothing.
  EXPECT_EQ(cmds[0].role, "download");
  EXPECT_EQ(cmds[0].worker, "h200-0");
  cmds.erase(cmds.begin());
  EXPECT_EQ(cmds[0].worker, "h200-1");
  EXPECT_EQ(cmds[0].role, "rpc-server");
  EXPECT_EQ(cmds[0].env,
            (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}, {"CUDA_VISIBLE_DEVICES", "0,1"}}));
  EXPECT_EQ(cmds[0].argv, (argv_t{"rpc-server", "-H", "0.0.0.0", "-p", "50052"}));
  EXPECT_EQ(cmds[1].worker, "h200-0");
  EXPECT_EQ(cmds[1].address, "10.0.0.1");
  EXPECT_EQ(cmds[1].role, "llama-server");
  EXPECT_EQ(cmds[1].env, (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"},
                                {"CUDA_VISIBLE_DEVICES", "0,1,2,3,4,5,6,7"}}));
  // The RPC server's two GPUs come first in --tensor-split, as llama.cpp orders devices.
  EXPECT_EQ(cmds[1].argv,
            (argv_t{"llama-server", "-m", "/models/DeepSeek-R1-BF16.gguf", "-c", "4096", "-ngl",
                    "62", "--tensor-split", "8,6,6,6,6,6,6,6,6,6", "--rpc", "10.0.0.2:50052",
                    "--host", "0.0.0.0", "--port", "8080"}));
  EXPECT_EQ(cmds[1].shell(),
            "CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 llama-server -m "
            "/models/DeepSeek-R1-BF16.gguf "
            "-c 4096 -ngl 62 --tensor-split 8,6,6,6,6,6,6,6,6,6 --rpc 10.0.0.2:50052 --host "
            "0.0.0.0 --port 8080");
}

TEST(Launch, LlamaMainPlusRpcServersShowOnlyThePlacedGpus) {
  cluster c = base();
  c.workers.push_back(worker("l40s-a", 128_GiB, gpus(2, "L40S", 48_GiB)));
  c.workers.push_back(worker("l40s-b", 128_GiB, gpus(2, "L40S", 48_GiB)));
  c.workers.back().gpus[1].vram_used = 30_GiB;
  c.workers.push_back(worker("l40s-c", 128_GiB, gpus(1, "L40S", 48_GiB)));
  // l40s-a reads the set from its disk: -m names the first shard there.
  c.workers[0].models.push_back({"/data/l70", "Llama-3.1-70B", bytes{}});
  plan_request rq;
  rq.llama.n_parallel = 4;
  rq.llama.n_ctx = 16384;
  rq.llama.cache_type_k = "q8_0";
  rq.llama.cache_type_v = "q8_0";
  rq.llama.flash_attn = flash_attn_mode::on;
  const auto cmds = launch(c, llama70b_gguf(), rq, "unused");
  ASSERT_EQ(cmds.size(), 2U);
  EXPECT_EQ(cmds[0].worker, "l40s-b");
  EXPECT_EQ(cmds[0].env, (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"},
                                {"CUDA_VISIBLE_DEVICES", "0"}}));  // GPU 1 is busy
  EXPECT_EQ(cmds[1].argv, (argv_t{"llama-server",
                                  "-m",
                                  "/data/l70/Llama-3.1-70B-Q8_0-00001-of-00003.gguf",
                                  "-c",
                                  "16384",
                                  "-ngl",
                                  "81",
                                  "--tensor-split",
                                  "27,27,27",
                                  "--rpc",
                                  "l40s-b:50052",
                                  "--parallel",
                                  "4",
                                  "--flash-attn",
                                  "on",
                                  "--cache-type-k",
                                  "q8_0",
                                  "--cache-type-v",
                                  "q8_0",
                                  "--host",
                                  "0.0.0.0",
                                  "--port",
                                  "8080"}));
}

TEST(Launch, LlamaCpuOnlyAndSingleGpu) {
  cluster c = base();
  c.workers.push_back(worker("cpu", 64_GiB));
  auto cpu = launch(c, llama8b(), {}, "/models/l8.gguf");
  ASSERT_EQ(cpu.size(), 2U);
  EXPECT_EQ(cpu[0].role, "download");
  cpu.erase(cpu.begin());
  EXPECT_TRUE(cpu[0].env.empty());
  EXPECT_EQ(cpu[0].argv, (argv_t{"llama-server", "-m", "/models/l8.gguf", "-c", "4096", "-ngl", "0",
                                 "--host", "0.0.0.0", "--port", "8080"}));

  c.workers.push_back(worker("gpu", 64_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.back().gpus[0].vram_used = 20_GiB;
  auto one = launch(c, llama8b(), {}, "/models/l8.gguf");
  ASSERT_EQ(one.size(), 2U);
  one.erase(one.begin());
  EXPECT_EQ(one[0].worker, "gpu");
  EXPECT_EQ(one[0].env,
            (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}, {"CUDA_VISIBLE_DEVICES", "1"}}));
  EXPECT_EQ(one[0].argv, (argv_t{"llama-server", "-m", "/models/l8.gguf", "-c", "4096", "-ngl",
                                 "33", "--host", "0.0.0.0", "--port", "8080"}));
}

TEST(Launch, SeedVllmTensorParallelFourNeverThree) {
  cluster c = base();
  c.workers.push_back(worker("w3", 128_GiB, gpus(3, "RTX 4080", 16_GiB)));
  c.workers.push_back(worker("w4", 128_GiB, gpus(4, "RTX 4080", 16_GiB)));
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 131072;
  auto cmds = launch(c, llama8b(), rq, "meta-llama/Llama-3.1-8B-Instruct");
  ASSERT_EQ(cmds.size(), 2U);
  // A hub id as the model: downloaded into the hub cache by that id.
  EXPECT_EQ(cmds[0].argv,
            (argv_t{"hf", "download", "meta-llama/Llama-3.1-8B-Instruct", "*.safetensors", "*.json",
                    "tokenizer*", "*.jinja", "*.tiktoken"}));
  cmds.erase(cmds.begin());
  EXPECT_EQ(cmds[0].worker, "w4");
  EXPECT_EQ(cmds[0].role, "vllm");
  EXPECT_EQ(cmds[0].env,
            (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}, {"CUDA_VISIBLE_DEVICES", "0,1,2,3"}}));
  EXPECT_EQ(cmds[0].argv, (argv_t{"vllm", "serve", "meta-llama/Llama-3.1-8B-Instruct",
                                  "--tensor-parallel-size", "4", "--pipeline-parallel-size", "1",
                                  "--max-model-len", "131072", "--gpu-memory-utilization", "0.9"}));
}

TEST(Launch, VllmAcrossWorkersStartsRayFirst) {
  cluster c = base();
  c.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.workers.push_back(worker("b", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.workers[0].address = "10.2.0.1";
  // Both mount the volume holding the model, at different paths.
  c.volumes.push_back({"nfs", true, 4_TB, {{"hf/Llama-3.1-70B", "Llama-3.1-70B", bytes{}}}, ""});
  c.workers[0].mounts.push_back({"/mnt/nfs", "nfs", true});
  c.workers[1].mounts.push_back({"/nfs", "nfs", true});
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  rq.vllm.kv_cache_dtype = "fp8";
  // 8192 tokens per step (not the A100's default 2048): 70B's 2.4 GiB of activation then
  // leaves one worker's 4 x 40 GiB short, and the plan spans both.
  rq.vllm.max_num_batched_tokens = 8192;
  const auto r = plan(c, llama70b(), rq);
  ASSERT_TRUE(r.chosen);
  ASSERT_EQ(r.chosen->workers.size(), 2U);
  EXPECT_EQ(r.chosen->workers[0].path, "/mnt/nfs/hf/Llama-3.1-70B");
  EXPECT_EQ(r.chosen->workers[1].path, "/nfs/hf/Llama-3.1-70B");
  launch_settings s = launch_settings_for(llama70b(), rq, "unused");
  s.port = 9000;
  const auto cmds = launch_commands(*r.chosen, c, s);
  ASSERT_EQ(cmds.size(), 3U);
  EXPECT_EQ(cmds[0].role, "ray-head");
  EXPECT_EQ(cmds[0].worker, "a");
  EXPECT_EQ(cmds[0].env,
            (env_t{{"CUDA_DEVICE_ORDER", "PCI_BUS_ID"}, {"CUDA_VISIBLE_DEVICES", "0,1,2,3"}}));
  EXPECT_EQ(cmds[0].argv, (argv_t{"ray", "start", "--head", "--port=6379", "--num-gpus=4"}));
  EXPECT_EQ(cmds[1].role, "ray-worker");
  EXPECT_EQ(cmds[1].worker, "b");
  EXPECT_EQ(cmds[1].argv, (argv_t{"ray", "start", "--address=10.2.0.1:6379", "--num-gpus=4"}));
  EXPECT_EQ(cmds[2].role, "vllm");
  EXPECT_EQ(cmds[2].worker, "a");
  EXPECT_TRUE(cmds[2].env.empty());
  EXPECT_EQ(cmds[2].argv,
            (argv_t{"vllm", "serve", "/mnt/nfs/hf/Llama-3.1-70B", "--tensor-parallel-size", "4",
                    "--pipeline-parallel-size", "2", "--max-model-len", "8192",
                    "--gpu-memory-utilization", "0.9", "--kv-cache-dtype", "fp8",
                    "--distributed-executor-backend", "ray", "--port", "9000"}));

  nlohmann::ordered_json j = cmds[1];
  EXPECT_EQ(
      j.dump(),
      R"({"worker":"b","address":"b","role":"ray-worker","env":{"CUDA_DEVICE_ORDER":"PCI_BUS_ID","CUDA_VISIBLE_DEVICES":"0,1,2,3"},"argv":["ray","start","--address=10.2.0.1:6379","--num-gpus=4"]})");
}

TEST(Launch, AnHfModelPlannedForLlamaCppNamesTheGivenGguf) {
  cluster c = base();
  c.workers.push_back(worker("gpu", 64_GiB, gpus(1, "RTX 4090", 24_GiB)));
  c.workers[0].models.push_back({"/hf/Llama-3.1-8B", "Llama-3.1-8B", bytes{}});
  const auto cmds = launch(c, llama8b(), {}, "/gguf/l8-q8.gguf");
  ASSERT_EQ(cmds.size(), 1U);
  EXPECT_EQ(cmds[0].argv[2], "/gguf/l8-q8.gguf");  // not the safetensors copy
}

TEST(Launch, ShellQuotingAndUtilizationDecimals) {
  launch_command cmd;
  cmd.env = {{"CUDA_VISIBLE_DEVICES", ""}};
  cmd.argv = {"llama-server", "-m", "/models/my model's.gguf", "--alias", "a;b", "$HOME"};
  EXPECT_EQ(cmd.shell(),
            "CUDA_VISIBLE_DEVICES='' llama-server -m '/models/my model'\\''s.gguf' --alias 'a;b' "
            "'$HOME'");
  EXPECT_EQ(detail::short_decimal(0.9), "0.9");
  EXPECT_EQ(detail::short_decimal(0.875), "0.875");
  EXPECT_EQ(detail::short_decimal(0.73), "0.73");
  EXPECT_EQ(detail::short_decimal(1.0), "1");
}

}  // namespace
