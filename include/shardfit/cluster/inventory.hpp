#pragma once

/// @file
/// @brief The cluster: workers (RAM, disk, mounts, model copies, labels) and their GPUs;
/// reservations and the claims of instances already placed; the allocatable memory they leave.
/// The cluster JSON reader is the default inventory source; `static_inventory` holds a cluster
/// an embedder built itself.
///
/// Cluster JSON (sizes are integers in bytes or strings with units; unknown keys are ignored):
/// @code{.json}
/// {"reserved": {"ram": "2GiB", "vram": "1GiB"},
///  "volumes": [{"name": "nfs-models", "shared": true, "free": "2TB",
///               "models": [{"name": "Llama-3.1-70B-Q4_K_M", "bytes": "42.5GB"}]}],
///  "workers": [{"name": "host4080", "address": "10.0.0.4", "ram": "64GiB", "ram_used": "8GiB",
///               "uma": false, "labels": {"zone": "a"}, "disk_free": "500GB",
///               "mounts": [{"path": "/mnt/models", "volume": "nfs-models", "shared": true}],
///               "models": [{"name": "Llama-3.1-8B", "path": "/data/llama", "bytes": 16060522496}],
///               (a copy's "name" may also be given as "set", the shard set's name)
///               "gpus": [{"index": 0, "name": "RTX 4080", "vendor": "nvidia",
///                         "vram": "16GiB", "vram_used": "500MiB"}]}],
///  "claims": [{"instance": "chat-1", "worker": "host4080", "gpu": 0, "vram": "4GiB"}]}
/// @endcode

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/io/json_value.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief The keys the cluster JSON reader knows, per kind of object: what
/// `docs/cluster.schema.json` describes (a test keeps the two in sync). Any other key is reported
/// as a warning naming the nearest known key.
struct cluster_keys {
  static constexpr std::array<std::string_view, 6> top{"$schema", "reserved", "volumes",
                                                       "workers", "claims",   "version"};
  static constexpr std::array<std::string_view, 2> reserved{"ram", "vram"};
  static constexpr std::array<std::string_view, 5> volume{"name", "shared", "free", "models",
                                                          "claim"};
  static constexpr std::array<std::string_view, 4> model{"path", "name", "set", "bytes"};
  static constexpr std::array<std::string_view, 10> worker{
      "name",      "address", "ram",    "ram_used", "uma",
      "disk_free", "labels",  "mounts", "models",   "gpus"};
  static constexpr std::array<std::string_view, 3> mount{"path", "volume", "shared"};
  static constexpr std::array<std::string_view, 6> gpu{"index", "name",      "vendor",
                                                       "vram",  "vram_used", "labels"};
  static constexpr std::array<std::string_view, 5> claim{"instance", "worker", "gpu", "ram",
                                                         "vram"};
};

namespace detail {

// Edit distance with adjacent transpositions ("rma" is one step from "ram"), for "did you
// mean" (keys are short).
SHARDFIT_INLINE std::size_t edit_distance(std::string_view a, std::string_view b);

// Reads typed values of one cluster JSON object; errors name the object (a worker) and the key.
class cluster_reader {
 public:
  cluster_reader(const json_value& obj, std::string where, const std::string& path)
      : obj_(obj), where_(std::move(where)), path_(path) {}

  // Adds a warning for every key of the object that is not in `known`, naming the nearest.
  template <std::size_t N>
  void check_keys(const std::array<std::string_view, N>& known,
                  std::vector<std::string>* warnings) const {
    if (warnings == nullptr) return;
    for (const auto& [key, value] : obj_.members()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string_view best;
      std::size_t best_d = key.size();
      for (const auto k : known) {
        const std::size_t d = edit_distance(key, k);
        if (d < best_d) {
          best_d = d;
          best = k;
        }
      }
      std::string w = path_ + ": unknown key '" + key + "' in " + where_ + "; it is ignored";
      if (!best.empty() && best_d <= std::max<std::size_t>(2, key.size() / 3)) {
        w += " (did you mean '" + std::string(best) + "'?)";
      }
      warnings->push_back(std::move(w));
    }
  }

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const;
  [[nodiscard]] const json_value* get(std::string_view key) const;
  // A size; `memory` (RAM, VRAM) refuses a bare number under 1 MiB, which is surely a count of
  // GiB or GB written without its unit (disk and file sizes may be small).
  [[nodiscard]] std::optional<bytes> size(std::string_view key, bool memory = true) const;
  [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
  [[nodiscard]] std::optional<std::uint32_t> index(std::string_view key) const;
  [[nodiscard]] const json_value* array(std::string_view key) const;
  [[nodiscard]] const json_value* object(std::string_view key) const;
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

 private:
  const json_value& obj_;
  std::string where_;
  const std::string& path_;
};

SHARDFIT_INLINE std::vector<model_copy> read_models(const cluster_reader& r,
                                                    const std::string& path,
                                                    std::vector<std::string>* warnings);

}  // namespace detail

/// @brief Parses cluster JSON read from `path` (used in messages). Keys it does not know are
/// ignored, each with a warning in `warnings` (when given) naming the nearest known key.
/// @throws shardfit::error (invalid_format) naming the worker and key of a bad value, a size
/// given as a bare number under 1 MiB among them ("vram": 24 is 24 bytes).
[[nodiscard]] SHARDFIT_INLINE cluster parse_cluster(std::string_view text, const std::string& path,
                                                    std::vector<std::string>* warnings = nullptr);

/// @brief The default inventory source: a cluster JSON file, read on every snapshot (so a
/// scheduler sees changes) through a filesystem policy.
class cluster_json_inventory {
 public:
  /// @brief Reads `path`; warnings about the file (unknown keys) go to `warnings` when given.
  explicit cluster_json_inventory(std::string path, std::vector<std::string>* warnings = nullptr)
      : path_(std::move(path)), warnings_(warnings) {}
  /// @throws shardfit::error when the file cannot be read or is malformed.
  [[nodiscard]] cluster snapshot() const;

 private:
  std::string path_;
  std::vector<std::string>* warnings_;
};

/// @brief An inventory an embedder built in memory.
class static_inventory {
 public:
  static_inventory() = default;
  explicit static_inventory(cluster c) : c_(std::move(c)) {}
  [[nodiscard]] const cluster& snapshot() const noexcept { return c_; }

 private:
  cluster c_;
};

static_assert(inventory_source<cluster_json_inventory>);
static_assert(inventory_source<static_inventory>);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/inventory-inl.hpp>
#endif
