// A JSON report: the plan result (chosen placement, alternatives, rejections, messages) and
// its launch commands, written with nlohmann::json through shardfit's to_json overloads.
//
// Usage: 04_json_report MODEL CLUSTER_JSON
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <nlohmann/json.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: 04_json_report MODEL CLUSTER_JSON\n";
    return 2;
  }
  try {
    const auto model = shardfit::load_model(argv[1]);
    const shardfit::cluster c = shardfit::cluster_json_inventory(argv[2]).snapshot();
    shardfit::plan_request request;
    request.engine = shardfit::backend::vllm;
    request.vllm.max_model_len = 32768;
    const shardfit::plan_result r = shardfit::plan(c, model, request);
    // The schema first, as the tool writes it, then the result.
    nlohmann::ordered_json report = {{"schema", shardfit::json_schema("plan")}};
    report.update(nlohmann::ordered_json(r));
    if (r.chosen) {
      report["launch"] = shardfit::launch_commands(
          *r.chosen, c, shardfit::launch_settings_for(model, request, argv[1]));
    }
    std::cout << report.dump(2) << '\n';
    return r.chosen ? 0 : 1;
  } catch (const shardfit::error& e) {
    nlohmann::ordered_json err = e;
    std::cout << err.dump(2) << '\n';
    return 2;
  }
}
