// The inventory adapters on arbitrary text: the first byte picks the reader (kubectl nodes JSON,
// nvidia-smi CSV, rocm-smi JSON, a Kubernetes quantity); whatever parses is merged with itself
// and must keep its invariants (GPUs' used memory within their total, unique names).
#include <shardfit/cluster/inventory_sources.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(const shardfit::cluster& c) {
  for (std::size_t i = 0; i < c.workers.size(); ++i) {
    for (std::size_t j = i + 1; j < c.workers.size(); ++j) {
      if (c.workers[i].name == c.workers[j].name) __builtin_trap();
    }
    for (const auto& g : c.workers[i].gpus) {
      if (g.vram_used > g.vram) __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  shardfit::worker_info base;
  base.name = "w";
  try {
    shardfit::cluster c;
    switch (data[0] % 4) {
      case 0: {
        std::vector<std::string> warnings;
        c = shardfit::parse_kubernetes_nodes(text, "fuzz.nodes.json", &warnings);
        break;
      }
      case 1:
        c.workers.push_back(shardfit::parse_nvidia_smi(text, "fuzz.csv", base));
        break;
      case 2:
        c.workers.push_back(shardfit::parse_rocm_smi(text, "fuzz.rocm.json", base));
        break;
      default:
        (void)shardfit::parse_quantity(text);
        return 0;
    }
    check(c);
    check(shardfit::merge_clusters({c, c}));
  } catch (const shardfit::error&) {
  }
  return 0;
}
