#pragma once

// The bodies of <shardfit/cluster/inventory.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/inventory.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::size_t edit_distance(std::string_view a, std::string_view b) {
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

SHARDFIT_INLINE void cluster_reader::fail(std::string_view key, const std::string& problem) const {
  throw error::format(
      path_, where_ + (key.empty() ? "" : " key '" + std::string(key) + "'") + ": " + problem);
}

SHARDFIT_INLINE const json_value* cluster_reader::get(std::string_view key) const {
  const json_value* v = obj_.get(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

SHARDFIT_INLINE std::optional<bytes> cluster_reader::size(std::string_view key, bool memory) const {
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
  if (!v->is_string()) fail(key, "a size must be a number of bytes or a string such as \"16GiB\"");
  std::string why;
  const auto b = try_parse_bytes(v->text(), &why);
  if (!b) fail(key, "invalid size '" + v->text() + "': " + why);
  return b;
}

SHARDFIT_INLINE std::optional<std::string> cluster_reader::string(std::string_view key) const {
  const json_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) fail(key, "must be a string");
  return v->text();
}

SHARDFIT_INLINE std::optional<bool> cluster_reader::boolean(std::string_view key) const {
  const json_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) fail(key, "must be true or false");
  return v->boolean();
}

SHARDFIT_INLINE std::optional<std::uint32_t> cluster_reader::index(std::string_view key) const {
  const json_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_u64() || v->u64() > 0xFFFFFFFFULL) fail(key, "must be a non-negative integer");
  return static_cast<std::uint32_t>(v->u64());
}

SHARDFIT_INLINE const json_value* cluster_reader::array(std::string_view key) const {
  const json_value* v = get(key);
  if (v != nullptr && !v->is_array()) fail(key, "must be an array");
  return v;
}

SHARDFIT_INLINE const json_value* cluster_reader::object(std::string_view key) const {
  const json_value* v = get(key);
  if (v != nullptr && !v->is_object()) fail(key, "must be an object");
  return v;
}

SHARDFIT_INLINE std::vector<model_copy> read_models(const cluster_reader& r,
                                                    const std::string& path,
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

SHARDFIT_INLINE cluster parse_cluster(std::string_view text, const std::string& path,
                                      std::vector<std::string>* warnings) {
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

SHARDFIT_INLINE cluster cluster_json_inventory::snapshot() const {
  return parse_cluster(read_input(path_, std::size_t{256} << 20U), path_, warnings_);
}

}  // namespace shardfit
