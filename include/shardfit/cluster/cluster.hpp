#pragma once

/// @file
/// @brief The cluster as plain data: workers (RAM, disk, mounts, model copies, labels) and their
/// GPUs; reservations and the claims of instances already placed; the allocatable memory they
/// leave. `inventory.hpp` reads it from JSON; the inventory sources read nvidia-smi, rocm-smi
/// and Kubernetes output.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/path.hpp>
#include <shardfit/core/units.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief A GPU of a worker.
struct gpu_info {
  std::uint32_t index = 0;  ///< the device index on its worker, as nvidia-smi numbers it
  std::string name;         ///< "RTX 4080", "A100-SXM4-80GB"
  std::string vendor;       ///< "nvidia", "amd", "apple", ...
  bytes vram;               ///< total memory
  bytes vram_used;          ///< in use by processes outside shardfit's claims
  /// Labels of this GPU ("maintenance" = "true"), read by filters and scoring terms.
  std::vector<std::pair<std::string, std::string>> labels = {};

  /// @brief A label's value, or nothing.
  [[nodiscard]] std::optional<std::string> label(std::string_view key) const;
};

/// @brief A mount of a worker: a local path, and the volume behind it when it is shared.
struct mount_info {
  std::string path;
  std::string volume;  ///< the volume's name (two workers may mount one volume at two paths)
  bool shared = false;
};

/// @brief A copy of a model a worker (or a volume) already holds.
struct model_copy {
  std::string path;  ///< on a worker: its path there; on a volume: relative to the volume's root
  std::string name;  ///< the model's or its set's name ("Llama-3.1-70B-Instruct-Q4_K_M")
  bytes size;        ///< total bytes (0: unknown); with the name, identifies the content
};

/// @brief Which model the planner places: its name, its set's name, its files' total size
/// (0 when not downloaded). A copy is this model when its name is either name and the sizes
/// agree where both are known.
struct model_ref {
  std::string name;
  std::string set;
  bytes size;

  [[nodiscard]] bool matches(const model_copy& c) const noexcept;
};

/// @brief Where a worker finds a model's weights.
enum class storage_source : std::uint8_t {
  none,      ///< it reads no weights (a llama.cpp RPC server receives tensors over the network)
  present,   ///< a copy on its own disk
  shared,    ///< a copy on a shared volume it mounts
  download,  ///< nowhere: it must download them
};

/// @brief "none", "present", "shared" or "download".
[[nodiscard]] constexpr std::string_view to_string(storage_source s) noexcept {
  switch (s) {
    case storage_source::none:
      return "none";
    case storage_source::present:
      return "present";
    case storage_source::shared:
      return "shared";
    case storage_source::download:
      return "download";
  }
  return "none";
}

/// @brief Where a worker finds a model: on its disk (`path`), on a shared volume it mounts
/// (`volume`, seen at `path`), or nowhere.
struct model_location {
  storage_source source = storage_source::download;
  std::string volume;
  std::string path;
};

/// @brief A worker (a host).
struct worker_info {
  std::string name;
  std::string address;  ///< where other workers reach it (defaults to the name)
  std::vector<std::pair<std::string, std::string>> labels;
  bytes ram;
  bytes ram_used;
  bool uma = false;                ///< GPUs share the host's memory
  std::optional<bytes> disk_free;  ///< where downloads go; nothing: unknown (never checked)
  std::vector<mount_info> mounts;
  std::vector<model_copy> models;
  std::vector<gpu_info> gpus;

  /// @brief A label's value, or nothing.
  [[nodiscard]] std::optional<std::string> label(std::string_view key) const;
};

/// @brief A shared volume: one copy on it serves every worker that mounts it.
struct volume_info {
  std::string name;
  bool shared = true;
  bytes free;
  std::vector<model_copy> models;  ///< copies already on the volume
  /// The PersistentVolumeClaim that mounts it on Kubernetes; empty: the volume's name.
  std::string claim;
};

/// @brief Memory held back on every worker (RAM) and every GPU (VRAM).
struct reservations {
  bytes ram;
  bytes vram;
};

/// @brief Memory an instance already placed holds on a worker (and on one of its GPUs).
struct claim {
  std::string instance;
  std::string worker;
  std::optional<std::uint32_t> gpu;  ///< the GPU's index on the worker
  bytes ram;
  bytes vram;
};

/// @brief A snapshot of a cluster, and what can be allocated on it.
struct cluster {
  reservations reserved;
  std::vector<worker_info> workers;
  std::vector<claim> claims;
  std::vector<volume_info> volumes;
  /// Moves on whenever the cluster changes (an inventory sets it; `commit` and `release` move
  /// it): a plan records the version it was made on, so a scheduler can tell a stale plan.
  std::uint64_t version = 0;

  /// @brief VRAM a new instance may use on GPU `g` of worker `w` (indices into the vectors).
  [[nodiscard]] bytes allocatable_vram(std::size_t w, std::size_t g) const;
  /// @brief RAM a new instance may use on worker `w`.
  [[nodiscard]] bytes allocatable_ram(std::size_t w) const;
  /// @brief Allocatable memory of every worker and GPU at once, in O(workers + GPUs + claims)
  /// (calling `allocatable_vram` per GPU costs O(claims) each).
  struct allocatable_memory {
    std::vector<bytes> ram;                ///< per worker
    std::vector<std::vector<bytes>> vram;  ///< per worker, per GPU slot
  };
  [[nodiscard]] allocatable_memory allocatable() const;
  /// @brief Where worker `w` finds the model: a copy on its own disk first, then one on a
  /// shared volume it mounts (two workers may mount one volume at different paths).
  [[nodiscard]] model_location locate_model(std::size_t w, const model_ref& model) const;
  /// @brief Whether worker `w` can read the model without downloading it.
  [[nodiscard]] bool holds_model(std::size_t w, const model_ref& model) const;
  /// @brief The index of the worker named `name`, or nothing.
  [[nodiscard]] std::optional<std::size_t> find_worker(std::string_view name) const;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/cluster-inl.hpp>
#endif
