// The model.safetensors.index.json reader on arbitrary text.
#include <shardfit/files/index_file.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto idx = shardfit::parse_weight_index(text, "fuzz.index.json");
    for (const auto& [name, file] : idx.tensors) {
      if (file >= idx.files.size()) __builtin_trap();  // an entry must name a listed file
    }
  } catch (const shardfit::error&) {
  }
  return 0;
}
