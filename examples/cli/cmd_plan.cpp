// shardfit plan PATH --cluster FILE: where the model runs on a cluster, and how.

#include "commands.hpp"
#include "inventory_options.hpp"
#include "llama_options.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/filters.hpp>
#include <shardfit/plan/kubernetes.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace shardfit::cli {
namespace {

struct plan_options {
  std::string path;
  std::string set_name;
  std::string revision = "main";
  inventory_cli_options inventory;
  std::string emit = "table";
  std::vector<std::string> require_labels;
  std::vector<std::string> avoid_labels;
  std::vector<std::string> prefer_labels;
  std::string k8s_name;
  std::string k8s_namespace;
  std::string image;
  std::string model_path;
  std::string repo;
  std::optional<std::uint32_t> port;
  std::string backend = "auto";
  std::optional<std::uint64_t> ctx;
  std::string policy = "binpack";
  bool no_cpu_offload = false;
  bool no_distributed = false;
  std::string gpus;
  std::optional<std::uint32_t> tp;
  std::optional<std::uint32_t> pp;
  std::optional<std::uint32_t> gpu_layers;
  std::uint32_t max_rpc = llama_max_plan_devices;
  llama_cli_options llama;
  double utilization = 0.9;
  std::string kv_cache_dtype = "auto";
  bool ep = false;
  bool enforce_eager = false;
  std::uint32_t max_num_seqs = 0;
  std::uint32_t max_num_batched_tokens = 0;
  std::string vllm_version = "current";
  bool allow_long = false;
  std::string mm_encoder_tp_mode = "weights";
  bool all_stages = false;
  std::size_t alternatives = 5;
  bool explain = false;
  bool json = false;
};

// The directory holding the model's files (the local copy `plan` finds on this machine).
std::string model_directory(const model_profile& m, const std::string& path) {
  const std::string& first = m.files.empty() ? path : m.files.front();
  const auto slash = first.rfind('/');
  return slash == std::string::npos ? "." : first.substr(0, slash);
}

std::string gpu_text(const placed_gpu& g) {
  return fmt::format("{}{}", g.index, g.name.empty() ? "" : " (" + g.name + ")");
}

void print_placement(std::ostream& out, const placement& p) {
  table t({"WORKER", "ROLE", "GPU", "LAYERS", "VRAM", "FREE", "RAM"});
  for (const auto& w : p.workers) {
    const std::string ram = w.ram.count() != 0 ? fmt::format("{}", w.ram) : std::string("-");
    if (w.gpus.empty()) {
      t.add({w.name, std::string(to_string(w.role)), "-", fmt::format("{} (CPU)", w.cpu_layers),
             "-", "-", ram});
    }
    for (std::size_t i = 0; i < w.gpus.size(); ++i) {
      const auto& g = w.gpus[i];
      t.add({i == 0 ? w.name : "", i == 0 ? std::string(to_string(w.role)) : "", gpu_text(g),
             fmt::format("{}", g.layers), fmt::format("{}", g.vram),
             fmt::format("{}", g.allocatable), i == 0 ? ram : ""});
    }
    if (!w.gpus.empty() && w.cpu_layers != 0) {
      t.add({"", "", "CPU", fmt::format("{}", w.cpu_layers), "-", "-", ""});
    }
  }
  t.print(out, {3, 4, 5, 6});
}

// Where each worker reads the weights, and what it downloads.
void print_storage(std::ostream& out, const placement& p, const cluster& c, bool table_too) {
  out << fmt::format("storage: {} cop{}, {} to download\n", p.storage.copies,
                     p.storage.copies == 1 ? "y" : "ies", p.storage.download);
  if (!table_too) return;
  table t({"WORKER", "SOURCE", "WEIGHTS", "DISK FREE"});
  for (const auto& w : p.workers) {
    const auto& disk = c.workers[w.worker].disk_free;
    t.add({w.name, w.source_text(),
           w.source == storage_source::none
               ? std::string("-")
               : fmt::format("{}{}", to_string_decimal(w.weights), w.partial ? " (its stage)" : ""),
           disk ? to_string_decimal(*disk) : std::string("unknown")});
  }
  t.print(out, {2, 3});
}

std::string breakdown(const placement& p) {
  std::vector<std::string> parts;
  for (const auto& part : p.score.parts) {
    parts.push_back(fmt::format("{} {:.2f} x{}", part.name, part.value, part.weight));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string one_line(const placement& p) {
  std::vector<std::string> ws;
  for (const auto& w : p.workers) {
    std::vector<std::string> g;
    for (const auto& x : w.gpus) g.push_back(fmt::format("{}:{}", x.index, x.layers));
    ws.push_back(fmt::format(
        "{} {}{}", w.name, to_string(w.role),
        g.empty() ? std::string(" CPU") : " [" + fmt::format("{}", fmt::join(g, " ")) + "]"));
  }
  return fmt::format("{:.2f}  {}  {}", p.score.total, to_string(p.stage), fmt::join(ws, "; "));
}

int run_plan(const plan_options& o, const CLI::App& sub, streams& io) {
  load_options lo;
  lo.set_name = o.set_name;
  lo.revision = o.revision;
  lo.config_only = true;  // planning needs sizes and shapes, not tensor headers
  const model_profile model = load_model(o.path, lo);
  // --backend auto: the engine that can load the model, unless the options name one.
  const std::initializer_list<std::string_view> llama_extra{"--max-rpc", "--no-cpu-offload"};
  const std::string chosen = resolve_backend(sub, o.backend, model.source, llama_extra);
  refuse_other_backend(sub, chosen == "vllm", llama_extra);
  plan_request rq;
  const auto engine = parse_backend(chosen);
  if (!engine) throw error::invalid_argument("--backend: unknown backend '" + chosen + "'");
  rq.engine = *engine;
  if (o.ctx) {
    if (*o.ctx > 0xFFFFFFFFULL) throw error::invalid_argument("--ctx is larger than 2^32 tokens");
    rq.context = *o.ctx;  // both engines
  }
  apply_llama_options(o.llama, rq.llama);
  rq.vllm.gpu_memory_utilization = o.utilization;
  rq.vllm.kv_cache_dtype = o.kv_cache_dtype;
  rq.vllm.ep = o.ep;
  rq.vllm.enforce_eager = o.enforce_eager;
  rq.vllm.max_num_seqs = o.max_num_seqs;
  rq.vllm.max_num_batched_tokens = o.max_num_batched_tokens;
  rq.vllm.version = parse_vllm_version(o.vllm_version);
  rq.vllm.allow_long_max_model_len = o.allow_long;
  rq.vllm.mm_encoder_data = o.mm_encoder_tp_mode == "data";
  rq.cpu_offload = !o.no_cpu_offload;
  rq.distributed = !o.no_distributed;
  rq.tp = o.tp;
  rq.pp = o.pp;
  rq.gpu_layers = o.gpu_layers;
  rq.max_rpc_servers = o.max_rpc;
  rq.policy = o.policy == "spread" ? scoring_policy::spread : scoring_policy::binpack;
  rq.all_stages = o.all_stages;
  rq.max_alternatives = o.alternatives;
  if (!o.gpus.empty()) rq.gpus = parse_gpu_list(o.gpus);
  std::vector<std::string> warnings;
  local_options here;
  here.model_dir = model_directory(model, o.path);
  here.model_name = model.set;
  here.model_bytes = model.disk_bytes();
  const static_inventory inventory{read_inventory(o.inventory, here, warnings)};
  for (const auto& w : warnings) io.err << "shardfit: warning: " << w << '\n';
  // Label policies: a filter (--require-label, --avoid-label) and scoring terms
  // (--prefer-label KEY=VALUE[:WEIGHT], weight 10 by default against the policy's 20).
  label_filter filter;
  for (const auto& l : o.require_labels) filter.require.push_back(parse_label(l));
  for (const auto& l : o.avoid_labels) filter.avoid.push_back(parse_label(l));
  any_scorer scorer = default_scorer{};
  for (const auto& l : o.prefer_labels) {
    int weight = 10;
    std::string text = l;
    if (const auto colon = text.rfind(':'); colon != std::string::npos && text.find('=') < colon) {
      const std::string w = text.substr(colon + 1);
      if (w.empty() || w.size() > 4 || w.find_first_not_of("0123456789") != std::string::npos) {
        throw error::invalid_argument("--prefer-label " + l +
                                      ": the weight after ':' must be a "
                                      "whole number up to 9999");
      }
      weight = std::stoi(w);
      text.resize(colon);
    }
    auto [key, value] = parse_label(text);
    scorer = scorer_with_term<any_scorer, label_term>(scorer, label_term(key, value), weight);
  }
  const basic_planner<static_inventory, default_estimator, any_scorer, label_filter> p{
      inventory, {}, scorer, filter};
  const plan_result r = p.plan(model, rq);
  // The workers do not share the planner's working directory: a relative path is made
  // absolute (a path given with --model-path is the workers' and kept as given).
  launch_settings ls = launch_settings_for(
      model, rq,
      o.model_path.empty() ? std::filesystem::absolute(o.path).lexically_normal().string()
                           : o.model_path);
  ls.port = o.port;
  if (!o.repo.empty()) ls.repo = o.repo;
  std::vector<launch_command> launch = r.chosen
                                           ? launch_commands(*r.chosen, inventory.snapshot(), ls)
                                           : std::vector<launch_command>{};
  // A download without a known repository: say which option gives one (not for an HF model
  // planned for llama.cpp, whose GGUF comes from a conversion).
  const bool repo_helps = rq.engine != backend::llama_cpp || ls.gguf;
  for (auto& cmd : launch) {
    if (cmd.role == "download" && cmd.argv.empty() && repo_helps)
      cmd.note += " (give it with --repo ORG/NAME)";
  }

  // llama.cpp serves GGUF only: an HF model needs converting, and its path named.
  const std::string gguf_note =
      r.chosen && rq.engine == backend::llama_cpp && !ls.gguf && o.model_path.empty()
          ? o.path +
                " is not GGUF: convert it for llama.cpp (convert_hf_to_gguf.py) and name "
                "the GGUF with --model-path"
          : std::string();

  if (o.emit == "k8s") {
    if (!r.chosen) {
      io.err << "shardfit: no fit; nothing to launch (run without --emit k8s for why)\n";
      return exit_no_fit;
    }
    kubernetes_settings k;
    k.name = o.k8s_name.empty() ? model.name : o.k8s_name;
    k.ns = o.k8s_namespace;
    if (!o.image.empty())
      (rq.engine == backend::llama_cpp ? k.llama_image : k.vllm_image) = o.image;
    io.out << kubernetes_manifests<nlohmann::ordered_json>(*r.chosen, inventory.snapshot(), ls, k)
                  .dump(2)
           << '\n';
    return exit_ok;
  }
  if (o.emit == "launch") {
    if (!r.chosen) {
      io.err << "shardfit: no fit; nothing to launch (run without --emit launch for why)\n";
      return exit_no_fit;
    }
    io.out << "# " << model.name << ": " << to_string(r.chosen->stage) << ", start in this order\n";
    if (!gguf_note.empty()) io.out << "# " << gguf_note << '\n';
    for (const auto& cmd : launch) {
      io.out << fmt::format("\n# on {}{}\n{}\n", cmd.worker,
                            cmd.address != cmd.worker ? " (" + cmd.address + ")" : std::string(),
                            cmd.shell());
    }
    return exit_ok;
  }

  if (o.json) {
    nlohmann::ordered_json j = r;
    j["model"] = {{"name", model.name},
                  {"architecture", model.architecture},
                  {"quantization", model.quantization},
                  {"layers", model.n_layer},
                  {"total_layers", r.total_layers},
                  {"file_bytes", model.file_bytes},
                  {"weights_bytes", model.weights()}};
    j["launch"] = launch;
    io.out << with_schema("plan", std::move(j)).dump(2) << '\n';
    return r.status == plan_status::planned ? exit_ok : exit_no_fit;
  }

  io.out << fmt::format("{} ({}, {}): {} layers, {} of weights; {}, policy {}\n", model.name,
                        model.architecture, model.quantization, model.n_layer, model.weights(),
                        o.backend == "auto"
                            ? std::string(to_string(rq.engine)) +
                                  (model.source == "gguf" ? " (auto: GGUF)"
                                                          : " (auto: not GGUF; --backend llama.cpp "
                                                            "for llama.cpp)")
                            : std::string(to_string(rq.engine)),
                        to_string(rq.policy));
  if (r.chosen) {
    const placement& c = *r.chosen;
    io.out << fmt::format("\nplanned ({}), score {:.2f}: {}\n\n", to_string(c.stage), c.score.total,
                          breakdown(c));
    print_placement(io.out, c);
    io.out << '\n';
    io.out << fmt::format("context: {} tokens\n", c.context);
    if (c.engine == backend::vllm) {
      io.out << fmt::format("vLLM KV cache: {} tokens at --gpu-memory-utilization {:.2f}\n",
                            c.kv_tokens, c.gpu_memory_utilization);
    }
    for (const auto& cmd : launch) io.out << cmd.worker << "$ " << cmd.shell() << '\n';
    if (!gguf_note.empty()) io.out << "note: " << gguf_note << '\n';
    print_storage(io.out, c, inventory.snapshot(), o.explain);
  } else {
    io.out << "\nno fit\n";
  }
  for (const auto& m : r.messages) io.out << m << '\n';
  if (!r.alternatives.empty()) {
    io.out << "\nalternatives:\n";
    for (std::size_t i = 0; i < r.alternatives.size(); ++i) {
      io.out << fmt::format("  {}. {}\n", i + 2, one_line(r.alternatives[i]));
    }
  }
  if (!r.rejected.empty()) {
    if (o.explain) {
      io.out << "\nrejected:\n";
      table t({"CANDIDATE", "RULE", "REASON"});
      for (const auto& x : r.rejected)
        t.add({x.candidate, std::string(to_string(x.rule)), x.reason});
      t.print(io.out);
    } else {
      io.out << fmt::format("\n{} candidate{} rejected (--explain lists them)\n", r.rejected.size(),
                            r.rejected.size() == 1 ? "" : "s");
    }
  }
  return r.status == plan_status::planned ? exit_ok : exit_no_fit;
}

}  // namespace

command add_plan(CLI::App& app, streams& io) {
  auto o = std::make_shared<plan_options>();
  CLI::App* sub = app.add_subcommand("plan", "Where a model runs on a cluster, and how");
  sub->add_option("path", o->path, "a model file (any shard), directory or HF model directory")
      ->required();
  add_inventory_options(*sub, o->inventory);
  sub->add_option("--set", o->set_name, "which set, when the directory holds several");
  sub->add_option("--revision", o->revision,
                  "in a Hugging Face cache repository: refs/ name or commit (main)");
  sub->add_option("--backend", o->backend,
                  "auto (default: llama.cpp for GGUF, vllm for safetensors and HF directories), "
                  "llama.cpp or vllm")
      ->check(CLI::IsMember({"auto", "llama.cpp", "vllm"}));
  sub->add_option("-c,--ctx,--ctx-size", o->ctx,
                  "context both engines are planned and launched with: llama.cpp's -c, vLLM's "
                  "--max-model-len (default 4096; 0: the model's maximum)");
  sub->add_option("--require-label", o->require_labels,
                  "KEY=VALUE: use only workers with this label (repeatable)");
  sub->add_option("--avoid-label", o->avoid_labels,
                  "KEY=VALUE: never use a worker or GPU with this label (repeatable)");
  sub->add_option("--prefer-label", o->prefer_labels,
                  "KEY=VALUE[:WEIGHT]: prefer workers with this label, weight 10 by default "
                  "(repeatable)");
  sub->add_option("--policy", o->policy, "binpack (default) or spread")
      ->check(CLI::IsMember({"binpack", "spread"}));
  sub->add_flag("--no-cpu-offload", o->no_cpu_offload, "never keep layers in RAM (llama.cpp)");
  sub->add_flag("--no-distributed", o->no_distributed, "use one worker only");
  sub->add_option("--gpus", o->gpus, "use exactly these GPUs, e.g. host4080:0,host4080:1");
  sub->add_option("--tp,--tensor-parallel-size", o->tp, "tensor parallel degree (vLLM; -tp)");
  sub->add_option("--pp,--pipeline-parallel-size", o->pp, "pipeline parallel degree (vLLM; -pp)");
  sub->add_option("--gpu-layers,--n-gpu-layers,-n", o->gpu_layers,
                  "offload at most N layers (llama.cpp; -ngl)");
  sub->add_option("--max-rpc", o->max_rpc, "RPC servers at most (llama.cpp, default 15)");
  add_llama_options(*sub, o->llama, " (llama.cpp)");
  sub->add_option("--gpu-memory-utilization", o->utilization, "vLLM's share of each GPU (0.9)");
  sub->add_option("--kv-cache-dtype", o->kv_cache_dtype, "vLLM's KV cache dtype (auto, fp8)");
  sub->add_flag("--enable-expert-parallel", o->ep, "vLLM: experts spread over the TP ranks");
  sub->add_flag("--enforce-eager", o->enforce_eager, "vLLM: no CUDA graphs");
  sub->add_option("--max-num-seqs", o->max_num_seqs,
                  "vLLM: concurrent sequences (default: vLLM's for the cluster's GPUs)");
  sub->add_option("--max-num-batched-tokens", o->max_num_batched_tokens,
                  "vLLM: tokens per step (default: vLLM's for the cluster's GPUs)");
  sub->add_flag("--allow-long-max-model-len", o->allow_long,
                "vLLM: VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 (a context above the model's maximum)");
  sub->add_option("--mm-encoder-tp-mode", o->mm_encoder_tp_mode,
                  "vLLM: weights (default) or data (the vision tower replicated per rank)")
      ->check(CLI::IsMember({"weights", "data"}));
  sub->add_option("--vllm-version", o->vllm_version,
                  "vLLM: the release whose behaviour to follow, e.g. 0.11.1 (default: current)");
  sub->add_flag("--all-stages", o->all_stages, "try every stage, not only up to the first fit");
  sub->add_option("--alternatives", o->alternatives, "ranked alternatives to show (5)");
  sub->add_flag("--explain", o->explain, "list every rejected candidate with its rule");
  sub->add_flag("--json", o->json, "print JSON instead of a table (with the launch commands)");
  sub->add_option("--emit", o->emit,
                  "table (default), launch (the commands that start the plan) or k8s (Kubernetes "
                  "objects for kubectl apply -f)")
      ->check(CLI::IsMember({"table", "launch", "k8s"}));
  sub->add_option("--k8s-name", o->k8s_name,
                  "--emit k8s: the objects' name (default: the model's)");
  sub->add_option("--k8s-namespace", o->k8s_namespace, "--emit k8s: their namespace");
  sub->add_option("--image", o->image,
                  "--emit k8s: the server image (default ghcr.io/ggml-org/llama.cpp:server-cuda "
                  "or vllm/vllm-openai:latest)");
  sub->add_option("--model-path", o->model_path,
                  "the model path (or hub id) in launch commands of workers without a copy "
                  "(default: PATH)");
  sub->add_option("--repo", o->repo,
                  "the Hugging Face repository (ORG/NAME) that workers without a copy download "
                  "from (launch commands)");
  sub->add_option("--port", o->port, "the API port in launch commands (default: the engine's)");
  return {sub, [o, &io, sub]() { return run_plan(*o, *sub, io); }};
}

}  // namespace shardfit::cli
