#pragma once

// The inventory sources `plan` and `inventory` share: one struct, one registration, one reader
// that merges them (Kubernetes nodes, the cluster JSON, then nvidia-smi and rocm-smi output
// per worker), or this machine when none is given.

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/cluster/local.hpp>
#include <shardfit/core/error.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace shardfit::cli {

struct inventory_cli_options {
  std::string cluster;
  std::string kube_nodes;
  std::string kube_pods;
  std::vector<std::string> nvidia_smi;  // WORKER=FILE
  std::vector<std::string> rocm_smi;    // WORKER=FILE
  bool local = false;

  [[nodiscard]] bool any_source() const {
    return local || !cluster.empty() || !kube_nodes.empty() || !nvidia_smi.empty() ||
           !rocm_smi.empty();
  }
};

inline void add_inventory_options(CLI::App& sub, inventory_cli_options& o) {
  sub.add_option("--cluster", o.cluster, "the cluster JSON file (- reads standard input)");
  sub.add_option("--kube-nodes", o.kube_nodes, "kubectl get nodes -o json output");
  sub.add_option("--kube-pods", o.kube_pods,
                 "kubectl get pods -A -o json output: GPUs its pods hold are not free");
  sub.add_option("--nvidia-smi", o.nvidia_smi,
                 "WORKER=FILE: nvidia-smi --query-gpu=index,name,memory.total,memory.used "
                 "--format=csv,noheader,nounits output of one worker (repeatable)");
  sub.add_option("--rocm-smi", o.rocm_smi,
                 "WORKER=FILE: rocm-smi --showmeminfo vram --json output of one worker "
                 "(repeatable)");
  sub.add_flag("--local", o.local,
               "this machine: GPUs from nvidia-smi/rocm-smi on PATH, RAM from /proc/meminfo "
               "(the default when no other source is given)");
}

// WORKER=FILE
inline std::pair<std::string, std::string> worker_file(const std::string& item,
                                                       const char* option) {
  const auto eq = item.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
    throw error::invalid_argument(std::string(option) + " '" + item +
                                  "' must be written WORKER=FILE, e.g. host4090=smi.csv");
  }
  return {item.substr(0, eq), item.substr(eq + 1)};
}

// Every source given, merged in order: this machine (--local, or when no source is given),
// Kubernetes nodes, the cluster JSON, then nvidia-smi and rocm-smi output per worker (the live
// measurements win).
inline cluster read_inventory(const inventory_cli_options& o, const local_options& local,
                              std::vector<std::string>& warnings) {
  std::vector<cluster> parts;
  if (o.local || !o.any_source()) {
    if (!o.any_source()) {
      warnings.emplace_back(
          "no inventory given (--cluster, --kube-nodes, --nvidia-smi, --rocm-smi): planning for "
          "this machine");
    }
    parts.push_back(local_inventory(local, &warnings).snapshot());
  }
  if (!o.kube_nodes.empty()) {
    parts.push_back(kubernetes_nodes_inventory(o.kube_nodes, &warnings).snapshot());
  }
  if (!o.cluster.empty()) {
    parts.push_back(cluster_json_inventory(o.cluster, &warnings).snapshot());
  }
  // One worker's GPUs per WORKER=FILE; its other facts come from the sources above.
  const auto per_worker = [&](const std::vector<std::string>& items, const char* option,
                              auto inventory_type) {
    for (const auto& item : items) {
      const auto [name, file] = worker_file(item, option);
      const bool known = std::any_of(parts.begin(), parts.end(), [&](const cluster& part) {
        return part.find_worker(name).has_value();
      });
      if (!known) {
        warnings.push_back("worker '" + name + "' is known only from " + file +
                           ": its RAM is taken as 0 and its address as its name (give it in "
                           "--cluster or --kube-nodes)");
      }
      worker_info w;
      w.name = name;
      w.address = name;
      using inventory = typename decltype(inventory_type)::type;
      parts.push_back(inventory(file, std::move(w)).snapshot());
    }
  };
  per_worker(o.nvidia_smi, "--nvidia-smi", std::type_identity<nvidia_smi_inventory>{});
  per_worker(o.rocm_smi, "--rocm-smi", std::type_identity<rocm_smi_inventory>{});
  cluster merged = merge_clusters(std::move(parts));
  // Kubernetes: allocatable GPUs minus those the pods already on a node hold.
  if (!o.kube_pods.empty()) {
    take_pod_gpus(
        merged,
        parse_kubernetes_pods(read_input(o.kube_pods, std::size_t{256} << 20U), o.kube_pods),
        &warnings);
  }
  return merged;
}

}  // namespace shardfit::cli
