// The GGUF reader on arbitrary bytes: an error naming the offset, never a crash, hang or huge
// allocation.
#include <shardfit/formats/gguf.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto src = shardfit::byte_source::from_memory(
      std::as_bytes(std::span<const std::uint8_t>(data, size)), "fuzz.gguf");
  try {
    const auto f = shardfit::gguf_file::read(src);
    std::uint64_t sum = 0;
    for (const auto& kv : f.metadata()) sum += kv.key.size() + kv.value.size();
    for (const auto& t : f.tensors()) sum += t.size.count() + t.elements();
    (void)f.architecture();
    (void)sum;
  } catch (const shardfit::error&) {
  }
  return 0;
}
