#pragma once

// Sample outputs of the tools the inventory adapters read, written from their documented formats
// (nvidia-smi --query-gpu CSV, rocm-smi --json, kubectl get nodes -o json with NVIDIA GPU feature
// discovery and AMD node labeller labels). They live in examples/data/inventory/ (the README's
// examples use them too); the tests and the fuzz seeds read them from there.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#ifndef SHARDFIT_EXAMPLES_DATA
#error "SHARDFIT_EXAMPLES_DATA must name examples/data"
#endif

namespace shardfit::test::samples {

inline std::string inventory_file(const std::string& name) {
  const std::string path = std::string(SHARDFIT_EXAMPLES_DATA) + "/inventory/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits
inline const std::string& nvidia_smi_2x4090() {
  static const std::string s = inventory_file("nvidia-smi-2x4090.csv");
  return s;
}

// The same query with the header and the units (no noheader, no nounits), CRLF line ends.
inline const std::string& nvidia_smi_with_header() {
  static const std::string s = inventory_file("nvidia-smi-h100-header.csv");
  return s;
}

// rocm-smi --showmeminfo vram --showproductname --json on a host with two MI250X GCDs.
inline const std::string& rocm_smi_mi250x() {
  static const std::string s = inventory_file("rocm-smi-mi250x.json");
  return s;
}

// kubectl get nodes -o json: an 8xA100 node with GPU feature discovery labels, an AMD node with
// the node labeller's labels, a GPU node without memory labels, a CPU node, a cordoned node and
// a NotReady node.
inline const std::string& kubectl_nodes() {
  static const std::string s = inventory_file("kubectl-nodes.json");
  return s;
}

}  // namespace shardfit::test::samples
