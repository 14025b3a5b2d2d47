// A split GGUF set on arbitrary bytes (issue 18: the fuzzers also run on split sets, not just
// single files): the input is cut into two shards of "m-00001-of-00002.gguf" and
// "m-00002-of-00002.gguf" (the first two bytes choose where), held in memory by a listing
// filesystem; discovery, the shard check and, for a set it calls complete, the set reader and
// the profile builder must give an error naming a file, never a crash, hang or huge allocation.
#include <shardfit/files/discover.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/verify.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/model/load.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t body = size - 2;
  const std::size_t cut = body == 0 ? 0 : (std::size_t{data[0]} << 8U | data[1]) % (body + 1);
  const std::string bytes(reinterpret_cast<const char*>(data + 2), body);
  shardfit::listing_filesystem fs;
  fs.add_file("/m/m-00001-of-00002.gguf", shardfit::bytes{}, bytes.substr(0, cut));
  fs.add_file("/m/m-00002-of-00002.gguf", shardfit::bytes{}, bytes.substr(cut));
  try {
    auto found = shardfit::discover("/m", {}, fs);
    shardfit::verify_sets(found, fs);
    for (const auto& s : found.sets) {
      if (!s.complete()) continue;
      const auto set = shardfit::gguf_set::from_set(s, fs);
      (void)set.tensors().size();
      (void)shardfit::profile_from_set(s, {}, fs);
    }
  } catch (const shardfit::error&) {
  }
  return 0;
}
