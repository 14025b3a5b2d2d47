// A consumer of the core alone: the umbrella header, no adapter, no fmt, no nlohmann-json.
#include <shardfit/shardfit.hpp>

#include <cstdio>

#if defined(FMT_SHARED) || defined(FMT_VERSION) || defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "the core target brought fmt or nlohmann-json"
#endif

int main() {
  using namespace shardfit::literals;
  const shardfit::bytes size = shardfit::parse_bytes("46GiB");
  if (size != 46_GiB) return 1;
  std::printf("consumer ok: %.2f GiB\n", static_cast<double>(size.count()) / (1U << 30U));
  return 0;
}
