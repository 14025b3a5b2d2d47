#pragma once

// The bodies of <shardfit/formats/read_hf_config.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/read_hf_config.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE const json_value* config_object::raw(std::string_view key) const {
  const json_value* v = obj_ != nullptr ? obj_->get(key) : nullptr;
  return v != nullptr && !v->is_null() ? v : nullptr;  // null means absent
}

SHARDFIT_INLINE std::optional<std::uint64_t> config_object::u64(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_u64()) wrong(key, *v, "a non-negative integer");
  return v->u64();
}

SHARDFIT_INLINE std::optional<std::uint64_t> config_object::u64_any(
    std::initializer_list<std::string_view> keys) const {
  for (const auto k : keys) {
    if (auto v = u64(k)) return v;
  }
  return std::nullopt;
}

SHARDFIT_INLINE std::uint32_t config_object::u32(std::string_view key,
                                                 std::uint32_t fallback) const {
  const auto v = u64(key);
  if (!v) return fallback;
  if (*v > 0xFFFFFFFFULL) wrong(key, *raw(key), "an integer below 2^32");
  return static_cast<std::uint32_t>(*v);
}

SHARDFIT_INLINE std::uint32_t config_object::u32_any(
    std::initializer_list<std::string_view> keys) const {
  for (const auto k : keys) {
    if (raw(k) != nullptr) return u32(k);
  }
  return 0;
}

SHARDFIT_INLINE std::optional<std::string> config_object::string(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) wrong(key, *v, "a string");
  return v->text();
}

SHARDFIT_INLINE std::optional<bool> config_object::boolean(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) wrong(key, *v, "a boolean");
  return v->boolean();
}

SHARDFIT_INLINE std::optional<double> config_object::number(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_number()) wrong(key, *v, "a number");
  return v->number();
}

SHARDFIT_INLINE const json_value* config_object::object(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) wrong(key, *v, "an object");
  return v;
}

SHARDFIT_INLINE const json_value* config_object::array(std::string_view key) const {
  const json_value* v = raw(key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) wrong(key, *v, "an array");
  return v;
}

SHARDFIT_INLINE config_object config_object::child(std::string_view key) const {
  return {object(key), prefix_ + std::string(key) + ".", path_};
}

SHARDFIT_INLINE void config_object::wrong(std::string_view key, const json_value& v,
                                          std::string_view want) const {
  throw error::format(path_, "at offset " + std::to_string(v.offset()) + ": key '" + prefix_ +
                                 std::string(key) + "' must be " + std::string(want) + ", not " +
                                 std::string(to_string(v.type())));
}

SHARDFIT_INLINE void read_quantization(const config_object& q, hf_config& c) {
  hf_quantization out;
  out.method = q.string("quant_method").value_or("");
  out.bits = q.u32_any({"bits", "num_bits", "w_bit"});
  if (const json_value* g = q.raw("group_size");
      g != nullptr && g->is_number() && g->number() < 0) {
    out.group_size = 0;  // -1: per-channel
  } else {
    out.group_size = q.u32_any({"group_size", "q_group_size"});
  }
  if (const json_value* b = q.array("weight_block_size")) {
    for (const auto& e : b->items()) {
      if (!e.is_u64()) q.wrong("weight_block_size", e, "an array of integers");
      out.weight_block_size.push_back(static_cast<std::uint32_t>(e.u64()));
    }
  }
  out.format = q.string("fmt").value_or(q.string("format").value_or(""));
  // compressed-tensors keeps bits and group size in config_groups.<name>.weights
  if (const json_value* groups = q.object("config_groups")) {
    for (const auto& [name, group] : groups->members()) {
      const json_value* w = group.get("weights");
      if (w == nullptr || !w->is_object()) continue;
      if (const json_value* nb = w->get("num_bits");
          nb != nullptr && nb->is_u64() && out.bits == 0) {
        out.bits = static_cast<std::uint32_t>(nb->u64());
      }
      if (const json_value* gs = w->get("group_size");
          gs != nullptr && gs->is_u64() && out.group_size == 0) {
        out.group_size = static_cast<std::uint32_t>(gs->u64());
      }
      break;
    }
  }
  c.quantization = std::move(out);
}

SHARDFIT_INLINE std::uint32_t default_vocab_size(std::string_view type) {
  struct entry {
    std::string_view type;
    std::uint32_t vocab;
  };
  constexpr entry table[] = {{"gemma3_text", 262208},
                             {"gemma3", 262208},
                             {"llama4_text", 202048},
                             {"mllama_text_model", 128256},
                             {"qwen2_5_vl_text", 152064},
                             {"qwen2_vl_text", 152064},
                             {"qwen2_5_vl", 152064},
                             {"qwen2_vl", 152064},
                             {"llama", 32000},
                             {"mistral", 32000}};
  for (const auto& e : table) {
    if (e.type == type) return e.vocab;
  }
  return 0;
}

SHARDFIT_INLINE std::string format_factor(double f) {
  if (f == static_cast<double>(static_cast<std::uint64_t>(f))) {
    return std::to_string(static_cast<std::uint64_t>(f));
  }
  std::string out = std::to_string(f);
  while (!out.empty() && out.back() == '0') out.pop_back();
  return out;
}

SHARDFIT_INLINE void read_language_model(const config_object& t, const config_object& top,
                                         hf_config& c) {
  c.model_type = t.string("model_type").value_or(top.string("model_type").value_or(""));
  c.num_hidden_layers = t.u32_any({"num_hidden_layers", "n_layer", "num_layers", "n_layers"});
  c.hidden_size = t.u32_any({"hidden_size", "n_embd", "d_model"});
  c.num_attention_heads = t.u32_any({"num_attention_heads", "n_head", "num_heads", "n_heads"});
  c.num_key_value_heads =
      t.u32_any({"num_key_value_heads", "num_kv_heads", "n_kv_heads", "multi_query_group_num"});
  if (c.num_key_value_heads == 0) c.num_key_value_heads = c.num_attention_heads;
  c.head_dim = t.u32("head_dim");
  if (c.head_dim == 0 && c.num_attention_heads != 0)
    c.head_dim = c.hidden_size / c.num_attention_heads;
  c.intermediate_size = t.u32_any({"intermediate_size", "ffn_hidden_size", "n_inner"});
  c.vocab_size = t.u32_any({"vocab_size", "padded_vocab_size"});
  if (c.vocab_size == 0) c.vocab_size = top.u32("vocab_size");
  // Neither: the text config class's default, so the vocabulary still counts (transformers'
  // Gemma3TextConfig, Llama4TextConfig, MllamaTextConfig, Qwen2_5_VLTextConfig, LlamaConfig).
  if (c.vocab_size == 0) c.vocab_size = default_vocab_size(c.model_type);
  if (const auto tied = t.boolean("tie_word_embeddings")) {
    c.tie_word_embeddings = *tied;
  } else if (const auto top_tied = top.boolean("tie_word_embeddings")) {
    c.tie_word_embeddings = *top_tied;
  } else {
    // Absent: the model class's default, which ties the head for the Gemma family.
    c.tie_word_embeddings = c.model_type.rfind("gemma", 0) == 0;
  }
  c.max_position_embeddings =
      t.u64_any({"max_position_embeddings", "max_sequence_length", "seq_length", "n_positions"})
          .value_or(0);
  // vLLM's derived maximum length: the least of the length keys present.
  {
    std::uint64_t best = 0;
    for (const std::string_view k :
         {"max_position_embeddings", "n_positions", "max_seq_len", "seq_length",
          "max_target_positions", "max_sequence_length", "max_seq_length", "seq_len"}) {
      if (const auto v = t.u64(k); v && *v != 0 && (best == 0 || *v < best)) {
        best = *v;
        c.vllm_max_len_key = std::string(k);
      }
    }
    if (const auto v = t.u64("model_max_length"); v && *v != 0) {
      best = *v;
      c.vllm_max_len_key = "model_max_length";
    }
    const detail::config_object rope =
        t.object("rope_scaling") != nullptr ? t.child("rope_scaling") : t.child("rope_parameters");
    const bool gemma3 = c.model_type.rfind("gemma3", 0) == 0;
    if (best != 0 && rope.present() && !gemma3) {
      const std::string type = rope.string("rope_type").value_or(rope.string("type").value_or(""));
      const double factor = rope.number("factor").value_or(1.0);
      if ((type == "linear" || type == "dynamic" || type == "yarn") && factor > 1.0 &&
          factor < 1e6) {
        std::uint64_t base = best;
        if (type == "yarn") {
          if (const auto orig = rope.u64("original_max_position_embeddings"); orig && *orig != 0) {
            base = *orig;
            c.vllm_max_len_key = rope.prefix() + "original_max_position_embeddings";
          }
        }
        best = static_cast<std::uint64_t>(static_cast<double>(base) * factor);
        c.vllm_max_len_key += " x " + rope.prefix() + "factor " + format_factor(factor);
      }
    }
    c.vllm_max_len = best;
  }
  c.torch_dtype = t.string("torch_dtype")
                      .value_or(t.string("dtype").value_or(
                          top.string("torch_dtype").value_or(top.string("dtype").value_or(""))));

  c.num_experts =
      t.u32_any({"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"});
  c.experts_per_token =
      t.u32_any({"num_experts_per_tok", "num_experts_per_token", "moe_topk", "moe_k", "top_k"});
  c.moe_intermediate_size = t.u32_any({"moe_intermediate_size", "expert_intermediate_size"});
  if (c.num_experts != 0 && c.moe_intermediate_size == 0)
    c.moe_intermediate_size = c.intermediate_size;
  c.shared_experts =
      t.u32_any({"n_shared_experts", "num_shared_experts", "moe_num_shared_experts"});
  c.shared_expert_intermediate_size = t.u32("shared_expert_intermediate_size");
  if (c.shared_expert_intermediate_size != 0 && c.shared_experts == 0) c.shared_experts = 1;
  c.first_dense_layers =
      t.u32_any({"first_k_dense_replace", "first_dense_layers", "moe_layer_start_index"});
  c.mtp_layers = t.u32_any({"num_nextn_predict_layers", "num_mtp_layers"});
  c.moe_layer_step = std::max<std::uint32_t>(1, t.u32("interleave_moe_layer_step", 1));
  c.dense_intermediate_size = t.u32("intermediate_size_mlp");
  // Llama 4's MoE layers carry one shared expert of the experts' width (transformers'
  // Llama4TextMoe: `shared_expert`), which its config does not state.
  if (c.model_type == "llama4_text" && c.num_experts != 0 && c.shared_experts == 0) {
    c.shared_experts = 1;
  }
  // The router's extras (DeepSeek-V3): a per-expert selection bias (noaux_tc), normalized and
  // scaled weights of the chosen experts.
  c.expert_selection_bias = t.string("topk_method").value_or("") == "noaux_tc";
  c.norm_topk_prob = t.boolean("norm_topk_prob").value_or(false);
  c.routed_scaling_factor = t.number("routed_scaling_factor").value_or(0.0);

  c.ssm_groups = t.u32_any({"n_groups", "mamba_n_groups"});
  c.q_lora_rank = t.u32("q_lora_rank");
  c.kv_lora_rank = t.u32("kv_lora_rank");
  c.qk_rope_head_dim = t.u32("qk_rope_head_dim");
  c.qk_nope_head_dim = t.u32("qk_nope_head_dim");
  c.v_head_dim = t.u32("v_head_dim");
  if (c.is_mla() && c.qk_nope_head_dim + c.qk_rope_head_dim != 0) {
    c.head_dim = c.qk_nope_head_dim + c.qk_rope_head_dim;
  }

  // Sliding window: per-layer "layer_types" when given, else a pattern, else every layer.
  c.sliding_window = t.u32("sliding_window");
  const bool disabled = t.boolean("use_sliding_window") == std::optional<bool>(false);
  if (const json_value* types = t.array("layer_types")) {
    for (const auto& e : types->items()) {
      if (!e.is_string()) t.wrong("layer_types", e, "an array of strings");
      c.sliding_layers.push_back(e.text() == "sliding_attention" ||
                                 e.text() == "chunked_attention");
    }
  } else if (c.sliding_window != 0 && !disabled) {
    // Without a pattern, the model type's (every n-th layer global); for a type not known here,
    // full attention on every layer: an over-estimate of the KV cache, never an under-estimate.
    const bool given = t.raw("sliding_window_pattern") != nullptr;
    const std::uint32_t pattern =
        given ? t.u32("sliding_window_pattern") : default_sliding_pattern(c.model_type);
    c.sliding_layers.resize(c.num_hidden_layers);
    for (std::uint32_t i = 0; i < c.num_hidden_layers; ++i) {
      c.sliding_layers[i] = given ? (pattern == 0 || (i + 1) % pattern != 0)
                                  : (pattern != 0 && (i + 1) % pattern != 0);
    }
  }
  if (disabled) c.sliding_window = 0;
}

}  // namespace detail

SHARDFIT_INLINE hf_config parse_hf_config(std::string_view text, const std::string& path) {
  const auto root = detail::json_value::parse(text, path, 200'000, 32);
  if (!root.is_object()) throw error::format(path, "at offset 0: config.json must be an object");
  const detail::config_object top(&root, "", path);
  hf_config c;
  if (const detail::json_value* a = top.array("architectures")) {
    for (const auto& e : a->items()) {
      if (!e.is_string()) top.wrong("architectures", e, "an array of strings");
      c.architectures.push_back(e.text());
    }
  }
  // The language model of a multimodal config lives in text_config (gemma-3, Llama 4, newer
  // Qwen-VL) or llm_config (InternVL); text-only configs and Qwen2.5-VL keep it at the top.
  detail::config_object lm = top;
  if (top.object("text_config") != nullptr) {
    lm = top.child("text_config");
  } else if (top.object("llm_config") != nullptr) {
    lm = top.child("llm_config");
  }
  detail::read_language_model(lm, top, c);
  if (const detail::config_object v = top.child("vision_config"); v.present()) {
    c.vision_layers = v.u32_any({"num_hidden_layers", "depth", "num_layers"});
    c.vision_hidden_size = v.u32_any({"hidden_size", "embed_dim", "width"});
    c.vision_heads = v.u32_any({"num_attention_heads", "num_heads", "heads", "attention_heads"});
    c.vision_intermediate = v.u32_any({"intermediate_size", "mlp_dim", "ffn_dim"});
    if (c.vision_intermediate == 0 && c.vision_hidden_size != 0) {
      if (const auto ratio = v.number("mlp_ratio"); ratio && *ratio > 0 && *ratio < 1024) {
        c.vision_intermediate =
            static_cast<std::uint32_t>(static_cast<double>(c.vision_hidden_size) * *ratio);
      }
    }
    c.vision_type = v.string("model_type").value_or("");
    c.vision_projection = v.u32_any({"out_hidden_size", "projection_dim", "projector_output_dim"});
    if (c.vision_projection == 0) c.vision_projection = c.hidden_size;
  }
  c.top_model_type = top.string("model_type").value_or("");
  const detail::config_object q = lm.object("quantization_config") != nullptr
                                      ? lm.child("quantization_config")
                                      : top.child("quantization_config");
  if (q.present()) detail::read_quantization(q, c);
  if (c.num_hidden_layers == 0)
    throw error::format(path, "no num_hidden_layers: not a model config");
  if (c.hidden_size == 0 || c.num_attention_heads == 0) {
    throw error::format(path, "needs hidden_size and num_attention_heads");
  }
  return c;
}

}  // namespace shardfit
