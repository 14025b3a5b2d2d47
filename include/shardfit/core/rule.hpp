#pragma once

/// @file
/// @brief `rule_id`: every rule by which shardfit rejects a layout or a candidate, with a stable
/// string id for JSON and logs ("fit.vram", "tp.attention_heads").
///
/// A scheduler branches on the enum; the string ids never change meaning once published (new
/// rules get new ids). `rule_info(id)` tells what each rule checks, and which engine code it
/// follows.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace shardfit {

/// @brief Why a candidate or a parallel layout was rejected.
enum class rule_id : std::uint8_t {
  // Memory and placement (the planners).
  fit_vram,            ///< "fit.vram": the GPUs' free memory cannot hold what is placed there
  fit_ram,             ///< "fit.ram": the worker's free RAM cannot hold what stays on the CPU
  layer_min,           ///< "layer.min": a GPU or worker cannot hold even one layer
  gpu_layers,          ///< "gpu_layers": the requested number of GPU layers cannot be met
  disk_space,          ///< "disk.space": the worker cannot store the weights it reads
  devices_max,         ///< "devices.max": more devices than llama.cpp supports (16 with CPU)
  rpc_max,             ///< "rpc.max": more RPC servers than the request allows
  manual_distributed,  ///< "manual.distributed": a manual selection spans workers it may not
  manual_layout,       ///< "manual.layout": a manual selection that no layout can use
  pp_equal_gpus,       ///< "pp.equal_gpus": vLLM stages on workers with different GPU counts
  filter,              ///< "filter": a filter policy refused the worker or GPU
  vllm_gguf_split,     ///< "vllm.gguf_split": vLLM cannot load a split GGUF
  // Tensor, pipeline and expert parallelism (the engines' own checks).
  tp_attention_heads,      ///< "tp.attention_heads": heads not divisible by tp
  tp_kv_heads,             ///< "tp.kv_heads": KV heads neither divisible by tp nor dividing it
  tp_vocab,                ///< "tp.vocab": padded vocabulary not divisible by tp
  tp_intermediate,         ///< "tp.intermediate": FFN width not divisible by tp
  tp_moe_intermediate,     ///< "tp.moe_intermediate": expert FFN width not divisible by tp
  tp_quant_block,          ///< "tp.quant_block": a shard not a whole number of quant blocks
  tp_quant_group,          ///< "tp.quant_group": a shard not a whole number of quant groups
  tp_moe_wna16,            ///< "tp.moe_wna16": quantized experts no MoE kernel can split
  tp_ssm_groups,           ///< "tp.ssm_groups": Mamba groups not divisible by tp
  tp_vision_heads,         ///< "tp.vision_heads": vision tower heads not divisible by tp
  tp_vision_intermediate,  ///< "tp.vision_intermediate": vision MLP width not divisible by tp
  ep_experts,              ///< "ep.experts": experts not divisible by the expert-parallel size
  pp_layers,               ///< "pp.layers": more pipeline stages than layers
  pp_unsupported,          ///< "pp.unsupported": the architecture has no pipeline support
  vllm_removed,            ///< "vllm.removed": a model vLLM no longer supports
};

/// @brief A rule's id and what it checks.
struct rule_description {
  rule_id id;
  std::string_view name;  ///< the stable string id, e.g. "tp.attention_heads"
  std::string_view what;  ///< one line for people
};

/// @brief Every rule, in enum order.
inline constexpr std::array<rule_description, 27> all_rules{{
    {rule_id::fit_vram, "fit.vram", "the GPUs' free memory cannot hold what is placed there"},
    {rule_id::fit_ram, "fit.ram", "the worker's free RAM cannot hold what stays on the CPU"},
    {rule_id::layer_min, "layer.min", "a GPU or worker cannot hold even one layer"},
    {rule_id::gpu_layers, "gpu_layers", "the requested number of GPU layers cannot be met"},
    {rule_id::disk_space, "disk.space", "the worker cannot store the weights it reads"},
    {rule_id::devices_max, "devices.max", "more devices than llama.cpp supports"},
    {rule_id::rpc_max, "rpc.max", "more RPC servers than the request allows"},
    {rule_id::manual_distributed, "manual.distributed",
     "a manual GPU selection spans workers the request keeps apart"},
    {rule_id::manual_layout, "manual.layout", "no parallel layout can use the manual selection"},
    {rule_id::pp_equal_gpus, "pp.equal_gpus", "vLLM pipeline stages need equal GPU counts"},
    {rule_id::filter, "filter", "a filter policy refused the worker or GPU"},
    {rule_id::vllm_gguf_split, "vllm.gguf_split", "vLLM cannot load a split GGUF"},
    {rule_id::tp_attention_heads, "tp.attention_heads",
     "attention heads not divisible by the tensor parallel size"},
    {rule_id::tp_kv_heads, "tp.kv_heads",
     "KV heads neither divisible by the tensor parallel size nor dividing it"},
    {rule_id::tp_vocab, "tp.vocab", "padded vocabulary not divisible by the tensor parallel size"},
    {rule_id::tp_intermediate, "tp.intermediate",
     "FFN width not divisible by the tensor parallel size"},
    {rule_id::tp_moe_intermediate, "tp.moe_intermediate",
     "expert FFN width not divisible by the tensor parallel size"},
    {rule_id::tp_quant_block, "tp.quant_block",
     "a tensor parallel shard is not a whole number of quantization blocks"},
    {rule_id::tp_quant_group, "tp.quant_group",
     "a tensor parallel shard is not a whole number of quantization groups"},
    {rule_id::tp_moe_wna16, "tp.moe_wna16",
     "GPTQ/AWQ experts whose shards neither Marlin nor moe_wna16 can take"},
    {rule_id::tp_ssm_groups, "tp.ssm_groups",
     "Mamba groups not divisible by the tensor parallel size"},
    {rule_id::tp_vision_heads, "tp.vision_heads",
     "vision tower heads not divisible by the tensor parallel size"},
    {rule_id::tp_vision_intermediate, "tp.vision_intermediate",
     "vision tower MLP width not divisible by the tensor parallel size"},
    {rule_id::ep_experts, "ep.experts", "experts not divisible by the expert parallel size"},
    {rule_id::pp_layers, "pp.layers", "more pipeline stages than layers"},
    {rule_id::pp_unsupported, "pp.unsupported",
     "the architecture has no pipeline parallel support"},
    {rule_id::vllm_removed, "vllm.removed", "a model vLLM no longer supports"},
}};

namespace detail {
constexpr bool rules_in_enum_order() noexcept {
  for (std::size_t i = 0; i < all_rules.size(); ++i) {
    if (static_cast<std::size_t>(all_rules[i].id) != i) return false;
  }
  return static_cast<std::size_t>(rule_id::vllm_removed) + 1 == all_rules.size();
}
static_assert(rules_in_enum_order(), "all_rules lists every rule_id once, in enum order");
}  // namespace detail

/// @brief The stable string id of a rule ("fit.vram"); "unknown" for a value outside the enum.
[[nodiscard]] constexpr std::string_view to_string(rule_id r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < all_rules.size() ? all_rules[i].name : std::string_view{"unknown"};
}

/// @brief The rule with string id `name`, if there is one.
[[nodiscard]] constexpr std::optional<rule_id> parse_rule(std::string_view name) noexcept {
  for (const auto& r : all_rules) {
    if (r.name == name) return r.id;
  }
  return std::nullopt;
}

}  // namespace shardfit
