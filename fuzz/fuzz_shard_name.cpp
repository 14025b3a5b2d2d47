// The shard file name grammar: whatever parses must print back to a name that parses the same.
#include <shardfit/files/shard_name.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto n = shardfit::parse_shard_name(text);
  if (!n) return 0;
  const auto again = shardfit::parse_shard_name(
      shardfit::make_shard_name(n->stem, n->index, n->count, n->extension));
  if (!again || again->stem != n->stem || again->index != n->index || again->count != n->count) {
    __builtin_trap();
  }
  return 0;
}
