#pragma once

// Internal to the tool: how subcommands plug into the dispatcher.

#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <vector>

namespace shardfit::cli {

/// The streams a command writes to.
struct streams {
  std::ostream& out;
  std::ostream& err;
};

/// A registered subcommand: its CLI11 app and the action to run once it parsed.
struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Each subcommand registers itself on the top-level app; its options live in the closure.
command add_inspect(CLI::App& app, streams& io);
command add_estimate(CLI::App& app, streams& io);

}  // namespace shardfit::cli
