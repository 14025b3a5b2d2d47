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
/// - activation peak: `max_num_batched_tokens × hidden × dtype × 18` plus the sampler of the
///   profile run (gpu_model_runner.py `_dummy_sampler_run`, on the last pipeline stage) over
///   B = min(max_num_seqs, max_num_batched_tokens) rows of the vocabulary in fp32 (U bytes):
///   the logits once before 0.8 (V0); the PyTorch top-k/top-p sampler's sort 9.5 U (12.5 U
///   under 128 rows) from 0.8; the Triton top-k/top-p kernel 3.6 U from 0.17. 18 hidden-sized
///   buffers per token reproduces the 1.26 GiB vLLM logged for Llama-3-8B at TP 1 and TP 2
///   (PR #10511), which does not shrink with TP.
/// - batch defaults (`max_num_seqs` / `max_num_batched_tokens` of 0): 1024 / 8192 on GPUs of
///   70 GiB or more that are not A100s, else 256 / 2048 (arg_utils.py, get_batch_defaults,
///   0.9 on); an unknown GPU gets the larger (more activation, the safe side).
/// - non-torch memory: 0.25 GiB (NCCL, cuBLAS workspaces; vLLM logs 0.13–0.25 GiB). Before
///   0.11 the memory snapshot was taken before NCCL started, so with TP its buffers counted
///   against the budget too: 0.42 GiB more (0.55 GiB logged at TP 2).
/// - CUDA graphs: 0.5 GiB unless `enforce_eager`; subtracted from the KV budget since 0.21
///   (estimated before the KV cache is sized), taken from the (1 − utilization) headroom before.
/// - MXFP4 experts (gpt-oss): vLLM pads each rank's expert matrices for its kernel
///   (quantization/mxfp4.py): intermediate to 64 (Triton, Hopper), 128 (Marlin, Ampere and
///   Ada) or 256 (FlashInfer, Blackwell and AMD; also an unknown GPU), hidden to 256.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE double kv_dtype_bytes(const std::string& kv_dtype, double model_bytes);

SHARDFIT_INLINE bool vllm_before(std::uint32_t version, std::uint32_t release);

SHARDFIT_INLINE std::string lowercase(std::string s);

SHARDFIT_INLINE bool name_has(const std::string& lower_name,
                              std::initializer_list<const char*> parts);

// What MXFP4 experts' per-rank intermediate size is padded to, by the kernel vLLM picks for
// the GPU.
SHARDFIT_INLINE std::uint64_t mxfp4_intermediate_alignment(const std::string& gpu_name);

SHARDFIT_INLINE std::uint64_t round_up(std::uint64_t v, std::uint64_t a);

// Bytes per parameter of the model's unquantized tensors (norms, replicated projections).
SHARDFIT_INLINE double activation_bytes(const model_profile& m);

}  // namespace detail

/// @brief Whether `vllm serve` takes its larger batch defaults (1024 sequences, 8192 tokens)
/// on this GPU: 70 GiB or more and not an A100 (vllm/engine/arg_utils.py, get_batch_defaults).
[[nodiscard]] SHARDFIT_INLINE bool vllm_large_gpu_defaults(const std::string& name, bytes total);

/// @brief `max_num_seqs` and `max_num_batched_tokens` as vLLM runs them: the settings' where
/// set, else `vllm serve`'s defaults, 1024 / 8192 on a large GPU and 256 / 2048 otherwise
/// (0.9 on; before, 256 / 8192 everywhere).
struct vllm_batch {
  std::uint32_t seqs = 0;
  std::uint32_t tokens = 0;
};
[[nodiscard]] SHARDFIT_INLINE vllm_batch vllm_batch_defaults(const vllm_settings& s,
                                                             bool large_gpu);

/// @brief Estimates vLLM's memory per GPU for `m` under `s`; `gpu_total` is one GPU's total
/// memory (0 when unknown: then only the requirement and the minimum GPU size are given).
/// @throws shardfit::error for settings vLLM refuses outright (utilization outside (0, 1],
/// unknown KV dtype); an invalid parallel layout is reported in `parallel`, not thrown.
[[nodiscard]] SHARDFIT_INLINE vllm_estimate estimate_vllm(const model_profile& m,
                                                          const vllm_settings& s,
                                                          bytes gpu_total = bytes{});

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/vllm-inl.hpp>
#endif
