#include "cli.hpp"

#include "commands.hpp"
#include "options.hpp"

#include <shardfit/core/error.hpp>
#include <shardfit/version.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {

namespace {

// llama-server's and vLLM's single-dash spellings, which CLI11 would read as bundles of short
// flags ("-ngl 40" as "-n gl"): rewritten to their long names before parsing.
std::vector<std::string> engine_spellings(int argc, const char* const* argv) {
  struct alias {
    std::string_view from;
    std::string_view to;
  };
  constexpr alias table[] = {{"-ngl", "--gpu-layers"},
                             {"-ctk", "--cache-type-k"},
                             {"-ctv", "--cache-type-v"},
                             {"-fa", "--flash-attn"},
                             {"-ts", "--tensor-split"},
                             {"-np", "--parallel"},
                             {"-ub", "--ubatch"},
                             {"-sm", "--split-mode"},
                             {"-mg", "--main-gpu"},
                             {"-tp", "--tp"},
                             {"-pp", "--pp"}};
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(argc));
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    for (const auto& [from, to] : table) {
      if (a == from) {
        a = std::string(to);
      } else if (a.size() > from.size() && a.compare(0, from.size(), from) == 0 &&
                 a[from.size()] == '=') {
        a = std::string(to) + a.substr(from.size());
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        bool err_is_terminal) {
  CLI::App app{
      "shardfit: where can this model run, and how?\n"
      "Finds model shard sets, reads their metadata, estimates memory and plans placements.",
      "shardfit"};
  app.set_version_flag("--version", std::string("shardfit ") + version_string);
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("shardfit: ") + e.what() + "\nRun 'shardfit --help' for usage.\n";
  });

  streams io{out, err, err_is_terminal};
  std::vector<command> commands;
  commands.push_back(add_inspect(app, io));
  commands.push_back(add_estimate(app, io));
  commands.push_back(add_check_parallel(app, io));
  commands.push_back(add_plan(app, io));
  commands.push_back(add_reshard(app, io));
  commands.push_back(add_inventory(app, io));

  const std::vector<std::string> args = engine_spellings(argc, argv);
  std::vector<const char*> args_c;
  args_c.reserve(args.size());
  for (const auto& a : args) args_c.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(args_c.size()), args_c.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? exit_ok : exit_usage;
  }

  for (const auto& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    try {
      return cmd.run();
    } catch (const shardfit::error& e) {
      err << "shardfit: " << e.what() << option_hint(e.option()) << '\n';
      return exit_usage;
    } catch (const std::exception& e) {
      err << "shardfit: internal error: " << e.what() << '\n';
      return exit_usage;
    }
  }
  return exit_usage;  // unreachable: require_subcommand(1)
}

}  // namespace shardfit::cli
