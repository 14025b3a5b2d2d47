// The shardfit tool, run in-process through shardfit::cli::run.
#include "cli.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/configs.hpp"
#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <utility>

#include <unistd.h>

namespace {

using shardfit::test::run_cli;
using shardfit::test::temp_dir;

constexpr std::uint64_t GB = 1'000'000'000ULL;

TEST(Cli, HelpAndVersionExitZero) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
  r = run_cli({"inspect", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--recursive"), std::string::npos);
  r = run_cli({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "shardfit 0.1.0\n");
}

TEST(Cli, UsageErrorsExitTwo) {
  auto r = run_cli({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("shardfit: ", 0), 0U) << r.err;
  r = run_cli({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  r = run_cli({"inspect"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("path is required"), std::string::npos) << r.err;
}

// Issue 19: llama-server's and vLLM's own spellings are accepted (they were read as bundles of
// short flags: "-ngl 40" as "-n gl"), and an option of the other backend is an error naming
// the backend it belongs to instead of being ignored.
TEST(Cli, EngineSpellingsAndOptionsOfTheOtherBackend) {
  const std::string m = std::string(SHARDFIT_EXAMPLES_DATA) + "/models/Llama-3.1-8B-Instruct";
  const auto ours =
      run_cli({"estimate", m, "--gpu-layers", "20", "--cache-type-k", "q8_0", "--parallel", "4",
               "--flash-attn", "on", "--ubatch", "256", "--tensor-split", "3,1", "--json"});
  ASSERT_EQ(ours.code, 0) << ours.err;
  for (const std::vector<std::string>& theirs :
       {std::vector<std::string>{"-ngl", "20", "-ctk", "q8_0", "-np", "4", "-fa", "on", "-ub",
                                 "256", "-ts", "3,1"},
        std::vector<std::string>{"--n-gpu-layers", "20", "-ctk=q8_0", "-np=4", "-fa=on",
                                 "--ubatch-size", "256", "-ts=3,1"}}) {
    std::vector<std::string> args{"estimate", m};
    args.insert(args.end(), theirs.begin(), theirs.end());
    args.emplace_back("--json");
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, ours.out);
  }
  const auto tp = run_cli({"estimate", m, "--backend", "vllm", "-tp", "2", "-c", "8192"});
  EXPECT_EQ(tp.code, 0) << tp.err;
  EXPECT_NE(tp.out.find("tp=2 pp=1, max_model_len 8192"), std::string::npos) << tp.out;
  EXPECT_EQ(run_cli({"estimate", m, "--tensor-parallel-size", "2", "--backend", "vllm"}).code, 0);

  // --backend auto (the default): the options name the engine, else the model's format does.
  EXPECT_EQ(run_cli({"estimate", m, "--tp", "2"}).code, 0);
  EXPECT_NE(run_cli({"estimate", m, "--gpus", "80GiB"}).out.find("DEVICE  LAYERS"),
            std::string::npos);
  const auto llama_tp = run_cli({"estimate", m, "--backend", "llama.cpp", "--tp", "2"});
  EXPECT_EQ(llama_tp.code, 2);
  EXPECT_EQ(llama_tp.err, "shardfit: --tp applies to --backend vllm, not llama.cpp\n");
  const auto vllm_gpus = run_cli({"estimate", m, "--backend", "vllm", "--gpus", "24GiB,24GiB"});
  EXPECT_EQ(vllm_gpus.err, "shardfit: --gpus applies to --backend llama.cpp, not vllm\n");
  const std::string cluster = std::string(SHARDFIT_EXAMPLES_DATA) + "/clusters/lab.json";
  EXPECT_EQ(run_cli({"plan", m, "--cluster", cluster, "--backend", "llama.cpp", "--kv-cache-dtype",
                     "fp8"})
                .err,
            "shardfit: --kv-cache-dtype applies to --backend vllm, not llama.cpp\n");
  EXPECT_EQ(run_cli({"plan", m, "--cluster", cluster, "--backend", "vllm", "-ngl", "3"}).err,
            "shardfit: --gpu-layers applies to --backend llama.cpp, not vllm\n");
}

// Issue 19.7: every --json output names its schema first ("shardfit.<command>/1").
TEST(Cli, EveryJsonOutputNamesItsSchema) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  const std::string m = ex + "/models/Llama-3.1-8B-Instruct";
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs{
      {"inspect", {"inspect", m, "--json"}},
      {"estimate", {"estimate", m, "--json"}},
      {"estimate", {"estimate", m, "--backend", "vllm", "--json"}},
      {"check-parallel", {"check-parallel", m, "--tp", "2", "--json"}},
      {"plan", {"plan", m, "--cluster", ex + "/clusters/lab.json", "--json"}},
      {"plan",
       {"plan", ex + "/models/Llama-3.1-70B-Instruct", "--cluster", ex + "/clusters/lab.json",
        "--json", "--gpus", "lab-4090-a:0"}},  // no fit
      {"reshard",
       {"reshard", ex + "/models/tiny-moe-split", "--max-shard-size", "1MB", "--out",
        std::string(::testing::TempDir()) + "/schema-out", "--dry-run", "--json"}}};
  for (const auto& [schema, args] : runs) {
    const auto r = run_cli(args);
    const auto j = nlohmann::ordered_json::parse(r.out);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j.begin().key(), "schema");
    EXPECT_EQ(j["schema"], "shardfit." + schema + "/1");
  }
}

TEST(Cli, InputErrorsNameTheFile) {
  temp_dir d;
  const auto r = run_cli({"inspect", d / "absent"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "shardfit: " + (d / "absent") + ": no such file or directory\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, InspectSumsEveryShardOfASplitModel) {
  temp_dir d;
  // Real split headers, then each shard grown (sparse) to the sizes of a 131 GB model.
  const auto shards = shardfit::test::write_tiny_llama_split(d / "model", {}, 3);
  for (const auto& [path, size] :
       {std::pair{shards[0], 46 * GB}, {shards[1], 46 * GB}, {shards[2], 39 * GB}}) {
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(size)), 0);
  }
  auto r = run_cli({"inspect", d.path(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["sets"].size(), 1U);
  const auto& s = j["sets"][0];
  EXPECT_EQ(s["name"], "model");
  EXPECT_EQ(s["format"], "gguf");
  EXPECT_EQ(s["shards"], 3);
  EXPECT_EQ(s["expected_shards"], 3);
  EXPECT_EQ(s["complete"], true);
  EXPECT_EQ(s["missing"], nlohmann::json::array());
  EXPECT_EQ(s["total_bytes"], 131'000'000'000ULL);
  EXPECT_LE(s["allocated_bytes"].get<std::uint64_t>(), 3U * 64 * 1024);  // sparse: headers only
  EXPECT_EQ(s["files"][1]["path"], d / "model-00002-of-00003.gguf");
  EXPECT_EQ(s["files"][1]["bytes"], 46 * GB);
  EXPECT_EQ(j["problems"], nlohmann::json::array());
  EXPECT_EQ(s["model"]["architecture"], "llama");
  EXPECT_EQ(s["model"]["layers"], 4);
  EXPECT_EQ(s["model"]["weights_bytes"], 5'751'808U);

  r = run_cli({"inspect", d / "model-00003-of-00003.gguf"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("model  gguf    3/3     complete  122.00 GiB  131000000000"),
            std::string::npos)
      << r.out;

  std::filesystem::remove(d / "model-00002-of-00003.gguf");
  r = run_cli({"inspect", d.path(), "--json"});
  EXPECT_EQ(r.code, 1);
  const auto k = nlohmann::json::parse(r.out);
  EXPECT_EQ(k["sets"][0]["complete"], false);
  EXPECT_EQ(k["sets"][0]["missing"], nlohmann::json::array({2}));
  EXPECT_EQ(k["sets"][0]["total_bytes"], 85 * GB);
  r = run_cli({"inspect", d.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("missing 2"), std::string::npos) << r.out;
}

// Issue 18: a set whose headers do not parse is corrupt, not complete: inspect says so in the
// status, names the file and the offset, and exits 1; estimate and plan refuse the same set
// (exit 2) with the same words. --no-metadata reads no header and reports names and sizes.
TEST(Cli, InspectReportsUnreadableHeadersAndCanSkipThem) {
  temp_dir d;
  d.sparse("zeros-00001-of-00002.gguf", 1000);
  d.sparse("zeros-00002-of-00002.gguf", 1000);
  auto r = run_cli({"inspect", d.path(), "--json"});
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sets"][0]["status"], "corrupt");
  EXPECT_EQ(j["sets"][0]["complete"], false);
  const std::string message = "shard set 'zeros' is corrupt: " + d / "zeros-00001-of-00002.gguf" +
                              ": at offset 0: not a GGUF file (bad magic) (and 1 more)";
  EXPECT_EQ(j["sets"][0]["problems"][0],
            d / "zeros-00001-of-00002.gguf" + ": at offset 0: not a GGUF file (bad magic)");
  EXPECT_EQ(j["sets"][0]["model"]["error"], "not read: " + message);
  r = run_cli({"inspect", d.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("corrupt"), std::string::npos) << r.out;
  for (const char* cmd : {"estimate", "plan"}) {
    std::vector<std::string> args{cmd, d.path()};
    if (std::string(cmd) == "plan") {
      args.insert(args.end(),
                  {"--cluster", std::string(SHARDFIT_EXAMPLES_DATA) + "/clusters/lab.json"});
    }
    const auto refused = run_cli(args);
    EXPECT_EQ(refused.code, 2) << cmd;
    EXPECT_NE(refused.err.find(message), std::string::npos) << cmd << ": " << refused.err;
  }
  r = run_cli({"inspect", d.path(), "--json", "--no-metadata"});
  EXPECT_EQ(r.code, 0);
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["problems"], nlohmann::json::array());
  EXPECT_EQ(j["sets"][0]["status"], "complete");
  EXPECT_FALSE(j["sets"][0].contains("model"));
}

TEST(Cli, InspectEmptyDirectoryIsNotAFit) {
  temp_dir d;
  const auto r = run_cli({"inspect", d.path()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "no model file sets found\n");
}

}  // namespace

namespace {

TEST(CliEstimate, TableAndJsonForAHostOnlyRun) {
  temp_dir d;
  const auto path = shardfit::test::write_tiny_llama(d / "m.gguf", {});
  auto r = run_cli({"estimate", path, "--ctx", "4096", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["devices"].size(), 1U);
  const auto& cpu = j["devices"][0];
  EXPECT_EQ(cpu["device"], "cpu");
  EXPECT_EQ(cpu["layers"], 4);
  EXPECT_EQ(cpu["weights_bytes"], 5'751'808U);
  EXPECT_EQ(cpu["kv_bytes"], 4096U * 4 * 2 * 128 * 2);  // 8.00 MiB, as llama.cpp reports
  EXPECT_EQ(j["n_ctx"], 4096);
  EXPECT_EQ(j["total_layers"], 4);
  EXPECT_EQ(j["offloaded_layers"], 0);
  EXPECT_EQ(j["fits"], true);
  r = run_cli({"estimate", path});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("DEVICE  LAYERS"), std::string::npos) << r.out;
}

TEST(CliEstimate, DevicesSplitsAndTooSmallGpus) {
  temp_dir d;
  const auto path = shardfit::test::write_tiny_llama(d / "m.gguf", {});
  auto r = run_cli({"estimate", path, "--tensor-split", "1,1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["devices"].size(), 3U);
  EXPECT_EQ(j["devices"][1]["layers"], 3);  // slots 0..2 of 5
  EXPECT_EQ(j["devices"][2]["layers"], 1);
  EXPECT_EQ(j["devices"][2]["output_layer"], true);

  r = run_cli({"estimate", path, "--gpus", "100MiB", "--rpc", "10.0.0.2:50052=1GiB", "--json"});
  EXPECT_EQ(r.code, 1);  // 100 MiB is less than the GPU's fixed overhead alone
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["devices"][1]["device"], "10.0.0.2:50052");
  EXPECT_EQ(j["devices"][1]["kind"], "rpc");
  EXPECT_EQ(j["fits"], false);

  r = run_cli({"estimate", path, "--gpus", "lots"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--gpus: 'lots'"), std::string::npos) << r.err;
  r = run_cli({"estimate", path, "--cache-type-v", "q8_0", "--flash-attn", "off"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "shardfit: a quantized V cache (q8_0) requires flash attention\n");
  r = run_cli({"estimate", path, "--gpus", "1GiB", "--tensor-split", "1,1"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace

namespace {

TEST(CliParallel, GemmaOnThreeGpusIsInvalidWithSuggestions) {
  temp_dir d;
  d.write("config.json", shardfit::test::configs::gemma_3_27b_it);
  auto r = run_cli({"check-parallel", d.path(), "--tp", "3", "--json"});
  EXPECT_EQ(r.code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["reasons"][0]["rule"], "tp.attention_heads");
  EXPECT_EQ(j["reasons"][0]["message"],
            "32 attention heads are not divisible by tensor parallel size 3");
  EXPECT_EQ(j["valid_tensor_parallel"], nlohmann::json::array({1, 2, 4, 8, 16}));
  EXPECT_EQ(j["suggestions"], nlohmann::json::parse(R"([{"tp":1,"pp":3,"gpus":3},
      {"tp":2,"pp":1,"gpus":2},{"tp":4,"pp":1,"gpus":4}])"));
  r = run_cli({"check-parallel", d.path(), "--tp", "4", "--pp", "2"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("layers per stage: 31 31"), std::string::npos) << r.out;
  r = run_cli({"check-parallel", d.path(), "--tp", "0"});
  EXPECT_EQ(r.code, 2);
}

TEST(CliParallel, VllmEstimate) {
  temp_dir d;
  d.write("config.json", shardfit::test::configs::llama_3_1_8b);
  auto r = run_cli({"estimate", d.path(), "--backend", "vllm", "--max-model-len", "8192",
                    "--gpu-memory", "80GiB", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["backend"], "vllm");
  EXPECT_EQ(j["fits"], true);
  EXPECT_EQ(j["stages"][0]["kv_per_token_bytes"], 131072);
  EXPECT_EQ(j["stages"][0]["kv_needed_bytes"], 131072ULL * 8192);
  r = run_cli({"estimate", d.path(), "--backend", "vllm", "--max-model-len", "131072",
               "--gpu-memory", "16GiB"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("does not fit"), std::string::npos) << r.out;
  r = run_cli({"estimate", d.path(), "--backend", "vllm", "--tp", "3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("invalid: tp.attention_heads"), std::string::npos) << r.out;
}

}  // namespace

namespace {

const std::string kExamples = SHARDFIT_EXAMPLES_DATA;

TEST(CliPlan, PlansTheExampleModelOnTheExampleLab) {
  const auto r = run_cli({"plan", kExamples + "/models/Llama-3.1-70B-Instruct", "--cluster",
                          kExamples + "/clusters/lab.json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("planned (one_worker)"), std::string::npos) << r.out;
  // --backend auto: a Hugging Face directory is planned for vLLM, which can load it.
  EXPECT_NE(r.out.find("131.42 GiB of weights; vllm (auto: not GGUF; --backend llama.cpp for "
                       "llama.cpp), policy binpack"),
            std::string::npos)
      << r.out;
  // One context for both engines (issue 22.7): 4096 unless --ctx says otherwise, recorded in
  // the plan and passed to the engine.
  EXPECT_NE(r.out.find("\ncontext: 4096 tokens\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lab-a100$ CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=0,1 vllm "
                       "serve /mnt/models/Llama-3.1-70B-Instruct --tensor-parallel-size 2 "
                       "--pipeline-parallel-size 1 --max-model-len 4096 "),
            std::string::npos)
      << r.out;
  // Asked for llama.cpp, it says the model must be converted first.
  const auto llama = run_cli({"plan", kExamples + "/models/Llama-3.1-70B-Instruct", "--cluster",
                              kExamples + "/clusters/lab.json", "--backend", "llama.cpp"});
  EXPECT_NE(
      llama.out.find(" -c 4096 -ngl 81 --tensor-split 47,34 --host 0.0.0.0 --port 8080\nnote: "),
      std::string::npos)
      << llama.out;
  EXPECT_NE(r.out.find("(--explain lists them)"), std::string::npos);
}

TEST(CliPlan, JsonHasTheDocumentedShape) {
  const auto r =
      run_cli({"plan", kExamples + "/models/Llama-3.1-70B-Instruct", "--cluster",
               kExamples + "/clusters/lab.json", "--backend", "vllm", "--json", "--ctx", "131072"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["placement"]["context"], 131072);
  EXPECT_EQ(j["status"], "planned");
  EXPECT_EQ(j["backend"], "vllm");
  EXPECT_EQ(j["model"]["name"], "Llama-3.1-70B-Instruct");
  EXPECT_EQ(j["model"]["layers"], 80);
  const auto& p = j["placement"];
  EXPECT_EQ(p["tensor_parallel"], 4);
  EXPECT_EQ(p["pipeline_parallel"], 1);
  EXPECT_EQ(p["offloaded_layers"], 80);
  EXPECT_EQ(p["total_layers"], 80);
  EXPECT_EQ(p["gpu_memory_utilization"], 0.73);
  ASSERT_EQ(p["workers"].size(), 1U);
  EXPECT_EQ(p["workers"][0]["name"], "lab-a100");
  EXPECT_EQ(p["workers"][0]["role"], "main");
  ASSERT_EQ(p["workers"][0]["gpus"].size(), 4U);
  for (const auto& g : p["workers"][0]["gpus"]) {
    EXPECT_EQ(g["layers"], 80);
    EXPECT_LE(g["vram_bytes"].get<std::uint64_t>(), g["allocatable_bytes"].get<std::uint64_t>());
  }
  EXPECT_TRUE(p["score"].is_number());
  EXPECT_TRUE(p["score_breakdown"].contains("binpack"));
  EXPECT_TRUE(j["alternatives"].is_array());
  ASSERT_TRUE(j["rejected"].is_array());
  bool tp3 = false;
  for (const auto& x : j["rejected"]) {
    EXPECT_TRUE(x.contains("candidate") && x.contains("rule") && x.contains("reason"));
    tp3 = tp3 || (x["candidate"] == "tp 3" && x["rule"] == "tp.attention_heads");
  }
  EXPECT_TRUE(tp3);
  EXPECT_EQ(j["messages"][0],
            "gpu_memory_utilization lowered from 0.90 to 0.73 to fit the GPUs' free memory");
}

TEST(CliPlan, NoFitExitsOneWithTheMessage) {
  const auto r = run_cli({"plan", kExamples + "/models/DeepSeek-R1-BF16", "--cluster",
                          kExamples + "/clusters/lab.json", "--no-cpu-offload", "--explain"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("no fit"), std::string::npos);
  EXPECT_NE(r.out.find("the model needs 1249.17 GiB VRAM and 1.76 GiB RAM; the largest worker "
                       "provides 294.00 GiB VRAM"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("layer.min"), std::string::npos);  // --explain lists the 4090s' rule
}

TEST(CliPlan, ManualGpusAndWishedDegrees) {
  auto r = run_cli({"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster",
                    kExamples + "/clusters/box-8x24.json", "--backend", "vllm", "--tp", "3",
                    "--ctx", "8192"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("nearest valid: tp 1 x pp 3, tp 2, tp 4"), std::string::npos) << r.out;
  r = run_cli({"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster",
               kExamples + "/clusters/box-8x24.json", "--gpus", "box8:3,box8:5", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["placement"]["workers"][0]["gpus"].size(), 2U);
  EXPECT_EQ(j["placement"]["workers"][0]["gpus"][0]["index"], 3);
  EXPECT_EQ(j["placement"]["workers"][0]["gpus"][1]["index"], 5);
}

TEST(CliPlan, InputErrorsExitTwo) {
  // (With no inventory at all, plan plans for this machine: tests/cluster/local_test.cpp.)
  auto r = run_cli(
      {"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster", "/nonexistent.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("/nonexistent.json"), std::string::npos) << r.err;
  r = run_cli({"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster",
               kExamples + "/clusters/lab.json", "--gpus", "lab-a100:9"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("worker 'lab-a100' has no GPU 9"), std::string::npos) << r.err;
  r = run_cli({"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster",
               kExamples + "/clusters/lab.json", "--backend", "llama.cpp", "--tp", "2"});
  EXPECT_EQ(r.code, 2);  // --tp is vLLM's
  shardfit::test::temp_dir d;
  d.write("bad.json", R"({"workers": [{"name": "w", "gpus": [{"vram": "lots"}]}]})");
  r = run_cli({"plan", kExamples + "/models/Llama-3.1-8B-Instruct", "--cluster", d / "bad.json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("worker 'w' gpu 0 key 'vram'"), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(CliPlan, ExplainShowsTheStorageDecisions) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  auto r = run_cli({"plan", ex + "/models/Llama-3.1-70B-Instruct", "--cluster",
                    ex + "/clusters/lab.json", "--explain"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("storage: 1 copy, 0 B to download"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lab-a100  shared:nfs-models  141.11 GB    2.00 TB"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("WORKER    SOURCE"), std::string::npos);
  r = run_cli({"plan", ex + "/models/Llama-3.1-70B-Instruct", "--cluster",
               ex + "/clusters/lab.json", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& s = j["placement"]["storage"];
  EXPECT_EQ(s["copies"], 1);
  EXPECT_EQ(s["download_bytes"], 0);
  EXPECT_EQ(s["workers"][0]["name"], "lab-a100");
  EXPECT_EQ(s["workers"][0]["source"], "shared:nfs-models");
  EXPECT_EQ(s["workers"][0]["bytes"], 141107412992ULL);
}

}  // namespace

#include "support/inventory_samples.hpp"

namespace {

TEST(CliPlan, EmitLaunchPrintsTheCommandsInStartOrder) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  auto r = run_cli({"plan", ex + "/models/Llama-3.1-70B-Instruct", "--cluster",
                    ex + "/clusters/lab.json", "--backend", "vllm", "--emit", "launch", "--ctx",
                    "131072"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "# Llama-3.1-70B-Instruct: one_worker, start in this order\n"
            "\n"
            "# on lab-a100 (10.0.0.10)\n"
            "CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES=0,1,2,3 vllm serve "
            "/mnt/models/Llama-3.1-70B-Instruct "
            "--tensor-parallel-size 4 --pipeline-parallel-size 1 --max-model-len 131072 "
            "--gpu-memory-utilization 0.73\n");
  r = run_cli(
      {"plan", ex + "/models/tiny-moe-split", "--cluster", ex + "/clusters/lab.json", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["launch"].size(), 2U);
  EXPECT_EQ(j["launch"][0]["role"], "download");  // the worker holds no copy
  EXPECT_EQ(j["launch"][0]["argv"].size(), 0U);   // and no repository is known
  EXPECT_EQ(j["launch"][0]["note"],
            "copy the model's files (tiny-moe-f16-00001-of-00002.gguf, "
            "tiny-moe-f16-00002-of-00002.gguf) to " +
                ex +
                "/models/tiny-moe-split on lab-4090-b: it holds no copy and no Hugging Face "
                "repository is known to download from (give it with --repo ORG/NAME)");
  EXPECT_EQ(j["launch"][1]["role"], "llama-server");
  EXPECT_EQ(j["launch"][1]["argv"][0], "llama-server");
  EXPECT_EQ(j["launch"][1]["argv"][2],
            ex + "/models/tiny-moe-split/tiny-moe-f16-00001-of-00002.gguf");  // the first shard

  // With the repository named, the download is a command; a relative model path becomes
  // absolute (the worker does not share the planner's working directory).
  r = run_cli({"plan", ex + "/models/tiny-moe-split", "--cluster", ex + "/clusters/lab.json",
               "--repo", "acme/tiny-moe-GGUF", "--model-path", "/srv/tiny", "--emit", "launch"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("# on lab-4090-b (10.0.0.22)\nhf download acme/tiny-moe-GGUF "
                       "tiny-moe-f16-00001-of-00002.gguf tiny-moe-f16-00002-of-00002.gguf "
                       "--local-dir /srv/tiny\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("llama-server -m /srv/tiny/tiny-moe-f16-00001-of-00002.gguf"),
            std::string::npos)
      << r.out;
}

TEST(CliPlan, ReadsKubernetesNodesAndNvidiaSmiOutput) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  temp_dir d;
  d.write("nodes.json", shardfit::test::samples::kubectl_nodes());
  d.write("l4.csv", "0, NVIDIA L4, 23034, 0\n1, NVIDIA L4, 23034, 0\n");
  auto r = run_cli({"plan", ex + "/models/Llama-3.1-8B-Instruct", "--kube-nodes", d / "nodes.json",
                    "--nvidia-smi", "gpu-l4-0=" + (d / "l4.csv"), "--backend", "vllm", "--ctx",
                    "8192", "--gpus", "gpu-l4-0:0", "--emit", "launch"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The node without memory labels was warned about, then nvidia-smi gave its GPUs.
  EXPECT_NE(r.err.find("shardfit: warning: node 'gpu-l4-0': 2 nvidia GPUs but no "
                       "nvidia.com/gpu.memory label"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("# on gpu-l4-0 (10.1.0.30)\nCUDA_DEVICE_ORDER=PCI_BUS_ID "
                       "CUDA_VISIBLE_DEVICES=0 vllm serve "),
            std::string::npos)
      << r.out;
  d.write("bad.csv", "0, NVIDIA L4, 23034\n");
  r = run_cli(
      {"plan", ex + "/models/Llama-3.1-8B-Instruct", "--nvidia-smi", "w=" + (d / "bad.csv")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(d / "bad.csv" + ": line 1: expected 4 comma-separated fields"),
            std::string::npos)
      << r.err;
  // A worker no other source knows still plans (its GPUs), with a warning about what is unknown.
  r = run_cli({"plan", ex + "/models/Llama-3.1-8B-Instruct", "--nvidia-smi",
               "lone=" + (d / "l4.csv"), "--backend", "vllm", "--ctx", "8192"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("shardfit: warning: worker 'lone' is known only from " + (d / "l4.csv") +
                       ": its RAM is taken as 0 and its address as its name"),
            std::string::npos)
      << r.err;
  r = run_cli({"plan", ex + "/models/Llama-3.1-8B-Instruct", "--nvidia-smi", d / "bad.csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("must be written WORKER=FILE"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// Issue 22.2: label options of `plan`: --prefer-label picks the zone-a twin, --avoid-label keeps
// a GPU in maintenance out (the rejection says why), --require-label keeps only labelled workers.
TEST(CliPlan, LabelOptionsFilterAndPrefer) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  temp_dir d;
  d.write("twins.json", R"({"workers": [
    {"name": "box-b", "ram": "128GiB", "labels": {"zone": "b"},
     "gpus": [{"name": "RTX 4090", "vendor": "nvidia", "vram": "24GiB",
               "labels": {"maintenance": "true"}},
              {"name": "RTX 4090", "vendor": "nvidia", "vram": "24GiB"}]},
    {"name": "box-a", "ram": "128GiB", "labels": {"zone": "a"},
     "gpus": [{"name": "RTX 4090", "vendor": "nvidia", "vram": "24GiB"},
              {"name": "RTX 4090", "vendor": "nvidia", "vram": "24GiB"}]}]})");
  const std::string m = ex + "/models/tiny-llama";
  auto r = run_cli({"plan", m, "--cluster", d / "twins.json", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["placement"]["workers"][0]["name"], "box-b");
  r = run_cli({"plan", m, "--cluster", d / "twins.json", "--prefer-label", "zone=a", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["placement"]["workers"][0]["name"], "box-a");
  EXPECT_EQ(j["placement"]["score_breakdown"]["prefer zone=a"]["weight"], 10);
  r = run_cli(
      {"plan", m, "--cluster", d / "twins.json", "--avoid-label", "maintenance=true", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  bool rejected = false;
  for (const auto& x : j["rejected"]) {
    rejected = rejected || (x["candidate"] == "box-b:0" && x["rule"] == "filter" &&
                            x["reason"] == "has label maintenance=true (avoided)");
  }
  EXPECT_TRUE(rejected) << j["rejected"].dump();
  for (const auto& w : j["placement"]["workers"]) {
    for (const auto& g : w["gpus"]) EXPECT_FALSE(w["name"] == "box-b" && g["index"] == 0);
  }
  r = run_cli({"plan", m, "--cluster", d / "twins.json", "--require-label", "zone=a", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["placement"]["workers"][0]["name"], "box-a");
  r = run_cli({"plan", m, "--cluster", d / "twins.json", "--prefer-label", "zone"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "shardfit: label 'zone': expected KEY=VALUE\n");
}

}  // namespace
