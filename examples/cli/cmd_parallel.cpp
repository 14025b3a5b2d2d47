// shardfit check-parallel PATH --tp N: whether an engine accepts a parallel layout, every rule
// it breaks, the valid degrees and the nearest valid layouts. Also the vLLM side of
// `shardfit estimate --backend vllm`.

#include "commands.hpp"
#include "llama_options.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/estimate/vllm.hpp>
#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>
#include <string>

namespace shardfit::cli {
namespace {

struct parallel_options {
  std::string path;
  std::string set_name;
  std::string revision = "main";
  std::uint32_t tp = 1;
  std::uint32_t pp = 1;
  bool ep = false;
  std::string engine = "vllm";
  bool json = false;
};

}  // namespace

command add_check_parallel(CLI::App& app, streams& io) {
  auto o = std::make_shared<parallel_options>();
  CLI::App* sub = app.add_subcommand(
      "check-parallel", "Whether vLLM or SGLang accepts a tensor/pipeline/expert parallel layout");
  sub->add_option("path", o->path, "a model file, directory, or HF model directory")->required();
  sub->add_option("--set", o->set_name, "which set, when the directory holds several");
  sub->add_option("--revision", o->revision,
                  "in a Hugging Face cache repository: refs/ name or commit (main)");
  sub->add_option("--tp", o->tp, "tensor parallel size")->required()->check(CLI::PositiveNumber);
  sub->add_option("--pp", o->pp, "pipeline parallel size")->check(CLI::PositiveNumber);
  sub->add_flag("--ep", o->ep, "expert parallel (experts spread over the TP ranks)");
  sub->add_option("--engine", o->engine, "vllm or sglang")
      ->check(CLI::IsMember({"vllm", "sglang"}));
  sub->add_flag("--json", o->json, "print JSON");
  return {sub, [o, &io]() {
            load_options lo;
            lo.set_name = o->set_name;
            lo.revision = o->revision;
            const model_profile m = load_model(o->path, lo);
            const serving_engine engine =
                o->engine == "sglang" ? serving_engine::sglang : serving_engine::vllm;
            const parallel_check c = check_parallel(m, {o->tp, o->pp, o->ep, engine});
            const auto valid = valid_tensor_parallel(m, 64, o->ep, engine);
            const auto suggestions = c.valid ? std::vector<parallel_choice>{}
                                             : suggest_parallel(m, o->tp * o->pp, o->ep, engine);
            if (o->json) {
              nlohmann::ordered_json j;
              j["valid"] = c.valid;
              j["reasons"] = c.reasons;
              j["valid_tensor_parallel"] = valid;
              j["suggestions"] = suggestions;
              j["stage_layers"] = c.stage_layers;
              j["kv_heads_per_rank"] = c.kv_heads_per_rank;
              j["engine"] = std::string(to_string(engine));
              io.out << with_schema("check-parallel", std::move(j)).dump(2) << '\n';
            } else {
              io.out << fmt::format("{}: {} heads, {} KV heads, {} layers{}\n", m.name, m.n_head,
                                    m.n_head_kv, m.n_layer,
                                    m.is_moe() ? fmt::format(", {} experts", m.n_expert) : "");
              io.out << fmt::format("{} tp={} pp={}{}: {}\n", to_string(engine), o->tp, o->pp,
                                    o->ep ? " ep" : "", c.valid ? "valid" : "invalid");
              for (const auto& r : c.reasons)
                io.out << fmt::format("  {}: {}\n", to_string(r.rule), r.message);
              if (c.valid && o->pp > 1) {
                io.out << "  layers per stage:";
                for (const auto n : c.stage_layers) io.out << ' ' << n;
                io.out << '\n';
              }
              io.out << "valid tensor parallel sizes:";
              for (const auto t : valid) io.out << ' ' << t;
              io.out << '\n';
              for (const auto& s : suggestions) {
                io.out << fmt::format("suggestion: tp={} pp={} ({} GPUs)\n", s.tp, s.pp, s.gpus);
              }
            }
            return c.valid ? exit_ok : exit_no_fit;
          }};
}

void add_vllm_estimate_options(CLI::App& sub, vllm_cli_options& o) {
  sub.add_option("--tp,--tensor-parallel-size", o.tp, "vllm: tensor parallel size (-tp)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--pp,--pipeline-parallel-size", o.pp, "vllm: pipeline parallel size (-pp)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--ep", o.ep, "vllm: expert parallel");
  sub.add_option("--max-model-len", o.max_model_len, "vllm: context length (default: the model's)");
  sub.add_option("--gpu-memory-utilization", o.utilization, "vllm: fraction of each GPU to use")
      ->check(CLI::Range(0.01, 1.0));
  sub.add_option("--kv-cache-dtype", o.kv_cache_dtype, "vllm: auto, fp8, fp8_e4m3, fp8_e5m2");
  sub.add_option("--gpu-memory", o.gpu_memory, "vllm: total memory of one GPU, e.g. 80GiB");
  sub.add_option("--max-num-seqs", o.max_num_seqs,
                 "vllm: concurrent sequences (default: vLLM's for the GPU, 1024 or 256)");
  sub.add_option("--max-num-batched-tokens", o.max_num_batched_tokens,
                 "vllm: tokens per step (default: vLLM's for the GPU, 8192 or 2048)");
  sub.add_flag("--enforce-eager", o.enforce_eager, "vllm: no CUDA graphs");
  sub.add_option("--gpu-name", o.gpu_name,
                 "vllm: the GPU's name (e.g. H100, A100-SXM4-80GB): its batch defaults and "
                 "MXFP4 kernel");
  sub.add_flag("--allow-long-max-model-len", o.allow_long,
               "vllm: VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 is set (a context above the model's)");
  sub.add_option("--mm-encoder-tp-mode", o.mm_encoder_tp_mode,
                 "vllm: weights (default: the vision tower sharded) or data (replicated)")
      ->check(CLI::IsMember({"weights", "data"}));
  sub.add_option("--vllm-version", o.version,
                 "vllm: the release whose behaviour to follow, e.g. 0.11.1 (default: current)");
}

namespace {

// Whether the option named `name` was given on `sub` (false when `sub` has no such option).
bool option_given(const CLI::App& sub, std::string_view name) {
  try {
    return sub.count(std::string(name)) != 0;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

}  // namespace

void refuse_other_backend(const CLI::App& sub, bool vllm,
                          std::initializer_list<std::string_view> llama_extra) {
  auto given = [&](std::string_view name) { return option_given(sub, name); };
  auto refuse = [](std::string_view name, const char* owner, const char* other) {
    throw error::invalid_argument(std::string(name) + " applies to --backend " + owner + ", not " +
                                  other);
  };
  if (vllm) {
    for (const auto name : llama_run_options) {
      if (given(name)) refuse(name, "llama.cpp", "vllm");
    }
    for (const auto name : llama_extra) {
      if (given(name)) refuse(name, "llama.cpp", "vllm");
    }
  } else {
    for (const auto name : vllm_run_options) {
      if (given(name)) refuse(name, "vllm", "llama.cpp");
    }
  }
}

std::string resolve_backend(const CLI::App& sub, const std::string& asked,
                            std::string_view model_source,
                            std::initializer_list<std::string_view> llama_extra) {
  if (asked != "auto") return asked;
  auto given = [&](std::string_view name) { return option_given(sub, name); };
  bool llama = std::any_of(std::begin(llama_run_options), std::end(llama_run_options), given) ||
               std::any_of(llama_extra.begin(), llama_extra.end(), given);
  const bool vllm = std::any_of(std::begin(vllm_run_options), std::end(vllm_run_options), given);
  if (llama != vllm) return llama ? "llama.cpp" : "vllm";
  return model_source == "gguf" ? "llama.cpp" : "vllm";
}

std::uint32_t parse_vllm_version(const std::string& text) {
  if (text == "current") return 0;
  // "0.MINOR[.PATCH]", optionally with a leading v
  std::string t = !text.empty() && text[0] == 'v' ? text.substr(1) : text;
  std::uint32_t minor = 0;
  std::uint32_t patch = 0;
  const auto bad = [&]() {
    return error::invalid_argument(
        "--vllm-version: expected a release such as 0.11.1, or "
        "current, not '" +
        text + "'");
  };
  if (t.rfind("0.", 0) != 0 || t.size() > 12) throw bad();
  t = t.substr(2);
  const auto dot = t.find('.');
  const std::string a = t.substr(0, dot);
  const std::string b = dot == std::string::npos ? "0" : t.substr(dot + 1);
  for (const auto& part : {a, b}) {
    if (part.empty() || part.size() > 2 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      throw bad();
  }
  minor = static_cast<std::uint32_t>(std::stoul(a));
  patch = static_cast<std::uint32_t>(std::stoul(b));
  return minor * 100 + patch;
}

int run_vllm_estimate(const std::string& path, const load_options& lo, const vllm_cli_options& o,
                      bool json, streams& io) {
  const model_profile m = load_model(path, lo);
  vllm_settings s;
  s.tp = o.tp;
  s.pp = o.pp;
  s.ep = o.ep;
  s.max_model_len = o.max_model_len;
  s.gpu_memory_utilization = o.utilization;
  s.kv_cache_dtype = o.kv_cache_dtype;
  s.max_num_seqs = o.max_num_seqs;
  s.max_num_batched_tokens = o.max_num_batched_tokens;
  s.enforce_eager = o.enforce_eager;
  s.gpu_name = o.gpu_name;
  s.allow_long_max_model_len = o.allow_long;
  s.mm_encoder_data = o.mm_encoder_tp_mode == "data";
  s.version = parse_vllm_version(o.version);
  const bytes gpu = o.gpu_memory.empty() ? bytes{} : parse_bytes(o.gpu_memory);
  const vllm_estimate e = estimate_vllm(m, s, gpu);
  const bool fits = e.parallel.valid && (gpu.count() == 0 || e.fits());
  if (json) {
    nlohmann::ordered_json j = e;
    j["backend"] = "vllm";
    j["fits"] = fits;
    io.out << with_schema("estimate", std::move(j)).dump(2) << '\n';
  } else {
    io.out << fmt::format(
        "{} on vLLM: tp={} pp={}{}, max_model_len {}, gpu_memory_utilization {:.2f}\n", m.name,
        s.tp, s.pp, s.ep ? " ep" : "", e.max_model_len, s.gpu_memory_utilization);
    for (const auto& r : e.parallel.reasons)
      io.out << fmt::format("invalid: {}: {}\n", to_string(r.rule), r.message);
    table t({"STAGE", "LAYERS", "WEIGHTS", "ACTIVATION", "OVERHEAD", "KV/SEQ", "REQUIRED", "BUDGET",
             "KV TOKENS"});
    for (const auto& r : e.stages) {
      t.add({std::to_string(r.stage),
             fmt::format("{}-{}", r.first_layer, r.first_layer + r.layers - 1),
             fmt::format("{}", r.weights), fmt::format("{}", r.activation),
             fmt::format("{}", r.non_torch + r.cuda_graphs), fmt::format("{}", r.kv_needed),
             fmt::format("{}", r.required), r.budget.count() ? fmt::format("{}", r.budget) : "-",
             r.budget.count() ? std::to_string(r.kv_tokens) : "-"});
    }
    t.print(io.out, {2, 3, 4, 5, 6, 7, 8});
    io.out << fmt::format("per GPU (each of tp={} in a stage): smallest GPU that fits: {}\n", s.tp,
                          e.min_gpu_memory);
    if (!e.stages.empty()) {
      const auto& last = e.stages.back();
      io.out << fmt::format("profile run: max_num_seqs {}, max_num_batched_tokens {}{}\n",
                            last.max_num_seqs, last.max_num_batched_tokens,
                            o.max_num_seqs == 0 || o.max_num_batched_tokens == 0
                                ? " (vLLM's defaults for the GPU; --gpu-name, --gpu-memory)"
                                : "");
      if (last.budget.count() != 0) {
        io.out << fmt::format("vLLM {} reports a KV cache of {} tokens (stage {})\n",
                              o.version == "current" ? std::string("(current)") : o.version,
                              last.reported_kv_tokens, last.stage);
      }
    }
    if (gpu.count() != 0 && !e.fits()) io.out << "does not fit\n";
  }
  return fits ? exit_ok : exit_no_fit;
}

}  // namespace shardfit::cli
