// A custom scorer: the default ranking, plus a term that prefers workers labelled with a zone.
// A term is any type with a `name` and `operator()(placement, plan_context)` in [0, 100];
// `weighted_scorer` combines terms with integer weights.
//
// Usage: 03_custom_scorer MODEL CLUSTER_JSON ZONE
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>

#include <iostream>
#include <string>
#include <string_view>

struct zone_term {
  static constexpr std::string_view name = "zone";
  std::string zone;
  // The share of the placement's workers in the zone, as 0..100.
  double operator()(const shardfit::placement& p, const shardfit::plan_context& ctx) const {
    if (p.workers.empty()) return 0;
    double in_zone = 0;
    for (const auto& w : p.workers) {
      if (ctx.c.workers[w.worker].label("zone") == zone) in_zone += 1;
    }
    return 100.0 * in_zone / static_cast<double>(p.workers.size());
  }
};

static_assert(shardfit::score_term<zone_term>);

using zone_scorer =
    shardfit::weighted_scorer<zone_term, shardfit::binpack_term, shardfit::fewest_gpus_term>;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: 03_custom_scorer MODEL CLUSTER_JSON ZONE\n";
    return 2;
  }
  try {
    const shardfit::basic_planner<shardfit::cluster_json_inventory, shardfit::default_estimator,
                                  zone_scorer>
        planner{shardfit::cluster_json_inventory(argv[2]),
                {},
                zone_scorer({10, 1, 1}, {zone_term{argv[3]}, {}, {}})};
    const auto model = shardfit::load_model(argv[1]);
    const shardfit::planner by_default{shardfit::cluster_json_inventory(argv[2])};
    const auto usual = by_default.plan(model, {});
    const auto plan = planner.plan(model, {});
    if (!plan.chosen || !usual.chosen) return 1;
    std::cout << "default scorer: " << usual.chosen->workers.front().name << '\n';
    std::cout << "zone " << argv[3] << " preferred: " << plan.chosen->workers.front().name
              << " (score " << plan.chosen->score.total << ")\n";
    for (const auto& part : plan.chosen->score.parts) {
      std::cout << "  " << part.name << " x" << part.weight << ": " << part.value << '\n';
    }
  } catch (const shardfit::error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
