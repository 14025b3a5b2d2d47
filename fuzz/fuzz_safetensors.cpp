// The safetensors header reader on arbitrary bytes.
#include <shardfit/formats/safetensors.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto src = shardfit::byte_source::from_memory(
      std::as_bytes(std::span<const std::uint8_t>(data, size)), "fuzz.safetensors");
  try {
    const auto h = shardfit::safetensors_header::read(src);
    std::uint64_t sum = 0;
    for (const auto& t : h.tensors()) sum += t.size().count() + t.elements();
    for (const auto& [k, v] : h.metadata()) sum += k.size() + v.size();
    (void)sum;
  } catch (const shardfit::error&) {
  }
  return 0;
}
