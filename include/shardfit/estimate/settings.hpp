#pragma once

/// @file
/// @brief What the estimators are asked and what they answer, as plain data: the serving engine,
/// llama.cpp's run settings, devices and per-device estimates; vLLM's settings and per-stage
/// estimates; a parallel layout and its verdict. The estimators (`llama.hpp`, `vllm.hpp`,
/// `parallelism.hpp`) fill them.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief A serving engine: the one a plan or an estimate is for, and whose parallelism rules
/// apply (llama.cpp has no tensor-parallel rules; vLLM and SGLang do). One enum for both uses;
/// `backend` names it where a plan's engine is meant.
enum class serving_engine : std::uint8_t { llama_cpp, vllm, sglang };

/// @brief The engine a plan is for (llama.cpp or vLLM): the same enum as `serving_engine`.
using backend = serving_engine;

/// @brief "llama.cpp", "vllm" or "sglang".
[[nodiscard]] constexpr std::string_view to_string(serving_engine e) noexcept {
  switch (e) {
    case serving_engine::llama_cpp:
      return "llama.cpp";
    case serving_engine::vllm:
      return "vllm";
    case serving_engine::sglang:
      return "sglang";
  }
  return "llama.cpp";
}

/// @brief A plan's engine: "llama.cpp" (also "llama", "llamacpp", "llama-cpp") or "vllm";
/// nothing otherwise (the planner does not plan for SGLang).
[[nodiscard]] SHARDFIT_INLINE std::optional<backend> parse_backend(std::string_view text) noexcept;

/// @brief A parallel layout to check.
struct parallel_plan {
  std::uint32_t tp = 1;  ///< tensor parallel degree
  std::uint32_t pp = 1;  ///< pipeline parallel degree
  bool ep = false;       ///< expert parallel (experts spread over the TP ranks)
  serving_engine engine = serving_engine::vllm;
  /// vLLM's `--mm-encoder-tp-mode data`: the vision tower replicated on every rank (its rules
  /// do not apply) where the model supports it.
  bool mm_encoder_data = false;
  std::uint32_t version = 0;  ///< the vLLM release (minor x 100 + patch); 0: current
};

/// @brief The verdict on a layout: every rule it breaks, with numbers, and what it implies.
struct parallel_check {
  bool valid = true;
  std::vector<reason> reasons;              ///< broken rules (empty when valid)
  std::vector<std::uint32_t> stage_layers;  ///< layers per pipeline stage, as the engine splits
  std::uint32_t kv_heads_per_rank = 0;      ///< KV heads each TP rank holds
  std::uint32_t kv_head_replicas = 1;       ///< copies of each KV head across the ranks
};

/// @brief A suggested layout.
struct parallel_choice {
  std::uint32_t tp = 1;
  std::uint32_t pp = 1;
  std::uint32_t gpus = 1;

  friend bool operator==(const parallel_choice&, const parallel_choice&) = default;
};

/// @brief Flash attention: llama.cpp's `--flash-attn auto|on|off` (auto enables it wherever the
/// backends support it, which this estimator assumes).
enum class flash_attn_mode : std::uint8_t { automatic, on, off };

/// @brief "auto", "on" or "off", as llama.cpp's `--flash-attn` takes them.
[[nodiscard]] constexpr std::string_view to_string(flash_attn_mode m) noexcept {
  return m == flash_attn_mode::on ? "on" : m == flash_attn_mode::off ? "off" : "auto";
}

/// @brief `--flash-attn`'s value: "on", "off", anything else (CLI checks it) automatic.
[[nodiscard]] constexpr flash_attn_mode parse_flash_attn(std::string_view text) noexcept {
  return text == "on"    ? flash_attn_mode::on
         : text == "off" ? flash_attn_mode::off
                         : flash_attn_mode::automatic;
}

/// @brief `--split-mode`: whole layers per device, rows of each matrix across devices, or the
/// main GPU alone.
enum class split_mode : std::uint8_t { layer, row, none };

/// @brief Which layers `--gpu-layers N` offloads. `current`: the last N of the repeating layers
/// plus the output layer (llama.cpp since the output counts as a layer, as in de3ff815);
/// `legacy`: the last N repeating layers, the output only when N exceeds the layer count.
enum class offload_rule : std::uint8_t { current, legacy };

/// @brief "layer", "row" or "none", as `--split-mode` takes them.
[[nodiscard]] constexpr std::string_view to_string(split_mode m) noexcept {
  return m == split_mode::row ? "row" : m == split_mode::none ? "none" : "layer";
}

/// @brief "current" or "legacy".
[[nodiscard]] constexpr std::string_view to_string(offload_rule r) noexcept {
  return r == offload_rule::legacy ? "legacy" : "current";
}

/// @brief Where memory is: the host, a local GPU, or an RPC server.
enum class device_kind : std::uint8_t { cpu, gpu, rpc };

/// @brief "cpu", "gpu" or "rpc".
[[nodiscard]] constexpr std::string_view to_string(device_kind k) noexcept {
  switch (k) {
    case device_kind::cpu:
      return "cpu";
    case device_kind::gpu:
      return "gpu";
    case device_kind::rpc:
      return "rpc";
  }
  return "cpu";
}

/// @brief Run settings, with llama.cpp's defaults.
struct llama_settings {
  std::uint32_t n_ctx = 4096;    ///< total context, shared by the sequences; 0: the model's
  std::uint32_t n_batch = 2048;  ///< logical batch
  std::uint32_t n_ubatch = 512;  ///< physical batch: what the compute buffers are sized for
  std::uint32_t n_parallel = 1;  ///< sequences (llama-server --parallel)
  bool kv_unified = false;       ///< one KV stream shared by all sequences
  std::string cache_type_k = "f16";
  std::string cache_type_v = "f16";
  flash_attn_mode flash_attn = flash_attn_mode::automatic;
  std::int32_t n_gpu_layers = -1;    ///< layers to offload; negative: all of them
  std::vector<double> tensor_split;  ///< proportions per device; empty: by free memory
  split_mode split = split_mode::layer;
  std::uint32_t main_gpu = 0;
  bool mmap = true;         ///< host weights are mapped from the file (page cache)
  bool swa_full = false;    ///< full-size cache for sliding-window layers
  bool embeddings = false;  ///< also output embeddings (adds to the output buffer)
  bool op_offload = true;   ///< large host matmuls run on the first GPU (weights copied over)
  offload_rule rule = offload_rule::current;
  /// Copies of the graph inputs ggml's scheduler keeps per device when it runs the devices as a
  /// pipeline: GGML_SCHED_MAX_COPIES of the build (4 by default; some builds set 1).
  std::uint32_t sched_copies = 4;
  /// The llama.cpp build (the NNNN of its `bNNNN` release tag) whose memory layout to follow
  /// where it changed: context padding (b6975), flash attention on by default (b6325), the MLA
  /// V cache (dropped at b7832), the f16 mask (b9410), CUDA row split (removed at b9890).
  /// 0: the current layout.
  std::uint32_t build = 0;
  bytes gpu_overhead = bytes{std::uint64_t{384} << 20U};  ///< per GPU: context, cuBLAS workspace
  bytes rpc_overhead = bytes{std::uint64_t{384} << 20U};  ///< per RPC server's backend
};

/// @brief A device that can take layers: a local GPU or an RPC server, in llama.cpp's order
/// (RPC servers first, then local GPUs).
struct llama_device {
  std::string name;  ///< "gpu0", "rpc:10.0.0.2:50052", ...
  device_kind kind = device_kind::gpu;
  bytes free;        ///< free memory: the default split is proportional to it
  bool uma = false;  ///< shares the host's memory (Apple silicon, Jetson)
};

/// @brief What one device (or the host) holds.
struct device_estimate {
  std::string device;  ///< "cpu" or the device's name
  device_kind kind = device_kind::cpu;
  std::uint32_t layers = 0;       ///< repeating layers held
  std::uint32_t first_layer = 0;  ///< first of them (they are contiguous)
  bool output_layer = false;      ///< holds the output layer (norm and head)
  bytes weights;
  bytes kv;
  bytes compute;
  bytes output;    ///< the logits/embeddings output buffer (host only)
  bytes overhead;  ///< fixed per-device overhead (documented in llama_settings)
  bytes total;
};

/// @brief An estimate: the host first, then every device in order.
struct llama_estimate {
  std::vector<device_estimate> devices;
  std::uint32_t offloaded_layers = 0;  ///< repeating layers on devices
  std::uint32_t total_layers = 0;
  bool output_offloaded = false;
  std::uint32_t n_ctx = 0;      ///< after llama.cpp's padding
  std::uint32_t n_ctx_seq = 0;  ///< per sequence
  std::uint32_t n_ubatch = 0;
  std::uint32_t n_seq = 0;
  bool flash_attn = true;
  /// Copies of the graph inputs per device: `sched_copies` when llama.cpp runs the devices as a
  /// pipeline (several devices, every layer and the output offloaded, layer split, no RPC
  /// server), else 1.
  std::uint32_t sched_copies = 1;
  std::vector<std::string> notes;  ///< what the figures assume (a removed split mode, ...)

  /// @brief The host's part.
  [[nodiscard]] const device_estimate& host() const { return devices.front(); }
};

/// @brief vLLM settings (with vLLM's defaults).
struct vllm_settings {
  std::uint32_t tp = 1;
  std::uint32_t pp = 1;
  bool ep = false;                  ///< --enable-expert-parallel
  std::uint64_t max_model_len = 0;  ///< 0: the model's context length (vLLM's derived maximum)
  /// VLLM_ALLOW_LONG_MAX_MODEL_LEN=1: accept a `max_model_len` above the model's maximum.
  bool allow_long_max_model_len = false;
  /// `--mm-encoder-tp-mode data`: the vision tower replicated on every rank (its weights on
  /// each, its TP rules lifted) where the model supports it.
  bool mm_encoder_data = false;
  double gpu_memory_utilization = 0.9;
  std::string kv_cache_dtype = "auto";  ///< auto (the model's dtype), fp8, fp8_e4m3, fp8_e5m2
  /// Concurrent sequences; 0: vLLM's default for the GPU (`vllm serve`, arg_utils.py
  /// get_batch_defaults): 1024 on GPUs of 70 GiB or more that are not A100s, else 256; 256 before
  /// 0.9.
  std::uint32_t max_num_seqs = 0;
  /// Tokens per step; 0: vLLM's default for the GPU: 8192 on those large GPUs, else 2048; 8192
  /// before 0.9.
  std::uint32_t max_num_batched_tokens = 0;
  /// The GPU's name (as the inventory has it, e.g. "NVIDIA A100-SXM4-80GB"): the batch
  /// defaults and the MXFP4 kernels depend on it. Empty: unknown, taken as the larger defaults.
  std::string gpu_name;
  /// The vLLM release whose behaviour to follow, as minor x 100 + patch (0.11.1 is 1101): the
  /// sampler of the profile run, the batch defaults, NCCL memory counted against the budget
  /// (before 0.11), CUDA graphs captured after the KV cache was sized (before 0.21), how the
  /// KV capacity is reported. 0: the current release.
  std::uint32_t version = 0;
  bool enforce_eager = false;
  bytes non_torch = bytes{std::uint64_t{256} << 20U};
  bytes cuda_graphs = bytes{std::uint64_t{512} << 20U};
};

/// @brief One pipeline stage (every TP rank of the stage needs the same).
struct vllm_stage_estimate {
  std::uint32_t stage = 0;
  std::uint32_t first_layer = 0;
  std::uint32_t layers = 0;
  bytes weights;     ///< per rank
  bytes activation;  ///< PyTorch activation peak of the profile run
  bytes non_torch;
  bytes cuda_graphs;
  bytes kv_per_token;           ///< KV bytes one token costs on this rank (all its layers)
  bytes kv_needed;              ///< one sequence of max_model_len
  bytes required;               ///< weights + activation + overheads + kv_needed
  bytes budget;                 ///< total × gpu_memory_utilization (0 when no GPU size was given)
  bytes kv_available;           ///< budget left for the KV cache
  std::uint64_t kv_tokens = 0;  ///< tokens that KV cache holds
  /// The "GPU KV cache size" vLLM prints: since 0.21 its maximum concurrency x max_model_len;
  /// before, the KV memory over the bytes of a token in every layer (a sliding-window layer
  /// counted as if it held every token), so lower for sliding-window models.
  std::uint64_t reported_kv_tokens = 0;
  std::uint32_t max_num_seqs = 0;            ///< as used (the GPU's default when not set)
  std::uint32_t max_num_batched_tokens = 0;  ///< as used
  bool fits = true;
};

/// @brief A vLLM estimate: the layout's verdict and each stage's figures.
struct vllm_estimate {
  parallel_check parallel;
  std::uint64_t max_model_len = 0;
  std::vector<vllm_stage_estimate> stages;
  /// @brief The smallest GPU (total memory) on which every stage fits.
  bytes min_gpu_memory;
  [[nodiscard]] bool fits() const;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/settings-inl.hpp>
#endif
