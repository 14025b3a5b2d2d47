#pragma once

// Model profiles of real models for planner tests: built from the published configs in
// configs.hpp (Llama-3.1-8B, -70B) or the example data (DeepSeek-R1 in BF16).

#include <shardfit/model/load.hpp>

#include "configs.hpp"

#include <string>

#ifndef SHARDFIT_EXAMPLES_DATA
#error "SHARDFIT_EXAMPLES_DATA must name examples/data"
#endif

namespace shardfit::test {

inline model_profile config_model(const std::string& config, const std::string& name) {
  auto m = profile_from_config(parse_hf_config(config, "config.json"));
  m.name = name;
  return m;
}

inline const model_profile& llama8b() {
  static const auto m = config_model(configs::llama_3_1_8b, "Llama-3.1-8B");
  return m;
}

inline const model_profile& llama70b() {
  static const auto m = config_model(configs::llama_3_1_70b, "Llama-3.1-70B");
  return m;
}

inline const model_profile& deepseek_r1_bf16() {
  static const auto m =
      load_model(std::string(SHARDFIT_EXAMPLES_DATA) + "/models/DeepSeek-R1-BF16");
  return m;
}

}  // namespace shardfit::test
