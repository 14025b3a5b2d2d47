// shardfit inventory [--local] [--cluster FILE] [--kube-nodes FILE] [--nvidia-smi WORKER=FILE]
// [--rocm-smi WORKER=FILE]: the merged cluster as cluster JSON, to save, edit and plan with.

#include "commands.hpp"
#include "inventory_options.hpp"

#include <shardfit/cluster/json.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {

command add_inventory(CLI::App& app, streams& io) {
  auto o = std::make_shared<inventory_cli_options>();
  CLI::App* sub = app.add_subcommand(
      "inventory",
      "Print the cluster the sources describe (this machine when none is given) as cluster JSON");
  add_inventory_options(*sub, *o);
  return {sub, [o, &io]() {
            std::vector<std::string> warnings;
            const cluster c = read_inventory(*o, local_options{}, warnings);
            for (const auto& w : warnings) io.err << "shardfit: warning: " << w << '\n';
            nlohmann::ordered_json j = c;
            io.out << j.dump(2) << '\n';
            return exit_ok;
          }};
}

}  // namespace shardfit::cli
