// The llama.cpp estimator on several GPUs (issue 21): the scheduler's copies of its inputs when
// the devices form a pipeline, the host's compute buffer (CUDA_Host), row split, and the
// layouts that changed between llama.cpp builds. Facts from llama.cpp's code (cited per test)
// and from CUDA startup logs people posted (cited per log); no code of theirs.

#include <shardfit/estimate/llama.hpp>
#include <shardfit/formats/read_hf_config.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"
#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <vector>

namespace {

using shardfit::bytes;
using shardfit::device_kind;
using shardfit::flash_attn_mode;
using shardfit::llama_device;
using shardfit::llama_estimate;
using shardfit::llama_estimator;
using shardfit::llama_settings;
using namespace shardfit::literals;
namespace cfg = shardfit::test::configs;

constexpr double MiB = 1024.0 * 1024.0;

double mib(bytes b) {
  return static_cast<double>(b.count()) / MiB;
}

shardfit::model_profile from_config(const std::string& json) {
  return shardfit::profile_from_config(shardfit::parse_hf_config(json, "config.json"));
}

std::vector<llama_device> gpus(std::size_t n, bytes free = 24_GiB) {
  std::vector<llama_device> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({"CUDA" + std::to_string(i), device_kind::gpu, free});
  }
  return out;
}

// The dense 8B shape used below: 32 layers of 4096, 32 heads / 8 KV heads of 128.
shardfit::model_profile dense8b() {
  return from_config(cfg::llama_3_1_8b);
}

// src/llama-context.cpp, llama_context's constructor: the scheduler is created with
// `pipeline_parallel` (GGML_SCHED_MAX_COPIES = 4 copies) only for several devices, every layer
// and the output offloaded, layer split, and devices with async compute and events (an RPC
// server has neither).
TEST(EstimateLlamaGpu, PipelineOnlyWhenEveryLayerIsOnSeveralLocalGpus) {
  const auto m = dense8b();
  llama_settings s;
  s.n_ctx = 8192;
  const llama_estimator est(m, s);
  EXPECT_EQ(est.estimate(gpus(1)).sched_copies, 1U);
  EXPECT_EQ(est.estimate(gpus(2)).sched_copies, 4U);
  EXPECT_EQ(est.estimate(gpus(4)).sched_copies, 4U);
  EXPECT_EQ(est.estimate(gpus(2), {32, {}}).sched_copies, 1U);  // the output stays on the host
  EXPECT_EQ(est.estimate(gpus(2), {20, {}}).sched_copies, 1U);
  auto rpc = gpus(2);
  rpc[0].kind = device_kind::rpc;
  EXPECT_EQ(est.estimate(rpc).sched_copies, 1U);
  for (const auto split : {shardfit::split_mode::row, shardfit::split_mode::none}) {
    llama_settings t = s;
    t.split = split;
    EXPECT_EQ(llama_estimator(m, t).estimate(gpus(2)).sched_copies, 1U);
  }
  llama_settings one = s;
  one.sched_copies = 1;  // a build with -DGGML_SCHED_MAX_COPIES=1
  EXPECT_EQ(llama_estimator(m, one).estimate(gpus(2)).sched_copies, 1U);
}

// ggml-backend.cpp, ggml_backend_sched_split_graph: with n_copies > 1 each graph input gets
// n_copies tensors on the CPU backend (inputs always live there), and each tensor a device
// receives from another backend (mask, positions, KV row indices, output ids, the residual
// stream) gets n_copies copies there; every copy is an input and output leaf, allocated before
// anything else and never freed.
TEST(EstimateLlamaGpu, CopiesOnEveryDeviceAndOnTheHostExactly) {
  const auto m = dense8b();
  llama_settings s;
  s.n_ctx = 32768;
  s.flash_attn = flash_attn_mode::on;
  llama_settings single = s;
  single.sched_copies = 1;
  for (const std::size_t n : {std::size_t{2}, std::size_t{4}}) {
    const llama_estimate with = llama_estimator(m, s).estimate(gpus(n));
    const llama_estimate without = llama_estimator(m, single).estimate(gpus(n));
    ASSERT_EQ(with.sched_copies, 4U);
    // Host: 3 more of the f16 mask (32768 cells x 512 tokens x 2 bytes = 32 MiB), positions
    // (2 KiB), K and V row indices (4 + 4 KiB), output ids (2 KiB) and token ids (2 KiB).
    EXPECT_EQ(with.host().compute - without.host().compute,
              bytes{3 * (33554432ULL + 2048 + 8192 + 2048) + 3 * 2048});
    // Devices: 4 resident copies of the mask, positions and indices (a pipeline), and of the
    // 8 MiB residual stream coming in: at least 3 more masks and 3 more streams each.
    for (std::size_t i = 1; i <= n; ++i) {
      const bytes extra = with.devices[i].compute - without.devices[i].compute;
      EXPECT_GE(extra, bytes{3 * 33554432ULL + 3 * 8388608ULL}) << n << " GPUs, device " << i;
      EXPECT_LE(extra, bytes{4 * (33554432ULL + 12288) + 4 * 8388608ULL}) << n << " GPUs";
      EXPECT_EQ(with.devices[i].weights, without.devices[i].weights);
      EXPECT_EQ(with.devices[i].kv, without.devices[i].kv);
    }
  }
  // The exact figures of the 2-GPU split. Host: token ids, the token embeddings and their
  // lookup (2 x 8 MiB), 4 x (mask, positions, indices, output ids), 3 more token ids. Devices
  // (the graph allocator's model, graph_sim.hpp): CUDA0 4 x 40.01 MiB of copies + 108 MiB of
  // layer work = 268.05 MiB; CUDA1 the same copies + the 250.5 MiB of logits = 418.55 MiB.
  const llama_estimate two = llama_estimator(m, s).estimate(gpus(2));
  EXPECT_EQ(two.host().compute,
            bytes{2048 + 2 * 8388608ULL + 4 * (33554432ULL + 2048 + 8192 + 2048) + 3 * 2048});
  EXPECT_EQ(two.devices[1].compute, bytes{281067520});
  EXPECT_EQ(two.devices[2].compute, bytes{438878208});
  // Four GPUs (9 + 8 + 8 + 7 layers): every device receives the same inputs, so the three
  // without the head match CUDA0 of the 2-GPU split and the last one its CUDA1; the host too.
  const llama_estimate four = llama_estimator(m, s).estimate(gpus(4));
  EXPECT_EQ(four.host().compute, two.host().compute);
  for (std::size_t i = 1; i <= 3; ++i) EXPECT_EQ(four.devices[i].compute, bytes{281067520});
  EXPECT_EQ(four.devices[4].compute, bytes{438878208});
  EXPECT_EQ(four.devices[4].layers, 7U);
}

// Published CUDA logs, rebuilt from the models' configs with the logged settings.
//
// L1: Qwen2.5-0.5B on 2 x RTX 4090, n_ctx 32768 (4 slots, unified cache), n_ubatch 512, flash
// attention off, "pipeline parallelism enabled (n_copies=4)" (mainline, 2024; Nixiesearch's
// "GPU support" page): KV 208 + 176 MiB, compute CUDA0 1166.01, CUDA1 1166.02, CUDA_Host 257.77.
// L2: Qwen3-30B-A3B on 2 x Tesla T4, n_ctx 32768, flash attention on, n_copies=4 (ik_llama.cpp
// issue 398, May 2025: the mask was f32 on the host and cast to f16 on CUDA0): KV 1600 + 1472
// MiB, compute CUDA0 368.01, CUDA1 444.77, CUDA_Host 260.02.
TEST(EstimateLlamaGpu, PublishedTwoGpuLogs) {
  {
    llama_settings s;
    s.n_ctx = 32768;
    s.n_parallel = 4;
    s.kv_unified = true;
    s.flash_attn = flash_attn_mode::off;
    s.build = 4000;
    const auto e = llama_estimator(from_config(cfg::qwen2_5_0_5b), s).estimate(gpus(2));
    EXPECT_DOUBLE_EQ(mib(e.devices[1].kv), 208.0);
    EXPECT_DOUBLE_EQ(mib(e.devices[2].kv), 176.0);
    EXPECT_NEAR(mib(e.devices[1].compute), 1166.01 * 1.001, 1166.01 * 0.001);  // +0.17%
    EXPECT_NEAR(mib(e.devices[2].compute), 1166.02 * 1.001, 1166.02 * 0.001);
    EXPECT_NEAR(mib(e.host().compute), 257.77 * 1.01, 257.77 * 0.01);  // +1.5%
    // One copy, as before: 17% under on each GPU, 74% under on the host.
    s.sched_copies = 1;
    const auto old = llama_estimator(from_config(cfg::qwen2_5_0_5b), s).estimate(gpus(2));
    EXPECT_LT(mib(old.devices[1].compute), 1166.01 * 0.85);
    EXPECT_LT(mib(old.host().compute), 257.77 * 0.3);
  }
  {
    llama_settings s;
    s.n_ctx = 32768;
    s.flash_attn = flash_attn_mode::on;
    s.build = 5300;
    const auto e = llama_estimator(from_config(cfg::qwen3_30b_a3b), s).estimate(gpus(2));
    EXPECT_DOUBLE_EQ(mib(e.devices[1].kv), 1600.0);
    EXPECT_DOUBLE_EQ(mib(e.devices[2].kv), 1472.0);
    EXPECT_NEAR(mib(e.devices[2].compute), 444.77, 444.77 * 0.001);        // within 0.01%
    EXPECT_NEAR(mib(e.devices[1].compute), 368.01 * 1.03, 368.01 * 0.03);  // +5.4%
    EXPECT_NEAR(mib(e.host().compute), 260.02 * 1.01, 260.02 * 0.01);      // +1.6%
    s.sched_copies = 1;
    const auto old = llama_estimator(from_config(cfg::qwen3_30b_a3b), s).estimate(gpus(2));
    EXPECT_LT(mib(old.devices[2].compute), 444.77 * 0.7);  // the 35-51% under of the issue
  }
}

// The host's compute buffer when the GPUs run every layer holds every graph input, the mask
// first (llama-context.cpp: the CPU backend's buffer type is the first GPU's host buffer,
// "CUDA_Host"). One GPU, no pipeline: tokens, the token embeddings, and now the mask.
TEST(EstimateLlamaGpu, HostBufferHoldsTheMask) {
  const auto m = dense8b();
  llama_settings s;
  s.n_ctx = 131072;
  s.flash_attn = flash_attn_mode::on;
  const auto e = llama_estimator(m, s).estimate(gpus(1, 80_GiB));
  // 131072 cells x 512 tokens x f16 = 128 MiB, beside 2 x 8 MiB of embeddings.
  EXPECT_EQ(e.host().compute, bytes{2048 + 2 * 8388608ULL + 134217728ULL + 2048 + 8192 + 2048});
  // Builds before b9410 kept the host's mask in f32 (256 MiB).
  s.build = 9409;
  const auto old = llama_estimator(m, s).estimate(gpus(1, 80_GiB));
  EXPECT_EQ(old.host().compute - e.host().compute, bytes{134217728ULL});
}

// Row split (llama.cpp b3990-b9889; llama-model.cpp load_tensors with the CUDA split buffer
// type, ggml_backend_cuda_device_supports_op): layers, their KV and a compute buffer per GPU as
// in layer split; only 2-D matrices (and the output head) are cut across every GPU by the
// split, 3-D expert tensors stay whole on their layer's GPU; no pipeline.
TEST(EstimateLlamaGpu, RowSplitSpreadsLayersAndCutsOnlyTheMatrices) {
  shardfit::model_profile m = dense8b();
  m.layers.resize(8);
  m.n_layer = 8;
  for (auto& l : m.layers) {
    l.weights = 1_GiB;
    l.expert_weights = 512_MiB;
  }
  m.token_embd = 1_GiB;
  m.output = 2_GiB;
  llama_settings s;
  s.split = shardfit::split_mode::row;
  s.tensor_split = {3, 1};
  s.build = 9000;
  const auto e = llama_estimator(m, s).estimate(gpus(2));
  // By the split over 8 layers and the output: layers 0-6 on CUDA0, layer 7 and the head on
  // CUDA1. Matrices: 8 x 512 MiB + the 2 GiB head = 6 GiB, three quarters on CUDA0; experts
  // 7 x 512 MiB on CUDA0, 512 MiB on CUDA1.
  EXPECT_EQ(e.devices[1].layers, 7U);
  EXPECT_EQ(e.devices[2].layers, 1U);
  EXPECT_EQ(e.devices[1].weights, bytes{(6ULL << 30) * 3 / 4 + 7 * (512ULL << 20)});
  EXPECT_EQ(e.devices[2].weights, bytes{(6ULL << 30) / 4 + (512ULL << 20)});
  EXPECT_EQ(e.devices[1].kv, e.devices[2].kv * 7);
  EXPECT_GT(e.devices[2].compute, 0_B);
  EXPECT_EQ(e.sched_copies, 1U);
  EXPECT_TRUE(e.notes.empty());
  // Current builds refuse -sm row on CUDA (b9890 removed the split buffer): said, not hidden.
  s.build = 0;
  const auto now = llama_estimator(m, s).estimate(gpus(2));
  ASSERT_EQ(now.notes.size(), 1U);
  EXPECT_NE(now.notes[0].find("b9890"), std::string::npos);
}

// Layouts that changed between builds: cell padding (256 since b6975; none in b6868-b6974; 32
// without flash attention from b2871), flash attention on by default ("auto", b6325), and the
// V cache of the latent beside the MLA K cache (b5137-b7831, llama-kv-cache.cpp).
TEST(EstimateLlamaGpu, BuildsWithOtherLayouts) {
  const auto m = dense8b();
  auto ctx_of = [&](std::uint32_t build, flash_attn_mode fa) {
    llama_settings s;
    s.n_ctx = 5000;
    s.flash_attn = fa;
    s.build = build;
    return llama_estimator(m, s).estimate({}).n_ctx;
  };
  EXPECT_EQ(ctx_of(0, flash_attn_mode::off), 5120U);
  EXPECT_EQ(ctx_of(6975, flash_attn_mode::off), 5120U);
  EXPECT_EQ(ctx_of(6900, flash_attn_mode::off), 5000U);
  EXPECT_EQ(ctx_of(6000, flash_attn_mode::off), 5024U);
  EXPECT_EQ(ctx_of(6000, flash_attn_mode::on), 5120U);
  EXPECT_EQ(ctx_of(6000, flash_attn_mode::automatic), 5024U);  // auto was off before b6325
  EXPECT_EQ(ctx_of(6400, flash_attn_mode::automatic), 5120U);

  shardfit::test::temp_dir d;
  shardfit::test::test_model r1 = shardfit::test::deepseek_r1_shape(2);
  r1.mla = true;
  const auto mla = shardfit::load_model(shardfit::test::write_tiny_llama(d / "r1.gguf", r1));
  llama_settings s;
  s.n_ctx = 2048;
  s.flash_attn = flash_attn_mode::on;
  const auto now = llama_estimator(mla, s).estimate({});
  s.build = 7000;
  const auto old = llama_estimator(mla, s).estimate({});
  // 61 layers x 2048 cells: K of 576 f16 now; K and a V of 512 before b7832.
  EXPECT_EQ(now.host().kv, bytes{61ULL * 2048 * 576 * 2});
  EXPECT_EQ(old.host().kv, bytes{61ULL * 2048 * (576 + 512) * 2});
}

}  // namespace
