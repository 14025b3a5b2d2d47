#pragma once

// The bodies of <shardfit/estimate/vllm.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/vllm.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE double kv_dtype_bytes(const std::string& kv_dtype, double model_bytes) {
  if (kv_dtype == "auto") return model_bytes;
  if (kv_dtype.rfind("fp8", 0) == 0) return 1;
  if (kv_dtype == "bfloat16" || kv_dtype == "float16" || kv_dtype == "half") return 2;
  if (kv_dtype == "float32" || kv_dtype == "float") return 4;
  throw error::invalid_argument("unknown KV cache dtype '" + kv_dtype +
                                "' (auto, fp8, fp8_e4m3, fp8_e5m2, bfloat16, float16)");
}

SHARDFIT_INLINE bool vllm_before(std::uint32_t version, std::uint32_t release) {
  return version != 0 && version < release;
}

SHARDFIT_INLINE std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

SHARDFIT_INLINE bool name_has(const std::string& lower_name,
                              std::initializer_list<const char*> parts) {
  return std::any_of(parts.begin(), parts.end(),
                     [&](const char* p) { return lower_name.find(p) != std::string::npos; });
}

SHARDFIT_INLINE std::uint64_t mxfp4_intermediate_alignment(const std::string& gpu_name) {
  const std::string n = lowercase(gpu_name);
  if (name_has(n, {"h100", "h200", "h800", "h20", "gh200"})) return 64;
  if (name_has(n, {"a100", "a800", "a10", "a30", "a40", "a6000", "l4", "l40", "3090", "4090",
                   "4080", "a4000", "a5000"})) {
    return 128;
  }
  return 256;
}

SHARDFIT_INLINE std::uint64_t round_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

SHARDFIT_INLINE double activation_bytes(const model_profile& m) {
  return m.quantization == "f32" ? 4.0 : 2.0;
}

}  // namespace detail

SHARDFIT_INLINE bool vllm_large_gpu_defaults(const std::string& name, bytes total) {
  return total >= bytes{std::uint64_t{70} << 30U} &&
         detail::lowercase(name).find("a100") == std::string::npos;
}

SHARDFIT_INLINE vllm_batch vllm_batch_defaults(const vllm_settings& s, bool large_gpu) {
  const bool old = detail::vllm_before(s.version, 900);
  return {s.max_num_seqs != 0 ? s.max_num_seqs : (large_gpu && !old ? 1024U : 256U),
          s.max_num_batched_tokens != 0 ? s.max_num_batched_tokens
                                        : (large_gpu || old ? 8192U : 2048U)};
}

SHARDFIT_INLINE vllm_estimate estimate_vllm(const model_profile& m, const vllm_settings& s,
                                            bytes gpu_total) {
  if (!(s.gpu_memory_utilization > 0.0 && s.gpu_memory_utilization <= 1.0)) {
    throw error::invalid_argument("gpu_memory_utilization must be in (0, 1], not " +
                                  std::to_string(s.gpu_memory_utilization));
  }
  if (m.n_layer == 0 || m.layers.size() != m.n_layer) {
    throw error::invalid_argument("model '" + m.name + "' has no layers to place");
  }
  vllm_estimate e;
  if (s.max_model_len != 0 && m.vllm_max_len != 0 && s.max_model_len > m.vllm_max_len &&
      !s.allow_long_max_model_len) {
    // vllm/config/model.py, _get_and_verify_max_len
    throw error::invalid_argument(
        "max_model_len " + std::to_string(s.max_model_len) +
        " is greater than the model's maximum of " + std::to_string(m.vllm_max_len) + " (" +
        m.vllm_max_len_key +
        " in config.json); vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 is set "
        "(--allow-long-max-model-len)");
  }
  e.parallel =
      check_parallel(m, {s.tp, s.pp, s.ep, serving_engine::vllm, s.mm_encoder_data, s.version});
  e.max_model_len = m.vllm_context(s.max_model_len);
  const auto stages =
      e.parallel.stage_layers.empty()
          ? pipeline_stages(m.n_layer, std::min(s.pp, m.n_layer), serving_engine::vllm)
          : e.parallel.stage_layers;

  const double tp = s.tp;
  const double bpp = m.parameters != 0 ? static_cast<double>(m.weights().count()) /
                                             static_cast<double>(m.parameters)
                                       : 2.0;
  const double abytes = detail::activation_bytes(m);
  const auto before = [&](std::uint32_t release) {
    return detail::vllm_before(s.version, release);
  };
  // The batch defaults of `vllm serve` for this GPU (an unknown one: the larger).
  const vllm_batch batch = vllm_batch_defaults(
      s, gpu_total.count() == 0 || vllm_large_gpu_defaults(s.gpu_name, gpu_total));
  const std::uint32_t seqs = std::min(batch.seqs, batch.tokens);
  const std::uint32_t tokens = batch.tokens;
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

  // Activation peak of the profile run, per rank; the logits are gathered on every rank, the
  // sampler runs on the last stage.
  const double forward = static_cast<double>(tokens) * H * abytes * 18.0;
  const double rows = std::min(seqs, tokens);
  const double sampler_factor = before(800)                  ? 1.0
                                : !before(1700) && rows >= 8 ? 3.6
                                : rows >= 128                ? 9.5
                                                             : 12.5;
  const double sampler = rows * m.n_vocab * 4.0 * sampler_factor;
  bytes non_torch = s.non_torch;
  if (before(1100) && s.tp > 1) non_torch += bytes{std::uint64_t{430} << 20U};  // NCCL buffers
  const bool graphs_in_budget = !before(2100);
  // MXFP4 experts, padded per rank for the kernel.
  double mxfp4_rank = -1;  // bytes of one layer's experts on a rank; < 0: not MXFP4
  if (m.quant.method == "mxfp4" && m.is_moe()) {
    const std::uint64_t ia = detail::mxfp4_intermediate_alignment(s.gpu_name);
    const std::uint64_t inter =
        s.ep ? m.n_ff_expert : m.n_ff_expert / std::max<std::uint32_t>(1, s.tp);
    const double experts =
        s.ep ? std::ceil(static_cast<double>(m.n_expert) / tp) : static_cast<double>(m.n_expert);
    const double ip = static_cast<double>(detail::round_up(inter, ia));
    const double hp = static_cast<double>(detail::round_up(m.n_embd, 256));
    mxfp4_rank = experts * (51.0 / 32.0 * ip * hp + 4.0 * ip + 2.0 * hp);
  }
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
    double swa_token = 0;  // a token's bytes in the sliding-window layers
    for (std::uint32_t il = first; il < first + r.layers && il < m.n_layer; ++il) {
      const layer_profile& l = m.layers[il];
      w += layer_rank_bytes(l);
      if (mxfp4_rank >= 0 && l.expert_weights.count() != 0) {
        w += mxfp4_rank - static_cast<double>(l.expert_weights.count()) / tp;
      }
      // KV per token on this rank: the rank's share of KV heads (MLA: the whole latent).
      const double heads_share = m.is_mla() || l.n_head_kv == 0 ? 1.0 : kv_heads_rank / l.n_head_kv;
      const double token = (l.k_per_token + l.v_per_token) * heads_share * kv_bytes;
      if (l.swa && m.sliding_window != 0) {
        swa_bytes +=
            token * static_cast<double>(std::min<std::uint64_t>(m.sliding_window, e.max_model_len));
        swa_token += token;
      } else {
        per_token += token;
      }
    }
    // The vision tower and other non-layer tensors run with the first stage, sharded, or whole
    // on every rank when the encoder is replicated (--mm-encoder-tp-mode data).
    if (st == 0) {
      const bool replicated_tower = !detail::vision_sharded(
          m, {s.tp, s.pp, s.ep, serving_engine::vllm, s.mm_encoder_data, s.version});
      w += embd_rank + static_cast<double>(m.other.count()) / (replicated_tower ? 1.0 : tp);
    }
    if (st + 1 == stages.size()) w += head_rank;
    first += r.layers;
    r.weights = bytes{static_cast<std::uint64_t>(std::llround(w))};
    const bool last_stage = st + 1 == stages.size();
    r.activation =
        bytes{static_cast<std::uint64_t>(std::llround(forward + (last_stage ? sampler : 0.0)))};
    r.max_num_seqs = seqs;
    r.max_num_batched_tokens = tokens;
    r.non_torch = non_torch;
    r.cuda_graphs = s.enforce_eager ? bytes{} : s.cuda_graphs;
    r.kv_per_token = bytes{static_cast<std::uint64_t>(std::llround(per_token))};
    r.kv_needed = bytes{static_cast<std::uint64_t>(
        std::llround(per_token * static_cast<double>(e.max_model_len) + swa_bytes))};
    r.required = r.weights + r.activation + r.non_torch + r.cuda_graphs + r.kv_needed;
    r.budget = bytes{budget};
    if (budget != 0) {
      r.kv_available = saturating_sub(r.budget, r.weights + r.activation + r.non_torch +
                                                    (graphs_in_budget ? r.cuda_graphs : bytes{}));
      const double left = static_cast<double>(r.kv_available.count()) - swa_bytes;
      r.kv_tokens = per_token > 0 && left > 0 ? static_cast<std::uint64_t>(left / per_token) : 0;
      const double avail = static_cast<double>(r.kv_available.count());
      if (!before(2100)) {  // kv_cache_utils.py: max concurrency x max_model_len
        r.reported_kv_tokens =
            r.kv_needed.count() != 0
                ? static_cast<std::uint64_t>(avail / static_cast<double>(r.kv_needed.count()) *
                                             static_cast<double>(e.max_model_len))
                : 0;
      } else if (per_token + swa_token > 0) {  // every layer slot as if it held every token
        r.reported_kv_tokens = static_cast<std::uint64_t>(avail / (per_token + swa_token));
      }
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
