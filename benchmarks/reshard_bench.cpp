// Resharding a generated 2 GB safetensors file (32 layers, patterned data) into shards of at most
// 500 MB — written, fsynced, re-read and verified — against a plain streaming copy of the same
// file (read/write through an 8 MiB buffer, then fsync), in the same program and on the same
// disk. Targets: reshard time within 1.3x of the copy; peak memory under 100 MB.
#include <shardfit/reshard/reshard.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct fixture {
  std::string dir;
  std::string source;
  std::uint64_t size = 0;

  fixture() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/shardfit-reshard-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    source = dir + "/model.safetensors";
    // 32 layers of 7 BF16 tensors (~62 MB a layer) plus embeddings and head: about 2 GB.
    struct t {
      std::string name;
      std::uint64_t rows, cols;
    };
    std::vector<t> tensors{{"model.embed_tokens.weight", 32000, 1024}};
    for (int l = 0; l < 32; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      tensors.push_back({p + "input_layernorm.weight", 1, 1024});
      tensors.push_back({p + "self_attn.q_proj.weight", 1024, 1024});
      tensors.push_back({p + "self_attn.k_proj.weight", 1024, 1024});
      tensors.push_back({p + "self_attn.v_proj.weight", 1024, 1024});
      tensors.push_back({p + "self_attn.o_proj.weight", 1024, 1024});
      tensors.push_back({p + "mlp.up_proj.weight", 6144, 1024});
      tensors.push_back({p + "mlp.down_proj.weight", 1024, 6144});
    }
    tensors.push_back({"lm_head.weight", 32000, 1024});
    std::string json = "{";
    std::uint64_t off = 0;
    for (const auto& x : tensors) {
      const std::uint64_t n = x.rows * x.cols * 2;
      json += (json.size() > 1 ? "," : "") +
              ("\"" + x.name + "\":{\"dtype\":\"BF16\",\"shape\":[" + std::to_string(x.rows) + "," +
               std::to_string(x.cols) + "],\"data_offsets\":[" + std::to_string(off) + "," +
               std::to_string(off + n) + "]}");
      off += n;
    }
    json += "}";
    while (json.size() % 8 != 0) json += ' ';
    std::ofstream f(source, std::ios::binary);
    std::uint64_t len = json.size();
    for (int i = 0; i < 8; ++i) f.put(static_cast<char>((len >> (8 * i)) & 0xFFU));
    f << json;
    std::vector<char> block(std::size_t{8} << 20U);
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (auto& c : block) {
      x ^= x << 13U;
      x ^= x >> 7U;
      x ^= x << 17U;
      c = static_cast<char>(x);
    }
    for (std::uint64_t left = off; left != 0;) {
      const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, block.size()));
      block[static_cast<std::size_t>(left % block.size())] ^= 1;  // no two blocks alike
      f.write(block.data(), n);
      left -= static_cast<std::uint64_t>(n);
    }
    f.close();
    size = fs::file_size(source);
  }
  ~fixture() { fs::remove_all(dir); }
};

fixture& data() {
  static fixture f;
  return f;
}

double g_copy_seconds = 0;

void plain_copy(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) std::abort();
  std::vector<char> buf(std::size_t{8} << 20U);
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) std::abort();
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w <= 0) std::abort();
      done += w;
    }
  }
  if (::fsync(out) != 0) std::abort();
  ::close(in);
  ::close(out);
}

double peak_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

void BM_PlainCopy2GB(benchmark::State& state) {
  auto& d = data();
  double total = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    plain_copy(d.source, d.dir + "/copy.safetensors");
    const auto t1 = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    total += s;
    state.PauseTiming();
    fs::remove(d.dir + "/copy.safetensors");
    state.ResumeTiming();
  }
  g_copy_seconds = total / static_cast<double>(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(d.size));
  state.counters["peak_rss_MB"] = peak_rss_mb();
}
BENCHMARK(BM_PlainCopy2GB)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_Reshard2GB(benchmark::State& state) {
  auto& d = data();
  shardfit::reshard_options o;
  o.max_shard_size = shardfit::parse_bytes("500MB");
  double total = 0;
  std::size_t shards = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto plan = shardfit::plan_reshard(d.source, d.dir + "/out", o);
    const auto done = shardfit::write_reshard(plan, o);
    const auto t1 = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(s);
    total += s;
    shards = plan.shards.size();
    state.PauseTiming();
    fs::remove_all(d.dir + "/out");
    state.ResumeTiming();
  }
  const double mean = total / static_cast<double>(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(d.size));
  state.counters["shards"] = static_cast<double>(shards);
  state.counters["peak_rss_MB"] = peak_rss_mb();
  if (g_copy_seconds > 0) state.counters["vs_copy"] = mean / g_copy_seconds;
}
BENCHMARK(BM_Reshard2GB)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
