// Plan a model before downloading it, from a model hub's file listing (names and sizes, the
// shape of GET /api/models/<repo>/tree/main) and its small config files: no weights on disk.
// A `listing_filesystem` stands in for the directory.
//
// Usage: 05_file_listing LISTING_JSON CONFIG_DIR CLUSTER_JSON
//   CONFIG_DIR holds the fetched config.json and model.safetensors.index.json.
#include <shardfit/files/discover.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw shardfit::error::io(path, "cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: 05_file_listing LISTING_JSON CONFIG_DIR CLUSTER_JSON\n";
    return 2;
  }
  try {
    const std::string repo = "/hub/meta-llama/Llama-3.1-8B-Instruct";
    shardfit::listing_filesystem fs;
    for (const auto& f : nlohmann::json::parse(slurp(argv[1]))) {
      const auto name = f.at("path").get<std::string>();
      const shardfit::bytes size{f.at("size").get<std::uint64_t>()};
      if (name == "config.json" || name == "model.safetensors.index.json") {
        fs.add_file(repo + "/" + name, size, slurp(std::string(argv[2]) + "/" + name));
      } else {
        fs.add_file(repo + "/" + name, size);
      }
    }
    const auto found = shardfit::discover(repo, {}, fs);
    for (const auto& set : found.sets) {
      std::cout << set.name << ": " << set.files.size() << " files, "
                << shardfit::to_string_decimal(set.total_bytes)
                << (set.complete() ? ", complete" : ", incomplete") << '\n';
    }
    shardfit::load_options lo;
    lo.config_only = true;
    const auto model = shardfit::load_model(repo, lo, fs);
    const auto plan =
        shardfit::plan(shardfit::cluster_json_inventory(argv[3]).snapshot(), model, {});
    if (!plan.chosen) return 1;
    const auto& w = plan.chosen->workers.front();
    std::cout << "plan: " << w.name << ", " << plan.chosen->gpu_count() << " GPU(s), download "
              << shardfit::to_string_decimal(plan.chosen->storage.download) << '\n';
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
