// One full per-device llama.cpp estimate of a 126-layer model (Llama-3.1-405B's shape) across 8
// devices: what the planner pays per candidate. Construction (graph simulation) is timed apart.
#include <shardfit/estimate/llama.hpp>

#include <benchmark/benchmark.h>

#include <vector>

namespace {

using namespace shardfit::literals;

shardfit::model_profile llama_405b_q4() {
  shardfit::model_profile m;
  m.name = "llama-3.1-405b-q4_k_m";
  m.architecture = "llama";
  m.n_layer = 126;
  m.n_embd = 16384;
  m.n_head = 128;
  m.n_head_kv = 8;
  m.head_dim_k = m.head_dim_v = 128;
  m.n_ff = 53248;
  m.n_vocab = 128256;
  m.n_ctx_train = 131072;
  // 126 layers of about 1.87 GiB (Q4_K_M), 8 KV heads of 128.
  m.layers.assign(126, shardfit::layer_profile{shardfit::bytes{2'010'000'000}, shardfit::bytes{},
                                               128, 8, 1024, 1024});
  m.token_embd = shardfit::bytes{1'180'000'000};
  m.output = shardfit::bytes{1'720'000'000};
  return m;
}

std::vector<shardfit::llama_device> eight_gpus() {
  std::vector<shardfit::llama_device> d;
  for (int i = 0; i < 8; ++i)
    d.push_back({"gpu" + std::to_string(i), shardfit::device_kind::gpu, 80_GiB});
  return d;
}

void BM_EstimateAcross8Devices(benchmark::State& state) {
  shardfit::llama_settings s;
  s.n_ctx = 32768;
  const shardfit::llama_estimator est(llama_405b_q4(), s);
  const auto devices = eight_gpus();
  for (auto _ : state) {
    auto e = est.estimate(devices);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_EstimateAcross8Devices)->Unit(benchmark::kMicrosecond);

void BM_ConstructEstimator(benchmark::State& state) {
  shardfit::llama_settings s;
  s.n_ctx = 32768;
  const auto m = llama_405b_q4();
  for (auto _ : state) {
    shardfit::llama_estimator est(m, s);
    benchmark::DoNotOptimize(est);
  }
}
BENCHMARK(BM_ConstructEstimator)->Unit(benchmark::kMicrosecond);

}  // namespace
