#pragma once

// Sample outputs of the tools the inventory adapters read, written from their documented formats
// (nvidia-smi --query-gpu CSV, rocm-smi --json, kubectl get nodes -o json with NVIDIA GPU feature
// discovery and AMD node labeller labels). Shared by the tests, the examples and the fuzz seeds.

namespace shardfit::test::samples {

// nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits
inline constexpr const char* nvidia_smi_2x4090 =
    "0, NVIDIA GeForce RTX 4090, 24564, 1123\n"
    "1, NVIDIA GeForce RTX 4090, 24564, 3\n";

// The same query with the header and the units (no noheader, no nounits), CRLF line ends.
inline constexpr const char* nvidia_smi_with_header =
    "index, name, memory.total [MiB], memory.used [MiB]\r\n"
    "0, NVIDIA H100 80GB HBM3, 81559 MiB, 0 MiB\r\n"
    "1, NVIDIA H100 80GB HBM3, 81559 MiB, [N/A]\r\n";

// rocm-smi --showmeminfo vram --showproductname --json on a host with two MI250X GCDs.
inline constexpr const char* rocm_smi_mi250x = R"j({
  "card0": {"Card series": "AMD Instinct MI250X", "Card model": "0x740c",
            "VRAM Total Memory (B)": "68702699520", "VRAM Total Used Memory (B)": "10960896"},
  "card1": {"Card series": "AMD Instinct MI250X", "Card model": "0x740c",
            "VRAM Total Memory (B)": "68702699520", "VRAM Total Used Memory (B)": "1048576000"},
  "system": {"Driver version": "6.7.0"}
})j";

// kubectl get nodes -o json: an 8×A100 node with GPU feature discovery labels, an AMD node with
// the node labeller's labels, a GPU node without memory labels, a CPU node, a cordoned node and
// a NotReady node.
inline constexpr const char* kubectl_nodes = R"j({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "kind": "Node",
      "metadata": {
        "name": "gpu-a100-0",
        "labels": {
          "kubernetes.io/hostname": "gpu-a100-0",
          "topology.kubernetes.io/zone": "us-east-1a",
          "nvidia.com/gpu.count": "8",
          "nvidia.com/gpu.memory": "81920",
          "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"
        }
      },
      "spec": {"taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]},
      "status": {
        "addresses": [{"type": "InternalIP", "address": "10.1.0.10"},
                      {"type": "Hostname", "address": "gpu-a100-0"}],
        "allocatable": {"cpu": "255", "ephemeral-storage": "1699935908418",
                        "memory": "2113353756Ki", "nvidia.com/gpu": "8", "pods": "110"},
        "capacity": {"cpu": "256", "memory": "2113456156Ki", "nvidia.com/gpu": "8"},
        "conditions": [{"type": "MemoryPressure", "status": "False"},
                       {"type": "Ready", "status": "True"}]
      }
    },
    {
      "kind": "Node",
      "metadata": {
        "name": "gpu-mi250-0",
        "labels": {
          "topology.kubernetes.io/zone": "us-east-1b",
          "beta.amd.com/gpu.family.AI": "1",
          "beta.amd.com/gpu.vram.64G": "4"
        }
      },
      "status": {
        "addresses": [{"type": "Hostname", "address": "gpu-mi250-0.lab"}],
        "allocatable": {"memory": "512Gi", "amd.com/gpu": "4"},
        "conditions": [{"type": "Ready", "status": "True"}]
      }
    },
    {
      "kind": "Node",
      "metadata": {"name": "gpu-l4-0", "labels": {"topology.kubernetes.io/zone": "us-east-1a"}},
      "status": {
        "addresses": [{"type": "InternalIP", "address": "10.1.0.30"}],
        "allocatable": {"memory": "128G", "nvidia.com/gpu": "2"},
        "conditions": [{"type": "Ready", "status": "True"}]
      }
    },
    {
      "kind": "Node",
      "metadata": {"name": "cpu-0", "labels": {}},
      "status": {
        "addresses": [{"type": "InternalIP", "address": "10.1.0.40"}],
        "allocatable": {"memory": "65536Mi", "cpu": "32"},
        "conditions": [{"type": "Ready", "status": "True"}]
      }
    },
    {
      "kind": "Node",
      "metadata": {"name": "gpu-a100-1", "labels": {"nvidia.com/gpu.memory": "81920"}},
      "spec": {"unschedulable": true},
      "status": {"allocatable": {"memory": "2Ti", "nvidia.com/gpu": "8"},
                 "conditions": [{"type": "Ready", "status": "True"}]}
    },
    {
      "kind": "Node",
      "metadata": {"name": "gpu-a100-2", "labels": {"nvidia.com/gpu.memory": "81920"}},
      "status": {"allocatable": {"memory": "2Ti", "nvidia.com/gpu": "8"},
                 "conditions": [{"type": "Ready", "status": "Unknown"}]}
    }
  ]
})j";

}  // namespace shardfit::test::samples
