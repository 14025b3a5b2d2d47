#include "cli.hpp"

#include "commands.hpp"

#include <shardfit/core/error.hpp>
#include <shardfit/version.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "shardfit: where can this model run, and how?\n"
      "Finds model shard sets, reads their metadata, estimates memory and plans placements.",
      "shardfit"};
  app.set_version_flag("--version", std::string("shardfit ") + version_string);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("shardfit: ") + e.what() + "\nRun 'shardfit --help' for usage.\n";
  });

  streams io{out, err};
  std::vector<command> commands;
  commands.push_back(add_inspect(app, io));
  commands.push_back(add_estimate(app, io));
  commands.push_back(add_check_parallel(app, io));
  commands.push_back(add_plan(app, io));
  commands.push_back(add_reshard(app, io));
  commands.push_back(add_inventory(app, io));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? exit_ok : exit_usage;
  }

  for (const auto& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    try {
      return cmd.run();
    } catch (const shardfit::error& e) {
      err << "shardfit: " << e.what() << '\n';
      return exit_usage;
    } catch (const std::exception& e) {
      err << "shardfit: internal error: " << e.what() << '\n';
      return exit_usage;
    }
  }
  return exit_usage;  // unreachable: require_subcommand(1)
}

}  // namespace shardfit::cli
