#include <shardfit/files/discover.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/cli_runner.hpp"
#include "support/configs.hpp"
#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using shardfit::bytes;
using shardfit::gguf_builder;
using shardfit::load_model;
using shardfit::model_profile;
using shardfit::test::temp_dir;
using shardfit::test::tiny_llama;
namespace cfg = shardfit::test::configs;

TEST(Model, FromGgufHasExactLayerBytes) {
  temp_dir d;
  tiny_llama t;  // 4 layers, 256 wide, f16
  const auto m = load_model(shardfit::test::write_tiny_llama(d / "m.gguf", t));
  EXPECT_EQ(m.source, "gguf");
  EXPECT_EQ(m.architecture, "llama");
  EXPECT_EQ(m.name, "tiny-llama-L4-E256");
  EXPECT_EQ(m.quantization, "F16");
  EXPECT_EQ(m.n_layer, 4U);
  EXPECT_EQ(m.n_embd, 256U);
  EXPECT_EQ(m.n_head, 8U);
  EXPECT_EQ(m.n_head_kv, 4U);
  EXPECT_EQ(m.head_dim_k, 32U);
  EXPECT_EQ(m.n_ff, 512U);
  EXPECT_EQ(m.n_vocab, 1000U);
  EXPECT_EQ(m.n_ctx_train, 4096U);
  ASSERT_EQ(m.layers.size(), 4U);
  // Per layer: 2 f32 norms (1024 each), q and o 256x256, k and v 256x128, 3 FFN 256x512, f16.
  EXPECT_EQ(m.layers[0].weights.count(), 2 * 1024U + 2 * 131072U + 2 * 65536U + 3 * 262144U);
  EXPECT_EQ(m.layers[0].k_per_token, 128U);
  EXPECT_EQ(m.layers[0].v_per_token, 128U);
  EXPECT_FALSE(m.layers[0].swa);
  EXPECT_EQ(m.token_embd.count(), 512000U);
  EXPECT_EQ(m.output.count(), 512000U + 1024U);
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_EQ(m.weights().count(), 5'751'808U);  // llama.cpp: "model buffer size = 5.49 MiB"
  EXPECT_EQ(m.parameters, 2'873'600U);
  EXPECT_EQ(m.min_layer_bytes(), m.max_layer_bytes());
  t.tied = true;
  const auto tied = load_model(shardfit::test::write_tiny_llama(d / "tied.gguf", t));
  EXPECT_TRUE(tied.tied_embeddings);
  EXPECT_EQ(tied.output.count(), 1024U);
}

TEST(Model, FromAGgufSplitOpenedByAnyShard) {
  temp_dir d;
  const auto paths = shardfit::test::write_tiny_llama_split(d / "m", tiny_llama{}, 3);
  const auto m = load_model(paths[1]);
  EXPECT_EQ(m.weights().count(), 5'751'808U);
  EXPECT_EQ(m.files.size(), 3U);
}

// A GGUF with the metadata of architectures that need more than the llama defaults.
std::string write_arch(const temp_dir& d, const std::string& name,
                       const std::function<void(gguf_builder&)>& meta, std::uint32_t layers) {
  gguf_builder b;
  meta(b);
  b.add_tensor("token_embd.weight", {64, 100}, 0);
  for (std::uint32_t i = 0; i < layers; ++i) {
    b.add_tensor("blk." + std::to_string(i) + ".attn_q.weight", {64, 64}, 0);
    b.add_tensor("blk." + std::to_string(i) + ".ffn_up_exps.weight", {64, 32, 4}, 0);
  }
  const std::string path = d / name;
  shardfit::test::write_gguf_file(path, b);
  return path;
}

TEST(Model, GgufSlidingWindowPerLayerHeadsAndExperts) {
  temp_dir d;
  const auto g = load_model(write_arch(
      d, "gemma3.gguf",
      [](gguf_builder& b) {
        b.add_string("general.architecture", "gemma3");
        b.add_u32("gemma3.block_count", 12);
        b.add_u32("gemma3.embedding_length", 64);
        b.add_u32("gemma3.attention.head_count", 4);
        b.add_u32("gemma3.attention.head_count_kv", 2);
        b.add_u32("gemma3.attention.key_length", 32);
        b.add_u32("gemma3.attention.value_length", 32);
        b.add_u32("gemma3.attention.sliding_window", 1024);
        b.add_u32("gemma3.expert_count", 4);
      },
      12));
  ASSERT_EQ(g.layers.size(), 12U);
  std::vector<bool> swa;
  for (const auto& l : g.layers) swa.push_back(l.swa);
  EXPECT_EQ(swa, (std::vector<bool>{true, true, true, true, true, false, true, true, true, true,
                                    true, false}));  // gemma3's default pattern of 6
  EXPECT_EQ(g.layers[0].k_per_token, 64U);
  EXPECT_EQ(g.layers[0].expert_weights.count(), 64U * 32 * 4 * 4);
  EXPECT_EQ(g.layers[0].weights.count(), 64U * 64 * 4 + 64U * 32 * 4 * 4);
  EXPECT_EQ(g.sliding_window, 1024U);

  const auto v = load_model(write_arch(
      d, "varied.gguf",
      [](gguf_builder& b) {
        b.add_string("general.architecture", "llama");
        b.add_u32("llama.block_count", 3);
        b.add_u32("llama.embedding_length", 64);
        b.add_u32("llama.attention.head_count", 4);
        const std::vector<std::uint32_t> kv{4, 2, 1};
        b.add_array<std::uint32_t>("llama.attention.head_count_kv", shardfit::gguf_type::uint32,
                                   kv);
      },
      3));
  EXPECT_EQ(v.layers[0].k_per_token, 64U);
  EXPECT_EQ(v.layers[1].k_per_token, 32U);
  EXPECT_EQ(v.layers[2].v_per_token, 16U);

  const auto mla = load_model(write_arch(
      d, "ds.gguf",
      [](gguf_builder& b) {
        b.add_string("general.architecture", "deepseek2");
        b.add_u32("deepseek2.block_count", 2);
        b.add_u32("deepseek2.embedding_length", 64);
        b.add_u32("deepseek2.attention.head_count", 16);
        b.add_u32("deepseek2.attention.head_count_kv", 1);
        b.add_u32("deepseek2.attention.key_length", 576);
        b.add_u32("deepseek2.attention.value_length", 512);
        b.add_u32("deepseek2.attention.key_length_mla", 192);
        b.add_u32("deepseek2.attention.value_length_mla", 128);
        b.add_u32("deepseek2.attention.kv_lora_rank", 512);
      },
      2));
  EXPECT_TRUE(mla.is_mla());
  EXPECT_EQ(mla.layers[0].k_per_token, 576U);  // the latent and the rope part
  EXPECT_EQ(mla.layers[0].v_per_token, 0U);    // no V cache with MLA

  const auto rwkv = load_model(write_arch(
      d, "rwkv.gguf",
      [](gguf_builder& b) {
        b.add_string("general.architecture", "rwkv6");
        b.add_u32("rwkv6.block_count", 2);
        b.add_u32("rwkv6.embedding_length", 64);
        b.add_u32("rwkv6.wkv.head_size", 16);
        b.add_u32("rwkv6.token_shift_count", 2);
      },
      2));
  EXPECT_TRUE(rwkv.layers[0].recurrent);
  EXPECT_EQ(rwkv.layers[0].k_per_token, 0U);
  EXPECT_EQ(rwkv.layers[0].r_state, 128U);
  EXPECT_EQ(rwkv.layers[0].s_state, 1024U);
}

TEST(Model, GgufWithoutArchitectureIsAnError) {
  temp_dir d;
  gguf_builder b;
  b.add_u32("x", 1);
  shardfit::test::write_gguf_file(d / "m.gguf", b);
  try {
    (void)load_model(d / "m.gguf");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()), d / "m.gguf" + ": no general.architecture key");
  }
}

constexpr const char* kTinyConfig =
    R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "vocab_size": 100, "tie_word_embeddings": false, "torch_dtype": "bfloat16"})";

// The tensors of kTinyConfig in bf16.
std::vector<shardfit::test::st_tensor> tiny_hf_tensors(int first, int last) {
  std::vector<shardfit::test::st_tensor> t;
  if (first == 0) t.push_back({"model.embed_tokens.weight", "BF16", {100, 64}, 12800});
  for (int i = first; i < last; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "self_attn.q_proj.weight", "BF16", {64, 64}, 8192});
    t.push_back({p + "self_attn.k_proj.weight", "BF16", {32, 64}, 4096});
    t.push_back({p + "self_attn.v_proj.weight", "BF16", {32, 64}, 4096});
    t.push_back({p + "self_attn.o_proj.weight", "BF16", {64, 64}, 8192});
    t.push_back({p + "mlp.gate_proj.weight", "BF16", {128, 64}, 16384});
    t.push_back({p + "mlp.up_proj.weight", "BF16", {128, 64}, 16384});
    t.push_back({p + "mlp.down_proj.weight", "BF16", {64, 128}, 16384});
    t.push_back({p + "input_layernorm.weight", "BF16", {64}, 128});
    t.push_back({p + "post_attention_layernorm.weight", "BF16", {64}, 128});
  }
  if (last == 2) {
    t.push_back({"model.norm.weight", "BF16", {64}, 128});
    t.push_back({"lm_head.weight", "BF16", {100, 64}, 12800});
  }
  return t;
}

TEST(Model, FromSafetensorsHeadersAndConfig) {
  temp_dir d;
  d.write("config.json", kTinyConfig);
  shardfit::test::write_safetensors(d / "model-00001-of-00002.safetensors", tiny_hf_tensors(0, 1));
  shardfit::test::write_safetensors(d / "model-00002-of-00002.safetensors", tiny_hf_tensors(1, 2));
  const auto m = load_model(d.path());
  EXPECT_EQ(m.source, "safetensors");
  // Hugging Face calls every set "model"; the directory names it.
  EXPECT_EQ(m.name, d.path().substr(d.path().rfind('/') + 1));
  EXPECT_EQ(m.quantization, "bf16");
  ASSERT_EQ(m.layers.size(), 2U);
  EXPECT_EQ(m.layers[0].weights.count(), 8192U * 2 + 4096 * 2 + 16384 * 3 + 256);
  EXPECT_EQ(m.layers[1].weights, m.layers[0].weights);
  EXPECT_EQ(m.token_embd.count(), 12800U);
  EXPECT_EQ(m.output.count(), 12800U + 128);
  EXPECT_EQ(m.layers[0].k_per_token, 32U);
  EXPECT_EQ(m.n_head_kv, 2U);
  EXPECT_EQ(m.files.size(), 3U);  // two shards and the config

  // The config-only path derives the same bytes from the architecture.
  shardfit::load_options only;
  only.config_only = true;
  const auto c = load_model(d.path(), only);
  EXPECT_EQ(c.source, "config");
  EXPECT_EQ(c.layers[0].weights, m.layers[0].weights);
  EXPECT_EQ(c.token_embd, m.token_embd);
  EXPECT_EQ(c.output, m.output);
  EXPECT_EQ(c.parameters, m.parameters);
}

std::string index_json(const std::vector<std::string>& names, std::uint64_t total) {
  std::string j =
      R"({"metadata": {"total_size": )" + std::to_string(total) + R"(}, "weight_map": {)";
  for (std::size_t i = 0; i < names.size(); ++i) {
    j += (i ? "," : "") + ("\"" + names[i] + "\": \"model-00001-of-00001.safetensors\"");
  }
  return j + "}}";
}

TEST(Model, Llama31_8BFromConfigAndIndexAloneMatchesItsTotalSize) {
  temp_dir d;
  d.write("config.json", cfg::llama_3_1_8b);
  d.write("model.safetensors.index.json",
          index_json({"lm_head.weight", "model.embed_tokens.weight", "model.norm.weight",
                      "model.layers.0.self_attn.q_proj.weight"},
                     16'060'522'496ULL));
  const auto m = load_model(d.path());
  EXPECT_EQ(m.source, "config");
  EXPECT_EQ(m.file_bytes.count(), 0U);  // nothing downloaded
  // 32 layers of 218,112,000 bf16 parameters, embeddings and head of 128256 x 4096.
  EXPECT_EQ(m.layers[0].weights.count(), 436'224'000U);
  EXPECT_EQ(m.token_embd.count(), 1'050'673'152U);
  EXPECT_EQ(m.output.count(), 1'050'673'152U + 8192U);
  EXPECT_EQ(m.weights().count(), 16'060'522'496ULL);  // the index's metadata.total_size
  EXPECT_EQ(m.parameters, 8'030'261'248ULL);
  ASSERT_EQ(m.notes.size(), 2U);
  EXPECT_EQ(
      m.notes[1],
      "derived total 16060522496 bytes agrees with the index's metadata.total_size 16060522496");
}

// Issue 21.9: an index with only metadata.total_size (weight_map empty, or absent) sizes the
// model from the config scaled to that total; inspect, estimate and plan all call the set
// incomplete in the same words instead of one saying "corrupt" and another "0 B of weights".
TEST(Model, AMapLessIndexSizesTheModelByItsTotal) {
  for (const std::string map : {R"(,"weight_map":{})", ""}) {
    temp_dir d;
    d.write("config.json", cfg::llama_3_1_8b);
    d.write("model.safetensors.index.json",
            R"({"metadata":{"total_size":16060522496})" + map + "}");
    const auto found = shardfit::discover(d.path());
    ASSERT_EQ(found.sets.size(), 1U);
    EXPECT_EQ(found.sets[0].status(), shardfit::set_status::incomplete);
    EXPECT_TRUE(found.sets[0].index_only);
    const std::string why = "shard set 'model' is incomplete: its index " + d.path() +
                            "/model.safetensors.index.json maps no files (weight_map is empty "
                            "or absent); only metadata.total_size sizes it";
    EXPECT_EQ(shardfit::status_message(found.sets[0]), why);
    const auto m = load_model(d.path());
    EXPECT_EQ(m.source, "config");
    EXPECT_EQ(m.weights().count(), 16'060'522'496ULL);
    EXPECT_EQ(m.layers[0].weights.count(), 436'224'000U);
    const auto inspect = shardfit::test::run_cli({"inspect", d.path()});
    EXPECT_NE(inspect.out.find("0/0     index only"), std::string::npos) << inspect.out;
    EXPECT_NE(inspect.out.find("problem: " + why), std::string::npos) << inspect.out;
    EXPECT_EQ(inspect.out.find("corrupt"), std::string::npos) << inspect.out;
    const auto est = shardfit::test::run_cli({"estimate", d.path(), "--backend", "vllm"});
    EXPECT_EQ(est.code, 0) << est.err;
    EXPECT_NE(est.out.find("14.96 GiB"), std::string::npos) << est.out;  // 16060522496 bytes
  }
}

TEST(Model, DerivedBytesScaleToTheIndexWhenTheyDisagree) {
  temp_dir d;
  d.write("config.json", cfg::llama_3_1_8b);
  d.write(
      "model.safetensors.index.json",
      index_json({"lm_head.weight", "model.layers.0.self_attn.q_proj.weight"}, 17'000'000'000ULL));
  const auto m = load_model(d.path());
  const auto total = m.weights().count();
  EXPECT_NEAR(static_cast<double>(total), 17e9, 17e9 * 1e-6);
  EXPECT_NE(m.notes.back().find("scaled by"), std::string::npos);
}

TEST(Model, VisionTowerTakesTheRestOfTheIndexTotal) {
  temp_dir d;
  d.write("config.json", cfg::gemma_3_27b_it);
  const auto text_only =
      shardfit::profile_from_config(shardfit::parse_hf_config(cfg::gemma_3_27b_it, "c"));
  d.write("model.safetensors.index.json",
          index_json({"language_model.model.layers.0.self_attn.q_proj.weight",
                      "language_model.model.layers.0.self_attn.q_norm.weight",
                      "vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"},
                     text_only.weights().count() - text_only.other.count() + 800'000'000ULL));
  const auto m = load_model(d.path());
  EXPECT_EQ(m.other.count(), 800'000'000U);
  EXPECT_TRUE(m.tied_embeddings);  // no lm_head in the index
  EXPECT_EQ(m.vision_heads, 16U);
  EXPECT_TRUE(m.layers[0].swa);
  EXPECT_FALSE(m.layers[5].swa);
}

// Issue 17: Llama 4 from its config alone. Scout: 16 experts and one shared expert (of the
// experts' width, unstated in the config: transformers' Llama4TextMoe) on all 48 layers, 109B
// parameters. Maverick: 128 experts on every other layer (interleave_moe_layer_step 2), dense
// layers of intermediate_size_mlp 16384 between, 400B parameters. Both bf16 with the vision
// tower sized from its config (34 layers of 1408): within 3% of parameters x 2 bytes.
TEST(Model, Llama4WeightsFromConfig) {
  const auto scout =
      shardfit::profile_from_config(shardfit::parse_hf_config(cfg::llama_4_scout, "c"));
  const auto maverick =
      shardfit::profile_from_config(shardfit::parse_hf_config(cfg::llama_4_maverick, "c"));
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const double scout_published = 109e9 * 2 / gib;     // 203.0 GiB
  const double maverick_published = 400e9 * 2 / gib;  // 745.1 GiB
  EXPECT_NEAR(static_cast<double>(scout.weights().count()) / gib, scout_published,
              scout_published * 0.03);
  EXPECT_NEAR(static_cast<double>(maverick.weights().count()) / gib, maverick_published,
              maverick_published * 0.03);
  EXPECT_EQ(scout.n_expert_shared, 1U);
  EXPECT_GT(maverick.layers[1].expert_weights, bytes{});  // layers 1, 3, ... are MoE
  EXPECT_EQ(maverick.layers[0].expert_weights, bytes{});
  // Layer 0 is dense: attention + 3 x 5120 x 16384 FFN, bf16, and the two norms.
  EXPECT_EQ(maverick.layers[0].weights.count(),
            (2ULL * 5120 * 5120 + 2ULL * 5120 * 1024 + 3ULL * 5120 * 16384 + 2 * 5120) * 2);
  EXPECT_GT(scout.other, bytes{1ULL << 30});  // the vision tower, ~1.5 GiB
  EXPECT_NE(scout.notes.back().find("vision tower sized from its config (34 layers of 1408)"),
            std::string::npos)
      << scout.notes.back();
  // A text_config without vocab_size takes its class's default (Llama4TextConfig: 202048).
  std::string novocab = cfg::llama_4_scout;
  novocab.erase(novocab.find(R"("vocab_size": 202048, )"), 22);
  EXPECT_EQ(shardfit::parse_hf_config(novocab, "c").vocab_size, 202048U);
}

TEST(Model, MoeAndMlaFromConfig) {
  const auto ds = shardfit::profile_from_config(shardfit::parse_hf_config(cfg::deepseek_v3, "c"));
  EXPECT_TRUE(ds.is_moe());
  EXPECT_TRUE(ds.is_mla());
  EXPECT_EQ(ds.layers[0].expert_weights.count(), 0U);  // first three layers are dense
  EXPECT_GT(ds.layers[3].expert_weights.count(), 0U);
  EXPECT_EQ(ds.layers[3].k_per_token, 576U);
  EXPECT_EQ(ds.layers[3].v_per_token, 0U);
  // FP8 weights with 128x128 block scales: about 671B parameters in about 680 GB (without the
  // MTP layer, which the index would add).
  EXPECT_GT(ds.parameters, 660'000'000'000ULL);
  EXPECT_LT(ds.parameters, 680'000'000'000ULL);
  EXPECT_GT(ds.weights().count(), 660'000'000'000ULL);
  EXPECT_LT(ds.weights().count(), 700'000'000'000ULL);

  const auto oss = shardfit::profile_from_config(shardfit::parse_hf_config(cfg::gpt_oss_120b, "c"));
  // 116.8B parameters, about 61 GiB on disk because the experts are MXFP4.
  EXPECT_GT(oss.parameters, 114'000'000'000ULL);
  EXPECT_LT(oss.parameters, 118'000'000'000ULL);
  EXPECT_GT(oss.weights().count(), 60ULL << 30);
  EXPECT_LT(oss.weights().count(), 66ULL << 30);
}

TEST(Model, LoadModelChoosesAndExplains) {
  temp_dir d;
  d.write("config.json", kTinyConfig);
  const auto only_config = load_model(d.path());
  EXPECT_EQ(only_config.source, "config");
  EXPECT_EQ(only_config.notes.back(),
            "no weight files or index: sizes derived from config.json alone");

  temp_dir two;
  shardfit::test::write_tiny_llama(two / "a.gguf", tiny_llama{});
  shardfit::test::write_tiny_llama(two / "b.gguf", tiny_llama{});
  try {
    (void)load_model(two.path());
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()), two.path() +
                                         ": holds several model sets: a (gguf), b (gguf); choose "
                                         "one by its name");
    EXPECT_EQ(e.option(), "set_name");  // the setting that resolves it, not a tool flag
  }
  shardfit::load_options pick;
  pick.set_name = "b";
  EXPECT_EQ(load_model(two.path(), pick).files.front(), two / "b.gguf");
  temp_dir empty;
  EXPECT_THROW((void)load_model(empty.path()), shardfit::error);
}

// Issue 18: a Mistral layout (consolidated.safetensors beside the indexed shards) and .bin
// beside .safetensors load what vLLM loads, with a note naming the rest; GGUF quants side by
// side cannot be chosen for the user (the error names the set_name setting).
TEST(Model, SeveralSetsLoadWhatVllmLoads) {
  temp_dir d;
  d.write("config.json", kTinyConfig);
  std::vector<std::string> names;
  for (const auto& t : tiny_hf_tensors(0, 2)) names.push_back(t.name);
  std::uint64_t total = 0;
  for (const auto& t : tiny_hf_tensors(0, 2)) total += t.bytes;
  shardfit::test::write_safetensors(d / "model-00001-of-00001.safetensors", tiny_hf_tensors(0, 2));
  d.write("model.safetensors.index.json", index_json(names, total));
  shardfit::test::write_safetensors(d / "consolidated.safetensors", tiny_hf_tensors(0, 2));
  d.write("pytorch_model.bin", "not read");
  const auto m = load_model(d.path());
  EXPECT_EQ(m.set, "model");
  EXPECT_EQ(m.source, "safetensors");
  EXPECT_EQ(m.notes.back(),
            "the directory holds several sets; model (safetensors, indexed) is the one vLLM "
            "loads; not used: consolidated (safetensors), pytorch_model (pytorch) (choose one "
            "by its name)");
  shardfit::load_options pick;
  pick.set_name = "consolidated";
  EXPECT_EQ(load_model(d.path(), pick).set, "consolidated");

  temp_dir two;
  two.write("config.json", kTinyConfig);
  shardfit::test::write_safetensors(two / "model.safetensors", tiny_hf_tensors(0, 2));
  two.write("pytorch_model.bin", "not read");
  EXPECT_EQ(load_model(two.path()).source, "safetensors");
}

// Issue 18: a Hugging Face cache repository directory resolves refs/main to its snapshot (whose
// files link into the repository's blobs/), and the model is named org/name.
TEST(Model, AHubCacheRepositoryResolvesItsSnapshot) {
  temp_dir d;
  const std::string repo = d / "models--acme--tiny-llama";
  d.mkdir("models--acme--tiny-llama/refs");
  d.mkdir("models--acme--tiny-llama/snapshots/0123abcd");
  d.mkdir("models--acme--tiny-llama/blobs");
  d.write("models--acme--tiny-llama/refs/main", "0123abcd\n");
  d.write("models--acme--tiny-llama/blobs/c0ffee", kTinyConfig);
  shardfit::test::write_safetensors(repo + "/blobs/beef", tiny_hf_tensors(0, 2));
  ASSERT_EQ(::symlink("../../blobs/c0ffee", (repo + "/snapshots/0123abcd/config.json").c_str()), 0);
  ASSERT_EQ(::symlink("../../blobs/beef", (repo + "/snapshots/0123abcd/model.safetensors").c_str()),
            0);
  const auto m = load_model(repo);
  EXPECT_EQ(m.name, "acme/tiny-llama");
  EXPECT_EQ(m.source, "safetensors");
  EXPECT_EQ(m.files.front(), repo + "/snapshots/0123abcd/model.safetensors");
  const auto found = shardfit::discover(repo);
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_EQ(found.sets[0].hub_repo, "acme/tiny-llama");

  // A commit hash is a revision too; the tool takes it as --revision.
  shardfit::load_options by_hash;
  by_hash.revision = "0123abcd";
  EXPECT_EQ(load_model(repo, by_hash).name, "acme/tiny-llama");
  const auto cli = shardfit::test::run_cli({"estimate", repo, "--revision", "v2"});
  EXPECT_EQ(cli.code, 2);
  EXPECT_NE(cli.err.find("no snapshot for revision 'v2'"), std::string::npos) << cli.err;

  shardfit::discovery_options other;
  other.revision = "v2";
  try {
    (void)shardfit::discover(repo, other);
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_EQ(std::string(e.what()),
              repo +
                  "/snapshots/v2: no snapshot for revision 'v2' in this Hugging Face cache "
                  "repository");
  }
}

// Issue 18: Ollama's store. The manifest names the model and its blob; the blob alone (no
// extension) is GGUF by its magic.
TEST(Model, AnOllamaManifestNamesItsModelBlob) {
  temp_dir d;
  d.mkdir("models/blobs");
  d.mkdir("models/manifests/registry.ollama.ai/library/tiny");
  const std::string blob = d / "models/blobs/sha256-00ff";
  shardfit::test::write_tiny_llama(blob, tiny_llama{});
  const std::string manifest =
      d.write("models/manifests/registry.ollama.ai/library/tiny/latest",
              R"({"schemaVersion": 2, "layers": [{"mediaType": "application/vnd.ollama.image.model",
          "digest": "sha256:00ff", "size": 1}, {"mediaType": "application/vnd.ollama.image.license",
          "digest": "sha256:0011", "size": 2}]})");
  const auto found = shardfit::discover(manifest);
  ASSERT_EQ(found.sets.size(), 1U);
  EXPECT_EQ(found.sets[0].name, "tiny:latest");
  EXPECT_EQ(found.sets[0].files[0].path, blob);
  EXPECT_TRUE(found.sets[0].complete());
  const auto m = load_model(manifest);
  EXPECT_EQ(m.set, "tiny:latest");
  EXPECT_EQ(m.source, "gguf");
  EXPECT_EQ(load_model(blob).source, "gguf");  // the blob by its magic

  d.write("models/manifests/registry.ollama.ai/library/tiny/gone",
          R"({"layers": [{"mediaType": "application/vnd.ollama.image.model",
              "digest": "sha256:ee"}]})");
  const auto gone = shardfit::discover(d / "models/manifests/registry.ollama.ai/library/tiny/gone");
  ASSERT_EQ(gone.sets.size(), 1U);
  EXPECT_EQ(gone.sets[0].status(), shardfit::set_status::incomplete);
}

TEST(Model, RoundTripsThroughJson) {
  temp_dir d;
  auto m = load_model(shardfit::test::write_tiny_llama(d / "m.gguf", tiny_llama{}));
  m.notes.push_back("a note");
  m.quant.method = "gptq";
  m.quant.weight_block_size = {128, 128};
  const nlohmann::ordered_json j = m;
  const auto back = j.get<model_profile>();
  EXPECT_EQ(nlohmann::ordered_json(back), j);
  EXPECT_EQ(back.layers, m.layers);
  EXPECT_EQ(back.weights(), m.weights());
  EXPECT_EQ(j["layers"][0]["weights"], m.layers[0].weights.count());
  EXPECT_EQ(j["quant"]["weight_block_size"], nlohmann::ordered_json::array({128, 128}));
}

}  // namespace
