// shardfit estimate PATH: memory per device for a model under llama.cpp (or vLLM) settings.

#include "commands.hpp"
#include "llama_options.hpp"
#include "options.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/estimate/llama.hpp>
#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {
namespace {

struct estimate_options {
  std::string path;
  std::string set_name;
  std::string revision = "main";
  std::uint32_t ctx = 4096;
  int gpu_layers = -1;
  std::string gpus;
  std::string rpc;
  std::string tensor_split;
  std::string split = "layer";
  std::uint32_t main_gpu = 0;
  llama_cli_options llama;
  bool json = false;
  std::string backend = "auto";
  vllm_cli_options vllm;
};

std::string layer_span(const device_estimate& d) {
  std::string s;
  if (d.layers == 1) s = std::to_string(d.first_layer);
  if (d.layers > 1) s = fmt::format("{}-{}", d.first_layer, d.first_layer + d.layers - 1);
  if (d.output_layer) s += s.empty() ? "output" : " +output";
  return s.empty() ? "-" : s;
}

int run_llama(const estimate_options& o, streams& io) {
  load_options lo;
  lo.set_name = o.set_name;
  lo.revision = o.revision;
  const model_profile model = load_model(o.path, lo);

  llama_settings s;
  s.n_ctx = o.ctx;
  apply_llama_options(o.llama, s);
  s.n_gpu_layers = o.gpu_layers;
  s.split = o.split == "row"    ? split_mode::row
            : o.split == "none" ? split_mode::none
                                : split_mode::layer;
  s.main_gpu = o.main_gpu;

  // Devices in llama.cpp's order: RPC servers, then local GPUs.
  std::vector<llama_device> devices;
  if (!o.rpc.empty()) {
    for (auto& [name, free] : parse_sized_list(o.rpc, "--rpc", "rpc")) {
      devices.push_back({name, device_kind::rpc, free});
    }
  }
  if (!o.gpus.empty()) {
    for (auto& [name, free] : parse_sized_list(o.gpus, "--gpus", "gpu")) {
      devices.push_back({name, device_kind::gpu, free});
    }
  }
  if (!o.tensor_split.empty()) {
    s.tensor_split = parse_proportions(o.tensor_split, "--tensor-split");
    if (devices.empty()) {  // a split alone names the GPUs (free memory unknown)
      for (std::size_t i = 0; i < s.tensor_split.size(); ++i) {
        devices.push_back({"gpu" + std::to_string(i), device_kind::gpu, bytes{}});
      }
    } else if (s.tensor_split.size() != devices.size()) {
      throw error::invalid_argument("--tensor-split has " + std::to_string(s.tensor_split.size()) +
                                    " entries for " + std::to_string(devices.size()) + " devices");
    }
  }

  const llama_estimator est(model, s);
  const llama_estimate e = est.estimate(devices);

  // A device whose free memory is known and too small makes the answer "does not fit".
  std::vector<std::string> over;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = e.devices[i + 1];
    if (devices[i].free.count() != 0 && d.total > devices[i].free) {
      over.push_back(
          fmt::format("{} needs {} but has {} free", d.device, d.total, devices[i].free));
    }
  }

  if (o.json) {
    nlohmann::ordered_json j = e;
    j["backend"] = "llama.cpp";
    j["model"] = {{"name", model.name},
                  {"architecture", model.architecture},
                  {"quantization", model.quantization},
                  {"layers", model.n_layer}};
    j["layer_cost_max_bytes"] = est.max_layer_cost();
    j["fits"] = over.empty();
    j["problems"] = over;
    io.out << with_schema("estimate", std::move(j)).dump(2) << '\n';
  } else {
    io.out << fmt::format(
        "{} ({}, {}): {} layers; context {} ({} per sequence x {}), ubatch {}, "
        "flash attention {}\n\n",
        model.name, model.architecture, model.quantization, model.n_layer, e.n_ctx, e.n_ctx_seq,
        e.n_seq, e.n_ubatch, e.flash_attn ? "on" : "off");
    table t({"DEVICE", "LAYERS", "WEIGHTS", "KV", "COMPUTE", "OUTPUT", "OVERHEAD", "TOTAL"});
    for (const auto& d : e.devices) {
      t.add({d.device, layer_span(d), fmt::format("{}", d.weights), fmt::format("{}", d.kv),
             fmt::format("{}", d.compute), fmt::format("{}", d.output),
             fmt::format("{}", d.overhead), fmt::format("{}", d.total)});
    }
    t.print(io.out, {2, 3, 4, 5, 6, 7});
    io.out << fmt::format(
        "\noffloaded {} of {} layers{}; one layer costs at most {} (weights + KV)\n",
        e.offloaded_layers, e.total_layers, e.output_offloaded ? " and the output" : "",
        est.max_layer_cost());
    if (e.sched_copies > 1) {
      io.out << fmt::format(
          "the GPUs form a pipeline: {} copies of the graph inputs on each device and the host "
          "(GGML_SCHED_MAX_COPIES; --sched-copies)\n",
          e.sched_copies);
    }
    for (const auto& n : e.notes) io.out << "note: " << n << '\n';
    for (const auto& p : over) io.out << "does not fit: " << p << '\n';
  }
  return over.empty() ? exit_ok : exit_no_fit;
}

}  // namespace

command add_estimate(CLI::App& app, streams& io) {
  auto o = std::make_shared<estimate_options>();
  CLI::App* sub = app.add_subcommand("estimate", "Memory per device for running a model");
  sub->add_option("path", o->path, "a model file (any shard), directory or HF model directory")
      ->required();
  sub->add_option("--set", o->set_name, "which set, when the directory holds several");
  sub->add_option("--revision", o->revision,
                  "in a Hugging Face cache repository: refs/ name or commit (main)");
  sub->add_option("--backend", o->backend,
                  "auto (default: llama.cpp for GGUF, vllm for safetensors and HF directories), "
                  "llama.cpp or vllm")
      ->check(CLI::IsMember({"auto", "llama.cpp", "vllm"}));
  sub->add_option("-c,--ctx,--ctx-size", o->ctx,
                  "context size (total, shared by --parallel sequences; vllm: --max-model-len)");
  sub->add_option("--gpu-layers,--n-gpu-layers,-n", o->gpu_layers,
                  "layers to offload (default: all; -ngl)");
  sub->add_option("--gpus", o->gpus, "local GPUs by free memory, e.g. 24GiB,24GiB or a=24GiB");
  sub->add_option("--rpc", o->rpc, "RPC servers by free memory, e.g. 10.0.0.2:50052=16GiB");
  sub->add_option("--tensor-split", o->tensor_split, "proportions per device, e.g. 3,1 (-ts)");
  sub->add_option("--split-mode", o->split, "layer, row or none (-sm)")
      ->check(CLI::IsMember({"layer", "row", "none"}));
  sub->add_option("--main-gpu", o->main_gpu, "the GPU for split mode none / row");
  add_llama_options(*sub, o->llama, "");
  add_vllm_estimate_options(*sub, o->vllm);
  sub->add_flag("--json", o->json, "print JSON instead of a table");
  return {sub, [o, &io, sub]() {
            const std::initializer_list<std::string_view> extra{"--gpus", "--rpc", "--tensor-split",
                                                                "--split-mode", "--main-gpu"};
            if (o->backend == "auto") {
              load_options probe;
              probe.set_name = o->set_name;
              probe.revision = o->revision;
              probe.config_only = true;
              o->backend = resolve_backend(*sub, "auto", load_model(o->path, probe).source, extra);
            }
            refuse_other_backend(*sub, o->backend == "vllm", extra);
            if (o->backend == "vllm") {
              if (sub->count("--ctx") != 0 && sub->count("--max-model-len") == 0) {
                o->vllm.max_model_len = o->ctx;
              }
              load_options lo;
              lo.set_name = o->set_name;
              lo.revision = o->revision;
              return run_vllm_estimate(o->path, lo, o->vllm, o->json, io);
            }
            return run_llama(*o, io);
          }};
}

}  // namespace shardfit::cli
