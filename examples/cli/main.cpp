// The shardfit command-line tool: see `shardfit --help`.
#include "cli.hpp"

#include <iostream>

#include <unistd.h>

int main(int argc, char** argv) {
  return shardfit::cli::run(argc, argv, std::cout, std::cerr, ::isatty(2) == 1);
}
