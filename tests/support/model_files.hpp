#pragma once

// Writes model files for tests: tiny llama GGUF models (the tensor names and shapes of
// ../shared/tools/llama-truth/make_tiny_gguf.mjs, so figures measured with llama.cpp on those
// apply), split sets, and safetensors files. Tensor data is left sparse (zeros).

#include <shardfit/files/shard_name.hpp>
#include <shardfit/formats/gguf_writer.hpp>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace shardfit::test {

// A small model of a llama-family architecture: "llama" (also with experts, Mixtral-style),
// "qwen2" (Q/K/V biases), "qwen3" (Q/K norms), "gemma3" (Q/K norms, post-norms, sliding
// window) or "deepseek2" (latent attention, leading dense layers, routed and shared experts;
// `mla` picks the layout: attn_k_b/attn_v_b with the *_mla keys, as llama.cpp converts
// DeepSeek models since its native MLA support, or one whole attn_kv_b as before). With
// `tokenizer`, the metadata carries an SPM vocabulary so llama.cpp can load it.
struct test_model {
  std::string arch = "llama";
  std::uint32_t layers = 4;
  std::uint32_t embd = 256;
  std::uint32_t heads = 8;
  std::uint32_t kv_heads = 4;
  std::uint32_t ff = 512;
  std::uint32_t vocab = 1000;
  std::uint32_t type = 1;  // ggml type id of the matrices: 0 f32, 1 f16, 2 q4_0, 8 q8_0
  std::uint32_t ctx_train = 4096;
  bool tied = false;
  std::uint32_t experts = 0;  // > 0: MoE FFN (llama arch)
  std::uint32_t experts_used = 0;
  std::uint32_t sliding_window = 0;  // gemma3
  bool tokenizer = false;
  // deepseek2 only (`heads` query heads; `ff` is the dense layers' width)
  bool mla = true;                // the MLA layout (else the older whole attn_kv_b layout)
  std::uint32_t q_lora = 0;       // 0: one attn_q (DeepSeek-V2-Lite), else attn_q_a/q_b
  std::uint32_t kv_lora = 128;    // latent rank
  std::uint32_t qk_rope = 16;     // rotary part of a query/key head
  std::uint32_t qk_nope = 32;     // the rest of a query/key head
  std::uint32_t v_head = 32;      // value head
  std::uint32_t dense_lead = 1;   // leading dense layers
  std::uint32_t ff_expert = 128;  // one expert's FFN width
  std::uint32_t shared_experts = 1;
  float expert_weights_scale = 2.5F;
  std::uint32_t gating = 2;  // 1 softmax (V2), 2 sigmoid with exp_probs_b (V3)
  // mamba only: inner width 2 x embd, time-step rank embd / 16
  std::uint32_t ssm_state = 16;
  std::uint32_t ssm_conv = 4;
};
using tiny_llama = test_model;

// DeepSeek-R1's shape (61 layers: 3 dense, 58 with 256 experts of which 8 are used, one
// shared; latent rank 512, query rank 1536) in GGML type `type`, MLA layout unless `mla` is
// false.
inline test_model deepseek_r1_shape(std::uint32_t type, bool mla = true) {
  test_model r1;
  r1.arch = "deepseek2";
  r1.layers = 61;
  r1.embd = 7168;
  r1.heads = 128;
  r1.q_lora = 1536;
  r1.kv_lora = 512;
  r1.qk_rope = 64;
  r1.qk_nope = 128;
  r1.v_head = 128;
  r1.dense_lead = 3;
  r1.ff = 18432;
  r1.experts = 256;
  r1.experts_used = 8;
  r1.ff_expert = 2048;
  r1.vocab = 129280;
  r1.type = type;
  r1.ctx_train = 163840;
  r1.mla = mla;
  return r1;
}

inline std::uint32_t llama_ftype(std::uint32_t ggml_type) {
  switch (ggml_type) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return 2;
    case 8:
      return 7;
    default:
      return 1;
  }
}

struct tensor_spec {
  std::string name;
  std::vector<std::uint64_t> ne;
  std::uint32_t type;
};

// The repeating layers of a deepseek2 model (names and shapes as llama.cpp's
// llama_model::load_tensors reads them for LLM_ARCH_DEEPSEEK2).
inline void deepseek2_layer_tensors(const test_model& m, std::vector<tensor_spec>& t) {
  const std::uint64_t H = m.heads;
  const std::uint64_t qk = m.qk_nope + m.qk_rope;
  for (std::uint32_t i = 0; i < m.layers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    t.push_back({b + "attn_norm.weight", {m.embd}, 0});
    if (m.q_lora != 0) {
      t.push_back({b + "attn_q_a.weight", {m.embd, m.q_lora}, m.type});
      t.push_back({b + "attn_q_a_norm.weight", {m.q_lora}, 0});
      t.push_back({b + "attn_q_b.weight", {m.q_lora, H * qk}, m.type});
    } else {
      t.push_back({b + "attn_q.weight", {m.embd, H * qk}, m.type});
    }
    t.push_back({b + "attn_kv_a_mqa.weight", {m.embd, m.kv_lora + m.qk_rope}, m.type});
    t.push_back({b + "attn_kv_a_norm.weight", {m.kv_lora}, 0});
    if (m.mla) {
      t.push_back({b + "attn_k_b.weight", {m.qk_nope, m.kv_lora, H}, m.type});
      t.push_back({b + "attn_v_b.weight", {m.kv_lora, m.v_head, H}, m.type});
    } else {
      t.push_back({b + "attn_kv_b.weight", {m.kv_lora, H * (m.qk_nope + m.v_head)}, m.type});
    }
    t.push_back({b + "attn_output.weight", {H * m.v_head, m.embd}, m.type});
    t.push_back({b + "ffn_norm.weight", {m.embd}, 0});
    if (i < m.dense_lead) {
      t.push_back({b + "ffn_gate.weight", {m.embd, m.ff}, m.type});
      t.push_back({b + "ffn_up.weight", {m.embd, m.ff}, m.type});
      t.push_back({b + "ffn_down.weight", {m.ff, m.embd}, m.type});
      continue;
    }
    t.push_back({b + "ffn_gate_inp.weight", {m.embd, m.experts}, 0});
    if (m.gating == 2) t.push_back({b + "exp_probs_b.bias", {m.experts}, 0});
    t.push_back({b + "ffn_gate_exps.weight", {m.embd, m.ff_expert, m.experts}, m.type});
    t.push_back({b + "ffn_down_exps.weight", {m.ff_expert, m.embd, m.experts}, m.type});
    t.push_back({b + "ffn_up_exps.weight", {m.embd, m.ff_expert, m.experts}, m.type});
    const std::uint64_t fs = static_cast<std::uint64_t>(m.ff_expert) * m.shared_experts;
    if (fs != 0) {
      t.push_back({b + "ffn_gate_shexp.weight", {m.embd, fs}, m.type});
      t.push_back({b + "ffn_up_shexp.weight", {m.embd, fs}, m.type});
      t.push_back({b + "ffn_down_shexp.weight", {fs, m.embd}, m.type});
    }
  }
}

// The repeating layers of a mamba (v1) model, as llama.cpp's load_tensors reads them for
// LLM_ARCH_MAMBA: the input projection to twice the inner width, a causal convolution, the
// selective-scan projections and the output projection; no attention, no FFN.
inline void mamba_layer_tensors(const test_model& m, std::vector<tensor_spec>& t) {
  const std::uint64_t inner = 2ULL * m.embd;
  const std::uint64_t dt_rank = (m.embd + 15) / 16;
  for (std::uint32_t i = 0; i < m.layers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    t.push_back({b + "attn_norm.weight", {m.embd}, 0});
    t.push_back({b + "ssm_in.weight", {m.embd, 2 * inner}, m.type});
    t.push_back({b + "ssm_conv1d.weight", {m.ssm_conv, inner}, 0});
    t.push_back({b + "ssm_conv1d.bias", {inner}, 0});
    t.push_back({b + "ssm_x.weight", {inner, dt_rank + 2ULL * m.ssm_state}, m.type});
    t.push_back({b + "ssm_dt.weight", {dt_rank, inner}, m.type});
    t.push_back({b + "ssm_dt.bias", {inner}, 0});
    t.push_back({b + "ssm_a", {m.ssm_state, inner}, 0});
    t.push_back({b + "ssm_d", {inner}, 0});
    t.push_back({b + "ssm_out.weight", {inner, m.embd}, m.type});
  }
}

inline std::vector<tensor_spec> tiny_llama_tensors(const test_model& m) {
  const std::uint64_t head_dim = m.heads != 0 ? m.embd / m.heads : 0;
  const std::uint64_t q = head_dim * m.heads;
  const std::uint64_t kv = head_dim * m.kv_heads;
  const bool qk_norm = m.arch == "qwen3" || m.arch == "gemma3";
  std::vector<tensor_spec> t;
  t.push_back({"token_embd.weight", {m.embd, m.vocab}, m.type});
  t.push_back({"output_norm.weight", {m.embd}, 0});
  if (!m.tied) t.push_back({"output.weight", {m.embd, m.vocab}, m.type});
  if (m.arch == "deepseek2") {
    deepseek2_layer_tensors(m, t);
    return t;
  }
  if (m.arch == "mamba") {
    mamba_layer_tensors(m, t);
    return t;
  }
  for (std::uint32_t i = 0; i < m.layers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    t.push_back({b + "attn_norm.weight", {m.embd}, 0});
    t.push_back({b + "attn_q.weight", {m.embd, q}, m.type});
    t.push_back({b + "attn_k.weight", {m.embd, kv}, m.type});
    t.push_back({b + "attn_v.weight", {m.embd, kv}, m.type});
    if (m.arch == "qwen2") {
      t.push_back({b + "attn_q.bias", {q}, 0});
      t.push_back({b + "attn_k.bias", {kv}, 0});
      t.push_back({b + "attn_v.bias", {kv}, 0});
    }
    t.push_back({b + "attn_output.weight", {q, m.embd}, m.type});
    if (qk_norm) {
      t.push_back({b + "attn_q_norm.weight", {head_dim}, 0});
      t.push_back({b + "attn_k_norm.weight", {head_dim}, 0});
    }
    if (m.arch == "gemma3") t.push_back({b + "post_attention_norm.weight", {m.embd}, 0});
    t.push_back({b + "ffn_norm.weight", {m.embd}, 0});
    if (m.experts != 0) {
      t.push_back({b + "ffn_gate_inp.weight", {m.embd, m.experts}, 0});
      t.push_back({b + "ffn_gate_exps.weight", {m.embd, m.ff, m.experts}, m.type});
      t.push_back({b + "ffn_down_exps.weight", {m.ff, m.embd, m.experts}, m.type});
      t.push_back({b + "ffn_up_exps.weight", {m.embd, m.ff, m.experts}, m.type});
    } else {
      t.push_back({b + "ffn_gate.weight", {m.embd, m.ff}, m.type});
      t.push_back({b + "ffn_up.weight", {m.embd, m.ff}, m.type});
      t.push_back({b + "ffn_down.weight", {m.ff, m.embd}, m.type});
    }
    if (m.arch == "gemma3") t.push_back({b + "post_ffw_norm.weight", {m.embd}, 0});
  }
  return t;
}

inline void add_tiny_llama_metadata(gguf_builder& b, const test_model& m) {
  const std::string a = m.arch + ".";
  b.add_string("general.architecture", m.arch);
  b.add_string("general.name",
               "tiny-" + m.arch + "-L" + std::to_string(m.layers) + "-E" + std::to_string(m.embd));
  b.add_u32("general.file_type", llama_ftype(m.type));
  b.add_u32(a + "context_length", m.ctx_train);
  b.add_u32(a + "embedding_length", m.embd);
  b.add_u32(a + "block_count", m.layers);
  b.add_u32(a + "feed_forward_length", m.ff);
  b.add_u32(a + "attention.head_count", m.heads);
  if (m.arch == "deepseek2") {
    // MLA layout: one KV head of the latent plus the rope part; V is the latent.
    b.add_u32(a + "attention.head_count_kv", m.mla ? 1 : m.heads);
    b.add_u32(a + "attention.key_length", m.mla ? m.kv_lora + m.qk_rope : m.qk_nope + m.qk_rope);
    b.add_u32(a + "attention.value_length", m.mla ? m.kv_lora : m.v_head);
    if (m.mla) {
      b.add_u32(a + "attention.key_length_mla", m.qk_nope + m.qk_rope);
      b.add_u32(a + "attention.value_length_mla", m.v_head);
    }
    b.add_u32(a + "rope.dimension_count", m.qk_rope);
    if (m.q_lora != 0) b.add_u32(a + "attention.q_lora_rank", m.q_lora);
    b.add_u32(a + "attention.kv_lora_rank", m.kv_lora);
    b.add_u32(a + "leading_dense_block_count", m.dense_lead);
    b.add_u32(a + "expert_feed_forward_length", m.ff_expert);
    b.add_u32(a + "expert_shared_count", m.shared_experts);
    b.add_f32(a + "expert_weights_scale", m.expert_weights_scale);
    b.add_bool(a + "expert_weights_norm", m.gating == 2);
    b.add_u32(a + "expert_gating_func", m.gating);
  } else if (m.arch == "mamba") {
    b.add_u32(a + "attention.head_count_kv", 0);
    b.add_u32(a + "ssm.conv_kernel", m.ssm_conv);
    b.add_u32(a + "ssm.inner_size", 2 * m.embd);
    b.add_u32(a + "ssm.state_size", m.ssm_state);
    b.add_u32(a + "ssm.time_step_rank", (m.embd + 15) / 16);
  } else {
    b.add_u32(a + "attention.head_count_kv", m.kv_heads);
    b.add_u32(a + "rope.dimension_count", m.embd / m.heads);
  }
  b.add_f32(a + "rope.freq_base", 10000.0F);
  b.add_f32(a + "attention.layer_norm_rms_epsilon", 1e-5F);
  b.add_u32(a + "vocab_size", m.vocab);
  if (m.arch == "gemma3") {
    b.add_u32(a + "attention.key_length", m.embd / m.heads);
    b.add_u32(a + "attention.value_length", m.embd / m.heads);
    if (m.sliding_window != 0) b.add_u32(a + "attention.sliding_window", m.sliding_window);
  }
  if (m.experts != 0) {
    b.add_u32(a + "expert_count", m.experts);
    b.add_u32(a + "expert_used_count", m.experts_used);
  }
  b.add_string("tokenizer.ggml.model", "llama");
  if (m.tokenizer) {
    // An SPM vocabulary: three specials, the 256 byte tokens, then filler pieces.
    std::vector<std::string> tokens{"<unk>", "<s>", "</s>"};
    std::vector<float> scores;
    std::vector<std::int32_t> types{2, 3, 3};
    static constexpr char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 256; ++i) {
      tokens.push_back(std::string("<0x") + hex[i >> 4] + hex[i & 15] + ">");
      types.push_back(6);
    }
    for (std::uint32_t i = 0; tokens.size() < m.vocab; ++i) {
      tokens.push_back("\xe2\x96\x81t" + std::to_string(i));
      types.push_back(1);
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) scores.push_back(-static_cast<float>(i));
    b.add_strings("tokenizer.ggml.tokens", tokens);
    b.add_array<float>("tokenizer.ggml.scores", gguf_type::float32, scores);
    b.add_array<std::int32_t>("tokenizer.ggml.token_type", gguf_type::int32, types);
    b.add_u32("tokenizer.ggml.bos_token_id", 1);
    b.add_u32("tokenizer.ggml.eos_token_id", 2);
    b.add_u32("tokenizer.ggml.unknown_token_id", 0);
    b.add_bool("tokenizer.ggml.add_bos_token", true);
  }
}

// Writes `header` and then `data_size` zero bytes (sparse) to `path`.
inline void write_gguf_file(const std::string& path, const gguf_builder& b) {
  const auto header = b.header();
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(header.data()),
            static_cast<std::streamsize>(header.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
  }
  if (::truncate(path.c_str(), static_cast<off_t>(header.size() + b.data_size())) != 0) {
    throw std::runtime_error("cannot size " + path);
  }
}

// One GGUF file; returns its path.
inline std::string write_tiny_llama(const std::string& path, const test_model& m) {
  gguf_builder b;
  add_tiny_llama_metadata(b, m);
  for (const auto& t : tiny_llama_tensors(m)) b.add_tensor(t.name, t.ne, t.type);
  write_gguf_file(path, b);
  return path;
}

// A split set like llama-gguf-split writes: metadata in shard 1, split.* keys in every shard.
// `prefix` is the path without "-0000k-of-0000n.gguf". Returns the shard paths.
inline std::vector<std::string> write_tiny_llama_split(const std::string& prefix,
                                                       const tiny_llama& m, std::uint32_t n) {
  const auto tensors = tiny_llama_tensors(m);
  const std::size_t per = (tensors.size() + n - 1) / n;
  std::vector<std::string> paths;
  for (std::uint32_t i = 0; i < n; ++i) {
    gguf_builder b;
    if (i == 0) add_tiny_llama_metadata(b, m);
    b.add_u16("split.no", static_cast<std::uint16_t>(i));
    b.add_u16("split.count", static_cast<std::uint16_t>(n));
    b.add_i32("split.tensors.count", static_cast<std::int32_t>(tensors.size()));
    for (std::size_t k = i * per; k < std::min(tensors.size(), (i + 1) * per); ++k) {
      b.add_tensor(tensors[k].name, tensors[k].ne, tensors[k].type);
    }
    const auto dir_end = prefix.rfind('/');
    const std::string stem = prefix.substr(dir_end + 1);
    const std::string path =
        prefix.substr(0, dir_end + 1) + make_shard_name(stem, i + 1, n, "gguf");
    write_gguf_file(path, b);
    paths.push_back(path);
  }
  return paths;
}

struct st_tensor {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t bytes;
};

// A safetensors file with the given tensors laid out in order (data: a repeating byte pattern
// derived from each tensor's index, so copies can be checked byte for byte).
inline std::string write_safetensors(
    const std::string& path, const std::vector<st_tensor>& tensors,
    const std::vector<std::pair<std::string, std::string>>& meta = {}, bool fill = true) {
  std::string json = "{";
  if (!meta.empty()) {
    json += "\"__metadata__\":{";
    for (std::size_t i = 0; i < meta.size(); ++i) {
      json += (i ? "," : "") + ("\"" + meta[i].first + "\":\"" + meta[i].second + "\"");
    }
    json += "}";
  }
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    if (json.size() > 1) json += ",";
    json += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d)
      json += (d ? "," : "") + std::to_string(t.shape[d]);
    json +=
        "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + t.bytes) + "]}";
    off += t.bytes;
  }
  json += "}";
  while (json.size() % 8 != 0) json += ' ';
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  std::uint64_t n = json.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  f.write(len, 8);
  f.write(json.data(), static_cast<std::streamsize>(json.size()));
  if (fill) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      std::string block(static_cast<std::size_t>(tensors[i].bytes),
                        static_cast<char>('a' + i % 26));
      f.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  f.close();
  if (!fill && ::truncate(path.c_str(), static_cast<off_t>(8 + n + off)) != 0) {
    throw std::runtime_error("cannot size " + path);
  }
  return path;
}

}  // namespace shardfit::test
