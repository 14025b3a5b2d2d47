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
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

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

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
    throw error::format(
        path_, where_ + (key.empty() ? "" : " key '" + std::string(key) + "'") + ": " + problem);
  }
  [[nodiscard]] const json_value* get(std::string_view key) const {
    const json_value* v = obj_.get(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }
  // A size; `memory` (RAM, VRAM) refuses a bare number under 1 MiB, which is surely a count of
  // GiB or GB written without its unit (disk and file sizes may be small).
  [[nodiscard]] std::optional<bytes> size(std::string_view key, bool memory = true) const {
    const json_value* v = get(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number()) {
      if (!v->is_u64())
        fail(key, "a size must be a non-negative whole number of bytes, not " + v->text());
      // A bare number is bytes: "vram": 24 is 24 bytes, surely meant as 24 GiB.
      if (memory && v->u64() != 0 && v->u64() < (std::uint64_t{1} << 20U)) {
        fail(key, "a bare number is a count of bytes, and " + v->text() +
                      " bytes is less than 1 MiB; write the unit, e.g. \"" + v->text() +
                      "GiB\" or \"" + v->text() + "GB\"");
      }
      return bytes{v->u64()};
    }
    if (!v->is_string())
      fail(key, "a size must be a number of bytes or a string such as \"16GiB\"");
    std::string why;
    const auto b = try_parse_bytes(v->text(), &why);
    if (!b) fail(key, "invalid size '" + v->text() + "': " + why);
    return b;
  }
  [[nodiscard]] std::optional<std::string> string(std::string_view key) const {
    const json_value* v = get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) fail(key, "must be a string");
    return v->text();
  }
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const {
    const json_value* v = get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_bool()) fail(key, "must be true or false");
    return v->boolean();
  }
  [[nodiscard]] std::optional<std::uint32_t> index(std::string_view key) const {
    const json_value* v = get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_u64() || v->u64() > 0xFFFFFFFFULL) fail(key, "must be a non-negative integer");
    return static_cast<std::uint32_t>(v->u64());
  }
  [[nodiscard]] const json_value* array(std::string_view key) const {
    const json_value* v = get(key);
    if (v != nullptr && !v->is_array()) fail(key, "must be an array");
    return v;
  }
  [[nodiscard]] const json_value* object(std::string_view key) const {
    const json_value* v = get(key);
    if (v != nullptr && !v->is_object()) fail(key, "must be an object");
    return v;
  }
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

 private:
  const json_value& obj_;
  std::string where_;
  const std::string& path_;
};

inline std::vector<model_copy> read_models(const cluster_reader& r, const std::string& path,
                                           std::vector<std::string>* warnings) {
  std::vector<model_copy> out;
  if (const json_value* ms = r.array("models")) {
    for (std::size_t i = 0; i < ms->items().size(); ++i) {
      const auto& m = ms->items()[i];
      if (!m.is_object()) r.fail("models", "entries must be objects");
      const cluster_reader mr(m, r.where() + " model " + std::to_string(i), path);
      mr.check_keys(cluster_keys::model, warnings);
      model_copy c;
      c.path = mr.string("path").value_or("");
      c.name = mr.string("name").value_or(mr.string("set").value_or(""));
      c.size = mr.size("bytes", false).value_or(bytes{});
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace detail

/// @brief Parses cluster JSON read from `path` (used in messages). Keys it does not know are
/// ignored, each with a warning in `warnings` (when given) naming the nearest known key.
/// @throws shardfit::error (invalid_format) naming the worker and key of a bad value, a size
/// given as a bare number under 1 MiB among them ("vram": 24 is 24 bytes).
[[nodiscard]] inline cluster parse_cluster(std::string_view text, const std::string& path,
                                           std::vector<std::string>* warnings = nullptr) {
  const auto root = detail::json_value::parse(text, path, 5'000'000, 16);
  if (!root.is_object()) throw error::format(path, "at offset 0: a cluster must be a JSON object");
  const detail::cluster_reader top(root, "cluster", path);
  top.check_keys(cluster_keys::top, warnings);
  cluster c;
  if (const auto* v = top.get("version")) {
    if (!v->is_u64()) top.fail("version", "must be a non-negative integer");
    c.version = v->u64();
  }
  if (const auto* res = top.object("reserved")) {
    const detail::cluster_reader rr(*res, "reserved", path);
    rr.check_keys(cluster_keys::reserved, warnings);
    c.reserved.ram = rr.size("ram").value_or(bytes{});
    c.reserved.vram = rr.size("vram").value_or(bytes{});
  }
  if (const auto* vols = top.array("volumes")) {
    for (std::size_t i = 0; i < vols->items().size(); ++i) {
      const auto& v = vols->items()[i];
      if (!v.is_object()) top.fail("volumes", "entries must be objects");
      const detail::cluster_reader vr(v, "volume " + std::to_string(i), path);
      vr.check_keys(cluster_keys::volume, warnings);
      volume_info vol;
      vol.name = vr.string("name").value_or("");
      if (vol.name.empty()) vr.fail("name", "every volume needs a name");
      vol.shared = vr.boolean("shared").value_or(true);
      vol.free = vr.size("free", false).value_or(bytes{});
      vol.models = detail::read_models(vr, path, warnings);
      vol.claim = vr.string("claim").value_or("");
      c.volumes.push_back(std::move(vol));
    }
  }
  const auto* workers = top.array("workers");
  if (workers == nullptr) top.fail("workers", "a cluster needs a \"workers\" array");
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < workers->items().size(); ++i) {
    const auto& wj = workers->items()[i];
    if (!wj.is_object()) top.fail("workers", "entries must be objects");
    const detail::cluster_reader pre(wj, "worker " + std::to_string(i), path);
    worker_info w;
    w.name = pre.string("name").value_or("");
    if (w.name.empty()) pre.fail("name", "every worker needs a name");
    const detail::cluster_reader r(wj, "worker '" + w.name + "'", path);
    r.check_keys(cluster_keys::worker, warnings);
    if (!names.insert(w.name).second) r.fail("", "two workers have this name");
    w.address = r.string("address").value_or(w.name);
    w.ram = r.size("ram").value_or(bytes{});
    w.ram_used = r.size("ram_used").value_or(bytes{});
    w.uma = r.boolean("uma").value_or(false);
    w.disk_free = r.size("disk_free", false);
    if (const auto* labels = r.object("labels")) {
      for (const auto& [k, v] : labels->members()) {
        if (!v.is_string()) r.fail("labels", "label '" + k + "' must be a string");
        w.labels.emplace_back(k, v.text());
      }
    }
    if (const auto* mounts = r.array("mounts")) {
      for (std::size_t m = 0; m < mounts->items().size(); ++m) {
        const auto& mj = mounts->items()[m];
        if (!mj.is_object()) r.fail("mounts", "entries must be objects");
        const detail::cluster_reader mr(mj, r.where() + " mount " + std::to_string(m), path);
        mr.check_keys(cluster_keys::mount, warnings);
        mount_info mount;
        mount.path = mr.string("path").value_or("");
        mount.volume = mr.string("volume").value_or("");
        mount.shared = mr.boolean("shared").value_or(!mount.volume.empty());
        w.mounts.push_back(std::move(mount));
      }
    }
    w.models = detail::read_models(r, path, warnings);
    if (const auto* gpus = r.array("gpus")) {
      std::unordered_set<std::uint32_t> indices;
      for (std::size_t g = 0; g < gpus->items().size(); ++g) {
        const auto& gj = gpus->items()[g];
        if (!gj.is_object()) r.fail("gpus", "entries must be objects");
        const detail::cluster_reader gr(gj, r.where() + " gpu " + std::to_string(g), path);
        gr.check_keys(cluster_keys::gpu, warnings);
        gpu_info gpu;
        gpu.index = gr.index("index").value_or(static_cast<std::uint32_t>(g));
        gpu.name = gr.string("name").value_or("");
        gpu.vendor = gr.string("vendor").value_or("");
        gpu.vram = gr.size("vram").value_or(bytes{});
        gpu.vram_used = gr.size("vram_used").value_or(bytes{});
        if (gpu.vram_used > gpu.vram) gr.fail("vram_used", "is more than the GPU's vram");
        if (const auto* labels = gr.object("labels")) {
          for (const auto& [k, v] : labels->members()) {
            if (!v.is_string()) gr.fail("labels", "label '" + k + "' must be a string");
            gpu.labels.emplace_back(k, v.text());
          }
        }
        if (!indices.insert(gpu.index).second)
          gr.fail("index", "two GPUs have index " + std::to_string(gpu.index));
        w.gpus.push_back(std::move(gpu));
      }
    }
    if (w.ram_used > w.ram) r.fail("ram_used", "is more than the worker's ram");
    c.workers.push_back(std::move(w));
  }
  if (const auto* claims = top.array("claims")) {
    for (std::size_t i = 0; i < claims->items().size(); ++i) {
      const auto& cj = claims->items()[i];
      if (!cj.is_object()) top.fail("claims", "entries must be objects");
      const detail::cluster_reader cr(cj, "claim " + std::to_string(i), path);
      cr.check_keys(cluster_keys::claim, warnings);
      claim cl;
      cl.instance = cr.string("instance").value_or("");
      cl.worker = cr.string("worker").value_or("");
      if (!c.find_worker(cl.worker)) cr.fail("worker", "no worker is named '" + cl.worker + "'");
      cl.gpu = cr.index("gpu");
      // (A worker listing no GPUs may get them from another source: checked after merging.)
      if (const auto& gs = c.workers[*c.find_worker(cl.worker)].gpus; cl.gpu && !gs.empty()) {
        const bool known = std::any_of(gs.begin(), gs.end(),
                                       [&](const gpu_info& g) { return g.index == *cl.gpu; });
        if (!known) {
          cr.fail("gpu",
                  "worker '" + cl.worker + "' has no GPU with index " + std::to_string(*cl.gpu));
        }
      }
      cl.ram = cr.size("ram").value_or(bytes{});
      cl.vram = cr.size("vram").value_or(bytes{});
      c.claims.push_back(std::move(cl));
    }
  }
  return c;
}

/// @brief The default inventory source: a cluster JSON file, read on every snapshot (so a
/// scheduler sees changes) through a filesystem policy.
class cluster_json_inventory {
 public:
  /// @brief Reads `path`; warnings about the file (unknown keys) go to `warnings` when given.
  explicit cluster_json_inventory(std::string path, std::vector<std::string>* warnings = nullptr)
      : path_(std::move(path)), warnings_(warnings) {}
  /// @throws shardfit::error when the file cannot be read or is malformed.
  [[nodiscard]] cluster snapshot() const {
    return parse_cluster(read_input(path_, std::size_t{256} << 20U), path_, warnings_);
  }

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
