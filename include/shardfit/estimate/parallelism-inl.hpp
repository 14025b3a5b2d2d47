#pragma once

// The bodies of <shardfit/estimate/parallelism.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/parallelism.hpp>

namespace shardfit {

SHARDFIT_INLINE std::vector<std::uint32_t> pipeline_stages(std::uint32_t layers, std::uint32_t pp,
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

SHARDFIT_INLINE std::string n(std::uint64_t v) {
  return std::to_string(v);
}

SHARDFIT_INLINE bool vision_attention_replicates(const model_profile& m) {
  return m.vision_tower.rfind("intern_vit", 0) == 0 || m.hf_architecture == "InternVLChatModel" ||
         m.hf_architecture == "NVLM_D";
}

SHARDFIT_INLINE bool supports_encoder_data(const model_profile& m) {
  constexpr std::string_view models[] = {"Qwen2VLForConditionalGeneration",
                                         "Qwen2_5_VLForConditionalGeneration",
                                         "Qwen3VLForConditionalGeneration",
                                         "Qwen3VLMoeForConditionalGeneration",
                                         "InternVLChatModel",
                                         "Glm4vForConditionalGeneration",
                                         "Glm4vMoeForConditionalGeneration",
                                         "Llama4ForConditionalGeneration",
                                         "MiniCPMV",
                                         "KimiVLForConditionalGeneration",
                                         "Step3VLForConditionalGeneration",
                                         "DotsOCRForCausalLM"};
  return std::find(std::begin(models), std::end(models), m.hf_architecture) != std::end(models);
}

SHARDFIT_INLINE bool vision_sharded(const model_profile& m, const parallel_plan& plan) {
  return !(plan.mm_encoder_data && supports_encoder_data(m));
}

}  // namespace detail

SHARDFIT_INLINE parallel_check check_parallel(const model_profile& m, const parallel_plan& plan) {
  using detail::n;
  if (plan.tp == 0 || plan.pp == 0) {
    throw error::invalid_argument("tensor and pipeline parallel sizes must be at least 1");
  }
  parallel_check c;
  const std::uint32_t tp = plan.tp;
  auto fail = [&](rule_id rule, std::string message) {
    c.valid = false;
    c.reasons.push_back({std::move(rule), std::move(message)});
  };

  // Attention heads are split evenly across ranks.
  if (m.n_head % tp != 0) {
    fail(rule_id::tp_attention_heads,
         n(m.n_head) + " attention heads are not divisible by tensor parallel size " + n(tp));
  }
  // KV heads: split when there are at least as many as ranks, else replicated, which needs the
  // ranks to be a multiple of the heads. MLA keeps one latent per token: exempt.
  if (m.is_mla()) {
    c.kv_heads_per_rank = 1;
    c.kv_head_replicas = tp;
  } else if (m.n_head_kv >= tp) {
    if (m.n_head_kv % tp != 0) {
      fail(rule_id::tp_kv_heads,
           n(m.n_head_kv) + " KV heads are not divisible by tensor parallel size " + n(tp));
    }
    c.kv_heads_per_rank = m.n_head_kv / tp;
  } else if (m.n_head_kv != 0) {
    if (tp % m.n_head_kv != 0) {
      fail(rule_id::tp_kv_heads, "tensor parallel size " + n(tp) + " is not a multiple of the " +
                                     n(m.n_head_kv) +
                                     " KV heads, so they cannot be replicated evenly");
    }
    c.kv_heads_per_rank = 1;
    c.kv_head_replicas = tp / m.n_head_kv;
  }
  // The vocabulary, padded to a multiple of 64, is split across ranks.
  const std::uint64_t padded_vocab =
      (static_cast<std::uint64_t>(m.n_vocab) + vocab_padding - 1) / vocab_padding * vocab_padding;
  if (padded_vocab % tp != 0) {
    fail(rule_id::tp_vocab, "the vocabulary of " + n(m.n_vocab) + " padded to " + n(padded_vocab) +
                                " is not divisible by tensor parallel size " + n(tp));
  }
  // Models vLLM no longer ships: Mllama (Llama-3.2-Vision) was removed in 0.11.0 (PR #24907).
  if (plan.engine == serving_engine::vllm &&
      m.hf_architecture == "MllamaForConditionalGeneration" &&
      (plan.version == 0 || plan.version >= 1100)) {
    fail(rule_id::vllm_removed,
         "vLLM removed MllamaForConditionalGeneration (Llama-3.2-Vision) in 0.11.0; 0.10.2 is "
         "the last release that serves it");
  }
  // The vision tower, which vLLM shards too (unless replicated per rank): its heads (except
  // InternViT's, which fall back to unsharded attention) and its MLP width (ColumnParallel
  // fc1, e.g. Qwen2_5_VisionMLP).
  if (detail::vision_sharded(m, plan)) {
    if (m.vision_heads != 0 && m.vision_heads % tp != 0 &&
        !detail::vision_attention_replicates(m)) {
      fail(rule_id::tp_vision_heads,
           n(m.vision_heads) +
               " vision tower attention heads are not divisible by tensor parallel size " + n(tp));
    }
    if (m.vision_ff != 0 && m.vision_ff % tp != 0) {
      fail(rule_id::tp_vision_intermediate, "the vision tower's MLP width " + n(m.vision_ff) +
                                                " is not divisible by tensor parallel size " +
                                                n(tp));
    }
  }
  // Experts: without EP each expert's FFN is split across ranks; with EP whole experts are
  // spread over the ranks.
  const std::uint32_t ffn_split = (m.is_moe() && plan.ep) ? 1 : tp;
  if (m.is_moe()) {
    if (plan.ep) {
      if (m.n_expert < tp) {
        fail(rule_id::ep_experts,
             n(m.n_expert) + " experts cannot be spread over " + n(tp) + " expert-parallel ranks");
      } else if (plan.engine == serving_engine::sglang && m.n_expert % tp != 0) {
        fail(rule_id::ep_experts,
             n(m.n_expert) + " experts are not divisible by expert parallel size " + n(tp));
      }
    } else if (m.n_ff_expert % tp != 0) {
      fail(rule_id::tp_moe_intermediate, "the expert FFN width " + n(m.n_ff_expert) +
                                             " is not divisible by tensor parallel size " + n(tp) +
                                             " (expert parallelism avoids this split)");
    }
  }
  const bool has_dense = !m.is_moe() || m.n_layer_dense_lead != 0 || m.n_expert_shared != 0;
  if (has_dense && m.n_ff != 0 && m.n_ff % tp != 0) {
    fail(rule_id::tp_intermediate,
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
  // GPTQ/AWQ experts have their own rule below (Marlin MoE, else moe_wna16).
  const bool grouped_moe = m.is_moe() && (q.method == "gptq" || q.method == "awq");
  if (m.is_moe() && !grouped_moe) slices.push_back({"expert FFN width", m.n_ff_expert, ffn_split});
  if (has_dense && m.n_ff != 0) slices.push_back({"FFN width", m.n_ff, tp});
  if (attn_width != 0) slices.push_back({"attention output width", attn_width, tp});
  if (tp > 1 && q.weight_block_size.size() == 2 && q.weight_block_size[0] != 0) {
    const std::uint32_t block = q.weight_block_size[0];
    for (const auto& s : slices) {
      if (s.width % s.split == 0 && (s.width / s.split) % block != 0) {
        fail(rule_id::tp_quant_block, "the " + std::string(s.what) + " " + n(s.width) + " / " +
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
        fail(rule_id::tp_quant_group, "the " + std::string(s.what) + " " + n(s.width) + " / " +
                                          n(s.split) + " = " + n(s.width / s.split) +
                                          " per rank is not a multiple of the " + q.method +
                                          " group size " + n(q.group_size));
      }
    }
  }
  // GPTQ/AWQ experts (vLLM utils/marlin_utils.py check_moe_marlin_supports_layer; moe_wna16.py):
  // Marlin takes an expert layer when the hidden size is a multiple of 128 and each rank's
  // expert width a multiple of max(64, group); otherwise moe_wna16 halves the group size until
  // it divides both, down to 32, so both must be multiples of 32. Dense GPTQ/AWQ layers fall
  // back to other kernels where Marlin's 128 alignment fails: only their groups must be whole.
  if (grouped_moe && m.n_ff_expert % ffn_split == 0) {
    const std::uint64_t per_rank = m.n_ff_expert / ffn_split;
    const std::uint64_t hidden = m.n_embd;
    const std::uint32_t gs = q.group_size;
    const bool marlin = hidden % 128 == 0 && per_rank % std::max<std::uint32_t>(64, gs) == 0 &&
                        (gs == 0 || gs == 32 || gs == 64 || gs == 128);
    if (!marlin) {
      std::uint64_t g = gs == 0 ? 128 : gs;
      while (g >= 32 && (per_rank % g != 0 || hidden % g != 0)) g /= 2;
      if (g < 32) {
        fail(rule_id::tp_moe_wna16,
             "the expert FFN width " + n(m.n_ff_expert) + " / " + n(ffn_split) + " = " +
                 n(per_rank) + " per rank and the hidden size " + n(hidden) +
                 " are not both multiples of 32, as vLLM's " + q.method +
                 " MoE kernels need (Marlin, or moe_wna16 with a smaller group)");
      }
    }
  }

  // Pipeline stages: at most one per layer.
  // Mamba-2 mixers (vLLM model_executor/layers/mamba/mamba_mixer2.py, MambaMixer2): the
  // groups of B/C projections are split across ranks unless there is one (then replicated).
  if (m.ssm_groups > 1 && m.ssm_groups % tp != 0) {
    fail(rule_id::tp_ssm_groups,
         n(m.ssm_groups) + " state-space groups are not divisible by tensor parallel size " +
             n(tp) + " (only 1 group is replicated)");
  }
  // vLLM's Mamba2ForCausalLM (model_executor/models/mamba2.py) does not implement SupportsPP.
  if (plan.pp > 1 && plan.engine == serving_engine::vllm && m.architecture == "mamba2") {
    fail(rule_id::pp_unsupported,
         "vLLM's Mamba2ForCausalLM has no pipeline parallelism (pp " + n(plan.pp) + " asked)");
  }
  if (plan.pp > m.n_layer) {
    fail(rule_id::pp_layers, "pipeline parallel size " + n(plan.pp) + " exceeds the model's " +
                                 n(m.n_layer) + " layers");
  } else {
    c.stage_layers = pipeline_stages(m.n_layer, plan.pp, plan.engine);
  }
  return c;
}

SHARDFIT_INLINE std::vector<std::uint32_t> valid_tensor_parallel(const model_profile& m,
                                                                 std::uint32_t max_tp, bool ep,
                                                                 serving_engine engine) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t tp = 1; tp <= max_tp; ++tp) {
    if (check_parallel(m, {tp, 1, ep, engine}).valid) out.push_back(tp);
  }
  return out;
}

SHARDFIT_INLINE std::vector<parallel_choice> suggest_parallel(const model_profile& m,
                                                              std::uint32_t gpus, bool ep,
                                                              serving_engine engine) {
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
