// Quickstart: plan a model on a cluster file and print where it runs and how to start it.
//
// Usage: 01_quickstart MODEL_DIR_OR_GGUF CLUSTER_JSON
#include <shardfit/model/load.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: 01_quickstart MODEL CLUSTER_JSON\n";
    return 2;
  }
  try {
    const shardfit::model_profile model = shardfit::load_model(argv[1]);
    const shardfit::planner planner{shardfit::cluster_json_inventory(argv[2])};
    shardfit::plan_request request;  // llama.cpp, 4096 tokens of context
    const shardfit::plan_result plan = planner.plan(model, request);
    if (!plan.chosen) {
      for (const auto& m : plan.messages) std::cout << m << '\n';
      return 1;
    }
    std::cout << model.name << ": " << shardfit::to_string(plan.chosen->stage) << '\n';
    for (const auto& w : plan.chosen->workers) {
      for (const auto& g : w.gpus) {
        std::cout << "  " << w.name << " (" << shardfit::to_string(w.role) << ") GPU " << g.index
                  << ": " << g.layers << " layers, " << shardfit::to_string(g.vram) << '\n';
      }
    }
    const auto settings = shardfit::launch_settings_for(model, request, argv[1]);
    for (const auto& cmd :
         shardfit::launch_commands(*plan.chosen, planner.inventory().snapshot(), settings)) {
      std::cout << cmd.worker << "$ " << cmd.shell() << '\n';
    }
  } catch (const shardfit::error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
