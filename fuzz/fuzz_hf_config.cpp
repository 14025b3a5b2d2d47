// config.json on arbitrary text: parsed, then turned into a profile and estimated.
#include <shardfit/estimate/vllm.hpp>
#include <shardfit/formats/read_hf_config.hpp>
#include <shardfit/model/load.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto c = shardfit::parse_hf_config(text, "fuzz.config.json");
    const auto m = shardfit::profile_from_config(c);
    (void)m.weights();
    shardfit::vllm_settings s;
    s.max_model_len = 4096;
    (void)shardfit::estimate_vllm(m, s);
  } catch (const shardfit::error&) {
  }
  return 0;
}
