#pragma once

// The bodies of <shardfit/estimate/llama.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/estimate/llama.hpp>

namespace shardfit {

SHARDFIT_INLINE llama_estimator::llama_estimator(model_profile model, llama_settings settings)
    : m_(std::move(model)), s_(std::move(settings)) {
  prepare();
}

SHARDFIT_INLINE llama_estimate
llama_estimator::estimate(std::span<const llama_device> devices) const {
  return estimate(devices, {s_.n_gpu_layers, s_.tensor_split});
}

SHARDFIT_INLINE auto llama_estimator::assign(std::span<const llama_device> devices) const
    -> assignment {
  return assign(devices, {s_.n_gpu_layers, s_.tensor_split});
}

SHARDFIT_INLINE bytes llama_estimator::layers_cost(std::uint32_t first, std::uint32_t count) const {
  return bytes{weights_of(first, count) + kv_of(first, count)};
}

SHARDFIT_INLINE bytes llama_estimator::device_overhead(device_kind k) const {
  return k == device_kind::rpc ? s_.rpc_overhead : s_.gpu_overhead;
}

SHARDFIT_INLINE bytes llama_estimator::op_offload_extra(std::uint32_t host_layers,
                                                        bool output_on_host) const {
  if (!s_.op_offload || shape_.n_tokens < 32) return bytes{};
  std::uint64_t m = host_layers == 0 ? 0 : max_tensor_prefix_[host_layers - 1];
  if (output_on_host) m = std::max(m, output_weights_);
  return bytes{m};
}

SHARDFIT_INLINE bytes llama_estimator::host_compute(std::uint32_t host_layers,
                                                    bool output_on_host) const {
  if (host_layers != 0) return bytes{output_on_host ? compute_.all : compute_.input_layers};
  return bytes{output_on_host ? compute_.input_output : compute_.input_only};
}

SHARDFIT_INLINE bytes llama_estimator::layer_cost(std::uint32_t il) const {
  return layer_weights(il) + layer_kv(il);
}

SHARDFIT_INLINE bytes llama_estimator::layer_compute(bool with_output) const {
  return bytes{with_output ? compute_.layers_output : compute_.layers};
}

SHARDFIT_INLINE std::uint32_t llama_estimator::sched_copies(std::size_t n_devices, bool any_rpc,
                                                            std::uint32_t host_layers,
                                                            bool output_on_host) const {
  const bool pipeline = n_devices > 1 && host_layers == 0 && !output_on_host &&
                        s_.split == split_mode::layer && !any_rpc;
  return pipeline ? std::max<std::uint32_t>(1, s_.sched_copies) : 1;
}

SHARDFIT_INLINE bytes llama_estimator::device_inputs_extra(std::uint32_t copies, bool first,
                                                           bool last) const {
  std::uint64_t x = 0;
  if (copies > 1) {
    x += last ? compute_pp_.layers_output - compute_.layers_output
              : compute_pp_.layers - compute_.layers;
  }
  if (first && in_.cast_on_first) x += (std::uint64_t{copies} * 2 + 2) * in_.mask_cells;
  return bytes{x};
}

SHARDFIT_INLINE bytes llama_estimator::host_inputs(std::uint32_t copies) const {
  return bytes{std::uint64_t{copies} *
                   (in_.pos + in_.idx + in_.out_ids + in_.mask_cells * in_.host_mask_elem) +
               std::uint64_t{copies - 1} * in_.tokens};
}

SHARDFIT_INLINE std::uint64_t llama_estimator::weights_of(std::uint32_t first,
                                                          std::uint32_t count) const {
  return w_prefix_[first + count] - w_prefix_[first];
}

SHARDFIT_INLINE std::uint64_t llama_estimator::kv_of(std::uint32_t first,
                                                     std::uint32_t count) const {
  return kv_prefix_[first + count] - kv_prefix_[first];
}

namespace detail {

SHARDFIT_INLINE std::uint64_t pad_to(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

SHARDFIT_INLINE std::uint64_t cache_row_bytes(const std::string& type, std::uint64_t n) {
  const auto t = ggml_type_by_name(type);
  if (!t) throw error::invalid_argument("unknown KV cache type '" + type + "'");
  if (n % t->block_size != 0) {
    throw error::invalid_argument("KV cache type " + type + " needs rows that are multiples of " +
                                  std::to_string(t->block_size) + " elements, not " +
                                  std::to_string(n));
  }
  return n / t->block_size * t->type_size;
}

}  // namespace detail

SHARDFIT_INLINE void llama_estimator::prepare() {
  if (m_.n_layer == 0 || m_.layers.size() != m_.n_layer) {
    throw error::invalid_argument("model '" + m_.name + "' has no repeating layers to place");
  }
  const std::uint32_t build = s_.build;  // 0: current
  auto before = [build](std::uint32_t b) { return build != 0 && build < b; };
  const bool v_quantized = ggml_type_by_name(s_.cache_type_v).has_value() &&
                           ggml_type_by_name(s_.cache_type_v)->block_size > 1;
  // "auto" became the default, enabling flash attention, at b6325; before, it was off unless
  // asked for.
  shape_.flash_attn = s_.flash_attn == flash_attn_mode::on ||
                      (s_.flash_attn == flash_attn_mode::automatic && !before(6325));
  if (!shape_.flash_attn && v_quantized) {
    throw error::invalid_argument("a quantized V cache (" + s_.cache_type_v +
                                  ") requires flash attention");
  }
  if (m_.is_mla())
    shape_.latent_cell_bytes = detail::cache_row_bytes(s_.cache_type_k, m_.kv_lora_rank);

  // Context, streams and batches, as llama_context sets them up.
  n_seq_ = std::max<std::uint32_t>(1, s_.n_parallel);
  std::uint64_t ctx = s_.n_ctx != 0 ? s_.n_ctx : m_.n_ctx_train;
  if (ctx == 0) ctx = 4096;
  // Cells are padded to 256 since b6975; b6868-b6974 did not pad; before, 256 with flash
  // attention and 32 without (b2871).
  const std::uint64_t cell_pad = !before(6975)   ? 256
                                 : !before(6868) ? 1
                                 : !before(2871) ? (shape_.flash_attn ? 256 : 32)
                                                 : 256;
  ctx = detail::pad_to(ctx, cell_pad);
  std::uint64_t ctx_seq = ctx;
  if (!s_.kv_unified) {
    ctx_seq = detail::pad_to(ctx / n_seq_, cell_pad);
    ctx = ctx_seq * n_seq_;
  }
  if (ctx > 0xFFFFFFFFULL) throw error::invalid_argument("context size exceeds 2^32 tokens");
  n_ctx_ = static_cast<std::uint32_t>(ctx);
  n_ctx_seq_ = static_cast<std::uint32_t>(ctx_seq);
  const std::uint64_t n_batch =
      std::min<std::uint64_t>(ctx, std::max<std::uint32_t>(1, s_.n_batch));
  const std::uint64_t n_ubatch =
      std::min<std::uint64_t>(n_batch, std::max<std::uint32_t>(1, s_.n_ubatch));
  shape_.n_tokens = std::min<std::uint64_t>(ctx, n_ubatch);
  shape_.n_outputs = std::min<std::uint64_t>(shape_.n_tokens, n_batch);
  shape_.n_stream = s_.kv_unified ? 1 : n_seq_;
  shape_.n_kv = ctx_seq;
  const std::uint64_t swa_cells = detail::pad_to(
      std::min<std::uint64_t>(
          ctx_seq, std::uint64_t{m_.sliding_window} * (s_.kv_unified ? n_seq_ : 1) + n_ubatch),
      cell_pad);
  shape_.n_kv_swa = s_.swa_full ? ctx_seq : swa_cells;

  // KV cache per layer: K rows and V rows of every cell of every stream; recurrent layers keep
  // f32 state per sequence instead. Without flash attention V is transposed and sized by the
  // widest layer.
  // Builds b5137-b7831 kept a V cache of the latent (kv_lora_rank per token) beside the MLA K
  // cache (llama-kv-cache.cpp; "V-less cache" at b7832).
  const bool mla_v = m_.is_mla() && before(7832);
  auto v_of = [&](const layer_profile& l) -> std::uint32_t {
    return mla_v && l.k_per_token != 0 && !l.recurrent ? m_.kv_lora_rank : l.v_per_token;
  };
  std::uint32_t v_max = 0;
  for (const auto& l : m_.layers) v_max = std::max(v_max, v_of(l));
  kv_.assign(m_.n_layer, 0);
  for (std::uint32_t il = 0; il < m_.n_layer; ++il) {
    const layer_profile& l = m_.layers[il];
    if (l.recurrent) {
      kv_[il] = (l.r_state + l.s_state) * 4 * n_seq_;
      continue;
    }
    if (l.k_per_token == 0) continue;
    const std::uint64_t cells = (l.swa ? shape_.n_kv_swa : shape_.n_kv) * shape_.n_stream;
    const std::uint32_t v_width = shape_.flash_attn || v_of(l) == 0 ? v_of(l) : v_max;
    kv_[il] = detail::cache_row_bytes(s_.cache_type_k, l.k_per_token) * cells +
              (v_width == 0 ? 0 : detail::cache_row_bytes(s_.cache_type_v, v_width) * cells);
  }
  w_prefix_.assign(m_.n_layer + 1, 0);
  x_prefix_.assign(m_.n_layer + 1, 0);
  kv_prefix_.assign(m_.n_layer + 1, 0);
  for (std::uint32_t il = 0; il < m_.n_layer; ++il) {
    w_prefix_[il + 1] = w_prefix_[il] + m_.layers[il].weights.count();
    x_prefix_[il + 1] = x_prefix_[il] + m_.layers[il].expert_weights.count();
    kv_prefix_[il + 1] = kv_prefix_[il] + kv_[il];
    max_layer_cost_ = std::max(max_layer_cost_, m_.layers[il].weights.count() + kv_[il]);
  }
  // The largest single matrix of a layer: what op offload copies to the GPU per matmul. The
  // profile keeps layer totals; the FFN matrices are the largest (a third of the dense FFN
  // weights, or of one expert's), bounded by the layer.
  max_tensor_.assign(m_.n_layer, 0);
  for (std::uint32_t il = 0; il < m_.n_layer; ++il) {
    const auto& l = m_.layers[il];
    const std::uint64_t dense = l.weights.count() - l.expert_weights.count();
    max_tensor_[il] = l.expert_weights.count() != 0 ? l.expert_weights.count() / 3 : dense / 3;
  }
  max_tensor_prefix_.assign(m_.n_layer, 0);
  for (std::uint32_t il = 0; il < m_.n_layer; ++il) {
    max_tensor_prefix_[il] = std::max(il == 0 ? 0 : max_tensor_prefix_[il - 1], max_tensor_[il]);
  }

  output_buffer_ =
      (static_cast<std::uint64_t>(m_.n_vocab) + (s_.embeddings ? m_.n_embd : 0)) * 4 * n_seq_;
  output_weights_ = m_.output.count() + (m_.tied_embeddings ? m_.token_embd.count() : 0);

  // The graph inputs, as the scheduler copies them: one mask per cache (n_kv x n_tokens; f16
  // with flash attention since b9410, f32 before, cast to f16 on the device running layer 0),
  // K and V row indices per cache (V per element without flash attention), positions, output
  // ids (the residual stream handed from device to device is in the simulated device graph).
  {
    const std::uint64_t T = shape_.n_tokens;
    const bool has_swa = std::any_of(m_.layers.begin(), m_.layers.end(),
                                     [](const layer_profile& l) { return l.swa; });
    const std::uint64_t caches = has_swa ? 2 : 1;
    in_.tokens = T * 4;
    in_.pos = T * 4;
    in_.idx = caches * (T * 8 + (m_.is_mla() ? 0 : shape_.flash_attn ? T * 8 : T * v_max * 8));
    in_.out_ids = shape_.n_outputs * 4;
    in_.mask_cells = (shape_.n_kv + (has_swa ? shape_.n_kv_swa : 0)) * T;
    in_.mask_elem = shape_.flash_attn ? 2 : 4;
    in_.host_mask_elem = before(9410) ? 4 : in_.mask_elem;
    in_.cast_on_first = before(9410) && shape_.flash_attn;
  }

  // Compute buffers for every way the graph can be cut between the host and the devices.
  const std::uint32_t cap = std::min<std::uint32_t>(m_.n_layer, 4);
  auto sim = [&](bool input, std::uint32_t count, bool output) {
    detail::segment seg;
    seg.input = input;
    seg.first = m_.n_layer - cap;
    seg.count = count;
    seg.last_layer = count != 0;
    seg.output = output;
    return detail::simulate_segment(m_, shape_, seg);
  };
  compute_.all = sim(true, cap, true);
  compute_.input_layers = sim(true, cap, false);
  compute_.input_only = sim(true, 0, false);
  compute_.input_output = std::max(compute_.input_only, sim(false, 0, true));
  compute_.layers = sim(false, cap, false);
  compute_.layers_output = sim(false, cap, true);
  compute_.output_only = sim(false, 0, true);
  if (s_.sched_copies > 1) {
    auto piped = [&](bool output) {
      detail::segment seg;
      seg.input = false;
      seg.first = m_.n_layer - cap;
      seg.count = cap;
      seg.last_layer = true;
      seg.output = output;
      seg.copies = s_.sched_copies;
      return std::max(detail::simulate_segment(m_, shape_, seg),
                      output ? compute_.layers_output : compute_.layers);
    };
    compute_pp_.layers = piped(false);
    compute_pp_.layers_output = piped(true);
  }
}

SHARDFIT_INLINE llama_estimator::assignment llama_estimator::assign(
    std::span<const llama_device> devices, offload o) const {
  assignment a;
  const std::size_t n = devices.size();
  a.first.assign(n, 0);
  a.count.assign(n, 0);
  if (n == 0 || o.n_gpu_layers == 0) return a;
  const std::int64_t L = m_.n_layer;
  const std::int64_t ngl = o.n_gpu_layers < 0 ? L + 1 : o.n_gpu_layers;
  // split mode none: only the main GPU takes layers.
  std::vector<double> splits(n, 0.0);
  if (s_.split == split_mode::none) {
    splits[std::min<std::size_t>(s_.main_gpu, n - 1)] = 1.0;
  } else if (std::any_of(o.tensor_split.begin(), o.tensor_split.end(),
                         [](double x) { return x != 0.0; })) {
    for (std::size_t i = 0; i < n && i < o.tensor_split.size(); ++i) splits[i] = o.tensor_split[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) splits[i] = static_cast<double>(devices[i].free.count());
  }
  double sum = 0;
  for (auto& x : splits) {
    sum += x;
    x = sum;
  }
  if (sum <= 0) return a;
  for (auto& x : splits) x /= sum;
  // llama.cpp: the layers [i_gpu_start, L] (the output is layer L) go to devices in split
  // order; `legacy` counts only repeating layers in ngl.
  const std::int64_t i_gpu_start =
      std::max<std::int64_t>((s_.rule == offload_rule::current ? L + 1 : L) - ngl, 0);
  const std::int64_t act = std::min<std::int64_t>(ngl, L + 1);
  auto device_of = [&](std::int64_t il) -> int {
    if (il < i_gpu_start || il - i_gpu_start >= act) return -1;
    // float arithmetic, as llama.cpp does it
    const float pos = static_cast<float>(il - i_gpu_start) / static_cast<float>(act);
    std::size_t d = 0;
    while (d < n && !(static_cast<float>(splits[d]) > pos)) ++d;
    return static_cast<int>(std::min(d, n - 1));
  };
  for (std::int64_t il = 0; il < L; ++il) {
    const int d = device_of(il);
    if (d < 0) continue;
    auto& c = a.count[static_cast<std::size_t>(d)];
    if (c == 0) a.first[static_cast<std::size_t>(d)] = static_cast<std::uint32_t>(il);
    ++c;
  }
  a.output_device = device_of(L);
  return a;
}

SHARDFIT_INLINE llama_estimate llama_estimator::estimate(std::span<const llama_device> devices,
                                                         offload o) const {
  llama_estimate e;
  e.total_layers = m_.n_layer;
  e.n_ctx = n_ctx_;
  e.n_ctx_seq = n_ctx_seq_;
  e.n_ubatch = static_cast<std::uint32_t>(shape_.n_tokens);
  e.n_seq = n_seq_;
  e.flash_attn = shape_.flash_attn;
  const assignment a = assign(devices, o);
  e.devices.resize(devices.size() + 1);

  std::uint32_t on_devices = 0;
  for (std::size_t i = 0; i < devices.size(); ++i) on_devices += a.count[i];
  e.offloaded_layers = on_devices;
  e.output_offloaded = a.output_device >= 0;

  // The host: the input layer always, the layers no device took (the first ones), the output
  // unless offloaded.
  device_estimate& host = e.devices.front();
  host.device = "cpu";
  host.kind = device_kind::cpu;
  host.layers = m_.n_layer - on_devices;
  host.first_layer = 0;
  host.output_layer = a.output_device < 0;
  host.weights = bytes{m_.token_embd.count() + m_.other.count() + weights_of(0, host.layers) +
                       (host.output_layer ? m_.output.count() : 0)};
  host.kv = bytes{kv_of(0, host.layers)};
  host.output = bytes{output_buffer_};
  host.compute = host_compute(host.layers, host.output_layer);

  const bool row_split = s_.split == split_mode::row && !devices.empty();
  const bool any_rpc = std::any_of(devices.begin(), devices.end(), [](const llama_device& d) {
    return d.kind == device_kind::rpc;
  });
  const std::uint32_t copies =
      sched_copies(devices.size(), any_rpc, host.layers, host.output_layer);
  e.sched_copies = copies;
  if (!devices.empty() && host.layers == 0) host.compute += host_inputs(copies);
  // Before b9410 with flash attention, a host running layer 0 holds the f32 mask beside its cast.
  if (!devices.empty() && host.layers != 0 && in_.cast_on_first) {
    host.compute += bytes{in_.mask_cells * 4};
  }
  std::size_t first_dev = devices.size();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (a.count[i] != 0) {
      first_dev = i;
      break;
    }
  }
  // The largest host matmul weight, copied to the first GPU to run there.
  const std::uint64_t op_offload_copy =
      devices.empty() ? 0 : op_offload_extra(host.layers, host.output_layer).count();

  for (std::size_t i = 0; i < devices.size(); ++i) {
    const llama_device& dev = devices[i];
    device_estimate& d = e.devices[i + 1];
    d.device = dev.name;
    d.kind = dev.kind;
    d.layers = a.count[i];
    d.first_layer = a.first[i];
    d.output_layer = a.output_device == static_cast<int>(i);
    d.weights = bytes{weights_of(d.first_layer, d.layers) + (d.output_layer ? output_weights_ : 0)};
    d.kv = bytes{kv_of(d.first_layer, d.layers)};
    if (d.layers != 0) {
      d.compute = bytes{d.output_layer ? compute_.layers_output : compute_.layers};
    } else if (d.output_layer) {
      d.compute = bytes{compute_.output_only};
    }
    if (i == 0 && op_offload_copy != 0) d.compute += bytes{op_offload_copy};
    if (d.layers != 0) {
      d.compute += device_inputs_extra(copies, i == first_dev && host.layers == 0,
                                       d.first_layer + d.layers == m_.n_layer);
    }
    d.overhead = dev.kind == device_kind::rpc ? s_.rpc_overhead : s_.gpu_overhead;
  }

  if (row_split) {
    // Row split (llama.cpp b3990-b9889; llama-model.cpp load_tensors, the CUDA split buffer
    // type): layers, their KV cache and a compute buffer go to the devices as in layer split,
    // but each 2-D matrix of an offloaded layer and the output head is cut by rows across every
    // device by the split; 3-D expert tensors stay whole on their layer's device. No pipeline.
    std::vector<double> share(devices.size(), 0.0);
    double sum = 0;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      share[i] = i < o.tensor_split.size() && o.tensor_split[i] != 0.0
                     ? o.tensor_split[i]
                     : static_cast<double>(devices[i].free.count());
      sum += share[i];
    }
    auto experts = [&](const device_estimate& d) {
      return x_prefix_[d.first_layer + d.layers] - x_prefix_[d.first_layer];
    };
    std::uint64_t matrices = 0;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const device_estimate& d = e.devices[i + 1];
      matrices +=
          weights_of(d.first_layer, d.layers) - experts(d) + (d.output_layer ? output_weights_ : 0);
    }
    for (std::size_t i = 0; i < devices.size(); ++i) {
      device_estimate& d = e.devices[i + 1];
      const double part = sum > 0 ? share[i] / sum : 0.0;
      d.weights =
          bytes{static_cast<std::uint64_t>(static_cast<double>(matrices) * part) + experts(d)};
    }
    if (s_.build == 0 || s_.build >= 9890) {
      e.notes.push_back(
          "llama.cpp b9890 and later refuse --split-mode row on CUDA (its split buffers were "
          "removed; SYCL keeps them): these are the figures of builds b3990-b9889");
    }
  }

  for (auto& d : e.devices) d.total = d.weights + d.kv + d.compute + d.output + d.overhead;
  return e;
}

}  // namespace shardfit
