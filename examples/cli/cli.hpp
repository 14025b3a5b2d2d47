#pragma once

// The shardfit tool as a function, so tests can run it in-process with captured streams.

#include <iosfwd>

namespace shardfit::cli {

/// Exit codes of the tool.
enum exit_code : int {
  exit_ok = 0,      ///< success
  exit_no_fit = 1,  ///< the answer is "no": no fit, invalid parallelism, incomplete set
  exit_usage = 2,   ///< bad arguments or unreadable / malformed input
};

/// Runs the tool with `argv` (argv[0] is the program name); returns the exit code.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        bool err_is_terminal = false);

}  // namespace shardfit::cli
