// Kubernetes objects for a placement (issue 19.3), checked field by field against the
// Kubernetes API objects they use (core/v1 Pod, Service, List; leaderworkerset.x-k8s.io/v1
// LeaderWorkerSet), and the GPUs pods already hold (kubectl get pods -A -o json).

#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/plan/kubernetes.hpp>
#include <shardfit/plan/planner.hpp>

#include <gtest/gtest.h>

#include "support/cli_runner.hpp"
#include "support/clusters.hpp"
#include "support/inventory_samples.hpp"
#include "support/models.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::deepseek_r1_bf16;
using shardfit::test::gpus;
using shardfit::test::llama70b;
using shardfit::test::llama8b;
using shardfit::test::worker;
using json = nlohmann::ordered_json;

// The fields each API object type has (the ones shardfit may write), by the path of types:
// a field not listed is a typo kubectl would reject ("unknown field").
const std::map<std::string, std::set<std::string>>& api_fields() {
  static const std::map<std::string, std::set<std::string>> f = {
      {"List", {"apiVersion", "kind", "items"}},
      {"Pod", {"apiVersion", "kind", "metadata", "spec"}},
      {"Service", {"apiVersion", "kind", "metadata", "spec"}},
      {"LeaderWorkerSet", {"apiVersion", "kind", "metadata", "spec"}},
      {"ObjectMeta", {"name", "namespace", "labels", "annotations"}},
      {"PodSpec", {"nodeSelector", "affinity", "containers", "initContainers", "volumes"}},
      {"Container",
       {"name", "image", "command", "args", "ports", "resources", "volumeMounts", "env"}},
      {"ContainerPort", {"containerPort"}},
      {"ResourceRequirements", {"limits", "requests"}},
      {"VolumeMount", {"name", "mountPath", "readOnly"}},
      {"Volume", {"name", "persistentVolumeClaim", "hostPath", "emptyDir"}},
      {"EnvVar", {"name", "value"}},
      {"ServiceSpec", {"selector", "ports", "clusterIP"}},
      {"ServicePort", {"port", "targetPort"}},
      {"LeaderWorkerSetSpec", {"replicas", "startupPolicy", "leaderWorkerTemplate"}},
      {"LeaderWorkerTemplate", {"size", "leaderTemplate", "workerTemplate"}},
      {"PodTemplateSpec", {"metadata", "spec"}},
  };
  return f;
}

void expect_fields(const json& j, const std::string& type, const std::string& at) {
  ASSERT_TRUE(j.is_object()) << at << " (" << type << ") is not an object";
  const auto& allowed = api_fields().at(type);
  for (const auto& [k, v] : j.items()) {
    EXPECT_TRUE(allowed.count(k)) << at << ": " << type << " has no field '" << k << "'";
  }
}

// Checks an object and the typed objects inside it.
void check_pod_spec(const json& spec, const std::string& at) {
  expect_fields(spec, "PodSpec", at);
  for (const char* list : {"containers", "initContainers"}) {
    if (!spec.contains(list)) continue;
    for (const auto& c : spec[list]) {
      expect_fields(c, "Container", at + "." + list);
      EXPECT_FALSE(c["name"].get<std::string>().empty());
      EXPECT_FALSE(c["image"].get<std::string>().empty());
      ASSERT_TRUE(c["command"].is_array());
      if (c.contains("ports"))
        for (const auto& p : c["ports"]) expect_fields(p, "ContainerPort", at);
      if (c.contains("resources")) expect_fields(c["resources"], "ResourceRequirements", at);
      if (c.contains("volumeMounts"))
        for (const auto& m : c["volumeMounts"]) expect_fields(m, "VolumeMount", at);
      if (c.contains("env"))
        for (const auto& e : c["env"]) {
          expect_fields(e, "EnvVar", at);
          EXPECT_EQ(e["name"].get<std::string>().find("VISIBLE_DEVICES"), std::string::npos);
        }
    }
  }
  if (spec.contains("volumes"))
    for (const auto& v : spec["volumes"]) expect_fields(v, "Volume", at);
}

void check_object(const json& o) {
  const std::string kind = o["kind"];
  expect_fields(o, kind, kind);
  expect_fields(o["metadata"], "ObjectMeta", kind + ".metadata");
  const std::string name = o["metadata"]["name"];
  EXPECT_LE(name.size(), 63U) << name;
  EXPECT_EQ(name, detail::dns_label(name)) << name << " is no DNS-1123 label";
  if (kind == "Pod") {
    EXPECT_EQ(o["apiVersion"], "v1");
    check_pod_spec(o["spec"], name);
  } else if (kind == "Service") {
    EXPECT_EQ(o["apiVersion"], "v1");
    expect_fields(o["spec"], "ServiceSpec", name);
    for (const auto& p : o["spec"]["ports"]) expect_fields(p, "ServicePort", name);
  } else if (kind == "LeaderWorkerSet") {
    EXPECT_EQ(o["apiVersion"], "leaderworkerset.x-k8s.io/v1");
    expect_fields(o["spec"], "LeaderWorkerSetSpec", name);
    const auto& t = o["spec"]["leaderWorkerTemplate"];
    expect_fields(t, "LeaderWorkerTemplate", name);
    for (const char* which : {"leaderTemplate", "workerTemplate"}) {
      expect_fields(t[which], "PodTemplateSpec", name + "." + which);
      expect_fields(t[which]["metadata"], "ObjectMeta", name + "." + which);
      check_pod_spec(t[which]["spec"], name + "." + which);
    }
  } else {
    ADD_FAILURE() << "unexpected kind " << kind;
  }
}

json manifests(const cluster& c, const model_profile& m, const plan_request& rq,
               const std::string& path, kubernetes_settings k = {}) {
  const auto r = plan(c, m, rq);
  EXPECT_TRUE(r.chosen);
  if (!r.chosen) return {};
  const json list = kubernetes_manifests<json>(*r.chosen, c, launch_settings_for(m, rq, path), k);
  expect_fields(list, "List", "List");
  EXPECT_EQ(list["apiVersion"], "v1");
  for (const auto& o : list["items"]) check_object(o);
  return list;
}

cluster base() {
  cluster c;
  c.reserved.vram = 512_MiB;
  c.reserved.ram = 2_GiB;
  return c;
}

std::vector<std::string> kinds(const json& list) {
  std::vector<std::string> out;
  for (const auto& o : list["items"]) {
    out.push_back(o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>());
  }
  return out;
}

// llama.cpp across nodes: a Pod and a Service per RPC server, the main server reaching them by
// Service name; GPUs asked for by count; the download as a note on the main Pod.
TEST(Kubernetes, LlamaRpcServersArePodsBehindServices) {
  cluster c = base();
  for (int i = 0; i < 2; ++i) {
    c.workers.push_back(worker("h200-" + std::to_string(i), 2048_GiB, gpus(8, "H200", 141_GB)));
  }
  kubernetes_settings k;
  k.name = "DeepSeek-R1";
  k.ns = "inference";
  const json list = manifests(c, deepseek_r1_bf16(), {}, "/models/DeepSeek-R1-BF16.gguf", k);
  EXPECT_EQ(kinds(list),
            (std::vector<std::string>{"Pod/deepseek-r1-rpc-0", "Service/deepseek-r1-rpc-0",
                                      "Pod/deepseek-r1-server", "Service/deepseek-r1"}));
  const json& rpc = list["items"][0];
  EXPECT_EQ(rpc["metadata"]["namespace"], "inference");
  EXPECT_EQ(rpc["spec"]["nodeSelector"]["kubernetes.io/hostname"], "h200-1");
  EXPECT_EQ(rpc["spec"]["containers"][0]["command"],
            json({"rpc-server", "-H", "0.0.0.0", "-p", "50052"}));
  EXPECT_GE(rpc["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"].get<int>(), 1);
  EXPECT_FALSE(rpc["spec"].contains("volumes"));  // RPC servers read no weights
  EXPECT_EQ(list["items"][1]["spec"]["selector"]["shardfit.io/role"], "deepseek-r1-rpc-0");
  const json& server = list["items"][2];
  EXPECT_EQ(server["spec"]["nodeSelector"]["kubernetes.io/hostname"], "h200-0");
  EXPECT_EQ(server["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], 8);
  const json& argv = server["spec"]["containers"][0]["command"];
  const auto rpc_at = std::find(argv.begin(), argv.end(), "--rpc");
  ASSERT_NE(rpc_at, argv.end());
  EXPECT_EQ(*(rpc_at + 1), "deepseek-r1-rpc-0:50052");
  // No repository known: the manual step rides along as an annotation; the download directory
  // is a hostPath the server reads.
  EXPECT_NE(server["metadata"]["annotations"]["shardfit.io/before-start"].get<std::string>().find(
                "copy the GGUF to /models/DeepSeek-R1-BF16.gguf on h200-0"),
            std::string::npos);
  EXPECT_EQ(server["spec"]["volumes"][0]["hostPath"]["path"], "/models");
  EXPECT_EQ(server["spec"]["containers"][0]["volumeMounts"][0]["mountPath"], "/models");
}

// vLLM across two alike nodes: one LeaderWorkerSet of size 2, the leader starting the Ray head
// then vllm serve, the worker joining the leader; the shared volume as its claim.
TEST(Kubernetes, VllmAcrossNodesIsALeaderWorkerSet) {
  cluster c = base();
  c.workers.push_back(worker("a", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.workers.push_back(worker("b", 512_GiB, gpus(4, "A100-40GB", 40_GiB)));
  c.volumes.push_back(
      {"nfs", true, 4_TB, {{"hf/Llama-3.1-70B", "Llama-3.1-70B", bytes{}}}, "models-pvc"});
  c.workers[0].mounts.push_back({"/mnt/nfs", "nfs", true});
  c.workers[1].mounts.push_back({"/mnt/nfs", "nfs", true});
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  rq.vllm.max_num_batched_tokens = 8192;
  kubernetes_settings k;
  k.name = "l70";
  const json list = manifests(c, llama70b(), rq, "unused", k);
  ASSERT_EQ(kinds(list), (std::vector<std::string>{"LeaderWorkerSet/l70", "Service/l70"}));
  const json& t = list["items"][0]["spec"]["leaderWorkerTemplate"];
  EXPECT_EQ(t["size"], 2);
  const json& leader = t["leaderTemplate"]["spec"];
  EXPECT_EQ(leader["nodeSelector"]["kubernetes.io/hostname"], "a");
  EXPECT_EQ(leader["containers"][0]["command"],
            json({"sh", "-c",
                  "ray start --head --port=6379 --num-gpus=4 && exec vllm serve "
                  "/mnt/nfs/hf/Llama-3.1-70B --tensor-parallel-size 4 --pipeline-parallel-size 2 "
                  "--max-model-len 8192 --gpu-memory-utilization 0.9 "
                  "--distributed-executor-backend ray"}));
  EXPECT_EQ(leader["volumes"][0]["persistentVolumeClaim"]["claimName"], "models-pvc");
  EXPECT_EQ(leader["containers"][0]["volumeMounts"][0]["mountPath"], "/mnt/nfs");
  EXPECT_EQ(leader["volumes"][1]["emptyDir"]["medium"], "Memory");  // /dev/shm
  const json& w = t["workerTemplate"]["spec"];
  EXPECT_EQ(
      w["containers"][0]["command"],
      json({"sh", "-c", "ray start --address=$(LWS_LEADER_ADDRESS):6379 --num-gpus=4 --block"}));
  EXPECT_EQ(w["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], 4);
  EXPECT_EQ(w["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
             ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"],
            json({"b"}));
  EXPECT_EQ(list["items"][1]["spec"]["selector"]["shardfit.io/role"], "leader");
  EXPECT_EQ(list["items"][1]["spec"]["ports"][0]["port"], 8000);
}

// vLLM on one node: a Pod and its Service; a download from the repository id runs first as an
// init container into the node's hub cache.
TEST(Kubernetes, VllmOnOneNodeDownloadsInAnInitContainer) {
  cluster c = base();
  c.workers.push_back(worker("l4", 128_GiB, gpus(2, "L4", 24_GiB)));
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  const json list = manifests(c, llama8b(), rq, "meta-llama/Llama-3.1-8B-Instruct");
  ASSERT_EQ(kinds(list), (std::vector<std::string>{"Pod/shardfit-server", "Service/shardfit"}));
  const json& spec = list["items"][0]["spec"];
  EXPECT_EQ(spec["initContainers"][0]["command"],
            json({"hf", "download", "meta-llama/Llama-3.1-8B-Instruct", "*.safetensors", "*.json",
                  "tokenizer*", "*.jinja", "*.tiktoken"}));
  EXPECT_EQ(spec["initContainers"][0]["volumeMounts"][0]["mountPath"], "/root/.cache/huggingface");
  EXPECT_EQ(spec["volumes"][0]["hostPath"]["type"], "DirectoryOrCreate");
  EXPECT_EQ(spec["containers"][0]["image"], "vllm/vllm-openai:latest");
  EXPECT_EQ(spec["containers"][0]["command"][2], "meta-llama/Llama-3.1-8B-Instruct");
}

// Workers with different GPU counts cannot share a LeaderWorkerSet template: a Pod per node and
// a headless Service for the Ray head.
TEST(Kubernetes, UnevenWorkersGetAPodEach) {
  cluster c = base();
  c.workers.push_back(worker("a", 128_GiB, gpus(3, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 128_GiB, gpus(1, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("c", 128_GiB, gpus(2, "RTX 4090", 24_GiB)));
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  rq.gpus = parse_gpu_list("a:0,a:1,a:2,b:0,c:0,c:1");
  const model_profile m = llama8b();
  const auto r = plan(c, m, rq);
  ASSERT_TRUE(r.chosen) << ::testing::PrintToString(r.messages);
  ASSERT_EQ(r.chosen->workers.size(), 3U);
  const json list = manifests(c, m, rq, "/models/l70");
  const auto k = kinds(list);
  EXPECT_EQ(k.front(), "Pod/shardfit-ray-head");
  EXPECT_EQ(list["items"][1]["spec"]["clusterIP"], "None");
  EXPECT_EQ(list["items"][2]["spec"]["containers"][0]["command"][2].get<std::string>().rfind(
                "ray start --address=shardfit-ray-head:6379", 0),
            0U);
}

// Pods already on a node hold GPUs: they are not free to the plan.
TEST(Kubernetes, GpusHeldByPodsAreNotFree) {
  const std::string pods = R"({"apiVersion":"v1","kind":"List","items":[
    {"metadata":{"namespace":"ml","name":"train-0"},
     "spec":{"nodeName":"gpu-l4-0","containers":[{"name":"t","resources":{"limits":{"nvidia.com/gpu":"1"}}}]},
     "status":{"phase":"Running"}},
    {"metadata":{"namespace":"ml","name":"done"},
     "spec":{"nodeName":"gpu-l4-0","containers":[{"name":"t","resources":{"limits":{"nvidia.com/gpu":1}}}]},
     "status":{"phase":"Succeeded"}},
    {"metadata":{"namespace":"ml","name":"pending"},
     "spec":{"containers":[{"name":"t","resources":{"limits":{"nvidia.com/gpu":1}}}]},
     "status":{"phase":"Pending"}},
    {"metadata":{"namespace":"web","name":"cpu"},"spec":{"nodeName":"gpu-l4-0","containers":[{"name":"w"}]}}
  ]})";
  const auto req = parse_kubernetes_pods(pods, "pods.json");
  ASSERT_EQ(req.size(), 1U);
  EXPECT_EQ(req[0].node, "gpu-l4-0");
  EXPECT_EQ(req[0].nvidia, 1U);
  EXPECT_EQ(req[0].pods, (std::vector<std::string>{"ml/train-0"}));

  cluster c;
  c.workers.push_back(worker("gpu-l4-0", 128_GiB, gpus(2, "L4", 24_GiB)));
  std::vector<std::string> warnings;
  take_pod_gpus(c, req, &warnings);
  EXPECT_EQ(c.workers[0].gpus[1].vram_used, 24_GiB);
  EXPECT_EQ(c.workers[0].gpus[0].vram_used, bytes{});
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "node 'gpu-l4-0': 1 of 2 nvidia GPUs held by pods (ml/train-0); 1 free"}));
  EXPECT_THROW((void)parse_kubernetes_pods(R"({"items":[{"spec":{"nodeName":"n","containers":[
    {"resources":{"limits":{"nvidia.com/gpu":"lots"}}}]}}]})",
                                           "pods.json"),
               shardfit::error);
  EXPECT_THROW((void)parse_kubernetes_pods("[]", "pods.json"), shardfit::error);
}

// The tool: --emit k8s writes a List, and --kube-pods takes held GPUs away.
TEST(Kubernetes, ToolEmitsAListAndReadsPods) {
  const std::string ex = SHARDFIT_EXAMPLES_DATA;
  shardfit::test::temp_dir d;
  d.write("nodes.json", shardfit::test::samples::kubectl_nodes());
  d.write("l4.csv", "0, NVIDIA L4, 23034, 0\n1, NVIDIA L4, 23034, 0\n");
  auto r = shardfit::test::run_cli({"plan", ex + "/models/Llama-3.1-8B-Instruct", "--kube-nodes",
                                    d / "nodes.json", "--nvidia-smi", "gpu-l4-0=" + (d / "l4.csv"),
                                    "--backend", "vllm", "--ctx", "8192", "--gpus",
                                    "gpu-l4-0:0,gpu-l4-0:1", "--emit", "k8s", "--model-path",
                                    "meta-llama/Llama-3.1-8B-Instruct"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json list = json::parse(r.out);
  EXPECT_EQ(list["kind"], "List");
  for (const auto& o : list["items"]) check_object(o);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "llama-3-1-8b-instruct-server");
  EXPECT_EQ(list["items"][0]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], 2);

  d.write("pods.json", R"({"items":[{"metadata":{"namespace":"ml","name":"x"},"spec":{
    "nodeName":"gpu-l4-0","containers":[{"resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}]})");
  r = shardfit::test::run_cli({"plan", ex + "/models/Llama-3.1-8B-Instruct", "--kube-nodes",
                               d / "nodes.json", "--nvidia-smi", "gpu-l4-0=" + (d / "l4.csv"),
                               "--kube-pods", d / "pods.json", "--backend", "vllm", "--ctx", "8192",
                               "--gpus", "gpu-l4-0:0,gpu-l4-0:1"});
  EXPECT_NE(r.err.find("node 'gpu-l4-0': 1 of 2 nvidia GPUs held by pods (ml/x); 1 free"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.code, 0) << r.out;  // one L4 left: both GPUs were asked for
}

}  // namespace
