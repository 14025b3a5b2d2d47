#pragma once

/// @file
/// @brief A placement as Kubernetes objects `kubectl apply -f` accepts: per placed worker a Pod
/// pinned to its node (`kubernetes.io/hostname`) that asks for its GPUs as `nvidia.com/gpu` or
/// `amd.com/gpu` (the device plugin then picks the devices; no `CUDA_VISIBLE_DEVICES`), mounts
/// where it reads the weights (a shared volume as its PersistentVolumeClaim, a copy on the node
/// as a hostPath, a download as a hostPath filled by an init container), and runs the same
/// command `launch_commands` gives. llama.cpp: one Pod and one Service per RPC server (the main
/// server reaches them by Service name), the main server's Pod and a Service for its API. vLLM:
/// one Pod on one node; across nodes a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1: the leader
/// runs the Ray head and `vllm serve`, the workers join it) when the workers are alike, else a
/// Pod per node and a Service for the Ray head.
///
/// The objects are built as any nlohmann-style JSON type `Json` (this header includes no JSON
/// library): `auto list = kubernetes_manifests<nlohmann::ordered_json>(p, c, s, k);`.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/placement.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief How to write the objects.
struct kubernetes_settings {
  std::string name;  ///< object name prefix (made a DNS-1123 label); empty: "shardfit"
  std::string ns;    ///< metadata.namespace; empty: kubectl's current namespace
  std::string llama_image = "ghcr.io/ggml-org/llama.cpp:server-cuda";
  std::string vllm_image = "vllm/vllm-openai:latest";
  /// Runs `hf download` for llama.cpp workers (vLLM's image has the `hf` program).
  std::string download_image = "python:3.12-slim";
  std::string hf_cache = "/root/.cache/huggingface";  ///< where `hf download REPO` puts files
};

namespace detail {

// A DNS-1123 label: lowercase letters, digits and '-', at most 63, starting and ending with an
// alphanumeric ("Llama-3.1-70B" -> "llama-3-1-70b").
SHARDFIT_INLINE std::string dns_label(std::string_view s, std::size_t max = 63);

SHARDFIT_INLINE std::string gpu_resource(const worker_info& w);

// `sh -c` text of an argument array, each word quoted for the shell.
SHARDFIT_INLINE std::string shell_words(const std::vector<std::string>& argv);

// What a worker's container mounts to read the weights at the path its command names.
struct pod_storage {
  std::string kind;    // "claim", "host", "download" or "" (nothing to mount)
  std::string source;  // the claim's name, or the node's directory
  std::string mount;   // where it appears in the container
  bool read_only = true;

  friend bool operator==(const pod_storage&, const pod_storage&) = default;
};

SHARDFIT_INLINE pod_storage storage_of(const placement& p, std::size_t i, const cluster& c,
                                       const launch_settings& s, const kubernetes_settings& k);

template <class Json>
Json object_meta(const std::string& name, const kubernetes_settings& k,
                 std::vector<std::pair<std::string, std::string>> labels) {
  Json m = Json::object();
  m["name"] = name;
  if (!k.ns.empty()) m["namespace"] = k.ns;
  Json l = Json::object();
  for (auto& [key, v] : labels) l[key] = v;
  m["labels"] = std::move(l);
  return m;
}

// The pod spec of worker `i`: pinned to its node, its GPUs requested, its storage mounted, the
// download as an init container, `command` run by the main container.
template <class Json>
Json pod_spec(const placement& p, std::size_t i, const cluster& c, const launch_settings& s,
              const kubernetes_settings& k, const std::string& container, const std::string& image,
              Json command, std::vector<std::uint32_t> ports, const launch_command* download,
              bool pin = true) {
  const placed_worker& pw = p.workers[i];
  const worker_info& w = c.workers[pw.worker];
  Json spec = Json::object();
  if (pin) spec["nodeSelector"] = Json::object({{"kubernetes.io/hostname", w.name}});
  Json ctr = Json::object();
  ctr["name"] = container;
  ctr["image"] = image;
  ctr["command"] = std::move(command);
  if (!ports.empty()) {
    Json ps = Json::array();
    for (const auto port : ports) ps.push_back(Json::object({{"containerPort", port}}));
    ctr["ports"] = std::move(ps);
  }
  const std::string resource = gpu_resource(w);
  if (!resource.empty() && !pw.gpus.empty()) {
    ctr["resources"] = Json::object({{"limits", Json::object({{resource, pw.gpus.size()}})}});
  }
  Json volumes = Json::array();
  Json mounts = Json::array();
  const pod_storage st = storage_of(p, i, c, s, k);
  if (!st.kind.empty()) {
    Json v = Json::object();
    v["name"] = "model";
    if (st.kind == "claim") {
      v["persistentVolumeClaim"] = Json::object({{"claimName", st.source}, {"readOnly", true}});
    } else {
      v["hostPath"] = Json::object(
          {{"path", st.source}, {"type", st.kind == "download" ? "DirectoryOrCreate" : ""}});
    }
    volumes.push_back(std::move(v));
    mounts.push_back(
        Json::object({{"name", "model"}, {"mountPath", st.mount}, {"readOnly", st.read_only}}));
  }
  if (p.engine == backend::vllm) {
    // Tensor-parallel workers talk through shared memory: more than the default 64 MiB.
    volumes.push_back(
        Json::object({{"name", "dshm"}, {"emptyDir", Json::object({{"medium", "Memory"}})}}));
    mounts.push_back(Json::object({{"name", "dshm"}, {"mountPath", "/dev/shm"}}));
  }
  if (!mounts.empty()) ctr["volumeMounts"] = mounts;
  if (download != nullptr && !download->argv.empty()) {
    Json init = Json::object();
    init["name"] = "download";
    const bool llama = p.engine == backend::llama_cpp;
    init["image"] = llama ? k.download_image : k.vllm_image;
    if (llama) {
      init["command"] = Json::array(
          {"sh", "-c",
           "pip install --quiet 'huggingface_hub>=0.34' && " + shell_words(download->argv)});
    } else {
      init["command"] = download->argv;
    }
    init["volumeMounts"] = Json::array(
        {Json::object({{"name", "model"}, {"mountPath", st.mount}, {"readOnly", false}})});
    spec["initContainers"] = Json::array({std::move(init)});
  }
  spec["containers"] = Json::array({std::move(ctr)});
  if (!volumes.empty()) spec["volumes"] = std::move(volumes);
  return spec;
}

template <class Json>
Json service(const std::string& name, const std::string& app, const kubernetes_settings& k,
             const std::string& role, std::uint32_t port, bool headless = false) {
  Json svc = Json::object();
  svc["apiVersion"] = "v1";
  svc["kind"] = "Service";
  svc["metadata"] = object_meta<Json>(name, k, {{"app.kubernetes.io/managed-by", "shardfit"}});
  Json spec = Json::object();
  spec["selector"] = Json::object({{"app.kubernetes.io/name", app}, {"shardfit.io/role", role}});
  if (headless) spec["clusterIP"] = "None";
  spec["ports"] = Json::array({Json::object({{"port", port}, {"targetPort", port}})});
  svc["spec"] = std::move(spec);
  return svc;
}

template <class Json>
Json pod(const std::string& name, const kubernetes_settings& k,
         std::vector<std::pair<std::string, std::string>> labels, Json spec,
         const launch_command* download) {
  Json o = Json::object();
  o["apiVersion"] = "v1";
  o["kind"] = "Pod";
  o["metadata"] = object_meta<Json>(name, k, std::move(labels));
  if (download != nullptr && download->argv.empty() && !download->note.empty()) {
    o["metadata"]["annotations"] = Json::object({{"shardfit.io/before-start", download->note}});
  }
  o["spec"] = std::move(spec);
  return o;
}

}  // namespace detail

/// @brief The objects that run placement `p` on the Kubernetes cluster `c` (its workers are
/// nodes), as a `v1` `List`.
template <class Json>
[[nodiscard]] Json kubernetes_manifests(const placement& planned, const cluster& c,
                                        const launch_settings& s, const kubernetes_settings& k) {
  const placement p = detail::resolve_workers(planned, c);
  Json items = Json::array();
  Json list = Json::object();
  list["apiVersion"] = "v1";
  list["kind"] = "List";
  if (p.workers.empty()) {
    list["items"] = std::move(items);
    return list;
  }
  const std::string base = detail::dns_label(k.name.empty() ? "shardfit" : k.name, 40);
  const std::vector<launch_command> cmds = launch_commands(p, c, s);
  const auto command_of = [&](std::string_view role,
                              const std::string& worker) -> const launch_command* {
    for (const auto& cmd : cmds) {
      if (cmd.role == role && cmd.worker == worker) return &cmd;
    }
    return nullptr;
  };
  const auto name_of = [&](std::size_t i) { return c.workers[p.workers[i].worker].name; };
  const auto app = [&](std::string role) {
    return std::vector<std::pair<std::string, std::string>>{
        {"app.kubernetes.io/name", base},
        {"app.kubernetes.io/managed-by", "shardfit"},
        {"shardfit.io/role", std::move(role)}};
  };

  if (p.engine == backend::llama_cpp) {
    std::string rpc;
    std::size_t n_rpc = 0;
    for (std::size_t i = 0; i < p.workers.size(); ++i) {
      if (p.workers[i].role != worker_role::rpc) continue;
      const launch_command* cmd = command_of("rpc-server", name_of(i));
      if (cmd == nullptr) continue;
      const std::string name = base + "-rpc-" + std::to_string(n_rpc++);
      items.push_back(
          detail::pod<Json>(name, k, app(name),
                            detail::pod_spec<Json>(p, i, c, s, k, "rpc-server", k.llama_image,
                                                   Json(cmd->argv), {s.rpc_port}, nullptr),
                            nullptr));
      items.push_back(detail::service<Json>(name, base, k, name, s.rpc_port));
      if (!rpc.empty()) rpc += ',';
      rpc += name + ":" + std::to_string(s.rpc_port);
    }
    const launch_command* server = command_of("llama-server", name_of(0));
    const launch_command* download = command_of("download", name_of(0));
    std::vector<std::string> argv = server != nullptr ? server->argv : std::vector<std::string>{};
    for (std::size_t a = 0; a + 1 < argv.size(); ++a) {
      if (argv[a] == "--rpc") argv[a + 1] = rpc;  // the RPC servers by Service name
    }
    const std::uint32_t port = s.port.value_or(8080);
    items.push_back(
        detail::pod<Json>(base + "-server", k, app("server"),
                          detail::pod_spec<Json>(p, 0, c, s, k, "llama-server", k.llama_image,
                                                 Json(argv), {port}, download),
                          download));
    items.push_back(detail::service<Json>(base, base, k, "server", port));
    list["items"] = std::move(items);
    return list;
  }

  // vLLM
  const launch_command* serve = command_of("vllm", name_of(0));
  const std::uint32_t port = s.port.value_or(8000);
  std::vector<std::string> serve_argv = serve != nullptr ? serve->argv : std::vector<std::string>{};
  if (p.workers.size() == 1) {
    const launch_command* download = command_of("download", name_of(0));
    Json spec = detail::pod_spec<Json>(p, 0, c, s, k, "vllm", k.vllm_image, Json(serve_argv),
                                       {port}, download);
    if (serve != nullptr) {
      for (const auto& [key, v] : serve->env) {
        if (key.find("VISIBLE_DEVICES") != std::string::npos || key == "CUDA_DEVICE_ORDER")
          continue;
        spec["containers"][0]["env"].push_back(Json::object({{"name", key}, {"value", v}}));
      }
    }
    items.push_back(
        detail::pod<Json>(base + "-server", k, app("server"), std::move(spec), download));
    items.push_back(detail::service<Json>(base, base, k, "server", port));
    list["items"] = std::move(items);
    return list;
  }

  // Across nodes: the leader runs the Ray head then `vllm serve`; the others join it.
  const std::string ray_port = std::to_string(s.ray_port);
  const auto head_command = [&](std::size_t gpus) {
    return Json::array({"sh", "-c",
                        s.ray_program + " start --head --port=" + ray_port + " --num-gpus=" +
                            std::to_string(gpus) + " && exec " + detail::shell_words(serve_argv)});
  };
  const auto join_command = [&](const std::string& head, std::size_t gpus) {
    return Json::array({"sh", "-c",
                        s.ray_program + " start --address=" + head + ":" + ray_port +
                            " --num-gpus=" + std::to_string(gpus) + " --block"});
  };
  bool alike = true;
  const detail::pod_storage first = detail::storage_of(p, 1, c, s, k);
  for (std::size_t i = 2; i < p.workers.size(); ++i) {
    alike = alike && p.workers[i].gpus.size() == p.workers[1].gpus.size() &&
            detail::storage_of(p, i, c, s, k) == first &&
            detail::gpu_resource(c.workers[p.workers[i].worker]) ==
                detail::gpu_resource(c.workers[p.workers[1].worker]);
  }
  const launch_command* head_download = command_of("download", name_of(0));
  Json head_spec =
      detail::pod_spec<Json>(p, 0, c, s, k, "vllm", k.vllm_image,
                             head_command(p.workers[0].gpus.size()), {port}, head_download);
  if (alike) {
    // One LeaderWorkerSet group: the workers may land on any of their nodes (one each).
    const launch_command* worker_download = command_of("download", name_of(1));
    Json worker_spec =
        detail::pod_spec<Json>(p, 1, c, s, k, "ray-worker", k.vllm_image,
                               join_command("$(LWS_LEADER_ADDRESS)", p.workers[1].gpus.size()), {},
                               worker_download, false);
    Json nodes = Json::array();
    for (std::size_t i = 1; i < p.workers.size(); ++i) nodes.push_back(name_of(i));
    worker_spec["affinity"] = Json::object(
        {{"nodeAffinity",
          Json::object(
              {{"requiredDuringSchedulingIgnoredDuringExecution",
                Json::object({{"nodeSelectorTerms",
                               Json::array({Json::object(
                                   {{"matchExpressions",
                                     Json::array({Json::object({{"key", "kubernetes.io/hostname"},
                                                                {"operator", "In"},
                                                                {"values", nodes}})})}})})}})}})},
         {"podAntiAffinity",
          Json::object({{"requiredDuringSchedulingIgnoredDuringExecution",
                         Json::array({Json::object(
                             {{"labelSelector",
                               Json::object({{"matchLabels",
                                              Json::object({{"app.kubernetes.io/name", base}})}})},
                              {"topologyKey", "kubernetes.io/hostname"}})})}})}});
    Json lws = Json::object();
    lws["apiVersion"] = "leaderworkerset.x-k8s.io/v1";
    lws["kind"] = "LeaderWorkerSet";
    lws["metadata"] =
        detail::object_meta<Json>(base, k, {{"app.kubernetes.io/managed-by", "shardfit"}});
    const auto labels_json = [&](std::string role) {
      Json l = Json::object();
      for (auto& [key, v] : app(std::move(role))) l[key] = v;
      return l;
    };
    Json leader_meta = Json::object({{"labels", labels_json("leader")}});
    if (head_download != nullptr && head_download->argv.empty() && !head_download->note.empty()) {
      leader_meta["annotations"] =
          Json::object({{"shardfit.io/before-start", head_download->note}});
    }
    Json lwt = Json::object();
    lwt["size"] = p.workers.size();
    lwt["leaderTemplate"] = Json::object({{"metadata", leader_meta}, {"spec", head_spec}});
    lwt["workerTemplate"] = Json::object(
        {{"metadata", Json::object({{"labels", labels_json("worker")}})}, {"spec", worker_spec}});
    lws["spec"] = Json::object({{"replicas", 1},
                                {"startupPolicy", "LeaderCreated"},
                                {"leaderWorkerTemplate", std::move(lwt)}});
    items.push_back(std::move(lws));
    items.push_back(detail::service<Json>(base, base, k, "leader", port));
    list["items"] = std::move(items);
    return list;
  }
  // Workers that differ (GPU counts, storage): one Pod per node, the head behind a Service.
  const std::string head_name = base + "-ray-head";
  items.push_back(
      detail::pod<Json>(head_name, k, app("leader"), std::move(head_spec), head_download));
  items.push_back(detail::service<Json>(head_name, base, k, "leader", s.ray_port, true));
  for (std::size_t i = 1; i < p.workers.size(); ++i) {
    const launch_command* download = command_of("download", name_of(i));
    items.push_back(detail::pod<Json>(
        base + "-ray-" + std::to_string(i), k, app("worker"),
        detail::pod_spec<Json>(p, i, c, s, k, "ray-worker", k.vllm_image,
                               join_command(head_name, p.workers[i].gpus.size()), {}, download),
        download));
  }
  items.push_back(detail::service<Json>(base, base, k, "leader", port));
  list["items"] = std::move(items);
  return list;
}

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/kubernetes-inl.hpp>
#endif
