#pragma once

// Runs the shardfit tool in-process and captures what it prints.

#include "cli.hpp"

#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

namespace shardfit::test {

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

inline cli_result run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "shardfit");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out;
  std::ostringstream err;
  cli_result r;
  r.code = shardfit::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace shardfit::test
