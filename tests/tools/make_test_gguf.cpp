// Writes a small, loadable GGUF model (zero weights, sparse on disk) of a llama-family
// architecture, for measuring llama.cpp's own buffer sizes with
// ../shared/tools/llama-truth/llama_truth.mjs (see tests/tools/measure_truth.sh).
//
// Usage: make_test_gguf OUT.gguf [--arch llama|qwen2|qwen3|gemma3] [--layers N] [--embd N]
//        [--heads N] [--kv-heads N] [--ff N] [--vocab N] [--type f32|f16|q8_0|q4_0]
//        [--ctx-train N] [--experts N --experts-used K] [--swa W] [--tied] [--split N]
//        deepseek2: [--old-layout] [--q-lora N] [--kv-lora N] [--qk-rope N] [--qk-nope N]
//        [--v-head N] [--dense-lead N] [--ff-expert N] [--shared-experts N] [--gating 1|2]
//        [--expert-weights-scale X]
//        mamba (give --heads 0 --ff 0): [--ssm-state N] [--ssm-conv N]
//
// With --split N, OUT is the prefix of N shards (OUT-00001-of-0000N.gguf, ...), as
// llama-gguf-split writes them.
#include "../support/model_files.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_test_gguf OUT.gguf [options]\n");
    return 2;
  }
  shardfit::test::test_model m;
  m.tokenizer = true;
  std::string out;
  std::uint32_t split = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto num = [&]() { return static_cast<std::uint32_t>(std::stoul(next())); };
    if (a == "--arch")
      m.arch = next();
    else if (a == "--layers")
      m.layers = num();
    else if (a == "--embd")
      m.embd = num();
    else if (a == "--heads")
      m.heads = num();
    else if (a == "--kv-heads")
      m.kv_heads = num();
    else if (a == "--ff")
      m.ff = num();
    else if (a == "--vocab")
      m.vocab = num();
    else if (a == "--ctx-train")
      m.ctx_train = num();
    else if (a == "--experts")
      m.experts = num();
    else if (a == "--experts-used")
      m.experts_used = num();
    else if (a == "--swa")
      m.sliding_window = num();
    else if (a == "--old-layout")
      m.mla = false;
    else if (a == "--q-lora")
      m.q_lora = num();
    else if (a == "--kv-lora")
      m.kv_lora = num();
    else if (a == "--qk-rope")
      m.qk_rope = num();
    else if (a == "--qk-nope")
      m.qk_nope = num();
    else if (a == "--v-head")
      m.v_head = num();
    else if (a == "--dense-lead")
      m.dense_lead = num();
    else if (a == "--ff-expert")
      m.ff_expert = num();
    else if (a == "--shared-experts")
      m.shared_experts = num();
    else if (a == "--gating")
      m.gating = num();
    else if (a == "--expert-weights-scale")
      m.expert_weights_scale = std::stof(next());
    else if (a == "--ssm-state")
      m.ssm_state = num();
    else if (a == "--ssm-conv")
      m.ssm_conv = num();
    else if (a == "--tied")
      m.tied = true;
    else if (a == "--split")
      split = num();
    else if (a == "--type") {
      const std::string t = next();
      m.type = t == "f32" ? 0 : t == "f16" ? 1 : t == "q4_0" ? 2 : t == "q8_0" ? 8 : 1;
    } else {
      out = a;
    }
  }
  if (split > 1) {
    for (const auto& p : shardfit::test::write_tiny_llama_split(out, m, split)) {
      std::printf("%s\n", p.c_str());
    }
    return 0;
  }
  shardfit::test::write_tiny_llama(out, m);
  std::printf("%s\n", out.c_str());
  return 0;
}
