#pragma once

/// @file
/// @brief The llama.cpp memory estimator: for a `model_profile` and run settings, the bytes
/// llama.cpp allocates on the host and on every device — weights (which layers go where, as
/// llama.cpp assigns them), KV cache (padding, streams, per-layer KV heads, K/V types,
/// sliding-window and MLA caches, recurrent state), compute buffers (from a model of ggml's
/// graph allocator over the worst-case graph), the output buffer, and a fixed per-device
/// overhead. Checked against llama.cpp de3ff815's own buffer sizes (tests/estimate_llama_test).
///
/// Construction does the expensive part once (graph simulation, prefix sums); `estimate()` is
/// arithmetic over devices, cheap enough to call for every candidate placement.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/estimate/detail/llama_graph.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/formats/ggml_types.hpp>
#include <shardfit/model/profile.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief The llama.cpp estimator for one model and one set of settings.
///
/// Example:
/// @code
///   auto model = shardfit::load_model("Llama-3.1-8B-Q4_K_M.gguf");
///   shardfit::llama_settings s;
///   s.n_ctx = 32768;
///   shardfit::llama_estimator est(model, s);
///   std::vector<shardfit::llama_device> gpus{{"gpu0", shardfit::device_kind::gpu, 24_GiB}};
///   auto e = est.estimate(gpus);  // e.devices[1].total: what the GPU needs
/// @endcode
class llama_estimator {
 public:
  /// @throws shardfit::error (invalid_argument) for settings llama.cpp refuses (a quantized V
  /// cache without flash attention, an unknown cache type, a model without layers).
  llama_estimator(model_profile model, llama_settings settings);

  /// @brief What is offloaded and how it is split: `--gpu-layers` (negative: all) and
  /// `--tensor-split` (empty: by free memory).
  struct offload {
    std::int32_t n_gpu_layers = -1;
    std::span<const double> tensor_split;
  };

  /// @brief Per-device bytes for `devices` (empty: CPU only), offloading as the settings say.
  [[nodiscard]] llama_estimate estimate(std::span<const llama_device> devices) const;
  /// @brief Per-device bytes for `devices` with another offload and split than the settings'
  /// (what a planner calls per candidate; everything else is shared).
  [[nodiscard]] llama_estimate estimate(std::span<const llama_device> devices, offload o) const;

  /// @brief The layer ranges llama.cpp gives each device: `first[i]`, `count[i]` for device i,
  /// the rest stay on the host; and whether the output layer is on a device (which one).
  struct assignment {
    std::vector<std::uint32_t> first;
    std::vector<std::uint32_t> count;
    int output_device = -1;  ///< -1: the host
  };
  [[nodiscard]] assignment assign(std::span<const llama_device> devices) const;
  [[nodiscard]] assignment assign(std::span<const llama_device> devices, offload o) const;

  /// @brief Weights and cache of the repeating layers [first, first + count) (prefix sums).
  [[nodiscard]] bytes layers_cost(std::uint32_t first, std::uint32_t count) const;
  /// @brief Weights the output layer puts on the device holding it (the embeddings again when
  /// the head is tied to them).
  [[nodiscard]] bytes output_weights() const { return bytes{output_weights_}; }
  /// @brief Fixed overhead of a device of kind `k` (the settings' gpu or rpc overhead).
  [[nodiscard]] bytes device_overhead(device_kind k) const;
  /// @brief What op offload adds to the first device's compute buffer when the host keeps its
  /// first `host_layers` layers (and the output when `output_on_host`).
  [[nodiscard]] bytes op_offload_extra(std::uint32_t host_layers, bool output_on_host) const;
  /// @brief The host's compute buffer when it keeps `host_layers` layers (and the output).
  [[nodiscard]] bytes host_compute(std::uint32_t host_layers, bool output_on_host) const;

  /// @brief Weights of repeating layer `il`.
  [[nodiscard]] bytes layer_weights(std::uint32_t il) const { return m_.layers[il].weights; }
  /// @brief KV cache (or recurrent state) of layer `il`.
  [[nodiscard]] bytes layer_kv(std::uint32_t il) const { return bytes{kv_[il]}; }
  /// @brief What one more layer `il` costs a device: its weights and its cache.
  [[nodiscard]] bytes layer_cost(std::uint32_t il) const;
  /// @brief The largest `layer_cost` of any layer: the least a device must hold to take one.
  [[nodiscard]] bytes max_layer_cost() const { return bytes{max_layer_cost_}; }
  /// @brief Compute buffer of a device holding repeating layers (and the output when asked).
  [[nodiscard]] bytes layer_compute(bool with_output) const;

  /// @brief Copies of the graph inputs per device: llama.cpp runs the devices as a pipeline
  /// (`sched_copies` copies, GGML_SCHED_MAX_COPIES) when there are several, every layer and the
  /// output are offloaded, the split is by layer and no device is an RPC server (RPC backends
  /// have no async compute or events); else 1. src/llama-context.cpp, llama_context's
  /// constructor (`pipeline_parallel`).
  [[nodiscard]] std::uint32_t sched_copies(std::size_t n_devices, bool any_rpc,
                                           std::uint32_t host_layers, bool output_on_host) const;
  /// @brief What the scheduler's copies of its inputs add to the compute buffer of a device
  /// holding layers, beyond `layer_compute`: in a pipeline every input the device receives
  /// (masks, positions, KV row indices, output ids, the incoming residual stream) is held
  /// `copies` times for the whole graph (ggml-backend.cpp, ggml_backend_sched_split_graph: the
  /// copies are input and output leaves, allocated first and never freed), simulated as such.
  /// `first`: the device running layer 0 while the host holds none, which in builds before
  /// b9410 with flash attention receives the mask in f32 and casts it to f16 itself.
  [[nodiscard]] bytes device_inputs_extra(std::uint32_t copies, bool first, bool last) const;
  /// @brief The graph inputs the host's compute buffer holds (CUDA_Host on CUDA builds) when
  /// devices run every layer, beyond the token ids and embeddings of `host_compute`: every input
  /// lives on the CPU backend (ggml_backend_sched_backend_id_from_cur), `copies` times in a
  /// pipeline: masks, positions, KV row indices, output ids.
  [[nodiscard]] bytes host_inputs(std::uint32_t copies) const;

  [[nodiscard]] const model_profile& model() const noexcept { return m_; }
  [[nodiscard]] const llama_settings& settings() const noexcept { return s_; }
  [[nodiscard]] std::uint32_t n_ctx() const noexcept { return n_ctx_; }
  [[nodiscard]] std::uint32_t n_ctx_seq() const noexcept { return n_ctx_seq_; }
  [[nodiscard]] bool flash_attn() const noexcept { return shape_.flash_attn; }

 private:
  // The graph inputs of the worst-case graph (llama-graph.cpp build_inp_*), for the copies the
  // scheduler makes of them.
  struct input_figures {
    std::uint64_t tokens = 0;
    std::uint64_t pos = 0;
    std::uint64_t idx = 0;             // K and V row indices of every cache
    std::uint64_t out_ids = 0;         // output rows
    std::uint64_t mask_cells = 0;      // n_kv x n_tokens over every mask (full and sliding)
    std::uint64_t mask_elem = 4;       // bytes per mask cell on the devices
    std::uint64_t host_mask_elem = 4;  // ... on the host
    bool cast_on_first = false;        // f32 mask on the host, cast to f16 on the first device
  };
  struct compute_figures {
    std::uint64_t all = 0;            // input, layers and output on one device (CPU only)
    std::uint64_t input_layers = 0;   // input and layers, output elsewhere
    std::uint64_t input_only = 0;     // the host when every layer is offloaded
    std::uint64_t input_output = 0;   // input and output on the host, layers elsewhere
    std::uint64_t layers = 0;         // a device with layers only
    std::uint64_t layers_output = 0;  // a device with layers and the output
    std::uint64_t output_only = 0;    // a device with the output layer only
  };

  void prepare();
  [[nodiscard]] std::uint64_t weights_of(std::uint32_t first, std::uint32_t count) const;
  [[nodiscard]] std::uint64_t kv_of(std::uint32_t first, std::uint32_t count) const;

  model_profile m_;
  llama_settings s_;
  detail::reserve_shape shape_;
  std::uint32_t n_ctx_ = 0;
  std::uint32_t n_ctx_seq_ = 0;
  std::uint32_t n_seq_ = 1;
  std::vector<std::uint64_t> kv_;
  std::vector<std::uint64_t> w_prefix_;
  std::vector<std::uint64_t> x_prefix_;  // expert weights (whole on their device in row split)
  std::vector<std::uint64_t> kv_prefix_;
  std::vector<std::uint64_t> max_tensor_;  // per layer: its largest matrix (op offload copies)
  std::vector<std::uint64_t> max_tensor_prefix_;  // running maximum of max_tensor_
  std::uint64_t max_layer_cost_ = 0;
  std::uint64_t output_buffer_ = 0;
  std::uint64_t output_weights_ = 0;  // on the output device (the embeddings again if tied)
  compute_figures compute_;
  compute_figures compute_pp_;  // layers and layers_output with the pipeline's input copies
  input_figures in_;
};

namespace detail {

SHARDFIT_INLINE std::uint64_t pad_to(std::uint64_t v, std::uint64_t a);

// Bytes of `n` elements of ggml type `name` (a KV cache row); throws for an unknown type or a
// row that is not a whole number of blocks.
SHARDFIT_INLINE std::uint64_t cache_row_bytes(const std::string& type, std::uint64_t n);

}  // namespace detail

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/estimate/llama-inl.hpp>
#endif
