#pragma once

/// @file
/// @brief Tensor-, pipeline- and expert-parallel rules of the serving engines (vLLM, SGLang):
/// every rule an engine enforces when it shards a model, as a named check with a reason in
/// numbers; the valid degrees for a model; the nearest valid choices for an invalid wish; and
/// the layers each pipeline stage gets. Facts from vLLM's model loaders and parallel layers
/// (QKVParallelLinear, VocabParallelEmbedding, FusedMoE, Fp8/GPTQ/Marlin linear methods,
/// get_pp_indices) and SGLang's equivalents; no code of theirs.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
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
[[nodiscard]] SHARDFIT_INLINE std::vector<std::uint32_t> pipeline_stages(std::uint32_t layers,
                                                                         std::uint32_t pp,
                                                                         serving_engine engine);

namespace detail {

SHARDFIT_INLINE std::string n(std::uint64_t v);

// vLLM's InternViT (model_executor/models/intern_vit.py, InternParallelAttention) builds the
// attention unsharded on every rank when its heads (plus NVLM-D's dummy heads) do not divide
// the tensor parallel size, instead of failing; its MLP is still split.
SHARDFIT_INLINE bool vision_attention_replicates(const model_profile& m);

// Models whose vision tower vLLM replicates per rank under `--mm-encoder-tp-mode data`
// (`supports_encoder_tp_data`); the others fall back to sharding it, with a warning.
SHARDFIT_INLINE bool supports_encoder_data(const model_profile& m);

// Whether vLLM's sharded vision tower applies: the tower's rules hold unless it is replicated.
SHARDFIT_INLINE bool vision_sharded(const model_profile& m, const parallel_plan& plan);

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
[[nodiscard]] SHARDFIT_INLINE parallel_check check_parallel(const model_profile& m,
                                                            const parallel_plan& plan);

/// @brief Every tensor parallel degree from 1 to `max_tp` that the engine accepts for `m`.
[[nodiscard]] SHARDFIT_INLINE std::vector<std::uint32_t> valid_tensor_parallel(
    const model_profile& m, std::uint32_t max_tp = 64, bool ep = false,
    serving_engine engine = serving_engine::vllm);

/// @brief The nearest valid layouts for `gpus` GPUs: those using exactly `gpus` (tensor
/// parallel as wide as possible), and the valid tensor-parallel-only layouts just below and
/// just above, nearest first.
///
/// Example: gemma-3-27b (32 heads) for 3 GPUs: {tp 1, pp 3}, {tp 2, pp 1}, {tp 4, pp 1}.
[[nodiscard]] SHARDFIT_INLINE std::vector<parallel_choice> suggest_parallel(
    const model_profile& m, std::uint32_t gpus, bool ep = false,
    serving_engine engine = serving_engine::vllm);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/parallelism-inl.hpp>
#endif
