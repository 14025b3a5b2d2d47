#pragma once

// The bodies of <shardfit/cluster/local.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/local.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::pair<bytes, bytes> read_meminfo(const std::string& text,
                                                     const std::string& path) {
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

SHARDFIT_INLINE cluster local_inventory::snapshot() const {
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

SHARDFIT_INLINE void local_inventory::add_gpus(worker_info& w, const std::string& tool,
                                               const std::vector<std::string>& argv,
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

}  // namespace shardfit
