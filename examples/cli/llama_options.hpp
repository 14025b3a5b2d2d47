#pragma once

// The llama.cpp run settings `estimate` and `plan` share: one struct, one registration, one
// conversion, so both commands take the same flags with the same defaults.

#include <shardfit/core/error.hpp>
#include <shardfit/estimate/settings.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace shardfit::cli {

struct llama_cli_options {
  std::uint32_t batch = 2048;
  std::uint32_t ubatch = 512;
  std::uint32_t parallel = 1;
  bool kv_unified = false;
  std::string flash_attn = "auto";
  std::string cache_type_k = "f16";
  std::string cache_type_v = "f16";
  bool no_mmap = false;
  bool legacy_offload = false;
  std::string version = "current";
  std::uint32_t sched_copies = 4;
};

// Registers the options on `sub`; `suffix` is appended to each description (" (llama.cpp)"
// where the command also plans for vLLM).
inline void add_llama_options(CLI::App& sub, llama_cli_options& o, const std::string& suffix) {
  sub.add_option("-b,--batch,--batch-size", o.batch, "logical batch size" + suffix);
  sub.add_option("-u,--ubatch,--ubatch-size", o.ubatch, "physical batch size (-ub)" + suffix);
  sub.add_option("-p,--parallel", o.parallel, "parallel sequences (-np)" + suffix);
  sub.add_flag("--kv-unified", o.kv_unified, "one KV stream for all sequences" + suffix);
  sub.add_option("--flash-attn,-f", o.flash_attn, "on, off or auto (-fa)" + suffix)
      ->check(CLI::IsMember({"on", "off", "auto"}));
  sub.add_option("--cache-type-k", o.cache_type_k, "K cache type (f16, q8_0, ...; -ctk)" + suffix);
  sub.add_option("--cache-type-v", o.cache_type_v,
                 "V cache type (needs flash attention if quantized; -ctv)" + suffix);
  sub.add_flag("--no-mmap", o.no_mmap,
               "load host weights into memory instead of mapping them" + suffix);
  sub.add_flag("--legacy-offload", o.legacy_offload,
               "older llama.cpp: --gpu-layers counts repeating layers only" + suffix);
  sub.add_option("--llama-cpp-version", o.version,
                 "the llama.cpp build whose memory layout to follow: bNNNN or current" + suffix);
  sub.add_option("--sched-copies", o.sched_copies,
                 "GGML_SCHED_MAX_COPIES of the build: copies of the graph inputs per device "
                 "when several GPUs run every layer (4)" +
                     suffix)
      ->check(CLI::Range(1, 64));
}

// "current" (0), "b6975" or "6975": the build number.
inline std::uint32_t parse_llama_build(const std::string& text) {
  if (text == "current") return 0;
  const std::string digits = !text.empty() && text[0] == 'b' ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 7 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    throw error::invalid_argument(
        "--llama-cpp-version: expected a build such as b6975, or "
        "current, not '" +
        text + "'");
  }
  return static_cast<std::uint32_t>(std::stoul(digits));
}

// The long names of the llama.cpp options above, to say which backend an option belongs to.
inline constexpr std::string_view llama_run_options[] = {
    "--batch",        "--ubatch",       "--parallel", "--kv-unified",     "--flash-attn",
    "--cache-type-k", "--cache-type-v", "--no-mmap",  "--legacy-offload", "--llama-cpp-version",
    "--sched-copies", "--gpu-layers"};

// Writes the options into `s`, leaving the rest (context, offload, split) as it is.
inline void apply_llama_options(const llama_cli_options& o, llama_settings& s) {
  s.n_batch = o.batch;
  s.n_ubatch = o.ubatch;
  s.n_parallel = o.parallel;
  s.kv_unified = o.kv_unified;
  s.flash_attn = parse_flash_attn(o.flash_attn);
  s.cache_type_k = o.cache_type_k;
  s.cache_type_v = o.cache_type_v;
  s.mmap = !o.no_mmap;
  s.rule = o.legacy_offload ? offload_rule::legacy : offload_rule::current;
  s.build = parse_llama_build(o.version);
  s.sched_copies = o.sched_copies;
}

}  // namespace shardfit::cli
