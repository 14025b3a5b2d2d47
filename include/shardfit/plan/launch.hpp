#pragma once

/// @file
/// @brief The commands that start a placement as planned: for llama.cpp an `rpc-server` per RPC
/// worker and `llama-server` on the main worker; for vLLM `vllm serve` on one worker, or a Ray
/// head, Ray workers and `vllm serve` on the head across several. Each command is an argument
/// array plus the environment it needs (which GPUs it sees), in the order to start them.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/files/shard_name.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/plan/placement.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief How to write the commands.
struct launch_settings {
  /// Where a worker that must download the model finds it: a GGUF file or its directory, an HF
  /// model directory or a hub id ("meta-llama/Llama-3.1-70B-Instruct"). Workers holding a copy
  /// (on their disk or a shared volume) use that copy's path instead.
  std::string model;
  /// The first shard's file name of a GGUF set ("x-00001-of-00003.gguf"): `-m` names it and
  /// llama.cpp finds the others; appended when a path is a directory.
  std::string gguf_file;
  /// The model is GGUF. When it is not (an HF model planned for llama.cpp), its copies cannot
  /// be served by llama.cpp as they are, so `llama-server -m` names `model` (a converted GGUF).
  bool gguf = true;
  /// A multimodal projector found beside the GGUF set (its file name): llama-server loads it
  /// with `--mmproj`, from beside the model on the worker.
  std::string mmproj;
  /// The Hugging Face repository when the model came from a hub cache: `vllm serve` names it
  /// ("org/name", found in the worker's cache) rather than a snapshot directory.
  std::string hub_repo;
  /// The Hugging Face repository ("org/name") a worker without a copy downloads from (`hf
  /// download` with the files it reads); the hub cache's repository when empty. With neither,
  /// the download is a stated manual step.
  std::string repo;
  /// The GGUF set's file names, the first shard first.
  std::vector<std::string> gguf_files;
  /// The weight files with the layers they hold: a vLLM worker of a pipeline stage downloads
  /// only its stage's files.
  std::vector<weight_file> weight_files;
  llama_settings llama;               ///< context, parallel, batch, cache types, flash attention
  std::uint64_t max_model_len = 0;    ///< vLLM: the context it runs with
  vllm_settings vllm;                 ///< kv cache dtype, expert parallel, eager mode
  std::string host = "0.0.0.0";       ///< what servers bind to
  std::optional<std::uint32_t> port;  ///< the API port; nothing: the engine's default
  std::uint32_t rpc_port = 50052;     ///< rpc-server's port (llama.cpp's default)
  std::uint32_t ray_port = 6379;      ///< the Ray head's port (Ray's default)
  std::string llama_server = "llama-server";
  std::string rpc_server = "rpc-server";  ///< "ggml-rpc-server" in llama.cpp builds since 2025
  std::string vllm_program = "vllm";
  std::string ray_program = "ray";
  std::string hf_program = "hf";  ///< huggingface_hub's CLI ("huggingface-cli" before 0.34)
};

/// @brief Settings for a plan of `model` under `request`: the path given for downloads, the
/// first GGUF shard, the request's engine settings, vLLM's context resolved to a number.
[[nodiscard]] SHARDFIT_INLINE launch_settings launch_settings_for(const model_profile& model,
                                                                  const plan_request& request,
                                                                  std::string model_path);

/// @brief One command to run on one worker.
struct launch_command {
  std::string worker;   ///< the worker's name
  std::string address;  ///< where it is reached
  /// "download", "rpc-server", "llama-server", "ray-head", "ray-worker", "vllm"
  std::string role;
  std::vector<std::pair<std::string, std::string>> env;  ///< e.g. CUDA_VISIBLE_DEVICES=0,1
  std::vector<std::string> argv;                         ///< the program first; empty: `note`
  /// A step to take by hand when there is no command (a download from an unknown source).
  std::string note;

  /// @brief The command as one POSIX shell line (`CUDA_VISIBLE_DEVICES=0,1 llama-server ...`),
  /// arguments quoted where the shell would split or expand them; a manual step as a comment.
  [[nodiscard]] std::string shell() const;

  /// @brief `s` as one shell word.
  [[nodiscard]] static std::string quote(std::string_view s);
};

namespace detail {

// "0.9", "0.875": up to four decimals, no trailing zeros.
SHARDFIT_INLINE std::string short_decimal(double v);

// The variable that picks a vendor's visible GPUs, or nothing (Apple and others: all of them).
SHARDFIT_INLINE std::optional<std::string> visible_devices_var(std::string_view vendor);

// "0,1,2"
SHARDFIT_INLINE std::string join_numbers(const std::vector<std::uint32_t>& v);

// CUDA_VISIBLE_DEVICES=<the placed GPUs' indices> (or empty to hide every GPU of a worker that
// serves from its CPU only). The indices are nvidia-smi's, in PCI bus order, while CUDA numbers
// the fastest GPU first unless told otherwise: CUDA_DEVICE_ORDER=PCI_BUS_ID makes them agree.
SHARDFIT_INLINE void add_visible_devices(launch_command& cmd, const worker_info& w,
                                         const placed_worker& pw);

// The path a worker passes to the engine: its copy, or the download location.
SHARDFIT_INLINE std::string model_path(const placed_worker& pw, const launch_settings& s,
                                       bool gguf);

// "org/name": a Hugging Face repository id rather than a path (vLLM serves either).
SHARDFIT_INLINE bool looks_like_repo(std::string_view s);

// The directory holding a path's file ("/models/x.gguf" -> "/models"), or the path itself.
SHARDFIT_INLINE std::string directory_of(const std::string& path, bool is_file);

// Where a downloading worker's engine reads the model (`served`), and where the download goes:
// the hub cache when vLLM serves a repository id (`by_repo`), else the served path's directory.
struct download_target {
  std::string served;
  bool by_repo = false;
  std::string dir;
};

SHARDFIT_INLINE download_target download_target_of(const placed_worker& pw,
                                                   const launch_settings& s, bool llama);

// What worker `i` of `p` downloads: llama.cpp's main worker the GGUF set (and the projector);
// a vLLM worker the weight files of its stages (every file when served by repository id:
// vLLM fetches the rest itself) and the config, tokenizer and chat template files.
SHARDFIT_INLINE std::vector<std::string> download_files(const placement& p, std::size_t i,
                                                        const launch_settings& s, bool by_repo);

// The step that puts the model on worker `i`, which holds no copy: `hf download REPO FILES
// --local-dir DIR` (several names are taken as patterns; without --local-dir the files go to
// the Hugging Face cache, where `vllm serve REPO` finds them), or the manual step.
SHARDFIT_INLINE launch_command download_step(const placement& p, std::size_t i, const cluster& c,
                                             const launch_settings& s);

}  // namespace detail

namespace detail {

// `p` with each worker's position looked up in `c` by name (positions differ between
// snapshots); a worker `c` does not have is an error rather than a command for the wrong host.
SHARDFIT_INLINE placement resolve_workers(const placement& p, const cluster& c);

}  // namespace detail

/// @brief The commands that start placement `p` on cluster `c`, in the order to run them:
/// first the downloads of workers without a copy, then the servers. Workers are found in `c` by
/// name.
/// @throws shardfit::error (invalid_argument) when a worker of the placement is not in `c`.
[[nodiscard]] SHARDFIT_INLINE std::vector<launch_command> launch_commands(const placement& planned,
                                                                          const cluster& c,
                                                                          const launch_settings& s);

/// @brief Writes `{"worker", "address", "role", "env": {...}, "argv": [...]}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const launch_command& cmd) {
  j = BasicJsonType::object();
  j["worker"] = cmd.worker;
  j["address"] = cmd.address;
  j["role"] = cmd.role;
  auto env = BasicJsonType::object();
  for (const auto& [k, v] : cmd.env) env[k] = v;
  j["env"] = std::move(env);
  j["argv"] = cmd.argv;
  if (!cmd.note.empty()) j["note"] = cmd.note;
}

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/launch-inl.hpp>
#endif
