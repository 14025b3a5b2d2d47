#pragma once

// Internal to the tool: how subcommands plug into the dispatcher.

#include "cli.hpp"

#include <shardfit/model/profile.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit::cli {

/// The streams a command writes to.
struct streams {
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  ///< progress redraws one line on a terminal, else prints lines
};

/// A registered subcommand: its CLI11 app and the action to run once it parsed.
struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Each subcommand registers itself on the top-level app; its options live in the closure.
command add_inspect(CLI::App& app, streams& io);
command add_estimate(CLI::App& app, streams& io);
command add_check_parallel(CLI::App& app, streams& io);
command add_plan(CLI::App& app, streams& io);
command add_reshard(CLI::App& app, streams& io);
command add_inventory(CLI::App& app, streams& io);

// The vLLM half of `estimate --backend vllm`.
struct vllm_cli_options {
  std::uint32_t tp = 1;
  std::uint32_t pp = 1;
  bool ep = false;
  std::uint64_t max_model_len = 0;
  double utilization = 0.9;
  std::string kv_cache_dtype = "auto";
  std::string gpu_memory;
  std::uint32_t max_num_seqs = 0;            // 0: vLLM's default for the GPU
  std::uint32_t max_num_batched_tokens = 0;  // 0: vLLM's default for the GPU
  bool enforce_eager = false;
  std::string gpu_name;
  std::string version = "current";
  bool allow_long = false;
  std::string mm_encoder_tp_mode = "weights";
};

// The long names of the vLLM options, to say which backend an option belongs to.
inline constexpr std::string_view vllm_run_options[] = {"--tp",
                                                        "--pp",
                                                        "--ep",
                                                        "--enable-expert-parallel",
                                                        "--max-model-len",
                                                        "--gpu-memory-utilization",
                                                        "--kv-cache-dtype",
                                                        "--gpu-memory",
                                                        "--max-num-seqs",
                                                        "--max-num-batched-tokens",
                                                        "--enforce-eager",
                                                        "--gpu-name",
                                                        "--vllm-version",
                                                        "--allow-long-max-model-len",
                                                        "--mm-encoder-tp-mode"};

// Refuses an option given on `sub` that belongs to the other backend ("--tp applies to
// --backend vllm, not llama.cpp"): `llama` lists the llama.cpp-only ones beyond the run
// options, `vllm_extra` likewise.
void refuse_other_backend(const CLI::App& sub, bool vllm,
                          std::initializer_list<std::string_view> llama_extra);

// `--backend auto`: the options given for one backend only pick it; otherwise the engine that
// can load the model (llama.cpp for GGUF, vLLM for safetensors and Hugging Face directories).
// Returns "llama.cpp" or "vllm".
std::string resolve_backend(const CLI::App& sub, const std::string& asked,
                            std::string_view model_source,
                            std::initializer_list<std::string_view> llama_extra);

// `--vllm-version`: "current" (0) or a release "0.11.1" / "0.21" as minor x 100 + patch.
std::uint32_t parse_vllm_version(const std::string& text);
void add_vllm_estimate_options(CLI::App& sub, vllm_cli_options& o);
int run_vllm_estimate(const std::string& path, const load_options& lo, const vllm_cli_options& o,
                      bool json, streams& io);

}  // namespace shardfit::cli
