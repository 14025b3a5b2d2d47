// Cluster JSON on arbitrary text, then a plan of a small model on whatever it describes: the
// planner must never crash, loop or overcommit on a well-formed cluster.
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

const shardfit::model_profile& model() {
  static const auto m = [] {
    auto p = shardfit::profile_from_config(shardfit::parse_hf_config(
        R"({"model_type": "llama", "hidden_size": 256, "intermediate_size": 512,
            "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 4,
            "vocab_size": 1000, "max_position_embeddings": 4096})",
        "config.json"));
    p.name = "fuzz";
    return p;
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  shardfit::cluster c;
  try {
    c = shardfit::parse_cluster(text, "fuzz.cluster.json");
  } catch (const shardfit::error&) {
    return 0;
  }
  if (c.workers.size() > 64) return 0;  // keep each input fast
  for (const auto engine : {shardfit::backend::llama_cpp, shardfit::backend::vllm}) {
    shardfit::plan_request rq;
    rq.engine = engine;
    rq.vllm.max_model_len = 4096;
    shardfit::plan_result r;
    try {
      r = shardfit::plan(c, model(), rq);
    } catch (const shardfit::error&) {
      // validate() refuses what the file reader leaves to a merge (a claim on a GPU of a worker
      // that lists none): an error, never a crash.
      return 0;
    }
    if (!r.chosen) continue;
    for (const auto& w : r.chosen->workers) {
      for (const auto& g : w.gpus) {
        if (g.vram > g.allocatable || g.repeating_layers == 0) __builtin_trap();
      }
    }
  }
  return 0;
}
