// A scheduler's loop: plan a queue of models against one in-memory cluster, reserve each
// placement with to_claims before planning the next, then release an instance and place again.
//
// Usage: 06_scheduler_loop MODEL...
#include <shardfit/model/load.hpp>
#include <shardfit/plan/claims.hpp>
#include <shardfit/plan/planner.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

shardfit::worker_info box(std::string name, int gpus, shardfit::bytes vram) {
  shardfit::worker_info w;
  w.name = std::move(name);
  w.address = w.name;
  w.ram = shardfit::parse_bytes("64GiB");
  for (int i = 0; i < gpus; ++i) {
    w.gpus.push_back({static_cast<std::uint32_t>(i), "RTX 4090", "nvidia", vram, {}});
  }
  return w;
}

// Places `model` as `instance` and reserves what it uses; false when it does not fit.
bool place(shardfit::cluster& c, const shardfit::model_profile& model,
           const std::string& instance) {
  shardfit::plan_request request;
  request.engine = model.source == "gguf" ? shardfit::backend::llama_cpp : shardfit::backend::vllm;
  request.context = 8192;  // both engines
  const shardfit::plan_result r = shardfit::plan(c, model, request);
  if (!r.chosen || r.cluster_version != c.version) return false;  // no fit, or a stale plan
  shardfit::commit(c, shardfit::to_claims(*r.chosen, instance));
  std::cout << instance << " (" << model.name << "):";
  for (const auto& w : r.chosen->workers) {
    for (const auto& g : w.gpus) std::cout << ' ' << w.name << ':' << g.index;
  }
  std::cout << '\n';
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    shardfit::cluster c;
    c.workers.push_back(box("gpu-a", 2, shardfit::parse_bytes("24GiB")));
    c.workers.push_back(box("gpu-b", 1, shardfit::parse_bytes("24GiB")));
    std::vector<shardfit::model_profile> queue;
    for (int i = 1; i < argc; ++i) queue.push_back(shardfit::load_model(argv[i]));
    int n = 0;
    for (const auto& model : queue) {
      const std::string instance = "job-" + std::to_string(++n);
      if (!place(c, model, instance)) std::cout << instance << ": waits (no room)\n";
    }
    // The first instance stops: its memory is free for the next one.
    std::cout << "released job-1: " << shardfit::release(c, "job-1") << " claims\n";
    if (!queue.empty() && !place(c, queue.front(), "job-" + std::to_string(++n))) {
      std::cout << "job-" << n << ": waits (no room)\n";
    }
  } catch (const shardfit::error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
