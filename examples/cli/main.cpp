// The shardfit command-line tool: see `shardfit --help`.
#include "cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
  return shardfit::cli::run(argc, argv, std::cout, std::cerr);
}
