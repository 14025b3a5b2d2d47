#pragma once

// The bodies of <shardfit/plan/launch.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/launch.hpp>

namespace shardfit {

SHARDFIT_INLINE launch_settings launch_settings_for(const model_profile& model,
                                                    const plan_request& request,
                                                    std::string model_path) {
  launch_settings s;
  s.model = std::move(model_path);
  // llama.cpp loads a split from its first shard ("model must be loaded with the first
  // split"), whichever shard was named.
  for (const auto& f : model.files) {
    const auto slash = f.find_last_of('/');
    const std::string base = slash == std::string::npos ? f : f.substr(slash + 1);
    if (!detail::iends_with(base, ".gguf")) continue;
    const auto shard = parse_shard_name(base);
    if (s.gguf_file.empty() || (shard && shard->index == 1)) s.gguf_file = base;
    s.gguf_files.push_back(base);
  }
  // The first shard first, the rest in order.
  std::sort(s.gguf_files.begin(), s.gguf_files.end());
  const auto first = std::find(s.gguf_files.begin(), s.gguf_files.end(), s.gguf_file);
  if (first != s.gguf_files.end()) std::rotate(s.gguf_files.begin(), first, first + 1);
  s.weight_files = model.weight_files;
  s.gguf = model.source == "gguf";
  if (!model.companions.empty()) {
    const auto& c = model.companions.front();
    const auto slash = c.find_last_of('/');
    s.mmproj = slash == std::string::npos ? c : c.substr(slash + 1);
  }
  s.hub_repo = model.hub_repo;
  s.repo = model.hub_repo;
  const plan_request rq = resolved_request(request);
  s.llama = rq.llama;
  s.vllm = rq.vllm;
  s.max_model_len = model.vllm_context(rq.vllm.max_model_len);
  return s;
}

SHARDFIT_INLINE std::string launch_command::shell() const {
  if (argv.empty()) return "# " + note;
  std::string out;
  for (const auto& [k, v] : env) out += k + "=" + quote(v) + " ";
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i != 0) out += ' ';
    out += quote(argv[i]);
  }
  return out;
}

SHARDFIT_INLINE std::string launch_command::quote(std::string_view s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789-_./:,=+@%") == std::string_view::npos;
  if (plain) return std::string(s);
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

namespace detail {

SHARDFIT_INLINE std::string short_decimal(double v) {
  const auto scaled = static_cast<std::uint64_t>(std::llround(v * 10000.0));
  std::string out = std::to_string(scaled / 10000);
  std::uint64_t frac = scaled % 10000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 4 - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

SHARDFIT_INLINE std::optional<std::string> visible_devices_var(std::string_view vendor) {
  if (vendor == "nvidia") return "CUDA_VISIBLE_DEVICES";
  if (vendor == "amd") return "HIP_VISIBLE_DEVICES";
  return std::nullopt;
}

SHARDFIT_INLINE std::string join_numbers(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (const auto x : v) {
    if (!out.empty()) out += ',';
    out += std::to_string(x);
  }
  return out;
}

SHARDFIT_INLINE void add_visible_devices(launch_command& cmd, const worker_info& w,
                                         const placed_worker& pw) {
  for (const auto& g : w.gpus) {
    if (const auto var = visible_devices_var(g.vendor)) {
      std::vector<std::uint32_t> indices;
      for (const auto& placed : pw.gpus) indices.push_back(placed.index);
      if (g.vendor == "nvidia") cmd.env.emplace_back("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
      cmd.env.emplace_back(*var, join_numbers(indices));
      return;
    }
  }
}

SHARDFIT_INLINE std::string model_path(const placed_worker& pw, const launch_settings& s,
                                       bool gguf) {
  const bool copy = pw.source == storage_source::present || pw.source == storage_source::shared;
  std::string p = copy && (s.gguf || !gguf) ? pw.path : s.model;
  if (gguf && !s.gguf_file.empty() && iends_with(p, ".gguf")) {
    // A path naming one shard of a split: the first shard beside it.
    const auto slash = p.find_last_of('/');
    const auto shard = parse_shard_name(slash == std::string::npos ? p : p.substr(slash + 1));
    if (shard && shard->index != 1) {
      return slash == std::string::npos ? s.gguf_file : p.substr(0, slash + 1) + s.gguf_file;
    }
  }
  if (!gguf || s.gguf_file.empty() || iends_with(p, ".gguf")) return p.empty() ? s.gguf_file : p;
  if (p.empty()) return s.gguf_file;
  return join_path(p, s.gguf_file);
}

SHARDFIT_INLINE bool looks_like_repo(std::string_view s) {
  const auto slash = s.find('/');
  return !s.empty() && s.front() != '/' && s.front() != '.' && s.front() != '~' &&
         slash != std::string_view::npos && slash == s.rfind('/') && slash + 1 < s.size() &&
         s.find(' ') == std::string_view::npos && !iends_with(s, ".gguf");
}

SHARDFIT_INLINE std::string directory_of(const std::string& path, bool is_file) {
  if (!is_file) return path;
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

SHARDFIT_INLINE download_target download_target_of(const placed_worker& pw,
                                                   const launch_settings& s, bool llama) {
  download_target t;
  t.served = model_path(pw, s, llama);
  t.by_repo = !llama && (!s.hub_repo.empty() || looks_like_repo(t.served));
  t.dir = directory_of(t.served, llama);
  return t;
}

SHARDFIT_INLINE std::vector<std::string> download_files(const placement& p, std::size_t i,
                                                        const launch_settings& s, bool by_repo) {
  std::vector<std::string> files;
  if (p.engine == backend::llama_cpp) {
    files = s.gguf_files;
    if (!s.mmproj.empty()) files.push_back(s.mmproj);
    return files;
  }
  const layers_read r = layers_read_by(p, i);
  for (const auto& f : s.weight_files) {
    if (r.whole || by_repo || f.needed_by(r.first, r.count, r.input, r.output)) {
      files.push_back(f.name);
    }
  }
  if (s.weight_files.empty()) files.emplace_back(s.gguf ? "*.gguf" : "*.safetensors");
  files.insert(files.end(), {"*.json", "tokenizer*", "*.jinja", "*.tiktoken"});
  return files;
}

SHARDFIT_INLINE launch_command download_step(const placement& p, std::size_t i, const cluster& c,
                                             const launch_settings& s) {
  const placed_worker& pw = p.workers[i];
  launch_command cmd;
  cmd.worker = c.workers[pw.worker].name;
  cmd.address = c.workers[pw.worker].address;
  cmd.role = "download";
  const bool llama = p.engine == backend::llama_cpp;
  const auto [served, by_repo, dir] = download_target_of(pw, s, llama);
  const std::vector<std::string> files = download_files(p, i, s, by_repo);
  const std::string repo = !s.repo.empty()       ? s.repo
                           : !s.hub_repo.empty() ? s.hub_repo
                           : by_repo             ? served
                                                 : std::string();
  if (repo.empty() || (llama && !s.gguf)) {
    std::string list;
    for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
    cmd.note = "copy the model's files (" + list + ") to " + dir + " on " + cmd.worker +
               ": it holds no copy and no Hugging Face repository is known to download from";
    if (llama && !s.gguf) {
      cmd.note = "copy the GGUF to " + model_path(pw, s, llama) + " on " + cmd.worker +
                 ": it holds no copy";
    }
    return cmd;
  }
  cmd.argv = {s.hf_program, "download", repo};
  cmd.argv.insert(cmd.argv.end(), files.begin(), files.end());
  if (!by_repo) cmd.argv.insert(cmd.argv.end(), {"--local-dir", dir});
  return cmd;
}

SHARDFIT_INLINE placement resolve_workers(const placement& p, const cluster& c) {
  placement q = p;
  for (auto& w : q.workers) {
    if (w.name.empty()) {
      if (w.worker >= c.workers.size()) {
        throw error::invalid_argument("the placement names worker " + std::to_string(w.worker) +
                                      " but the cluster has " + std::to_string(c.workers.size()));
      }
      continue;
    }
    if (w.worker < c.workers.size() && c.workers[w.worker].name == w.name) continue;
    const auto at = c.find_worker(w.name);
    if (!at) {
      throw error::invalid_argument("the placement's worker '" + w.name +
                                    "' is not in this cluster (it changed since the plan: plan "
                                    "again)");
    }
    w.worker = static_cast<std::uint32_t>(*at);
  }
  return q;
}

}  // namespace detail

SHARDFIT_INLINE std::vector<launch_command> launch_commands(const placement& planned,
                                                            const cluster& c,
                                                            const launch_settings& s) {
  const placement p = detail::resolve_workers(planned, c);
  std::vector<launch_command> out;
  if (p.workers.empty()) return out;
  const auto base = [&](const placed_worker& pw, std::string role) {
    launch_command cmd;
    cmd.worker = c.workers[pw.worker].name;
    cmd.address = c.workers[pw.worker].address;
    cmd.role = std::move(role);
    return cmd;
  };
  for (std::size_t i = 0; i < p.workers.size(); ++i) {
    const placed_worker& pw = p.workers[i];
    if (pw.source != storage_source::download) continue;
    if (p.engine == backend::llama_cpp && pw.role == worker_role::rpc) continue;
    out.push_back(detail::download_step(p, i, c, s));
  }
  const placed_worker& main = p.workers.front();
  if (p.engine == backend::llama_cpp) {
    std::string rpc;
    for (const auto& pw : p.workers) {
      if (pw.role != worker_role::rpc) continue;
      launch_command cmd = base(pw, "rpc-server");
      detail::add_visible_devices(cmd, c.workers[pw.worker], pw);
      cmd.argv = {s.rpc_server, "-H", s.host, "-p", std::to_string(s.rpc_port)};
      if (!rpc.empty()) rpc += ',';
      rpc += cmd.address + ":" + std::to_string(s.rpc_port);
      out.push_back(std::move(cmd));
    }
    launch_command cmd = base(main, "llama-server");
    detail::add_visible_devices(cmd, c.workers[main.worker], main);
    const llama_settings& l = s.llama;
    cmd.argv = {s.llama_server,          "-m",   detail::model_path(main, s, true), "-c",
                std::to_string(l.n_ctx), "-ngl", std::to_string(p.offloaded_layers)};
    if (!s.mmproj.empty()) {
      const std::string m = detail::model_path(main, s, true);
      const auto slash = m.find_last_of('/');
      cmd.argv.insert(
          cmd.argv.end(),
          {"--mmproj", slash == std::string::npos ? s.mmproj : m.substr(0, slash + 1) + s.mmproj});
    }
    if (p.tensor_split.size() > 1) {
      cmd.argv.insert(cmd.argv.end(), {"--tensor-split", detail::join_numbers(p.tensor_split)});
    }
    if (!rpc.empty()) cmd.argv.insert(cmd.argv.end(), {"--rpc", rpc});
    if (l.n_parallel != 1)
      cmd.argv.insert(cmd.argv.end(), {"--parallel", std::to_string(l.n_parallel)});
    if (l.n_ubatch != 512) cmd.argv.insert(cmd.argv.end(), {"-ub", std::to_string(l.n_ubatch)});
    if (l.n_batch != 2048) cmd.argv.insert(cmd.argv.end(), {"-b", std::to_string(l.n_batch)});
    if (l.flash_attn != flash_attn_mode::automatic) {
      cmd.argv.insert(cmd.argv.end(), {"--flash-attn", std::string(to_string(l.flash_attn))});
    }
    if (l.cache_type_k != "f16")
      cmd.argv.insert(cmd.argv.end(), {"--cache-type-k", l.cache_type_k});
    if (l.cache_type_v != "f16")
      cmd.argv.insert(cmd.argv.end(), {"--cache-type-v", l.cache_type_v});
    cmd.argv.insert(cmd.argv.end(),
                    {"--host", s.host, "--port", std::to_string(s.port.value_or(8080))});
    out.push_back(std::move(cmd));
    return out;
  }

  // vLLM
  const bool multi_node = p.workers.size() > 1;
  const auto gpus_of = [](const placed_worker& pw) { return std::to_string(pw.gpus.size()); };
  if (multi_node) {
    launch_command head = base(main, "ray-head");
    detail::add_visible_devices(head, c.workers[main.worker], main);
    head.argv = {s.ray_program, "start", "--head", "--port=" + std::to_string(s.ray_port),
                 "--num-gpus=" + gpus_of(main)};
    out.push_back(std::move(head));
    for (std::size_t i = 1; i < p.workers.size(); ++i) {
      const placed_worker& pw = p.workers[i];
      launch_command w = base(pw, "ray-worker");
      detail::add_visible_devices(w, c.workers[pw.worker], pw);
      w.argv = {s.ray_program, "start",
                "--address=" + c.workers[main.worker].address + ":" + std::to_string(s.ray_port),
                "--num-gpus=" + gpus_of(pw)};
      out.push_back(std::move(w));
    }
  }
  launch_command cmd = base(main, "vllm");
  if (!multi_node) detail::add_visible_devices(cmd, c.workers[main.worker], main);
  cmd.argv = {s.vllm_program,
              "serve",
              s.hub_repo.empty() ? detail::model_path(main, s, false) : s.hub_repo,
              "--tensor-parallel-size",
              std::to_string(p.tensor_parallel),
              "--pipeline-parallel-size",
              std::to_string(p.pipeline_parallel),
              "--max-model-len",
              std::to_string(s.max_model_len),
              "--gpu-memory-utilization",
              detail::short_decimal(p.gpu_memory_utilization)};
  if (s.vllm.kv_cache_dtype != "auto") {
    cmd.argv.insert(cmd.argv.end(), {"--kv-cache-dtype", s.vllm.kv_cache_dtype});
  }
  if (s.vllm.ep) cmd.argv.emplace_back("--enable-expert-parallel");
  if (s.vllm.enforce_eager) cmd.argv.emplace_back("--enforce-eager");
  if (s.vllm.mm_encoder_data) cmd.argv.insert(cmd.argv.end(), {"--mm-encoder-tp-mode", "data"});
  if (s.vllm.allow_long_max_model_len) cmd.env.emplace_back("VLLM_ALLOW_LONG_MAX_MODEL_LEN", "1");
  if (multi_node) cmd.argv.insert(cmd.argv.end(), {"--distributed-executor-backend", "ray"});
  if (s.port) cmd.argv.insert(cmd.argv.end(), {"--port", std::to_string(*s.port)});
  out.push_back(std::move(cmd));
  return out;
}

}  // namespace shardfit
