#pragma once

// The bodies of <shardfit/model/detail/hf_profile.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/model/detail/hf_profile.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE double dtype_bytes(std::string_view torch_dtype) noexcept {
  if (torch_dtype == "float32") return 4;
  if (torch_dtype == "float8_e4m3fn" || torch_dtype == "float8_e5m2") return 1;
  return 2;  // bfloat16, float16, and the default
}

SHARDFIT_INLINE model_profile hf_base_profile(const hf_config& c) {
  model_profile m;
  m.architecture = c.model_type;
  m.n_layer = c.num_hidden_layers;
  m.n_embd = c.hidden_size;
  m.n_head = c.num_attention_heads;
  m.n_head_kv = c.is_mla() ? 1 : c.num_key_value_heads;
  m.head_dim_k = c.is_mla() ? c.kv_lora_rank + c.qk_rope_head_dim : c.head_dim;
  m.head_dim_v = c.is_mla() ? c.v_head_dim : c.head_dim;
  m.n_ff = c.intermediate_size;
  m.n_vocab = c.vocab_size;
  m.n_ctx_train = c.max_position_embeddings;
  m.n_expert = c.num_experts;
  m.n_expert_used = c.experts_per_token;
  m.n_expert_shared = c.shared_experts;
  m.n_ff_expert = c.moe_intermediate_size;
  m.n_layer_dense_lead = c.is_moe() ? c.first_dense_layers : 0;
  m.kv_lora_rank = c.kv_lora_rank;
  m.q_lora_rank = c.q_lora_rank;
  m.qk_nope_dim = c.is_mla() ? c.qk_nope_head_dim : 0;
  m.ssm_groups = c.ssm_groups;
  m.expert_probs_bias = c.expert_selection_bias;
  m.expert_weights_norm = c.norm_topk_prob;
  m.expert_weights_scale = c.routed_scaling_factor;
  m.rope_dim = c.qk_rope_head_dim;
  m.sliding_window = c.sliding_window;
  m.vision_heads = c.vision_heads;
  m.vision_ff = c.vision_intermediate;
  m.vision_tower = c.vision_type;
  if (!c.architectures.empty()) m.hf_architecture = c.architectures.front();
  m.vllm_max_len = c.vllm_max_len;
  m.vllm_max_len_key = c.vllm_max_len_key;
  m.tied_embeddings = c.tie_word_embeddings;
  if (c.quantization) m.quant = *c.quantization;
  m.quantization = m.quant.method.empty() ? (c.torch_dtype == "bfloat16"  ? "bf16"
                                             : c.torch_dtype == "float16" ? "f16"
                                             : c.torch_dtype == "float32" ? "f32"
                                                                          : c.torch_dtype)
                                          : m.quant.method;
  m.layers.resize(m.n_layer);
  for (std::uint32_t il = 0; il < m.n_layer; ++il) {
    layer_profile& l = m.layers[il];
    l.n_head = m.n_head;
    l.n_head_kv = m.n_head_kv;
    // MLA caches the latent (kv_lora_rank) and the rope part once per token, no V.
    l.k_per_token = c.is_mla() ? c.kv_lora_rank + c.qk_rope_head_dim : m.n_head_kv * c.head_dim;
    l.v_per_token = c.is_mla() ? 0 : m.n_head_kv * c.head_dim;
    l.swa = il < c.sliding_layers.size() && c.sliding_layers[il] && c.sliding_window != 0;
  }
  return m;
}

SHARDFIT_INLINE model_profile safetensors_profile(const std::vector<safetensors_header>& headers,
                                                  const hf_config& c) {
  model_profile m = hf_base_profile(c);
  m.source = "safetensors";
  bool has_lm_head = false;
  for (const auto& h : headers) {
    for (const auto& t : h.tensors()) {
      m.parameters += t.elements();
      const tensor_place p = place_hf_tensor(t.name, m.n_layer);
      switch (p.kind) {
        case tensor_place::layer:
          m.layers[p.layer_index].weights += t.size();
          if (p.expert) m.layers[p.layer_index].expert_weights += t.size();
          break;
        case tensor_place::input:
          m.token_embd += t.size();
          break;
        case tensor_place::output:
          m.output += t.size();
          has_lm_head = has_lm_head || contains(t.name, "lm_head");
          break;
        case tensor_place::other:
          m.other += t.size();
          break;
      }
    }
  }
  if (!headers.empty()) m.tied_embeddings = !has_lm_head;
  return m;
}

SHARDFIT_INLINE double linear_bytes(const hf_config& c, double in, double out, bool expert) {
  const double base = dtype_bytes(c.torch_dtype);
  if (!c.quantization) return in * out * base;
  const hf_quantization& q = *c.quantization;
  if (q.method == "fp8" || (q.method == "compressed-tensors" && q.bits == 8)) {
    double scales = 4;  // one f32 per tensor
    if (q.weight_block_size.size() == 2 && q.weight_block_size[0] != 0 &&
        q.weight_block_size[1] != 0) {
      scales = std::ceil(out / q.weight_block_size[0]) * std::ceil(in / q.weight_block_size[1]) * 4;
    }
    return in * out + scales;
  }
  if (q.method == "mxfp4") {
    if (!expert) return in * out * base;
    return in * out / 2 + in * out / 32;  // 4-bit values and one u8 scale per 32
  }
  const double bits = q.bits != 0 ? q.bits : 4;
  if (q.method == "gptq" || q.method == "awq" || q.method == "compressed-tensors" ||
      q.method == "bitsandbytes") {
    const double group = q.group_size != 0 ? q.group_size : in;
    const double groups = std::ceil(in / group);
    return in * out * bits / 8 + groups * out * 2 +
           groups * out * bits / 8;  // values, scales, zeros
  }
  return in * out * base;
}

SHARDFIT_INLINE double derive_config_bytes(const hf_config& c, model_profile& m, bool has_bias,
                                           bool has_qk_norm) {
  const double b = dtype_bytes(c.torch_dtype);
  const double H = c.hidden_size;
  const double nh = c.num_attention_heads;
  const double nkv = c.num_key_value_heads;
  const double hd = c.head_dim;
  double params = 0;
  auto lin = [&](double in, double out, bool expert, double& bytes_acc) {
    bytes_acc += linear_bytes(c, in, out, expert);
    params += in * out;
  };
  auto vec = [&](double n, double& bytes_acc) {
    bytes_acc += n * b;
    params += n;
  };
  for (std::uint32_t il = 0; il < m.n_layer; ++il) {
    double total = 0;
    double experts = 0;
    if (c.is_mla()) {
      const double qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
      if (c.q_lora_rank != 0) {
        lin(H, c.q_lora_rank, false, total);
        vec(c.q_lora_rank, total);
        lin(c.q_lora_rank, nh * qk, false, total);
      } else {
        lin(H, nh * qk, false, total);
      }
      lin(H, c.kv_lora_rank + c.qk_rope_head_dim, false, total);
      vec(c.kv_lora_rank, total);
      lin(c.kv_lora_rank, nh * (c.qk_nope_head_dim + c.v_head_dim), false, total);
      lin(nh * c.v_head_dim, H, false, total);
    } else {
      lin(H, nh * hd, false, total);
      lin(H, nkv * hd, false, total);
      lin(H, nkv * hd, false, total);
      lin(nh * hd, H, false, total);
      if (has_bias) vec(nh * hd + 2 * nkv * hd, total);
      if (has_qk_norm) vec(2 * hd, total);
    }
    vec(2 * H, total);  // input and post-attention norms
    const bool moe = c.is_moe() && il >= c.first_dense_layers &&
                     (il + 1) % std::max<std::uint32_t>(1, c.moe_layer_step) == 0;
    if (moe) {
      const double ie = c.moe_intermediate_size;
      for (std::uint32_t e = 0; e < c.num_experts; ++e) {
        lin(H, ie, true, experts);
        lin(H, ie, true, experts);
        lin(ie, H, true, experts);
      }
      total += experts;
      total += H * c.num_experts * b;  // router
      params += H * c.num_experts;
      if (c.shared_experts != 0) {
        const double is = c.shared_expert_intermediate_size != 0 ? c.shared_expert_intermediate_size
                                                                 : ie * c.shared_experts;
        lin(H, is, false, total);
        lin(H, is, false, total);
        lin(is, H, false, total);
      }
    } else if (c.intermediate_size != 0) {
      const double f =
          c.dense_intermediate_size != 0 ? c.dense_intermediate_size : c.intermediate_size;
      lin(H, f, false, total);
      lin(H, f, false, total);
      lin(f, H, false, total);
    }
    m.layers[il].weights = bytes{static_cast<std::uint64_t>(std::llround(total))};
    m.layers[il].expert_weights = bytes{static_cast<std::uint64_t>(std::llround(experts))};
  }
  const double embd = static_cast<double>(c.vocab_size) * H;
  m.token_embd = bytes{static_cast<std::uint64_t>(std::llround(embd * b))};
  m.output =
      bytes{static_cast<std::uint64_t>(std::llround((m.tied_embeddings ? 0 : embd * b) + H * b))};
  params += embd + (m.tied_embeddings ? 0 : embd) + H;
  return params;
}

SHARDFIT_INLINE model_profile config_profile(const hf_config& c, const weight_index* index) {
  model_profile m = hf_base_profile(c);
  m.source = "config";
  bool has_bias = false;
  bool has_qk_norm = false;
  bool extra_tensors = false;  // vision tower, MTP layers: not derivable from the text config
  if (index != nullptr) {
    bool lm_head = false;
    for (const auto& [name, file] : index->tensors) {
      lm_head = lm_head || contains(name, "lm_head");
      has_bias = has_bias || contains(name, "q_proj.bias");
      has_qk_norm = has_qk_norm || contains(name, "q_norm.weight");
      extra_tensors = extra_tensors || place_hf_tensor(name, m.n_layer).kind == tensor_place::other;
    }
    if (!index->tensors.empty()) m.tied_embeddings = !lm_head;
    // A map-less index (total_size only) cannot say which tensors exist: a multimodal config's
    // tower is then what the total holds beyond the text model.
    if (index->tensors.empty()) extra_tensors = c.is_multimodal();
  } else {
    has_bias =
        c.model_type == "qwen2" || c.model_type == "qwen2_vl" || c.model_type == "qwen2_5_vl";
    has_qk_norm =
        c.model_type == "qwen3" || c.model_type == "qwen3_moe" || c.model_type == "gemma3_text";
  }
  const double params = derive_config_bytes(c, m, has_bias, has_qk_norm);
  m.parameters = static_cast<std::uint64_t>(std::llround(params));
  m.notes.push_back("layer bytes derived from config.json (" + std::string(m.quantization) + ")");
  if (index == nullptr || !index->total_size) {
    // No total to take the tower from: size it from its config, as a ViT of its layers and
    // widths (attention 4 h^2, MLP 2 h f, norms and biases) and a projection to the text model.
    if (c.is_multimodal() && c.vision_layers != 0 && c.vision_hidden_size != 0) {
      const double vh = c.vision_hidden_size;
      const double vf = c.vision_intermediate != 0 ? c.vision_intermediate : 4.0 * vh;
      const double vp = c.vision_layers * (4.0 * vh * vh + 2.0 * vh * vf + 9.0 * vh + vf) +
                        vh * static_cast<double>(c.vision_projection);
      const auto tower = static_cast<std::uint64_t>(std::llround(vp * dtype_bytes(c.torch_dtype)));
      m.other = bytes{tower};
      m.parameters += static_cast<std::uint64_t>(std::llround(vp));
      m.notes.push_back("vision tower sized from its config (" + std::to_string(c.vision_layers) +
                        " layers of " + std::to_string(c.vision_hidden_size) +
                        "): " + std::to_string(tower) + " bytes");
    } else if (c.is_multimodal()) {
      m.notes.push_back("vision tower not counted: no index total and no tower size to size it");
    }
    return m;
  }
  const std::uint64_t declared = index->total_size->count();
  const std::uint64_t derived = m.weights().count();
  const double ratio =
      derived == 0 ? 1.0 : static_cast<double>(declared) / static_cast<double>(derived);
  if (declared >= derived && extra_tensors) {
    m.other = bytes{declared - derived};
    m.notes.push_back("the index's other tensors (vision tower, MTP layers) take " +
                      std::to_string(declared - derived) + " bytes");
  } else if (std::abs(ratio - 1.0) > 0.005) {
    for (auto& l : m.layers) {
      l.weights = bytes{
          static_cast<std::uint64_t>(std::llround(static_cast<double>(l.weights.count()) * ratio))};
      l.expert_weights = bytes{static_cast<std::uint64_t>(
          std::llround(static_cast<double>(l.expert_weights.count()) * ratio))};
    }
    m.token_embd = bytes{static_cast<std::uint64_t>(
        std::llround(static_cast<double>(m.token_embd.count()) * ratio))};
    m.output = bytes{
        static_cast<std::uint64_t>(std::llround(static_cast<double>(m.output.count()) * ratio))};
    m.notes.push_back("derived total " + std::to_string(derived) + " bytes scaled by " +
                      std::to_string(ratio) + " to the index's metadata.total_size " +
                      std::to_string(declared));
  } else {
    m.notes.push_back("derived total " + std::to_string(derived) +
                      " bytes agrees with the index's metadata.total_size " +
                      std::to_string(declared));
  }
  return m;
}

SHARDFIT_INLINE std::optional<std::string> directory_name(const std::string& dir) {
  const auto end = dir.find_last_not_of('/');
  if (end == std::string::npos) return std::nullopt;
  const auto slash = dir.find_last_of('/', end);
  const std::size_t start = slash == std::string::npos ? 0 : slash + 1;
  std::string name = dir.substr(start, end - start + 1);
  if (name.empty() || name == "." || name == "..") return std::nullopt;
  return name;
}

SHARDFIT_INLINE std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

SHARDFIT_INLINE std::vector<weight_file> hf_weight_files(
    const std::vector<std::string>& names, const std::vector<mapped_tensor>& tensors,
    const std::vector<std::optional<bytes>>& sizes, const model_profile& m) {
  std::vector<std::uint64_t> per_layer(m.n_layer, 0);
  std::uint64_t n_input = 0;
  std::uint64_t n_output = 0;
  std::uint64_t n_other = 0;
  for (const auto& t : tensors) {
    const auto p = place_hf_tensor(t.name, m.n_layer);
    if (p.kind == tensor_place::layer) ++per_layer[p.layer_index];
    n_input += p.kind == tensor_place::input ? 1 : 0;
    n_output += p.kind == tensor_place::output ? 1 : 0;
    n_other += p.kind == tensor_place::other ? 1 : 0;
  }
  auto share = [](bytes total, std::uint64_t n) {
    return n == 0 ? 0.0 : static_cast<double>(total.count()) / static_cast<double>(n);
  };
  std::vector<weight_file> out(names.size());
  std::vector<double> estimate(names.size(), 0.0);
  std::vector<std::uint32_t> last(names.size(), 0);
  for (std::size_t i = 0; i < names.size(); ++i) out[i].name = std::string(base_name(names[i]));
  for (const auto& t : tensors) {
    if (t.file >= out.size()) continue;
    auto& f = out[t.file];
    const auto p = place_hf_tensor(t.name, m.n_layer);
    double est = static_cast<double>(t.size);
    switch (p.kind) {
      case tensor_place::layer:
        if (f.layer_count == 0) {
          f.first_layer = p.layer_index;
          last[t.file] = p.layer_index;
          f.layer_count = 1;
        } else {
          f.first_layer = std::min(f.first_layer, p.layer_index);
          last[t.file] = std::max(last[t.file], p.layer_index);
          f.layer_count = last[t.file] - f.first_layer + 1;
        }
        if (t.size == 0) est = share(m.layers[p.layer_index].weights, per_layer[p.layer_index]);
        break;
      case tensor_place::input:
        f.input = true;
        if (t.size == 0) est = share(m.token_embd, n_input);
        break;
      case tensor_place::output:
        f.output = true;
        if (t.size == 0) est = share(m.output, n_output);
        break;
      case tensor_place::other:
        f.input = true;  // vision towers and the like run with the first stage
        if (t.size == 0) est = share(m.other, n_other);
        break;
    }
    estimate[t.file] += est;
  }
  bool all_estimated = true;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i < sizes.size() && sizes[i]) {
      out[i].size = *sizes[i];
      all_estimated = false;
    } else {
      out[i].size = bytes{static_cast<std::uint64_t>(std::llround(estimate[i]))};
      out[i].estimated = true;
    }
    sum += out[i].size.count();
  }
  // Estimated shares add up to the weights but for rounding: give the remainder to the largest.
  if (all_estimated && !out.empty()) {
    const std::uint64_t total = m.weights().count();
    auto& big = *std::max_element(out.begin(), out.end(),
                                  [](const auto& a, const auto& b) { return a.size < b.size; });
    const std::uint64_t rest = sum - big.size.count();
    if (total > rest) big.size = bytes{total - rest};
  }
  std::sort(out.begin(), out.end(),
            [](const weight_file& a, const weight_file& b) { return a.name < b.name; });
  return out;
}

SHARDFIT_INLINE const shard_set* engine_choice(const std::vector<shard_set>& sets) {
  const auto rank = [](const shard_set& s) {
    if (s.format == model_format::gguf) return -1;
    if (s.format == model_format::pytorch) return 0;
    return s.index_path.empty() ? 1 : 2;
  };
  const shard_set* best = nullptr;
  bool tie = false;
  for (const auto& s : sets) {
    if (rank(s) < 0) return nullptr;
    if (best == nullptr || rank(s) > rank(*best)) {
      best = &s;
      tie = false;
    } else if (rank(s) == rank(*best)) {
      tie = true;
    }
  }
  return tie ? nullptr : best;
}

}  // namespace shardfit::detail
