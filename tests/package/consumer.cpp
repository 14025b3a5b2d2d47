// The same consumer program for every packaging test: core, fmt adapter and json adapter.
#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/shardfit.hpp>

#include <cstdio>

int main() {
  using namespace shardfit::literals;
  const shardfit::bytes size = shardfit::parse_bytes("46GiB");
  const nlohmann::json j = size;
  if (size != 46_GiB || j.get<shardfit::bytes>() != size) return 1;
  std::puts(fmt::format("consumer ok: {}", size).c_str());
  return 0;
}
