// Writes seed corpora for the fuzzers into DIR/<fuzzer>/, from the generators the tests use
// (nothing fetched): GGUF headers of every test architecture, safetensors headers, index files,
// the test configs of real models, cluster files, shard names and size strings.
//
// Usage: fuzz_seeds DIR
#include <shardfit/formats/gguf_writer.hpp>

#include "support/configs.hpp"
#include "support/inventory_samples.hpp"
#include "support/model_files.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace cfg = shardfit::test::configs;

void put(const fs::path& dir, const std::string& name, const std::string& content) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << content;
}

std::string gguf_header(const shardfit::test::test_model& m) {
  shardfit::gguf_builder b;
  shardfit::test::add_tiny_llama_metadata(b, m);
  for (const auto& t : shardfit::test::tiny_llama_tensors(m)) b.add_tensor(t.name, t.ne, t.type);
  const auto h = b.header();
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path out = argv[1];

  int k = 0;
  for (const char* arch : {"llama", "qwen2", "qwen3", "gemma3"}) {
    shardfit::test::test_model m;
    m.arch = arch;
    m.layers = 2;
    m.tokenizer = k % 2 == 0;
    m.sliding_window = std::string(arch) == "gemma3" ? 128 : 0;
    put(out / "gguf", std::string(arch) + ".gguf", gguf_header(m));
    ++k;
  }
  {
    // A split pair for fuzz_gguf_set: two bytes saying where shard 1 ends, then both shards.
    const fs::path tmp = out / "gguf_set" / "tmp";
    fs::create_directories(tmp);
    const auto paths = shardfit::test::write_tiny_llama_split((tmp / "m").string(), {}, 2);
    std::string shards[2];
    for (std::size_t i = 0; i < 2; ++i) {
      std::ifstream f(paths[i], std::ios::binary);
      shards[i].assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    const std::size_t cut = shards[0].size() & 0xFFFFU;
    std::string seed;
    seed += static_cast<char>(cut >> 8U);
    seed += static_cast<char>(cut & 0xFFU);
    put(out / "gguf_set", "tiny-split.bin", seed + shards[0] + shards[1]);
    fs::remove_all(tmp);
  }
  shardfit::test::test_model moe;
  moe.experts = 4;
  moe.experts_used = 2;
  put(out / "gguf", "moe.gguf", gguf_header(moe));

  {
    const fs::path tmp = out / "safetensors" / "tmp.bin";
    fs::create_directories(tmp.parent_path());
    shardfit::test::write_safetensors(
        tmp.string(),
        {{"model.embed_tokens.weight", "BF16", {10, 4}, 80},
         {"model.layers.0.self_attn.q_proj.weight", "F8_E4M3", {4, 4}, 16},
         {"model.layers.0.self_attn.q_proj.weight_scale_inv", "F32", {1}, 4}},
        {{"format", "pt"}});
    fs::rename(tmp, out / "safetensors" / "small.safetensors");
  }

  put(out / "index", "index.json",
      R"({"metadata": {"total_size": 16060522496}, "weight_map": {"lm_head.weight": "model-00004-of-00004.safetensors", "model.embed_tokens.weight": "model-00001-of-00004.safetensors"}})");
  put(out / "index", "bad_path.json",
      R"({"weight_map": {"a": "../etc/passwd", "b": "/abs.safetensors"}})");

  const std::vector<std::pair<std::string, std::string>> configs{
      {"llama_3_1_8b", cfg::llama_3_1_8b},
      {"qwen2_5_7b", cfg::qwen2_5_7b},
      {"gemma_3_27b_it", cfg::gemma_3_27b_it},
      {"deepseek_v3", cfg::deepseek_v3},
      {"kimi_k2", cfg::kimi_k2},
      {"qwen3_235b_a22b_fp8", cfg::qwen3_235b_a22b_fp8},
      {"mixtral_8x7b", cfg::mixtral_8x7b},
      {"gpt_oss_120b", cfg::gpt_oss_120b},
      {"glm_4_5", cfg::glm_4_5},
      {"qwen2_5_vl_7b", cfg::qwen2_5_vl_7b},
      {"internvl_8b", cfg::internvl_8b},
      {"llama_4_scout", cfg::llama_4_scout}};
  for (const auto& [name, text] : configs) put(out / "hf_config", name + ".json", text);

  put(out / "cluster", "issue.json",
      R"({"reserved": {"ram": "2GiB", "vram": "1GiB"}, "workers": [{"name": "host4080", "ram": "64GiB", "ram_used": "8GiB", "uma": false, "labels": {}, "disk_free": "500GB", "mounts": [{"path": "/mnt/models", "shared": true}], "gpus": [{"index": 0, "name": "RTX 4080", "vendor": "nvidia", "vram": "16GiB", "vram_used": "500MiB"}]}]})");
  put(out / "cluster", "rpc.json",
      R"({"volumes": [{"name": "nfs", "models": [{"name": "fuzz"}]}], "workers": [{"name": "a", "ram": "32GiB", "disk_free": 1, "mounts": [{"path": "/m", "volume": "nfs"}], "gpus": [{"vram": "1GiB"}, {"index": 3, "vram": 8589934592, "vram_used": "4GiB"}]}, {"name": "b", "uma": true, "ram": "16GiB", "gpus": [{"vram": "12GiB"}]}, {"name": "c", "ram": "1TiB"}], "claims": [{"worker": "a", "gpu": 3, "vram": "2GiB", "ram": "1GiB"}]})");

  namespace samples = shardfit::test::samples;
  put(out / "inventory", "kubectl", std::string(1, '\0') + samples::kubectl_nodes());
  put(out / "inventory", "nvidia", std::string("\x01") + samples::nvidia_smi_2x4090());
  put(out / "inventory", "nvidia_header", std::string("\x01") + samples::nvidia_smi_with_header());
  put(out / "inventory", "rocm", std::string("\x02") + samples::rocm_smi_mi250x());
  put(out / "inventory", "quantity", std::string("\x03") + "528157196Ki");

  int n = 0;
  for (const char* name :
       {"model-00001-of-00003.gguf", "x-2-of-3.safetensors",
        "Llama-3.1-70B-Q4_K_M-00002-of-00002.GGUF", "model-00000-of-00001.safetensors",
        "a-00001-of-99999999999.gguf", "mmproj-model-f16.gguf"}) {
    put(out / "shard_name", std::to_string(n++), name);
  }
  n = 0;
  for (const char* size : {"4GB", "4GiB", "1.5TiB", "4096", "64Gi", "500M", "0.5 kB",
                           "18446744073709551615", "1e3", "-1", "12XB"}) {
    put(out / "bytes", std::to_string(n++), size);
  }
  std::printf("seeds written to %s\n", out.c_str());
  return 0;
}
