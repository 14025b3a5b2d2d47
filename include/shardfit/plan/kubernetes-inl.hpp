#pragma once

// The bodies of <shardfit/plan/kubernetes.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/kubernetes.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::string dns_label(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s) {
    const char l = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "shardfit" : out;
}

SHARDFIT_INLINE std::string gpu_resource(const worker_info& w) {
  for (const auto& g : w.gpus) {
    if (g.vendor == "nvidia") return "nvidia.com/gpu";
    if (g.vendor == "amd") return "amd.com/gpu";
  }
  return {};
}

SHARDFIT_INLINE std::string shell_words(const std::vector<std::string>& argv) {
  launch_command c;
  c.argv = argv;
  return c.shell();
}

SHARDFIT_INLINE pod_storage storage_of(const placement& p, std::size_t i, const cluster& c,
                                       const launch_settings& s, const kubernetes_settings& k) {
  const placed_worker& pw = p.workers[i];
  const worker_info& w = c.workers[pw.worker];
  pod_storage st;
  const bool llama = p.engine == backend::llama_cpp;
  if (llama && pw.role == worker_role::rpc) return st;
  switch (pw.source) {
    case storage_source::shared:
      for (const auto& m : w.mounts) {
        if (m.volume != pw.volume) continue;
        st.kind = "claim";
        st.mount = m.path;
        st.source = pw.volume;
        for (const auto& v : c.volumes) {
          if (v.name == pw.volume && !v.claim.empty()) st.source = v.claim;
        }
      }
      return st;
    case storage_source::present:
      st.kind = "host";
      st.source = st.mount = directory_of(pw.path, iends_with(pw.path, ".gguf"));
      return st;
    case storage_source::download: {
      st.kind = "download";
      st.read_only = false;
      const download_target t = download_target_of(pw, s, llama);
      st.source = st.mount = t.by_repo ? k.hf_cache : t.dir;
      return st;
    }
    case storage_source::none:
      return st;
  }
  return st;
}

}  // namespace detail

}  // namespace shardfit
