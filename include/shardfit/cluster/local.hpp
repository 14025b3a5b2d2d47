#pragma once

/// @file
/// @brief This machine as an inventory: one worker with its GPUs from `nvidia-smi` and/or
/// `rocm-smi` when they are on PATH (each run with a time limit; a tool that is absent means no
/// GPUs of that vendor, said in a warning), its RAM from `/proc/meminfo` (MemTotal, and
/// MemAvailable for what is free), the free disk of the model's directory, and the model's
/// directory as a copy already present. What `shardfit plan MODEL` uses when no inventory is
/// given.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/cluster/detail/run_command.hpp>
#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/filesystem.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/statvfs.h>
#include <unistd.h>

namespace shardfit {

/// @brief What `local_inventory` is told about the model it will plan.
struct local_options {
  std::string model_dir;   ///< the directory holding the model (free disk, the copy present)
  std::string model_name;  ///< the model's set name, for the copy present (empty: none)
  bytes model_bytes;       ///< the copy's size
  std::chrono::milliseconds timeout{10'000};  ///< per GPU tool
  std::string meminfo = "/proc/meminfo";      ///< where RAM is read
};

namespace detail {

// MemTotal and MemAvailable of /proc/meminfo (kB), as bytes.
SHARDFIT_INLINE std::pair<bytes, bytes> read_meminfo(const std::string& text,
                                                     const std::string& path);

}  // namespace detail

/// @brief This machine as an `inventory_source` (see the file's description).
class local_inventory {
 public:
  /// @brief Warnings (a GPU tool absent or failing) go to `warnings` when given.
  explicit local_inventory(local_options options, std::vector<std::string>* warnings = nullptr)
      : options_(std::move(options)), warnings_(warnings) {}

  /// @throws shardfit::error when /proc/meminfo cannot be read or a GPU tool prints something
  /// malformed.
  [[nodiscard]] cluster snapshot() const;

 private:
  using parser = worker_info (*)(std::string_view, const std::string&, worker_info);

  void add_gpus(worker_info& w, const std::string& tool, const std::vector<std::string>& argv,
                parser parse) const;

  local_options options_;
  std::vector<std::string>* warnings_;
};
static_assert(inventory_source<local_inventory>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/local-inl.hpp>
#endif
