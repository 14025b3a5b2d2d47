#pragma once

// Runs a program found on PATH with a time limit and returns what it printed on stdout. Used by
// the local inventory to ask nvidia-smi and rocm-smi. Internal to cluster/.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shardfit::detail {

struct command_result {
  bool found = false;  // the program was on PATH and started
  bool timed_out = false;
  int status = -1;  // exit status when it exited
  std::string out;  // stdout, at most `max_bytes`
};

SHARDFIT_INLINE command_result run_command(const std::vector<std::string>& argv,
                                           std::chrono::milliseconds timeout,
                                           std::size_t max_bytes = std::size_t{1} << 20U);

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/cluster/detail/run_command-inl.hpp>
#endif
