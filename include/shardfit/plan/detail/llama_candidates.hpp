#pragma once

// The llama.cpp candidate enumerator: one GPU, one worker's GPUs, a main worker with RPC
// servers, partial offload, CPU only; layers distributed with prefix sums. Internal to
// candidates.hpp.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/estimate/llama.hpp>
#include <shardfit/plan/detail/cluster_view.hpp>
#include <shardfit/plan/detail/enumerator_base.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit::detail {

// A device in llama.cpp's order, for the distributor.
struct llama_dev {
  std::uint32_t view = 0;  // position in cluster_view::workers
  std::uint32_t gpu = 0;   // position in worker_view::gpus
  bytes free;
  device_kind kind = device_kind::gpu;
};

// The llama.cpp enumerator.
class llama_enumerator : enumerator_base {
 public:
  llama_enumerator(const cluster& c, const cluster_view& v, const llama_estimator& est,
                   const plan_request& rq, std::vector<rejection>& rejected);

  // Whether full offload is allowed at all (no cap below every layer).
  [[nodiscard]] bool full_offload_allowed() const;

  [[nodiscard]] std::vector<placement> single_gpu() const;

  [[nodiscard]] std::vector<placement> one_worker() const;

  [[nodiscard]] std::vector<placement> multi_worker() const;

  [[nodiscard]] std::vector<placement> partial_offload() const;

  [[nodiscard]] std::vector<placement> cpu_only() const;

  // Manual selection: exactly these GPUs (the first one's worker is the main).
  [[nodiscard]] std::vector<placement> manual(const std::vector<gpu_ref>& gpus) const;

  // Workers that cannot read the model (no copy, too little disk): never main. RPC servers read
  // nothing, so these workers still lend their GPUs.
  void reject_storage() const;

  // Workers that cannot hold one layer on any GPU: never main, never RPC.
  void reject_unusable() const;

  // The figures of the messages: one device holding every layer, and the host beside it.
  struct one_need {
    bytes device;
    bytes host;
  };
  [[nodiscard]] one_need one_device_need() const;

 private:
  [[nodiscard]] std::string one_layer_text(bytes has, bytes min,
                                           std::string_view who = "its largest GPU has") const;

  [[nodiscard]] std::uint32_t index_of(const worker_view& w) const;

  [[nodiscard]] bool same_gpu_class(const worker_view& w, const gpu_view& a,
                                    const gpu_view& b) const;

  // GPUs of `w` that can hold one layer; when `report`, the others are rejected by name.
  [[nodiscard]] std::vector<std::uint32_t> usable_gpus(const worker_view& w, bytes min,
                                                       bool report) const;

  [[nodiscard]] std::uint64_t spare(bytes free, device_kind kind) const;

  // Why GPUs with `capacity` bytes to spare (free memory less each one's compute buffer and
  // overhead) do not take layers needing `need`: too little in all, or, when the sum would
  // cover them, that each GPU takes whole layers (the constraint that binds then).
  [[nodiscard]] std::string shortfall(std::uint64_t capacity, std::uint64_t need) const;

  [[nodiscard]] bytes sum_free(const worker_view& w, const std::vector<std::uint32_t>& gpus,
                               std::uint32_t limit) const;

  // A cheap necessary condition before the exact distribution.
  [[nodiscard]] bool bound_ok(const worker_view& w, const std::vector<std::uint32_t>& pick,
                              device_kind kind) const;

  [[nodiscard]] std::vector<llama_dev> local_devs(const worker_view& w,
                                                  std::vector<std::uint32_t> pick) const;

  // llama.cpp's order: RPC servers' GPUs first (workers in order, GPUs by index), then local.
  [[nodiscard]] std::vector<llama_dev> distributed_devs(
      std::uint32_t main, std::vector<std::uint32_t> local,
      const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& rpc) const;

  // Whether GPUs `a` and `b` of `w` are alike (alike_gpus for one GPU each, without copies).
  [[nodiscard]] bool same_gpu(const worker_view& w, std::uint32_t a, std::uint32_t b) const;

  // `pick` with each GPU replaced by the lowest-index GPU of `usable` identical to it (not
  // already taken), sorted: of identical GPUs, the first in inventory order are used.
  [[nodiscard]] std::vector<std::uint32_t> first_alike(
      const worker_view& w, std::vector<std::uint32_t> usable,
      const std::vector<std::uint32_t>& pick) const;

  // Every set of `k_gpus` (the fewest that hold the model) of a worker's GPUs (up to 8), else
  // every mix of its GPU classes (identical GPUs: the first by index) when there are at most
  // 256: the best-scoring set need not be the roomiest or the tightest run (binpack may prefer
  // a fuller small GPU with a large one). Skips the sets in `tried`.
  void every_class_mix(const worker_view& w, const std::vector<std::uint32_t>& usable,
                       std::uint32_t k_gpus, const std::vector<std::vector<std::uint32_t>>& tried,
                       std::vector<placement>& out) const;

  // The pool of RPC workers, roomiest first (inventory order among equals).
  struct pooled {
    std::uint32_t view;
    std::vector<std::uint32_t> gpus;  // usable as RPC devices, roomiest first
    std::uint64_t capacity;
  };
  [[nodiscard]] const std::vector<pooled>& rpc_pool() const;

  // Small clusters: when the main worker's usable GPUs and every other worker's usable RPC GPUs
  // are 8 or fewer, every set of them (at least one of each kind) with the fewest devices that
  // hold the layers, so the best-scoring set is among the candidates (RPC workers in inventory
  // order; sets alike GPU for GPU on the same workers are one candidate). False when no set
  // holds them (the main + RPC heuristic then says why).
  bool few_gpu_sets(std::uint32_t mi, const std::vector<std::uint32_t>& local,
                    const std::vector<pooled>& pool, std::uint64_t need,
                    std::vector<placement>& out) const;

  // The least host layers (at least one, at least what --gpu-layers leaves) with which `devs`
  // hold the rest; nullopt when not even one layer per device fits.
  [[nodiscard]] std::optional<std::uint32_t> least_host_layers(
      std::span<const llama_dev> devs) const;

  // Main worker `mi` (its usable GPUs `local`, roomiest first) with RPC servers' GPUs and the
  // first layers in its RAM: the pool's GPUs (roomiest workers first, up to llama.cpp's device
  // limit and --max-rpc) when they leave fewer than `local_h` layers in RAM, then pruned of
  // every RPC GPU that can go without leaving one more layer in RAM.
  [[nodiscard]] std::optional<placement> distributed_partial(
      std::uint32_t mi, const std::vector<std::uint32_t>& local, std::uint32_t local_h) const;

  using rpc_set = std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>;

  // The RPC set for main worker `mi`: from `start` (the capacity bound's trimmed set), GPUs of
  // `pool` (in its order: roomiest workers, roomiest GPUs first) are added one at a time until
  // the layers fit, since per-GPU layer granularity can need more than the bound. Then every
  // RPC GPU whose removal still fits is dropped (the smallest first), so no chosen RPC GPU is
  // idle weight. Appends the minimal set's placement, and the grown set's when it differs (the
  // scorer chooses); false when even the whole pool does not fit.
  bool fit_rpc_set(std::uint32_t mi, const std::vector<std::uint32_t>& local, const rpc_set& pool,
                   rpc_set set, std::vector<placement>& out) const;

  // Drops RPC GPUs, smallest of the last-added workers first, while the capacity bound still
  // covers `need`; workers left without GPUs go.
  [[nodiscard]] rpc_set trim(std::uint64_t capacity, rpc_set rpc, std::uint64_t need) const;

  [[nodiscard]] bool output_on_device(std::uint32_t h) const { return !legacy_ || h == 0; }

  // What the scheduler's copies of its inputs add to the first, a middle and the last device
  // of `d` when the host keeps h layers (several copies when the devices form a pipeline).
  struct input_extras {
    std::uint64_t first = 0;
    std::uint64_t middle = 0;
    std::uint64_t last = 0;
  };
  [[nodiscard]] input_extras extras(std::span<const llama_dev> d, std::uint32_t h) const;

  // What device i of k needs when it holds layers [f, f + n) and the host keeps h layers.
  [[nodiscard]] std::uint64_t cost(std::span<const llama_dev> d, std::size_t i, std::uint32_t f,
                                   std::uint32_t n, std::uint32_t h, const input_extras& in) const;

  // Layers per device (each ≥ 1) when the host keeps the first h, or nothing. `balance`: the
  // least uniform fill fraction (every device equally full) rather than the first that fits.
  [[nodiscard]] std::optional<std::vector<std::uint32_t>> distribute(std::span<const llama_dev> d,
                                                                     std::uint32_t h,
                                                                     bool balance) const;

  void fill_ram(placed_worker& pw) const;

  // The placement of `d` with the host keeping h layers, checked with the estimator's own
  // figures; nothing when a device or the host's RAM falls short.
  [[nodiscard]] std::optional<placement> build(std::span<const llama_dev> d, std::uint32_t h,
                                               plan_stage stage, bool* ram_short) const;

  const llama_estimator& est_;
  std::uint32_t L_;
  bool legacy_ = false;
  bytes min_gpu_;
  bytes min_rpc_;
  bytes layers_bytes_;
  std::uint32_t max_repeating_ = 0;
  mutable std::optional<one_need> one_;
  // Clusters of at most this many distinct workers get every one-worker GPU set of the fewest
  // GPUs scored (larger ones: the roomiest and the tightest, as scoring every set of thousands
  // of workers doubles the planning time).
  static constexpr std::size_t few_workers_max = 32;
  bool few_workers_ = false;
  mutable std::optional<std::vector<pooled>> pool_;  // rpc_pool(), built once per plan
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/detail/llama_candidates-inl.hpp>
#endif
