#include <shardfit/estimate/vllm.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"

#include <cmath>

namespace {

using namespace shardfit::literals;

using shardfit::bytes;
using shardfit::estimate_vllm;
using shardfit::vllm_settings;
namespace cfg = shardfit::test::configs;

constexpr double GiB = 1024.0 * 1024.0 * 1024.0;

shardfit::model_profile model(const std::string& config) {
  return shardfit::profile_from_config(shardfit::parse_hf_config(config, "config.json"));
}

double gib(bytes b) {
  return static_cast<double>(b.count()) / GiB;
}

// Figures vLLM itself logged:
// - vllm-project/vllm PR #10511 (2024-12-14), `vllm serve meta-llama/Meta-Llama-3-8B` on an
//   80 GB H100 (79.22 GiB, gpu_memory_utilization 0.90 = 71.29 GiB): "model weights take
//   14.96GiB", "PyTorch activation peak memory 1.26GiB", "available_kv_cache_memory 53.29GiB";
//   with -tp 2: "model weights take 7.48GiB", activation peak again 1.26 GiB.
// - vllm-project/vllm-ascend issue #2235 (2025-08-06), DeepSeek-R1-Distill-Llama-70B (the
//   Llama-3.1-70B architecture, bf16) with -tp=8: "Loading model weights took 16.4610 GB" per
//   rank (vLLM divides by 2^30).
// Meta-Llama-3-8B and Llama-3.1-8B have the same shapes and dtype.
TEST(EstimateVllm, Llama31_8bMatchesVllmsLogs) {
  const auto m = model(cfg::llama_3_1_8b);
  vllm_settings s;
  s.max_model_len = 8192;
  s.version = 605;  // the V0 engine of December 2024: 256 sequences, the logits sampled once
  const auto h100 = bytes{static_cast<std::uint64_t>(79.22 * GiB)};
  const auto tp1 = estimate_vllm(m, s, h100);
  ASSERT_TRUE(tp1.parallel.valid);
  ASSERT_EQ(tp1.stages.size(), 1U);
  EXPECT_NEAR(gib(tp1.stages[0].weights), 14.96, 14.96 * 0.01);
  EXPECT_NEAR(gib(tp1.stages[0].activation), 1.26, 1.26 * 0.10);
  EXPECT_NEAR(gib(tp1.stages[0].budget), 71.29, 0.01);
  EXPECT_NEAR(gib(tp1.stages[0].kv_available), 53.29, 53.29 * 0.10);
  EXPECT_TRUE(tp1.fits());
  // 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes = 128 KiB per token.
  EXPECT_EQ(tp1.stages[0].kv_per_token, bytes{131072});
  EXPECT_EQ(tp1.stages[0].kv_needed, bytes{131072ULL * 8192});
  EXPECT_EQ(tp1.stages[0].kv_tokens, tp1.stages[0].kv_available.count() / 131072);

  s.tp = 2;
  const auto tp2 = estimate_vllm(m, s, h100);
  EXPECT_NEAR(gib(tp2.stages[0].weights), 7.48, 7.48 * 0.01);
  EXPECT_EQ(tp2.stages[0].kv_per_token, bytes{65536});  // 4 KV heads per rank
}

// Issue 21.5-21.8: what depends on the GPU and on the vLLM release.
// - Batch defaults (vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults): `vllm serve` on a
//   GPU of 70 GiB or more that is not an A100 takes 1024 sequences / 8192 tokens, else 256 /
//   2048.
// - The profile run's sampler (v1/worker/gpu_model_runner.py, _dummy_sampler_run) over
//   B = min(seqs, tokens) rows of the vocabulary in fp32, U = B x vocab x 4: the PyTorch
//   top-k/top-p sort from 0.8 peaks at 9.5 U (sorted values and indices, cub's buffers); the
//   Triton top-k/top-p kernel of 0.17 at 3.6 U. Only the last pipeline stage samples.
TEST(EstimateVllm, ProfileByGpuClassAndRelease) {
  const auto m = model(cfg::llama_3_1_8b);
  const auto gpu = bytes{static_cast<std::uint64_t>(79.22 * GiB)};
  vllm_settings s;
  s.max_model_len = 8192;
  const double forward_8k = 8192.0 * 4096 * 2 * 18;
  const double forward_2k = 2048.0 * 4096 * 2 * 18;
  const double u1024 = 1024.0 * 128256 * 4;
  const double u256 = 256.0 * 128256 * 4;
  s.gpu_name = "NVIDIA H100 80GB HBM3";
  const auto h100 = estimate_vllm(m, s, gpu).stages[0];
  EXPECT_EQ(h100.max_num_seqs, 1024U);
  EXPECT_EQ(h100.max_num_batched_tokens, 8192U);
  EXPECT_EQ(h100.activation.count(),
            static_cast<std::uint64_t>(std::llround(forward_8k + 3.6 * u1024)));
  s.gpu_name = "NVIDIA A100-SXM4-80GB";
  const auto a100 = estimate_vllm(m, s, gpu).stages[0];
  EXPECT_EQ(a100.max_num_seqs, 256U);
  EXPECT_EQ(a100.max_num_batched_tokens, 2048U);
  EXPECT_EQ(a100.activation.count(),
            static_cast<std::uint64_t>(std::llround(forward_2k + 3.6 * u256)));
  // The same model holds 4% fewer KV tokens on the H100 (2.89 against 0.72 GiB of activation).
  EXPECT_LT(static_cast<double>(h100.kv_tokens), static_cast<double>(a100.kv_tokens) * 0.97);
  // 0.11 sampled with PyTorch's sort: 9.5 U, 5.77 GiB on the H100.
  s.gpu_name = "NVIDIA H100 80GB HBM3";
  s.version = 1100;
  EXPECT_EQ(estimate_vllm(m, s, gpu).stages[0].activation.count(),
            static_cast<std::uint64_t>(std::llround(forward_8k + 9.5 * u1024)));
  // Only the last pipeline stage samples.
  s.version = 0;
  s.pp = 2;
  const auto pp = estimate_vllm(m, s, gpu);
  EXPECT_EQ(pp.stages[0].activation.count(), static_cast<std::uint64_t>(forward_8k));
  EXPECT_GT(pp.stages[1].activation, pp.stages[0].activation);
}

// Before 0.11 vLLM took its memory snapshot before NCCL started (worker init), so at TP > 1 the
// NCCL buffers counted against the budget (0.13 GiB logged at TP 1, 0.55 at TP 2); since 0.11
// they do not. CUDA graphs: captured after the KV cache was sized before 0.21 (from the
// headroom), estimated and subtracted since (gpu_worker.py determine_available_memory).
TEST(EstimateVllm, NonTorchAndGraphsByRelease) {
  const auto m = model(cfg::llama_3_1_8b);
  vllm_settings s;
  s.max_model_len = 8192;
  s.tp = 2;
  s.version = 1000;
  const auto old = estimate_vllm(m, s, 80_GiB).stages[0];
  EXPECT_EQ(old.non_torch, 256_MiB + 430_MiB);
  const bytes budget{static_cast<std::uint64_t>(80.0 * GiB * 0.9)};
  EXPECT_EQ(old.kv_available, budget - old.weights - old.activation - old.non_torch);
  s.version = 0;
  const auto now = estimate_vllm(m, s, 80_GiB).stages[0];
  EXPECT_EQ(now.non_torch, 256_MiB);
  EXPECT_EQ(now.kv_available,
            budget - now.weights - now.activation - now.non_torch - now.cuda_graphs);
}

// MXFP4 experts (gpt-oss): vLLM pads each rank's expert matrices for its kernel
// (model_executor/layers/quantization/mxfp4.py, Mxfp4MoEMethod.create_weights): intermediate
// to 128 and hidden to 256 for Marlin (Ampere), 64 / 256 for Triton (Hopper), 256 / 256 for
// FlashInfer (Blackwell). Logged: gpt-oss-120b "Model loading took 65.9651 GiB" (Marlin, vllm
// issue #23278) and 64.38 GiB on an H100 with Triton (issue #33155); the checkpoint's share is
// 60.69 GiB, 12% less at TP 4.
TEST(EstimateVllm, Mxfp4ExpertsArePaddedForTheKernel) {
  const auto m = model(cfg::gpt_oss_120b);
  vllm_settings s;
  s.max_model_len = 8192;
  s.gpu_name = "NVIDIA A100-SXM4-80GB";
  EXPECT_NEAR(gib(estimate_vllm(m, s, 80_GiB).stages[0].weights), 65.97, 65.97 * 0.002);
  s.gpu_name = "NVIDIA H100 80GB HBM3";
  EXPECT_NEAR(gib(estimate_vllm(m, s, 80_GiB).stages[0].weights), 64.38, 64.38 * 0.004);
  // TP 4: 720 of 2880 intermediate per rank, padded to 768 for Marlin.
  s.gpu_name = "NVIDIA A100-SXM4-80GB";
  s.tp = 4;
  const double experts = 36.0 * 128 * (51.0 / 32 * 768 * 3072 + 4.0 * 768 + 2.0 * 3072);
  const auto tp4 = estimate_vllm(m, s, 80_GiB).stages[0].weights;
  EXPECT_GT(gib(tp4), experts / GiB);
  EXPECT_GT(gib(tp4), gib(m.weights()) / 4 * 1.10);
}

// The KV capacity vLLM prints (v1/core/kv_cache_utils.py): before 0.21 the KV memory over a
// token's bytes in every layer (sliding-window layers as if they held every token); since 0.21
// its maximum concurrency x max_model_len. gemma-3-27b (10 of 62 layers global) at 32k.
TEST(EstimateVllm, ReportedKvTokensFollowTheRelease) {
  const auto m = model(cfg::gemma_3_27b_it);
  vllm_settings s;
  s.max_model_len = 32768;
  s.gpu_name = "NVIDIA H100 80GB HBM3";
  const auto now = estimate_vllm(m, s, 80_GiB).stages[0];
  EXPECT_EQ(now.reported_kv_tokens,
            static_cast<std::uint64_t>(static_cast<double>(now.kv_available.count()) /
                                       static_cast<double>(now.kv_needed.count()) * 32768));
  s.version = 1000;
  const auto old = estimate_vllm(m, s, 80_GiB).stages[0];
  EXPECT_LT(old.reported_kv_tokens, old.kv_tokens / 5);  // 62 layer slots per token, not 10.6
}

// vllm/config/model.py, _get_and_verify_max_len: the derived maximum is the least of the
// config's length keys (model_max_length overriding), times the rope scaling factor for
// linear, dynamic and yarn scaling (yarn from original_max_position_embeddings; never for
// gemma3); a longer max_model_len is refused unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1.
TEST(EstimateVllm, MaxModelLenAboveTheModelsIsRefused) {
  const auto l8 = model(cfg::llama_3_1_8b);
  EXPECT_EQ(l8.vllm_max_len, 131072U);
  vllm_settings s;
  EXPECT_EQ(estimate_vllm(l8, s).max_model_len, 131072U);
  s.max_model_len = 200000;
  try {
    (void)estimate_vllm(l8, s);
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              "max_model_len 200000 is greater than the model's maximum of 131072 "
              "(max_position_embeddings in config.json); vLLM refuses it unless "
              "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 is set (--allow-long-max-model-len)");
  }
  s.allow_long_max_model_len = true;
  EXPECT_EQ(estimate_vllm(l8, s).max_model_len, 200000U);

  // Qwen2.5-7B-Instruct with the yarn block its model card gives: 32768 x 4.
  std::string yarn = cfg::qwen2_5_7b;
  yarn.insert(yarn.rfind('}'), R"(, "rope_scaling": {"type": "yarn", "factor": 4.0,
      "original_max_position_embeddings": 32768})");
  const auto q = model(yarn);
  EXPECT_EQ(q.vllm_max_len, 131072U);
  EXPECT_EQ(q.vllm_max_len_key,
            "rope_scaling.original_max_position_embeddings x rope_scaling.factor 4");
  // gemma-3's linear factor 8 is not applied; model_max_length overrides the others.
  std::string gemma = cfg::gemma_3_27b_it;
  gemma.insert(gemma.find("\"text_config\": {") + 16,
               R"("rope_scaling": {"rope_type": "linear", "factor": 8.0}, )");
  EXPECT_EQ(model(gemma).vllm_max_len, 131072U);
  std::string capped = cfg::llama_3_1_8b;
  capped.insert(capped.rfind('}'), R"(, "model_max_length": 65536)");
  EXPECT_EQ(model(capped).vllm_max_len, 65536U);
}

TEST(EstimateVllm, Llama31_70bPerRank) {
  const auto m = model(cfg::llama_3_1_70b);
  vllm_settings s;
  s.tp = 8;
  s.max_model_len = 32768;
  const auto tp8 = estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(79.22 * GiB)});
  EXPECT_NEAR(gib(tp8.stages[0].weights), 16.461, 16.461 * 0.01);
  EXPECT_TRUE(tp8.fits());
  // No published TP 4 figure was found; the split halves TP 8's shard count, so each rank holds
  // about twice as much (the few replicated norms aside).
  s.tp = 4;
  const auto tp4 = estimate_vllm(m, s);
  EXPECT_NEAR(gib(tp4.stages[0].weights), 2 * gib(tp8.stages[0].weights), 0.01);
  EXPECT_NEAR(gib(tp4.stages[0].weights), 32.87, 0.05);
  // A 40 GB A100 cannot hold a TP 4 shard plus a 128k context; an 80 GB one can.
  s.max_model_len = 131072;
  EXPECT_FALSE(estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(39.39 * GiB)}).fits());
  EXPECT_TRUE(estimate_vllm(m, s, bytes{static_cast<std::uint64_t>(79.22 * GiB)}).fits());
}

TEST(EstimateVllm, PipelineStagesCarryTheirLayersEmbeddingsAndHead) {
  const auto m = model(cfg::llama_3_1_70b);
  vllm_settings s;
  s.tp = 2;
  s.pp = 3;
  s.max_model_len = 8192;
  const auto e = estimate_vllm(m, s);
  ASSERT_EQ(e.stages.size(), 3U);
  EXPECT_EQ(e.stages[0].layers, 27U);
  EXPECT_EQ(e.stages[2].layers, 26U);
  EXPECT_EQ(e.stages[1].first_layer, 27U);
  // The first stage adds the embeddings, the last the head: both 128256 x 8192 bf16 / 2.
  const double layer = static_cast<double>(m.layers[0].weights.count()) / 2;
  const double vocab = 128256.0 * 8192 * 2 / 2;
  EXPECT_NEAR(static_cast<double>(e.stages[1].weights.count()), 27 * layer, 27 * layer * 0.001);
  EXPECT_NEAR(static_cast<double>(e.stages[0].weights.count()), 27 * layer + vocab,
              27 * layer * 0.001);
  EXPECT_NEAR(static_cast<double>(e.stages[2].weights.count()), 26 * layer + vocab,
              26 * layer * 0.001);
  // KV per token on a stage: its layers, 4 KV heads per rank.
  EXPECT_EQ(e.stages[0].kv_per_token, bytes{27ULL * 4 * 128 * 2 * 2});
  EXPECT_GT(e.min_gpu_memory.count(), 0U);
}

TEST(EstimateVllm, ReplicatedKvHeadsMlaAndFp8Cache) {
  // TP 16 on 8 KV heads: every rank keeps one head (two ranks share each).
  const auto l405 = model(cfg::llama_3_1_405b);
  vllm_settings s;
  s.tp = 16;
  s.max_model_len = 4096;
  EXPECT_EQ(estimate_vllm(l405, s).stages[0].kv_per_token, bytes{126ULL * 1 * 128 * 2 * 2});
  // MLA: one latent of 512 + 64 per token and layer on every rank, whatever the TP.
  const auto ds = model(cfg::deepseek_v3);
  s.tp = 8;
  EXPECT_EQ(estimate_vllm(ds, s).stages[0].kv_per_token, bytes{61ULL * 576 * 2});
  s.kv_cache_dtype = "fp8";
  EXPECT_EQ(estimate_vllm(ds, s).stages[0].kv_per_token, bytes{61ULL * 576});
  s.kv_cache_dtype = "int3";
  EXPECT_THROW((void)estimate_vllm(ds, s), shardfit::error);
}

TEST(EstimateVllm, SlidingWindowLayersNeedOnlyTheirWindow) {
  const auto g = model(cfg::gemma_3_27b_it);
  vllm_settings s;
  s.tp = 2;
  s.max_model_len = 131072;
  const auto e = estimate_vllm(g, s);
  // 10 global layers pay per token; 52 local layers hold 1024 tokens each. 8 KV heads per rank.
  const std::uint64_t per_layer_token = 8ULL * 128 * 2 * 2;
  EXPECT_EQ(e.stages[0].kv_per_token, bytes{10 * per_layer_token});
  EXPECT_EQ(e.stages[0].kv_needed,
            bytes{10 * per_layer_token * 131072 + 52 * per_layer_token * 1024});
}

// Issue 17: a gemma-3 config without sliding_window_pattern was read as "every layer sliding"
// (0.48 GiB of KV at 131,072 tokens); the model type's pattern gives the same KV as the config
// that states it (10.4 GiB at TP 1).
TEST(EstimateVllm, SlidingPatternAbsentGivesTheModelTypesKv) {
  std::string cfg_text = cfg::gemma_3_27b_it;
  const std::string key = "\"sliding_window_pattern\": 6,";
  cfg_text.erase(cfg_text.find(key), key.size());
  vllm_settings s;
  s.max_model_len = 131072;
  const auto without = estimate_vllm(model(cfg_text), s);
  const auto with = estimate_vllm(model(cfg::gemma_3_27b_it), s);
  EXPECT_EQ(without.stages[0].kv_needed, with.stages[0].kv_needed);
  EXPECT_GT(gib(without.stages[0].kv_needed), 10.0);
}

TEST(EstimateVllm, InvalidLayoutsAndSettings) {
  const auto g = model(cfg::gemma_3_27b_it);
  vllm_settings s;
  s.tp = 3;
  const auto e = estimate_vllm(g, s);
  EXPECT_FALSE(e.parallel.valid);
  EXPECT_FALSE(e.fits());
  s.tp = 1;
  s.gpu_memory_utilization = 1.5;
  EXPECT_THROW((void)estimate_vllm(g, s), shardfit::error);
}

}  // namespace
