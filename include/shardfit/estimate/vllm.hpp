#pragma once

/// @file
/// @brief The vLLM memory estimator: per GPU under tensor × pipeline parallelism, the weights
/// each rank loads (sharded parts split, replicated parts — norms, replicated KV heads, MLA's
/// latent projections — whole), the activation peak, the non-torch and CUDA-graph overheads, the
/// budget `total × gpu_memory_utilization`, the KV cache one `max_model_len` sequence needs (vLLM
/// refuses to start without it), and how many tokens of KV cache the rest holds.
///
/// Constants and where they come from:
/// - weights: the model's own bytes, split by the rules of vLLM's parallel layers. Checked
///   against vLLM's "model weights take" logs (vllm PR #10511: Meta-Llama-3-8B 14.96 GiB at TP 1,
///   7.48 GiB at TP 2; vllm-ascend #2235: a Llama-3.1-70B-shaped model 16.461 GiB per rank at
///   TP 8).
/// - activation peak: `max_num_batched_tokens × hidden × dtype × 18` plus the sampler's fp32
///   logits for `max_num_seqs` sequences; 18 hidden-sized buffers per token reproduces the
///   1.26 GiB vLLM logged for Llama-3-8B at TP 1 and TP 2 (PR #10511), which does not shrink
///   with TP.
/// - non-torch memory: 0.25 GiB (NCCL, cuBLAS workspaces; vLLM logs 0.16–0.25 GiB in 2025).
/// - CUDA graphs: 0.5 GiB unless `enforce_eager` (vLLM's graph capture typically logs 0.3–1 GiB).

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace shardfit {

namespace detail {

inline double kv_dtype_bytes(const std::string& kv_dtype, double model_bytes) {
  if (kv_dtype == "auto") return model_bytes;
  if (kv_dtype.rfind("fp8", 0) == 0) return 1;
  if (kv_dtype == "bfloat16" || kv_dtype == "float16" || kv_dtype == "half") return 2;
  if (kv_dtype == "float32" || kv_dtype == "float") return 4;
  throw error::invalid_argument("unknown KV cache dtype '" + kv_dtype +
                                "' (auto, fp8, fp8_e4m3, fp8_e5m2, bfloat16, float16)");
}

// Bytes per parameter of the model's unquantized tensors (norms, replicated projections).
inline double activation_bytes(const model_profile& m) {
  return m.quantization == "f32" ? 4.0 : 2.0;
}

}  // namespace detail

/// @brief Estimates vLLM's memory per GPU for `m` under `s`; `gpu_total` is one GPU's total
/// memory (0 when unknown: then only the requirement and the minimum GPU size are given).
/// @throws shardfit::error for settings vLLM refuses outright (utilization outside (0, 1],
/// unknown KV dtype); an invalid parallel layout is reported in `parallel`, not thrown.
[[nodiscard]] inline vllm_estimate estimate_vllm(const model_profile& m, const vllm_settings& s,
                                                 bytes gpu_total = bytes{}) {
  if (!(s.gpu_memory_utilization > 0.0 && s.gpu_memory_utilization <= 1.0)) {
    throw error::invalid_argument("gpu_memory_utilization must be in (0, 1], not " +
                                  std::to_string(s.gpu_memory_utilization));
  }
  if (m.n_layer == 0 || m.layers.size() != m.n_layer) {
    throw error::invalid_argument("model '" + m.name + "' has no layers to place");
  }
  vllm_estimate e;
  e.parallel = check_parallel(m, {s.tp, s.pp, s.ep, serving_engine::vllm});
  e.max_model_len = s.max_model_len != 0 ? s.max_model_len : m.n_ctx_train;
  if (e.max_model_len == 0) e.max_model_len = 4096;
  const auto stages =
      e.parallel.stage_layers.empty()
          ? pipeline_stages(m.n_layer, std::min(s.pp, m.n_layer), serving_engine::vllm)
          : e.parallel.stage_layers;

  const double tp = s.tp;
  const double bpp = m.parameters != 0 ? static_cast<double>(m.weights().count()) /
                                             static_cast<double>(m.parameters)
                                       : 2.0;
  const double abytes = detail::activation_bytes(m);
  const double kv_bytes = detail::kv_dtype_bytes(s.kv_cache_dtype, abytes);
  const double H = m.n_embd;
  // Parts of a layer every rank keeps whole: the two norms, the K/V projections beyond the
  // KV heads (replicated when TP exceeds them), MLA's down-projections.
  double replicated = 2 * H * abytes;
  double kv_proj = 0;
  if (m.is_mla()) {
    replicated += H * (m.q_lora_rank + m.kv_lora_rank + m.rope_dim) * bpp;
  } else if (m.n_head_kv != 0) {
    kv_proj = 2 * H * m.n_head_kv * static_cast<double>(m.head_dim_k) * bpp;  // k and v
  }
  const double kv_heads_rank = e.parallel.kv_heads_per_rank != 0 ? e.parallel.kv_heads_per_rank
                                                                 : std::max(1.0, m.n_head_kv / tp);
  auto layer_rank_bytes = [&](const layer_profile& l) {
    const double total = static_cast<double>(l.weights.count());
    const double kv_part = std::min(kv_proj, total);
    const double kv_rank = m.n_head_kv != 0 ? kv_part / m.n_head_kv * kv_heads_rank : 0;
    const double rest = std::max(0.0, total - kv_part - replicated);
    return rest / tp + kv_rank + std::min(replicated, total);
  };
  // Embeddings and head are vocabulary-parallel (padded to 64 rows per rank group).
  const double padded = std::ceil(static_cast<double>(m.n_vocab) / vocab_padding) * vocab_padding;
  const double pad_ratio = m.n_vocab != 0 ? padded / m.n_vocab : 1.0;
  const double embd_rank = static_cast<double>(m.token_embd.count()) * pad_ratio / tp;
  const double head_rank =
      m.tied_embeddings ? embd_rank : static_cast<double>(m.output.count()) * pad_ratio / tp;

  // Activation peak of the profile run, per rank; the logits are gathered on every rank.
  const double activation = static_cast<double>(s.max_num_batched_tokens) * H * abytes * 18.0 +
                            static_cast<double>(s.max_num_seqs) * m.n_vocab * 4.0;
  const std::uint64_t budget =
      static_cast<std::uint64_t>(static_cast<double>(gpu_total.count()) * s.gpu_memory_utilization);

  std::uint32_t first = 0;
  std::uint64_t min_gpu = 0;
  for (std::uint32_t st = 0; st < stages.size(); ++st) {
    vllm_stage_estimate r;
    r.stage = st;
    r.first_layer = first;
    r.layers = stages[st];
    double w = 0;
    double per_token = 0;
    double swa_bytes = 0;
    for (std::uint32_t il = first; il < first + r.layers && il < m.n_layer; ++il) {
      const layer_profile& l = m.layers[il];
      w += layer_rank_bytes(l);
      // KV per token on this rank: the rank's share of KV heads (MLA: the whole latent).
      const double heads_share = m.is_mla() || l.n_head_kv == 0 ? 1.0 : kv_heads_rank / l.n_head_kv;
      const double token = (l.k_per_token + l.v_per_token) * heads_share * kv_bytes;
      if (l.swa && m.sliding_window != 0) {
        swa_bytes +=
            token * static_cast<double>(std::min<std::uint64_t>(m.sliding_window, e.max_model_len));
      } else {
        per_token += token;
      }
    }
    if (st == 0) w += embd_rank + static_cast<double>(m.other.count()) / tp;
    if (st + 1 == stages.size()) w += head_rank;
    first += r.layers;
    r.weights = bytes{static_cast<std::uint64_t>(std::llround(w))};
    r.activation = bytes{static_cast<std::uint64_t>(std::llround(activation))};
    r.non_torch = s.non_torch;
    r.cuda_graphs = s.enforce_eager ? bytes{} : s.cuda_graphs;
    r.kv_per_token = bytes{static_cast<std::uint64_t>(std::llround(per_token))};
    r.kv_needed = bytes{static_cast<std::uint64_t>(
        std::llround(per_token * static_cast<double>(e.max_model_len) + swa_bytes))};
    r.required = r.weights + r.activation + r.non_torch + r.cuda_graphs + r.kv_needed;
    r.budget = bytes{budget};
    if (budget != 0) {
      r.kv_available =
          saturating_sub(r.budget, r.weights + r.activation + r.non_torch + r.cuda_graphs);
      const double left = static_cast<double>(r.kv_available.count()) - swa_bytes;
      r.kv_tokens = per_token > 0 && left > 0 ? static_cast<std::uint64_t>(left / per_token) : 0;
      r.fits = r.kv_available >= r.kv_needed;
    }
    min_gpu =
        std::max(min_gpu, static_cast<std::uint64_t>(std::ceil(
                              static_cast<double>(r.required.count()) / s.gpu_memory_utilization)));
    e.stages.push_back(r);
  }
  e.min_gpu_memory = bytes{min_gpu};
  return e;
}

}  // namespace shardfit
