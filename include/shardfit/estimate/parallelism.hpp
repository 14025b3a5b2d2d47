#pragma once

/// @file
/// @brief Tensor-, pipeline- and expert-parallel rules of the serving engines (vLLM, SGLang):
/// every rule an engine enforces when it shards a model, as a named check with a reason in
/// numbers; the valid degrees for a model; the nearest valid choices for an invalid wish; and
/// the layers each pipeline stage gets. Facts from vLLM's model loaders and parallel layers
/// (QKVParallelLinear, VocabParallelEmbedding, FusedMoE, Fp8/GPTQ/Marlin linear methods,
/// get_pp_indices) and SGLang's equivalents; no code of theirs.

#include <shardfit/core/error.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief vLLM's padding of the vocabulary before it is split across ranks.
inline constexpr std::uint32_t vocab_padding = 64;

/// @brief Layers per pipeline stage as the engine splits them. vLLM: an even share, the
/// remainder going one each to the stages just before the last (the last holds the norm and
/// head; with few extra layers they go to the middle stages). SGLang: the last stages get one
/// extra each.
[[nodiscard]] inline std::vector<std::uint32_t> pipeline_stages(std::uint32_t layers,
                                                                std::uint32_t pp,
                                                                serving_engine engine) {
  if (pp == 0) throw error::invalid_argument("pipeline parallel size must be at least 1");
  std::vector<std::uint32_t> out(pp, layers / pp);
  const std::uint32_t rem = layers % pp;
  for (std::uint32_t i = 0; i < rem; ++i) {
    if (engine == serving_engine::vllm) {
      out[pp - 2 - (i % std::max<std::uint32_t>(1, pp - 1))] += 1;  // partitions[-2], [-3], ...
    } else {
      out[pp - 1 - i] += 1;
    }
  }
  return out;
}

namespace detail {

inline std::string n(std::uint64_t v) {
  return std::to_string(v);
}

}  // namespace detail

/// @brief Checks a layout against every rule of the engine. Never throws for an invalid
/// layout: the reasons say why; throws only for tp or pp of 0.
///
/// Example:
/// @code
///   auto c = shardfit::check_parallel(gemma3_27b, {.tp = 3});
///   // c.valid == false; c.reasons[0].rule == "tp.attention_heads":
///   // "32 attention heads are not divisible by tensor parallel size 3"
/// @endcode
[[nodiscard]] inline parallel_check check_parallel(const model_profile& m,
                                                   const parallel_plan& plan) {
  using detail::n;
  if (plan.tp == 0 || plan.pp == 0) {
    throw error::invalid_argument("tensor and pipeline parallel sizes must be at least 1");
  }
  parallel_check c;
  const std::uint32_t tp = plan.tp;
  auto fail = [&](std::string rule, std::string message) {
    c.valid = false;
    c.reasons.push_back({std::move(rule), std::move(message)});
  };

  // Attention heads are split evenly across ranks.
  if (m.n_head % tp != 0) {
    fail("tp.attention_heads",
         n(m.n_head) + " attention heads are not divisible by tensor parallel size " + n(tp));
  }
  // KV heads: split when there are at least as many as ranks, else replicated, which needs the
  // ranks to be a multiple of the heads. MLA keeps one latent per token: exempt.
  if (m.is_mla()) {
    c.kv_heads_per_rank = 1;
    c.kv_head_replicas = tp;
  } else if (m.n_head_kv >= tp) {
    if (m.n_head_kv % tp != 0) {
      fail("tp.kv_heads",
           n(m.n_head_kv) + " KV heads are not divisible by tensor parallel size " + n(tp));
    }
    c.kv_heads_per_rank = m.n_head_kv / tp;
  } else if (m.n_head_kv != 0) {
    if (tp % m.n_head_kv != 0) {
      fail("tp.kv_heads", "tensor parallel size " + n(tp) + " is not a multiple of the " +
                              n(m.n_head_kv) + " KV heads, so they cannot be replicated evenly");
    }
    c.kv_heads_per_rank = 1;
    c.kv_head_replicas = tp / m.n_head_kv;
  }
  // The vocabulary, padded to a multiple of 64, is split across ranks.
  const std::uint64_t padded_vocab =
      (static_cast<std::uint64_t>(m.n_vocab) + vocab_padding - 1) / vocab_padding * vocab_padding;
  if (padded_vocab % tp != 0) {
    fail("tp.vocab", "the vocabulary of " + n(m.n_vocab) + " padded to " + n(padded_vocab) +
                         " is not divisible by tensor parallel size " + n(tp));
  }
  // Vision tower heads, which the engine shards too.
  if (m.vision_heads != 0 && m.vision_heads % tp != 0) {
    fail("tp.vision_heads",
         n(m.vision_heads) +
             " vision tower attention heads are not divisible by tensor parallel size " + n(tp));
  }
  // Experts: without EP each expert's FFN is split across ranks; with EP whole experts are
  // spread over the ranks.
  const std::uint32_t ffn_split = (m.is_moe() && plan.ep) ? 1 : tp;
  if (m.is_moe()) {
    if (plan.ep) {
      if (m.n_expert < tp) {
        fail("ep.experts",
             n(m.n_expert) + " experts cannot be spread over " + n(tp) + " expert-parallel ranks");
      } else if (plan.engine == serving_engine::sglang && m.n_expert % tp != 0) {
        fail("ep.experts",
             n(m.n_expert) + " experts are not divisible by expert parallel size " + n(tp));
      }
    } else if (m.n_ff_expert % tp != 0) {
      fail("tp.moe_intermediate", "the expert FFN width " + n(m.n_ff_expert) +
                                      " is not divisible by tensor parallel size " + n(tp) +
                                      " (expert parallelism avoids this split)");
    }
  }
  const bool has_dense = !m.is_moe() || m.n_layer_dense_lead != 0 || m.n_expert_shared != 0;
  if (has_dense && m.n_ff != 0 && m.n_ff % tp != 0) {
    fail("tp.intermediate",
         "the FFN width " + n(m.n_ff) + " is not divisible by tensor parallel size " + n(tp));
  }

  // Quantization: each rank's slice of a quantized matrix must hold whole blocks or groups.
  const hf_quantization& q = m.quant;
  const std::uint64_t attn_width = static_cast<std::uint64_t>(m.n_head) * m.head_dim_v;
  struct slice {
    const char* what;
    std::uint64_t width;
    std::uint32_t split;
  };
  std::vector<slice> slices;
  if (m.is_moe()) slices.push_back({"expert FFN width", m.n_ff_expert, ffn_split});
  if (has_dense && m.n_ff != 0) slices.push_back({"FFN width", m.n_ff, tp});
  if (attn_width != 0) slices.push_back({"attention output width", attn_width, tp});
  if (tp > 1 && q.weight_block_size.size() == 2 && q.weight_block_size[0] != 0) {
    const std::uint32_t block = q.weight_block_size[0];
    for (const auto& s : slices) {
      if (s.width % s.split == 0 && (s.width / s.split) % block != 0) {
        fail("tp.quant_block", "the " + std::string(s.what) + " " + n(s.width) + " / " +
                                   n(s.split) + " = " + n(s.width / s.split) +
                                   " per rank is not a multiple of the " + q.method +
                                   " weight block of " + n(block));
      }
    }
  }
  const bool grouped = q.method == "gptq" || q.method == "awq" || q.method == "compressed-tensors";
  if (tp > 1 && grouped && q.group_size != 0) {
    for (const auto& s : slices) {
      if (s.width % s.split == 0 && (s.width / s.split) % q.group_size != 0) {
        fail("tp.quant_group", "the " + std::string(s.what) + " " + n(s.width) + " / " +
                                   n(s.split) + " = " + n(s.width / s.split) +
                                   " per rank is not a multiple of the " + q.method +
                                   " group size " + n(q.group_size));
      }
    }
  }
  if (tp > 1 && (q.method == "gptq" || q.method == "awq") && q.bits == 4) {
    // Marlin kernels need output slices of 64 and input slices of 128 columns.
    for (const auto& s : slices) {
      if (s.width % s.split == 0 && (s.width / s.split) % 128 != 0) {
        fail("tp.marlin", "the " + std::string(s.what) + " " + n(s.width) + " / " + n(s.split) +
                              " = " + n(s.width / s.split) +
                              " per rank is not a multiple of 128, as Marlin kernels need");
      }
    }
  }

  // Pipeline stages: at most one per layer.
  // Mamba-2 mixers (vLLM model_executor/layers/mamba/mamba_mixer2.py, MambaMixer2): the
  // groups of B/C projections are split across ranks unless there is one (then replicated).
  if (m.ssm_groups > 1 && m.ssm_groups % tp != 0) {
    fail("tp.ssm_groups", n(m.ssm_groups) +
                              " state-space groups are not divisible by tensor parallel size " +
                              n(tp) + " (only 1 group is replicated)");
  }
  // vLLM's Mamba2ForCausalLM (model_executor/models/mamba2.py) does not implement SupportsPP.
  if (plan.pp > 1 && plan.engine == serving_engine::vllm && m.architecture == "mamba2") {
    fail("pp.unsupported",
         "vLLM's Mamba2ForCausalLM has no pipeline parallelism (pp " + n(plan.pp) + " asked)");
  }
  if (plan.pp > m.n_layer) {
    fail("pp.layers", "pipeline parallel size " + n(plan.pp) + " exceeds the model's " +
                          n(m.n_layer) + " layers");
  } else {
    c.stage_layers = pipeline_stages(m.n_layer, plan.pp, plan.engine);
  }
  return c;
}

/// @brief Every tensor parallel degree from 1 to `max_tp` that the engine accepts for `m`.
[[nodiscard]] inline std::vector<std::uint32_t> valid_tensor_parallel(
    const model_profile& m, std::uint32_t max_tp = 64, bool ep = false,
    serving_engine engine = serving_engine::vllm) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t tp = 1; tp <= max_tp; ++tp) {
    if (check_parallel(m, {tp, 1, ep, engine}).valid) out.push_back(tp);
  }
  return out;
}

/// @brief The nearest valid layouts for `gpus` GPUs: those using exactly `gpus` (tensor
/// parallel as wide as possible), and the valid tensor-parallel-only layouts just below and
/// just above, nearest first.
///
/// Example: gemma-3-27b (32 heads) for 3 GPUs: {tp 1, pp 3}, {tp 2, pp 1}, {tp 4, pp 1}.
[[nodiscard]] inline std::vector<parallel_choice> suggest_parallel(
    const model_profile& m, std::uint32_t gpus, bool ep = false,
    serving_engine engine = serving_engine::vllm) {
  std::vector<parallel_choice> out;
  if (gpus == 0) return out;
  // Same GPU count: the widest valid TP with PP making up the rest.
  for (std::uint32_t tp = gpus; tp >= 1; --tp) {
    if (gpus % tp != 0) continue;
    const std::uint32_t pp = gpus / tp;
    if (check_parallel(m, {tp, pp, ep, engine}).valid) {
      out.push_back({tp, pp, gpus});
      break;
    }
  }
  // Nearest valid tensor-parallel degrees below and above.
  for (std::uint32_t tp = gpus - 1; tp >= 1; --tp) {
    if (check_parallel(m, {tp, 1, ep, engine}).valid) {
      out.push_back({tp, 1, tp});
      break;
    }
  }
  const std::uint32_t limit = std::max<std::uint32_t>(gpus * 4, 64);
  for (std::uint32_t tp = gpus + 1; tp <= limit; ++tp) {
    if (check_parallel(m, {tp, 1, ep, engine}).valid) {
      out.push_back({tp, 1, tp});
      break;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [gpus](const parallel_choice& a, const parallel_choice& b) {
                     const auto da = a.gpus > gpus ? a.gpus - gpus : gpus - a.gpus;
                     const auto db = b.gpus > gpus ? b.gpus - gpus : gpus - b.gpus;
                     return da != db ? da < db : a.gpus < b.gpus;
                   });
  // A valid wish needs no suggestion other than itself; drop duplicates.
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace shardfit
