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
inline std::pair<bytes, bytes> read_meminfo(const std::string& text, const std::string& path) {
  std::optional<std::uint64_t> total;
  std::optional<std::uint64_t> available;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    if (key != "MemTotal" && key != "MemAvailable") continue;
    std::string_view v = trim(line.substr(colon + 1));
    if (v.size() > 3 && v.substr(v.size() - 3) == " kB") v = trim(v.substr(0, v.size() - 3));
    const auto n = parse_whole(v);
    if (!n || *n > (std::uint64_t{1} << 50U)) {
      throw error::format(path,
                          std::string(key) + " '" + std::string(v) + "' is not a number of kB");
    }
    (key == "MemTotal" ? total : available) = *n << 10U;
  }
  if (!total) throw error::format(path, "no MemTotal line");
  const std::uint64_t avail = available.value_or(*total);
  return {bytes{*total}, bytes{avail > *total ? *total : avail}};
}

}  // namespace detail

/// @brief This machine as an `inventory_source` (see the file's description).
class local_inventory {
 public:
  /// @brief Warnings (a GPU tool absent or failing) go to `warnings` when given.
  explicit local_inventory(local_options options, std::vector<std::string>* warnings = nullptr)
      : options_(std::move(options)), warnings_(warnings) {}

  /// @throws shardfit::error when /proc/meminfo cannot be read or a GPU tool prints something
  /// malformed.
  [[nodiscard]] cluster snapshot() const {
    cluster c;
    worker_info w;
    char host[256] = {};
    w.name = ::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? host : "localhost";
    w.address = "127.0.0.1";
    const auto [total, available] =
        detail::read_meminfo(read_input(options_.meminfo, std::size_t{1} << 20U), options_.meminfo);
    w.ram = total;
    w.ram_used = total - available;
    if (!options_.model_dir.empty()) {
      struct statvfs fs {};
      if (::statvfs(options_.model_dir.c_str(), &fs) == 0) {
        w.disk_free = bytes{static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize};
      }
      if (!options_.model_name.empty()) {
        w.models.push_back({options_.model_dir, options_.model_name, options_.model_bytes});
      }
    }
    add_gpus(w, "nvidia-smi",
             {"nvidia-smi", "--query-gpu=index,name,memory.total,memory.used",
              "--format=csv,noheader,nounits"},
             &parse_nvidia_smi);
    add_gpus(w, "rocm-smi", {"rocm-smi", "--showmeminfo", "vram", "--showproductname", "--json"},
             &parse_rocm_smi);
    c.workers.push_back(std::move(w));
    return c;
  }

 private:
  using parser = worker_info (*)(std::string_view, const std::string&, worker_info);

  void add_gpus(worker_info& w, const std::string& tool, const std::vector<std::string>& argv,
                parser parse) const {
    const auto r = detail::run_command(argv, options_.timeout);
    const auto warn = [&](const std::string& s) {
      if (warnings_ != nullptr) warnings_->push_back(s);
    };
    if (!r.found) {
      warn(tool + " is not on PATH: no GPUs of its vendor are counted on this machine");
      return;
    }
    if (r.timed_out) {
      warn(tool + " did not answer within " + std::to_string(options_.timeout.count()) +
           " ms: its GPUs are not counted");
      return;
    }
    if (r.status != 0) {
      warn(tool + " exited with status " + std::to_string(r.status) + ": its GPUs are not counted");
      return;
    }
    worker_info base;
    base.name = w.name;
    const worker_info got = parse(r.out, tool + " output", base);
    for (const auto& g : got.gpus) w.gpus.push_back(g);
  }

  local_options options_;
  std::vector<std::string>* warnings_;
};
static_assert(inventory_source<local_inventory>);

}  // namespace shardfit
