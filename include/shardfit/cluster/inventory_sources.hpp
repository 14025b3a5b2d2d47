#pragma once

/// @file
/// @brief Inventory adapters for the clusters people have: `nvidia-smi` CSV and `rocm-smi` JSON
/// (one worker each), `kubectl get nodes -o json` (a whole cluster), and a merge of several
/// sources. Each reader is a function over text (for tests and embedders that already hold the
/// output) plus an inventory source over a file. Errors name the file and the line.
///
/// Formats read:
/// - `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits`:
///   one GPU per line, `0, NVIDIA A100-SXM4-80GB, 81920, 1024` (MiB). A header line (without
///   `noheader`) and ` MiB` units (without `nounits`) are accepted; `[N/A]` or `[Not Supported]`
///   for memory.used counts as 0, for memory.total is an error.
/// - `rocm-smi --showmeminfo vram --json`: `{"card0": {"VRAM Total Memory (B)": "68702699520",
///   "VRAM Total Used Memory (B)": "10960896"}, ...}`; a `Card series` (from
///   `--showproductname`) names the GPU; other keys ("system") are ignored.
/// - `kubectl get nodes -o json` (a `List`/`NodeList`, or one `Node`): per node its name,
///   labels, `InternalIP`, allocatable memory, allocatable `nvidia.com/gpu` / `amd.com/gpu`, and
///   the GPU's memory from NVIDIA GPU feature discovery labels (`nvidia.com/gpu.memory` in MiB,
///   `nvidia.com/gpu.product`, `nvidia.com/gpu.count`) or the AMD node labeller's
///   (`amd.com/gpu.vram` = `64G`, or `[beta.]amd.com/gpu.vram.64G` = count; G means GiB).
///   Unschedulable and NotReady nodes are left out, with a warning.

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/io/json_value.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shardfit {

namespace detail {

// 1-based line of a byte offset.
SHARDFIT_INLINE std::size_t line_of(std::string_view text, std::size_t offset) noexcept;

// A whole decimal number, nothing else; nothing on overflow or any other character.
SHARDFIT_INLINE std::optional<std::uint64_t> parse_whole(std::string_view s) noexcept;

// JSON value → whole number (a number or a string of digits, as rocm-smi writes them).
SHARDFIT_INLINE std::optional<std::uint64_t> whole_of(const json_value& v) noexcept;

}  // namespace detail

/// @brief Parses a Kubernetes resource quantity ("528157196Ki", "64Gi", "1.5G", "8", "1e3",
/// "1500m") into a whole number, rounding fractions of a unit down; nothing when malformed or
/// over 2^64. The suffixes shared with sizes are `parse_bytes`'s; this adds the sub-units
/// (m, u, n) and decimal exponents Kubernetes also writes.
[[nodiscard]] SHARDFIT_INLINE std::optional<std::uint64_t> parse_quantity(std::string_view text);

namespace detail {

// The columns of nvidia-smi CSV output that shardfit reads, by position in a row.
struct smi_columns {
  std::size_t count = 4;
  std::size_t index = 0;
  std::optional<std::size_t> name = 1;
  std::size_t total = 2;
  std::optional<std::size_t> used = 3;
  std::optional<std::size_t> free;
};

// Splits a CSV line at commas, trimming each field.
SHARDFIT_INLINE std::vector<std::string_view> csv_fields(std::string_view line);

// A header line ("index, name, memory.total [MiB], memory.free [MiB]"): columns by name, in any
// order, with or without units. Returns an error message for a header it cannot use.
SHARDFIT_INLINE std::string read_smi_header(const std::vector<std::string_view>& fields,
                                            smi_columns& c);

}  // namespace detail

/// @brief Reads nvidia-smi CSV output into `worker`'s GPUs (vendor "nvidia"), replacing any it
/// had. With a header line (`--format=csv`), columns are taken by name in any order, with or
/// without units: index, name, memory.total, and memory.used or memory.free (free memory is
/// what counts: used = total - free when it is given); a header naming a column shardfit does
/// not read is refused. Without a header, the documented order of
/// `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits`.
/// `path` names the source in errors.
/// @throws shardfit::error (invalid_format) naming the line of a malformed row.
[[nodiscard]] SHARDFIT_INLINE worker_info parse_nvidia_smi(std::string_view text,
                                                           const std::string& path,
                                                           worker_info worker);

/// @brief Reads `rocm-smi --showmeminfo vram --json` output (optionally with
/// `--showproductname`) into `worker`'s GPUs (vendor "amd"), replacing any it had; GPUs are
/// ordered by card number.
/// @throws shardfit::error (invalid_format) naming the line and the card.
[[nodiscard]] SHARDFIT_INLINE worker_info parse_rocm_smi(std::string_view text,
                                                         const std::string& path,
                                                         worker_info worker);

namespace detail {

// "64G", "64Gi", "16384M": a GPU memory label of the AMD node labeller, whose letters are binary
// units (G is GiB).
SHARDFIT_INLINE std::optional<bytes> amd_vram_label(std::string_view v);

}  // namespace detail

/// @brief Reads `kubectl get nodes -o json` output (a `List` of nodes, or one `Node`) into a
/// cluster: one worker per schedulable, Ready node. Warnings (nodes left out, GPUs whose memory
/// no label gives) go to `warnings` when given.
/// @throws shardfit::error (invalid_format) naming the line and the node.
[[nodiscard]] SHARDFIT_INLINE cluster parse_kubernetes_nodes(
    std::string_view text, const std::string& path, std::vector<std::string>* warnings = nullptr);

/// @brief GPUs that pods already hold on one node (`kubectl get pods -A -o json`).
struct node_gpu_requests {
  std::string node;
  std::uint64_t nvidia = 0;       ///< `nvidia.com/gpu` requested by its running pods
  std::uint64_t amd = 0;          ///< `amd.com/gpu`
  std::vector<std::string> pods;  ///< "namespace/name" of the pods holding GPUs
};

/// @brief Reads `kubectl get pods -A -o json` output: per node, the GPUs its pods hold (the
/// containers' and the largest init container's `nvidia.com/gpu` / `amd.com/gpu` limits, or
/// requests, of pods bound to a node and not Succeeded or Failed).
/// @throws shardfit::error (invalid_format) naming the line.
[[nodiscard]] SHARDFIT_INLINE std::vector<node_gpu_requests> parse_kubernetes_pods(
    std::string_view text, const std::string& path);

/// @brief Marks the GPUs that pods hold as taken: on each node, that many GPUs of the vendor
/// (the highest indices; the device plugin does not say which) get all their memory used.
/// Says what it did in `warnings`.
SHARDFIT_INLINE void take_pod_gpus(cluster& c, const std::vector<node_gpu_requests>& requests,
                                   std::vector<std::string>* warnings = nullptr);

/// @brief Folds `from` into `into`, `from` winning where it says something: workers and volumes
/// are matched by name (new ones are appended). For a worker known to both, a non-empty GPU
/// list replaces the old one (a later source such as nvidia-smi is the exact one), a non-zero
/// RAM (with its RAM used), a known disk, an address other than the name and a label replace
/// the old ones, mounts and model copies are added, `uma` is kept when either says so. Claims
/// are added; non-zero reservations replace the old.
SHARDFIT_INLINE void merge_into(cluster& into, const cluster& from);

/// @brief The merge of several clusters, in order (see `merge_into`).
[[nodiscard]] SHARDFIT_INLINE cluster merge_clusters(const std::vector<cluster>& parts);

/// @brief `merge_clusters` that takes the parts: the first is moved, not copied (one source
/// costs nothing).
[[nodiscard]] SHARDFIT_INLINE cluster merge_clusters(std::vector<cluster>&& parts);

namespace detail {

// One worker's GPUs from a file of a GPU tool's output, read with `Parse` on every snapshot.
template <worker_info (*Parse)(std::string_view, const std::string&, worker_info)>
class worker_file_inventory {
 public:
  worker_file_inventory(std::string path, worker_info base)
      : path_(std::move(path)), base_(std::move(base)) {}
  [[nodiscard]] cluster snapshot() const {
    cluster c;
    c.workers.push_back(Parse(read_input(path_, std::size_t{1} << 20U), path_, base_));
    return c;
  }

 private:
  std::string path_;
  worker_info base_;
};

}  // namespace detail

/// @brief One worker's GPUs from a file of `nvidia-smi` CSV output, read on every snapshot:
/// `nvidia_smi_inventory(path, base)`. The worker's other facts (RAM, address, labels) come
/// from `base` or a merged source.
using nvidia_smi_inventory = detail::worker_file_inventory<&parse_nvidia_smi>;

/// @brief One worker's GPUs from a file of `rocm-smi --showmeminfo vram --json` output.
using rocm_smi_inventory = detail::worker_file_inventory<&parse_rocm_smi>;

/// @brief A cluster from a file of `kubectl get nodes -o json` output, read on every snapshot;
/// its warnings (nodes left out, GPUs without a memory label) go to `warnings` when given.
class kubernetes_nodes_inventory {
 public:
  explicit kubernetes_nodes_inventory(std::string path,
                                      std::vector<std::string>* warnings = nullptr)
      : path_(std::move(path)), warnings_(warnings) {}
  [[nodiscard]] cluster snapshot() const;

 private:
  std::string path_;
  std::vector<std::string>* warnings_;
};

/// @brief Several inventory sources merged in order on every snapshot (later sources win, see
/// `merge_into`): e.g. Kubernetes nodes, then a cluster JSON with volumes and claims, then
/// nvidia-smi output per worker.
template <inventory_source... Sources>
class merged_inventory {
 public:
  explicit merged_inventory(Sources... sources) : sources_(std::move(sources)...) {}
  [[nodiscard]] cluster snapshot() const {
    cluster out;
    std::apply([&](const auto&... s) { (merge_into(out, s.snapshot()), ...); }, sources_);
    return out;
  }

 private:
  std::tuple<Sources...> sources_;
};

static_assert(inventory_source<nvidia_smi_inventory>);
static_assert(inventory_source<rocm_smi_inventory>);
static_assert(inventory_source<kubernetes_nodes_inventory>);
static_assert(inventory_source<merged_inventory<kubernetes_nodes_inventory, nvidia_smi_inventory>>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/inventory_sources-inl.hpp>
#endif
