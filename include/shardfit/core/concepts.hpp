#pragma once

/// @file
/// @brief Every policy concept of shardfit in one place: the documented contract an embedder's
/// type must meet to plug in. Each concept names its default model; the model's header holds a
/// `static_assert` that it conforms.

#include <shardfit/core/fwd.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief Where discovery looks for files. Default model: `posix_filesystem`; also
/// `listing_filesystem` (a hub listing of names and sizes).
///
/// - `fs.stat(path)`: `std::optional<file_stat>`, following links; nothing when absent. Loops,
///   broken links and permission problems are reported through `file_stat::kind`, not thrown.
/// - `fs.list(dir)`: `std::vector<dir_entry>` with stats; throws `shardfit::error` when the
///   directory cannot be read.
/// - `fs.read_file(path, max_bytes)`: the content of a small regular file (an index JSON);
///   throws `shardfit::error` when unreadable or larger than `max_bytes`.
template <class F>
concept filesystem_policy = requires(const F& fs, const std::string& path, std::size_t n) {
  { fs.stat(path) } -> std::same_as<std::optional<file_stat>>;
  { fs.list(path) } -> std::same_as<std::vector<dir_entry>>;
  { fs.read_file(path, n) } -> std::same_as<std::string>;
};

/// @brief Optional capability of a filesystem policy: `fs.open(path)` gives a `byte_source`
/// over a file, so headers (GGUF split metadata, safetensors) can be read. A policy without it
/// still discovers and sizes sets; header checks are then skipped.
template <class F>
concept byte_readable_filesystem = filesystem_policy<F> &&
    requires(const F& fs, const std::string& path) {
  { fs.open(path) } -> std::same_as<byte_source>;
};

/// @brief Where the planner learns the cluster. Default model: `cluster_json_inventory` (a
/// cluster JSON file, read on every snapshot); also `static_inventory` (a cluster an embedder
/// built in memory) and the adapters of nvidia-smi, rocm-smi and Kubernetes output.
///
/// - `inv.snapshot()`: the cluster as it is now (a `cluster`, or a reference to one); throws
///   `shardfit::error` when it cannot be read.
template <class I>
concept inventory_source = requires(const I& inv) {
  { inv.snapshot() } -> std::convertible_to<const cluster&>;
};

/// @brief How the planner sizes memory. Default model: `default_estimator`.
///
/// - `e.llama(model, settings)`: a `llama_estimator` for the model under llama.cpp settings
///   (a calibrating estimator adjusts the settings' overheads or the model before building it).
/// - `e.vllm(model, settings)`: vLLM's per-stage requirement for the settings' TP and PP
///   (`budget` and `fits` are left for the planner, which knows each GPU).
template <class E>
concept memory_estimator = requires(const E& e, const model_profile& m, const llama_settings& ls,
                                    const vllm_settings& vs) {
  { e.llama(m, ls) } -> std::same_as<llama_estimator>;
  { e.vllm(m, vs) } -> std::same_as<vllm_estimate>;
};

/// @brief One criterion of a weighted score. Models: `binpack_term`, `spread_term`,
/// `fewest_workers_term`, `fewest_gpus_term`, `main_layers_term`, `locality_term`,
/// `offload_term` (scoring.hpp).
///
/// - `t.name`: a stable name for the breakdown ("binpack"): a static member, or a data member
///   made at run time (`dynamic_term`).
/// - `t(placement, context)`: a value in [0, 100], higher is better; any other value (NaN
///   included) is a broken contract: the scorer throws `errc::contract_violation` naming it.
template <class T>
concept score_term = requires(const T& t, const placement& p, const plan_context& ctx) {
  { t.name } -> std::convertible_to<std::string_view>;
  { t(p, ctx) } -> std::convertible_to<double>;
};

/// @brief Which workers and GPUs a plan may use. Default model: `accept_all_filter`; also
/// `label_filter`.
///
/// - `f.worker(worker, context)`, `f.gpu(worker, gpu, context)`: a `filter_verdict`; a refusal
///   keeps the worker (or GPU) out of every candidate and is reported as a rejection (rule
///   `filter`) with its reason.
/// - optional `f.label_keys()`: the label keys it reads, so workers that differ in them are
///   not treated as interchangeable (a filter without it: every label counts).
template <class F>
concept candidate_filter = requires(const F& f, const worker_info& w, const gpu_info& g,
                                    const plan_context& ctx) {
  { f.worker(w, ctx) } -> std::same_as<filter_verdict>;
  { f.gpu(w, g, ctx) } -> std::same_as<filter_verdict>;
};

/// @brief Ranks candidate placements. Default model: `default_scorer` (the terms above with
/// integer weights chosen by the policy, binpack or spread).
///
/// - `s.score(placement, context)`: a `score_card`, its total in [0, 100] (higher ranks first;
///   the planner breaks ties by fewer workers, fewer GPUs, then inventory order).
template <class S>
concept candidate_scorer = requires(const S& s, const placement& p, const plan_context& ctx) {
  { s.score(p, ctx) } -> std::same_as<score_card>;
};

}  // namespace shardfit
