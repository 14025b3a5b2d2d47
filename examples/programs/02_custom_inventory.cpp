// A custom inventory policy: the scheduler's own GPU list, turned into a shardfit cluster on
// every snapshot. Any type with `snapshot()` returning a cluster plugs in.
//
// Usage: 02_custom_inventory MODEL_DIR_OR_GGUF
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

// What the embedding scheduler already tracks.
struct node_record {
  std::string host;
  std::uint64_t ram_gib;
  std::vector<std::uint64_t> gpu_free_mib;  // per GPU, as its agent last reported
};

class scheduler_inventory {
 public:
  explicit scheduler_inventory(const std::vector<node_record>& nodes) : nodes_(&nodes) {}

  [[nodiscard]] shardfit::cluster snapshot() const {
    shardfit::cluster c;
    c.reserved.vram = shardfit::bytes{std::uint64_t{512} << 20U};  // keep 512 MiB per GPU
    for (const auto& n : *nodes_) {
      shardfit::worker_info w;
      w.name = n.host;
      w.address = n.host;
      w.ram = shardfit::bytes{n.ram_gib << 30U};
      for (std::uint32_t i = 0; i < n.gpu_free_mib.size(); ++i) {
        shardfit::gpu_info g;
        g.index = i;
        g.vendor = "nvidia";
        g.vram = shardfit::bytes{std::uint64_t{24576} << 20U};  // 24 GiB cards
        g.vram_used = g.vram - shardfit::bytes{n.gpu_free_mib[i] << 20U};
        w.gpus.push_back(g);
      }
      c.workers.push_back(std::move(w));
    }
    return c;
  }

 private:
  const std::vector<node_record>* nodes_;
};

static_assert(shardfit::inventory_source<scheduler_inventory>);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: 02_custom_inventory MODEL\n";
    return 2;
  }
  try {
    const std::vector<node_record> nodes{{"node-a", 128, {24000, 6000}},
                                         {"node-b", 256, {24000, 24000}}};
    const shardfit::basic_planner<scheduler_inventory> planner{scheduler_inventory(nodes)};
    const auto model = shardfit::load_model(argv[1]);
    const auto plan = planner.plan(model, {});
    if (!plan.chosen) {
      for (const auto& m : plan.messages) std::cout << m << '\n';
      return 1;
    }
    for (const auto& w : plan.chosen->workers) {
      for (const auto& g : w.gpus) {
        std::cout << w.name << ':' << g.index << ' ' << g.layers << " layers\n";
      }
    }
  } catch (const shardfit::error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
