#pragma once

/// @file
/// @brief What the planner produces and what it is asked: a placement (which workers and GPUs,
/// how many layers each, how much memory), a rejection (a candidate dropped, the rule and the
/// numbers), the request, and the result. Plain data; the planner fills it.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/estimate/settings.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief A worker's part in a placement: the one that serves (llama-server, vLLM's head), an
/// RPC server lending its GPUs to the main (llama.cpp), or a later pipeline stage (vLLM).
enum class worker_role : std::uint8_t { main, rpc, pipeline };

/// @brief "main", "rpc" or "pipeline".
[[nodiscard]] constexpr std::string_view to_string(worker_role r) noexcept {
  switch (r) {
    case worker_role::main:
      return "main";
    case worker_role::rpc:
      return "rpc";
    case worker_role::pipeline:
      return "pipeline";
  }
  return "main";
}

/// @brief The stages the planner tries in order, stopping at the first that yields a
/// placement (unless asked for all).
enum class plan_stage : std::uint8_t {
  single_gpu,       ///< the whole model on one GPU
  one_worker,       ///< several GPUs of one worker (llama.cpp layer split; vLLM tensor parallel)
  multi_worker,     ///< several workers (llama.cpp main + RPC servers; vLLM TP × PP)
  partial_offload,  ///< llama.cpp: the first layers stay in the worker's RAM
  cpu_only,         ///< llama.cpp: everything in RAM
};

/// @brief "single_gpu", "one_worker", "multi_worker", "partial_offload" or "cpu_only".
[[nodiscard]] constexpr std::string_view to_string(plan_stage s) noexcept {
  switch (s) {
    case plan_stage::single_gpu:
      return "single_gpu";
    case plan_stage::one_worker:
      return "one_worker";
    case plan_stage::multi_worker:
      return "multi_worker";
    case plan_stage::partial_offload:
      return "partial_offload";
    case plan_stage::cpu_only:
      return "cpu_only";
  }
  return "single_gpu";
}

/// @brief Which placements the default scorer prefers: the most-used devices that still fit
/// (binpack, keeping idle devices free for large models) or the idlest (spread).
enum class scoring_policy : std::uint8_t { binpack, spread };

/// @brief "binpack" or "spread".
[[nodiscard]] constexpr std::string_view to_string(scoring_policy p) noexcept {
  return p == scoring_policy::spread ? "spread" : "binpack";
}

/// @brief A GPU chosen by hand: worker name and device index ("host4080:1").
struct gpu_ref {
  std::string worker;
  std::uint32_t index = 0;
  friend bool operator==(const gpu_ref&, const gpu_ref&) = default;
};

/// @brief Parses "host4080:0,host4080:1" (the worker name may itself hold colons; the index
/// follows the last one).
/// @throws shardfit::error (invalid_argument) naming the bad item.
[[nodiscard]] SHARDFIT_INLINE std::vector<gpu_ref> parse_gpu_list(std::string_view text);

/// @brief llama.cpp's device limit: its scheduler holds 16 backends, one of them the CPU, and
/// `--tensor-split` takes fewer than `llama_max_devices()` = 16 values; so a plan gives layers
/// to at most 15 devices (local GPUs and RPC servers' GPUs together).
inline constexpr std::uint32_t llama_max_plan_devices = 15;

/// @brief Free memory is planned in units of this size, rounded down (so GPUs whose free memory
/// differs by less than one unit usually form one class).
inline constexpr std::uint64_t plan_granularity = std::uint64_t{64} << 20U;

/// @brief How the planner treats disks.
struct storage_settings {
  bool check_disk = true;     ///< reject workers whose disk cannot take the weights they need
  double disk_margin = 0.05;  ///< free disk must exceed the download by this share
};

/// @brief The context a request plans both engines for unless it says otherwise (tokens).
inline constexpr std::uint64_t default_plan_context = 4096;

/// @brief What to plan.
struct plan_request {
  backend engine = backend::llama_cpp;
  llama_settings
      llama;  ///< context, batches, cache types; `n_gpu_layers`/`tensor_split` are the planner's
  vllm_settings vllm;       ///< max_model_len, utilization; `tp`/`pp` are the planner's
  bool cpu_offload = true;  ///< llama.cpp: may keep layers in RAM (partial offload, CPU only)
  bool distributed = true;  ///< may use several workers (RPC servers, pipeline stages)
  std::optional<std::uint32_t> tp;  ///< vLLM: only this tensor parallel degree
  std::optional<std::uint32_t> pp;  ///< vLLM: only this pipeline parallel degree
  std::vector<gpu_ref> gpus;        ///< only these GPUs, all of them (empty: the planner picks)
  /// llama.cpp: at most this many layers offloaded, counted as `--gpu-layers` counts them (the
  /// output layer is one); nothing: no cap.
  std::optional<std::uint32_t> gpu_layers;
  std::uint32_t max_rpc_servers = llama_max_plan_devices;  ///< llama.cpp: RPC workers at most
  scoring_policy policy = scoring_policy::binpack;
  bool all_stages = false;           ///< try every stage instead of stopping at the first fit
  std::size_t max_alternatives = 5;  ///< ranked alternatives kept besides the chosen placement
  storage_settings storage;
  /// The context both engines are planned and launched with, in tokens: llama.cpp's `-c`,
  /// vLLM's `--max-model-len`; 0: the model's maximum. An engine's own setting overrides it
  /// where it differs from that setting's default (`llama.n_ctx` other than 4096,
  /// `vllm.max_model_len` other than 0). The placement records what was used (`context`).
  std::uint64_t context = default_plan_context;
};

/// @brief `rq` with its `context` applied to each engine's settings that does not override it.
/// @throws shardfit::error (invalid_argument) for a llama.cpp context beyond 2^32 - 1 tokens.
[[nodiscard]] SHARDFIT_INLINE plan_request resolved_request(plan_request rq);

/// @brief A GPU given work.
struct placed_gpu {
  std::uint32_t slot = 0;   ///< position in its worker's `gpus`
  std::uint32_t index = 0;  ///< device index on the worker
  std::string name;         ///< "RTX 4090" (filled for reported placements)
  /// Layers it holds. llama.cpp: its `--tensor-split` value (repeating layers, plus one on the
  /// device holding the output layer); vLLM: the layers of its pipeline stage (a 1/tp shard of
  /// each).
  std::uint32_t layers = 0;
  std::uint32_t repeating_layers = 0;  ///< repeating layers only (≥ 1 on every placed GPU)
  bool output_layer = false;           ///< llama.cpp: holds the output layer
  std::uint32_t stage = 0;             ///< vLLM: its pipeline stage
  bytes vram;                          ///< memory it will hold (vLLM: utilization × total)
  bytes allocatable;                   ///< what it had free for this instance
  bytes total;                         ///< its total memory
};

/// @brief A worker given work.
struct placed_worker {
  std::uint32_t worker = 0;  ///< position in the snapshot's `workers` (a hint: `name` rules)
  std::string name;          ///< filled for reported placements
  std::string address;       ///< filled for reported placements
  worker_role role = worker_role::main;
  std::uint32_t stage = 0;  ///< vLLM: its first pipeline stage (a worker may hold several)
  std::vector<placed_gpu> gpus;
  std::uint32_t cpu_layers = 0;  ///< llama.cpp: repeating layers kept in RAM
  bytes ram;                     ///< RAM it needs (llama.cpp's host part; 0 for RPC servers)
  bytes ram_allocatable;
  bytes ram_total;
  storage_source source = storage_source::none;  ///< where it reads the weights from
  std::string volume;                            ///< the shared volume, when `source` is `shared`
  std::string path;      ///< where it reads the weights, when it holds a copy (its disk, a mount)
  bytes weights;         ///< bytes of weight files it reads (downloads when `source` is download)
  bool partial = false;  ///< reads only the files of its pipeline stage

  /// @brief Where it reads the weights, for reports: "present", "shared:<volume>", "download"
  /// or "none".
  [[nodiscard]] std::string source_text() const;
};

/// @brief The placement's storage: copies read, bytes downloaded, and how to download less.
struct storage_summary {
  std::uint32_t copies = 0;  ///< distinct copies read: each local copy, each shared volume
  bytes download;            ///< bytes all workers download together
  std::vector<std::string> suggestions;
};

/// @brief A filter's answer for a worker or a GPU: used, or refused with the reason.
struct filter_verdict {
  bool pass = true;
  std::string reason;  ///< why not, when refused ("has label maintenance=true (avoided)")

  [[nodiscard]] static filter_verdict refuse(std::string why) { return {false, std::move(why)}; }
};

/// @brief One term of a score: its name, its integer weight, its value in [0, 100].
struct score_part {
  std::string name;
  int weight = 0;
  double value = 0;
};

/// @brief A score in [0, 100] and what it is made of.
struct score_card {
  double total = 0;
  std::vector<score_part> parts;
};

/// @brief A candidate placement. For llama.cpp the devices are ordered as llama.cpp orders
/// them: the RPC workers' GPUs (workers in order, GPUs by index), then the main worker's GPUs;
/// `tensor_split` follows that order.
struct placement {
  backend engine = backend::llama_cpp;
  plan_stage stage = plan_stage::single_gpu;
  std::vector<placed_worker> workers;  ///< the main worker first
  std::uint32_t offloaded_layers =
      0;                           ///< llama.cpp: `--gpu-layers` (the output counted); vLLM: all
  std::uint32_t total_layers = 0;  ///< llama.cpp: repeating layers + 1 (the output); vLLM: layers
  std::uint32_t tensor_parallel = 1;
  std::uint32_t pipeline_parallel = 1;
  double gpu_memory_utilization = 0;  ///< vLLM: the `--gpu-memory-utilization` it runs with
  std::uint64_t kv_tokens = 0;        ///< vLLM: tokens of KV cache (the least of the stages)
  /// The context it is planned and launched with, in tokens (llama.cpp's `-c`, vLLM's
  /// `--max-model-len`), resolved: never 0.
  std::uint64_t context = 0;
  std::vector<std::uint32_t> tensor_split;  ///< llama.cpp: layers per device, llama.cpp's order
  storage_summary storage;
  score_card score;

  /// @brief GPUs given work.
  [[nodiscard]] std::size_t gpu_count() const noexcept;
};

/// @brief The repeating layers a worker's weights reader loads, and whether it loads the input
/// embeddings and the output head.
struct layers_read {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  bool input = true;
  bool output = true;
  bool whole = true;  ///< every layer (llama.cpp's main worker, a vLLM worker of every stage)
};

/// @brief What `p.workers[i]` reads: a vLLM worker of a pipeline reads the layers of the
/// stages it holds (workers hold stages in order); every other reader reads the whole model.
[[nodiscard]] SHARDFIT_INLINE layers_read layers_read_by(const placement& p, std::size_t i);

/// @brief A worker a rejection covers, and the GPUs it concerns.
struct rejected_worker {
  std::string name;                 ///< the worker's name
  std::vector<std::uint32_t> gpus;  ///< device indices refused; empty: the worker as a whole

  friend bool operator==(const rejected_worker&, const rejected_worker&) = default;
};

/// @brief A candidate considered and dropped, or a worker that could not take part.
///
/// Programs branch on `rule` and read `workers` (every worker the rejection stands for, the
/// members of an equivalence class included, with the GPUs by device index) and `tp`/`pp` (a
/// parallel layout refused); `candidate` and `reason` are for people.
struct rejection {
  std::string candidate;  ///< for people: "worker 'a' (and 2 identical workers)", "a:0", "tp 3"
  rule_id rule = rule_id::fit_vram;  ///< the rule; `to_string(rule)` is its stable id
  std::string reason;                ///< the numbers
  std::uint32_t count = 1;           ///< identical workers it stands for (equivalence classes)
  std::vector<rejected_worker> workers{};  ///< the workers it covers (empty: a layout or the model)
  std::uint32_t tp = 0;  ///< the tensor parallel size of a refused layout (0: not a layout)
  std::uint32_t pp = 0;  ///< its pipeline parallel size (0: any, or not a layout)
};

/// @brief Planned or not.
enum class plan_status : std::uint8_t { planned, no_fit };

/// @brief "planned" or "no_fit".
[[nodiscard]] constexpr std::string_view to_string(plan_status s) noexcept {
  return s == plan_status::planned ? "planned" : "no_fit";
}

/// @brief The planner's answer.
struct plan_result {
  plan_status status = plan_status::no_fit;
  backend engine = backend::llama_cpp;
  std::string model;                    ///< the model's name
  std::uint32_t total_layers = 0;       ///< as `placement::total_layers` counts them
  std::optional<placement> chosen;      ///< the best placement
  std::vector<placement> alternatives;  ///< the next best, ranked
  std::vector<rejection> rejected;      ///< every candidate dropped, with its rule and numbers
  std::vector<std::string> messages;    ///< what an operator should read first
  std::vector<plan_stage> stages;       ///< the stages tried, in order
  std::size_t candidates = 0;           ///< placements that fit and were scored
  std::uint64_t cluster_version = 0;    ///< `cluster::version` of the snapshot it was made on
};

namespace detail {

// "1410.55 GiB": every plan message uses GiB with two decimals, so figures compare at a glance.
SHARDFIT_INLINE std::string gib(bytes b);

}  // namespace detail

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/placement-inl.hpp>
#endif
