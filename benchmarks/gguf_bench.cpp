// GGUF header parsing: the 3.97 MB vocabulary file from ../shared/data (when present) and a
// generated model of 1,000 tensors. Reports the median time per parse and the bytes each parse
// keeps (the header) against the file's size.
#include <shardfit/formats/gguf.hpp>
#include <shardfit/formats/gguf_writer.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace {

void parse(benchmark::State& state, const std::string& path) {
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("missing " + path).c_str());
    return;
  }
  std::size_t tensors = 0;
  std::uint64_t kept = 0;
  for (auto _ : state) {
    const auto f = shardfit::gguf_file::open(path);
    tensors = f.tensors().size();
    kept = f.data_offset();
    benchmark::DoNotOptimize(f);
  }
  state.counters["tensors"] = static_cast<double>(tensors);
  state.counters["header_bytes"] = static_cast<double>(kept);
  state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(path));
}

void BM_ParseVocabDeepseekLlm(benchmark::State& state) {
  parse(state, std::string(SHARDFIT_SHARED_DATA) + "/gguf/ggml-vocab-deepseek-llm.gguf");
}
BENCHMARK(BM_ParseVocabDeepseekLlm)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->DisplayAggregatesOnly(true);

// A 1,000-tensor model (111 layers of 9 tensors plus embeddings), sparse on disk.
const std::string& thousand_tensor_model() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/shardfit-gguf-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    const std::string p = std::string(tmpl) + "/m.gguf";
    shardfit::gguf_builder b;
    b.add_string("general.architecture", "llama");
    b.add_u32("llama.block_count", 111);
    b.add_tensor("token_embd.weight", {4096, 32000}, 12);
    for (int i = 0; i < 111; ++i) {
      for (const char* t : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                            "ffn_gate", "ffn_up", "ffn_down"}) {
        b.add_tensor("blk." + std::to_string(i) + "." + t + ".weight", {4096, 4096}, 12);
      }
    }
    const auto header = b.header();
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(header.data()),
               static_cast<std::streamsize>(header.size()));
    if (::truncate(p.c_str(), static_cast<off_t>(header.size() + b.data_size())) != 0) std::abort();
    std::atexit([] {
      std::filesystem::remove_all(std::filesystem::path(thousand_tensor_model()).parent_path());
    });
    return p;
  }();
  return path;
}

void BM_ParseThousandTensors(benchmark::State& state) {
  parse(state, thousand_tensor_model());
}
BENCHMARK(BM_ParseThousandTensors)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->DisplayAggregatesOnly(true);

}  // namespace
