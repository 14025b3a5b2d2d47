#pragma once

// The bodies of <shardfit/model/detail/gguf_profile.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/model/detail/gguf_profile.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE std::vector<std::uint64_t> gguf_per_layer(const gguf_file& f,
                                                          const std::string& key,
                                                          std::uint32_t n_layer,
                                                          std::uint64_t fallback) {
  std::vector<std::uint64_t> out(n_layer, fallback);
  const gguf_value* v = f.find(key);
  if (v == nullptr) return out;
  if (v->is_array()) {
    const auto arr = v->to_u64_array();
    if (!arr || arr->size() != n_layer) {
      throw error::format(f.path(), "metadata key '" + key + "' must hold " +
                                        std::to_string(n_layer) + " integers, one per layer");
    }
    return *arr;
  }
  const auto u = v->to_u64();
  if (!u) throw error::format(f.path(), "metadata key '" + key + "' must be an integer");
  std::fill(out.begin(), out.end(), *u);
  return out;
}

SHARDFIT_INLINE std::uint32_t to_u32(std::uint64_t v, const gguf_file& f, const std::string& key) {
  if (v > 0xFFFFFFFFULL) throw error::format(f.path(), "metadata key '" + key + "' is too large");
  return static_cast<std::uint32_t>(v);
}

SHARDFIT_INLINE bool is_recurrent_arch(std::string_view arch) noexcept {
  for (const auto a : {"mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"}) {
    if (arch == a) return true;
  }
  return false;
}

SHARDFIT_INLINE model_profile gguf_profile(const gguf_set& set) {
  const gguf_file& f = set.metadata();
  model_profile m;
  m.source = "gguf";
  m.architecture = std::string(f.architecture());
  if (m.architecture.empty()) throw error::format(f.path(), "no general.architecture key");
  const std::string a = m.architecture + ".";
  auto u64 = [&](const std::string& key) { return f.get_u64(a + key); };
  auto u32 = [&](const std::string& key, std::uint64_t fallback = 0) {
    return to_u32(u64(key).value_or(fallback), f, a + key);
  };

  m.name = std::string(f.get_string("general.name").value_or(set.files().name));
  m.set = set.files().name;
  const auto n_layer = u64("block_count");
  if (!n_layer) throw error::format(f.path(), "no " + a + "block_count key");
  m.n_layer = to_u32(*n_layer, f, a + "block_count");
  m.n_embd = u32("embedding_length");
  m.n_ctx_train = u64("context_length").value_or(0);
  m.n_expert = u32("expert_count");
  m.n_expert_used = u32("expert_used_count");
  m.n_expert_shared = u32("expert_shared_count");
  m.n_ff_expert = u32("expert_feed_forward_length");
  m.n_layer_dense_lead = u32("leading_dense_block_count");
  m.expert_weights_norm = f.get_bool(a + "expert_weights_norm").value_or(false);
  m.expert_weights_scale = f.get_f64(a + "expert_weights_scale").value_or(0.0);
  m.kv_lora_rank = u32("attention.kv_lora_rank");
  m.q_lora_rank = u32("attention.q_lora_rank");
  m.rope_dim = u32("rope.dimension_count");
  m.sliding_window = u32("attention.sliding_window");

  const auto ff = gguf_per_layer(f, a + "feed_forward_length", m.n_layer, 0);
  for (const auto v : ff) m.n_ff = std::max(m.n_ff, to_u32(v, f, a + "feed_forward_length"));
  const auto heads = gguf_per_layer(f, a + "attention.head_count", m.n_layer, 0);
  std::vector<std::uint64_t> kv_heads(m.n_layer);
  const bool kv_given = f.find(a + "attention.head_count_kv") != nullptr;
  if (kv_given) {
    kv_heads = gguf_per_layer(f, a + "attention.head_count_kv", m.n_layer, 0);
  } else {
    kv_heads = heads;
  }
  const std::uint64_t head0 = heads.empty() ? 0 : heads.front();
  const std::uint32_t default_head_dim =
      head0 != 0 ? static_cast<std::uint32_t>(m.n_embd / head0) : 0;
  m.head_dim_k = u32("attention.key_length", default_head_dim);
  m.head_dim_v = u32("attention.value_length", default_head_dim);
  // llama.cpp runs latent attention only when both *_mla keys are set; an older deepseek2
  // GGUF keeps attn_kv_b whole and caches full K and V heads (llama_model::load_hparams).
  const bool mla = u32("attention.key_length_mla") != 0 && u32("attention.value_length_mla") != 0;
  if (mla) m.head_dim_v = u32("attention.value_length_mla");  // per head, decompressed
  m.latent_expanded = m.kv_lora_rank != 0 && !mla;
  if (m.kv_lora_rank != 0) {
    const std::uint32_t qk = mla ? u32("attention.key_length_mla") : m.head_dim_k;
    m.qk_nope_dim = qk > m.rope_dim ? qk - m.rope_dim : 0;
  }
  m.n_head = heads.empty() ? 0 : to_u32(heads.front(), f, a + "attention.head_count");
  m.n_head_kv = kv_heads.empty() ? 0 : to_u32(kv_heads.front(), f, a + "attention.head_count_kv");

  // Sliding-window layers: an explicit per-layer bool array, a pattern, or the arch default.
  std::vector<bool> swa(m.n_layer, false);
  if (m.sliding_window != 0) {
    const gguf_value* pat = f.find(a + "attention.sliding_window_pattern");
    if (pat != nullptr && pat->is_array()) {
      std::uint32_t i = 0;
      pat->for_each([&](const gguf_value& e) {
        if (i < m.n_layer) swa[i] = e.to_bool().value_or(e.to_u64().value_or(0) != 0);
        ++i;
      });
    } else {
      const std::uint32_t n = pat != nullptr ? to_u32(pat->to_u64().value_or(0), f,
                                                      a + "attention.sliding_window_pattern")
                                             : default_sliding_pattern(m.architecture);
      if (pat != nullptr || n != 0) {
        for (std::uint32_t il = 0; il < m.n_layer; ++il) swa[il] = n == 0 || il % n < n - 1;
      }
    }
  }

  // Recurrent state (Mamba, RWKV, and the recurrent layers of hybrids).
  const bool recurrent_arch = is_recurrent_arch(m.architecture);
  const std::uint64_t d_conv = u64("ssm.conv_kernel").value_or(0);
  const std::uint64_t d_inner = u64("ssm.inner_size").value_or(0);
  const std::uint64_t d_state = u64("ssm.state_size").value_or(0);
  const std::uint64_t n_group = u64("ssm.group_count").value_or(0);
  m.ssm_inner = to_u32(d_inner, f, a + "ssm.inner_size");
  m.ssm_state = to_u32(d_state, f, a + "ssm.state_size");
  m.ssm_conv = to_u32(d_conv, f, a + "ssm.conv_kernel");
  m.ssm_groups = to_u32(n_group, f, a + "ssm.group_count");
  m.ssm_dt_rank = u32("ssm.time_step_rank");
  const std::uint64_t wkv_head = u64("wkv.head_size").value_or(0);
  const std::uint64_t shifts = u64("token_shift_count").value_or(2);
  std::uint64_t r_state = 0;
  std::uint64_t s_state = 0;
  if (wkv_head != 0) {
    r_state = shifts * m.n_embd;
    s_state = static_cast<std::uint64_t>(m.n_embd) * wkv_head;
  } else if (d_inner != 0) {
    r_state = (d_conv > 0 ? d_conv - 1 : 0) * (d_inner + 2 * n_group * d_state);
    s_state = d_state * d_inner;
  }

  m.layers.resize(m.n_layer);
  for (std::uint32_t il = 0; il < m.n_layer; ++il) {
    layer_profile& l = m.layers[il];
    l.n_head = to_u32(heads[il], f, a + "attention.head_count");
    l.n_head_kv = to_u32(kv_heads[il], f, a + "attention.head_count_kv");
    l.recurrent = recurrent_arch || (r_state + s_state != 0 && kv_given && l.n_head_kv == 0);
    if (l.recurrent) {
      l.n_head_kv = 0;
      l.r_state = r_state;
      l.s_state = s_state;
    }
    l.k_per_token = l.n_head_kv * m.head_dim_k;
    l.v_per_token = mla ? 0 : l.n_head_kv * m.head_dim_v;
    l.swa = swa[il];
  }

  // Exact bytes, by where each tensor belongs.
  std::map<std::string, std::uint64_t, std::less<>> type_counts;
  bool has_output = false;
  for (const auto& st : set.tensors()) {
    const gguf_tensor& t = st.tensor;
    m.parameters += t.elements();
    type_counts[std::string(t.type.name)] += t.elements();
    const tensor_place p = place_gguf_tensor(t.name);
    if (t.name.ends_with(".exp_probs_b.bias")) m.expert_probs_bias = true;
    switch (p.kind) {
      case tensor_place::layer:
        if (p.layer_index >= m.n_layer) {
          m.other += t.size;  // beyond block_count: not a repeating layer llama.cpp runs
        } else {
          m.layers[p.layer_index].weights += t.size;
          if (p.expert) m.layers[p.layer_index].expert_weights += t.size;
        }
        break;
      case tensor_place::input:
        m.token_embd += t.size;
        break;
      case tensor_place::output:
        m.output += t.size;
        has_output = has_output || t.name == "output.weight";
        break;
      case tensor_place::other:
        m.other += t.size;
        break;
    }
    if (t.name == "token_embd.weight" && t.n_dims >= 2 && m.n_vocab == 0) {
      m.n_vocab = static_cast<std::uint32_t>(t.ne[1]);
    }
  }
  m.tied_embeddings = !has_output;
  if (const auto v = u64("vocab_size")) {
    m.n_vocab = to_u32(*v, f, a + "vocab_size");
  } else if (const gguf_value* toks = f.find("tokenizer.ggml.tokens");
             toks != nullptr && toks->is_array()) {
    m.n_vocab = static_cast<std::uint32_t>(toks->size());
  }
  if (const auto ft = f.get_u64("general.file_type");
      ft && !llama_file_type_name(static_cast<std::uint32_t>(*ft)).empty()) {
    m.quantization = std::string(llama_file_type_name(static_cast<std::uint32_t>(*ft)));
  } else {
    std::uint64_t best = 0;
    for (const auto& [name, n] : type_counts) {
      if (n > best) {
        best = n;
        m.quantization = name;
      }
    }
  }
  for (const auto& file : set.files().files) {
    m.files.push_back(file.path);
    m.file_bytes += file.size;
  }
  return m;
}

}  // namespace shardfit::detail
