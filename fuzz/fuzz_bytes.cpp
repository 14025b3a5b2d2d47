// Size strings ("4GB", "1.5TiB", "64Gi"): parsed or refused with a reason, never UB.
#include <shardfit/core/units.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto b = shardfit::try_parse_bytes(text, &why);
  if (!b) {
    if (why.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  // An exact count prints and parses back to itself.
  const auto again = shardfit::try_parse_bytes(std::to_string(b->count()));
  if (!again || *again != *b) __builtin_trap();
  (void)shardfit::to_string(*b);
  (void)shardfit::to_string_decimal(*b);
  return 0;
}
