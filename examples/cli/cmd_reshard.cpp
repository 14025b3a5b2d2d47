// shardfit reshard SRC --max-shard-size SIZE --out DIR: layer-aligned shards, verified.

#include "commands.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/reshard/reshard.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {
namespace {

struct reshard_cli_options {
  std::string source;
  std::string out;
  std::string max_size;
  std::string format;
  std::string stem;
  bool dry_run = false;
  bool force = false;
  bool no_sync = false;
  bool json = false;
};

std::string layer_range(const reshard_plan& plan, const reshard_shard& s) {
  std::optional<std::uint32_t> lo;
  std::optional<std::uint32_t> hi;
  for (const auto ti : s.tensors) {
    const auto& l = plan.tensors[ti].layer;
    if (!l) continue;
    lo = lo ? std::min(*lo, *l) : *l;
    hi = hi ? std::max(*hi, *l) : *l;
  }
  if (!lo) return "-";
  return *lo == *hi ? std::to_string(*lo) : fmt::format("{}-{}", *lo, *hi);
}

nlohmann::ordered_json plan_json(const reshard_plan& plan) {
  nlohmann::ordered_json j;
  j["format"] = std::string(to_string(plan.format));
  j["source_files"] = plan.source_files;
  j["out_dir"] = plan.out_dir;
  j["max_shard_size_bytes"] = plan.max_shard_size;
  j["tensor_bytes"] = plan.tensor_bytes;
  auto shards = nlohmann::ordered_json::array();
  for (const auto& s : plan.shards) {
    nlohmann::ordered_json e;
    e["file"] = s.file;
    e["tensors"] = s.tensors.size();
    e["layers"] = layer_range(plan, s);
    e["header_bytes"] = s.header;
    e["bytes"] = s.size;
    e["oversized"] = s.oversized;
    shards.push_back(std::move(e));
  }
  j["shards"] = std::move(shards);
  j["index"] = plan.index_file.empty() ? nlohmann::ordered_json(nullptr)
                                       : nlohmann::ordered_json(plan.index_file);
  j["warnings"] = plan.warnings;
  return j;
}

// A progress bar on stderr, redrawn at most once per percent.
class progress_bar {
 public:
  explicit progress_bar(std::ostream& err) : err_(err) {}
  void operator()(const reshard_progress& p) {
    const auto pct =
        p.total.count() == 0 ? 100 : static_cast<int>(p.done.count() * 100 / p.total.count());
    if (pct == last_ && p.phase == phase_) return;
    last_ = pct;
    phase_ = p.phase;
    const int filled = pct * 30 / 100;
    err_ << fmt::format("\r{:<6} [{}{}] {:3}% {} / {}", p.phase,
                        std::string(static_cast<std::size_t>(filled), '#'),
                        std::string(static_cast<std::size_t>(30 - filled), ' '), pct, p.done,
                        p.total)
         << std::flush;
    drawn_ = true;
  }
  void end() {
    if (drawn_) err_ << '\n';
  }

 private:
  std::ostream& err_;
  int last_ = -1;
  std::string phase_;
  bool drawn_ = false;
};

int run_reshard(const reshard_cli_options& o, streams& io) {
  reshard_options opts;
  opts.max_shard_size = parse_bytes(o.max_size);
  opts.stem = o.stem;
  opts.force = o.force;
  opts.sync = !o.no_sync;
  const reshard_plan plan = plan_reshard(o.source, o.out, opts);
  if (!o.format.empty() && o.format != to_string(plan.format)) {
    throw error::invalid_argument("--format " + o.format + ": the source is " +
                                  std::string(to_string(plan.format)) +
                                  "; resharding keeps the format (converting is not resharding)");
  }
  std::optional<reshard_result> done;
  if (!o.dry_run) {
    progress_bar bar(io.err);
    if (!o.json) opts.progress = [&bar](const reshard_progress& p) { bar(p); };
    try {
      done = write_reshard(plan, opts);
    } catch (...) {
      bar.end();
      throw;
    }
    bar.end();
  }
  if (o.json) {
    auto j = plan_json(plan);
    j["written"] = done.has_value();
    if (done) {
      j["files"] = done->files;
      j["written_bytes"] = done->written;
      j["verified_tensors"] = done->verified_tensors;
    }
    io.out << with_schema("reshard", std::move(j)).dump(2) << '\n';
    return exit_ok;
  }
  io.out << fmt::format("{} tensors, {} of tensor data, into {} {} shard{} of at most {}{}\n\n",
                        plan.tensors.size(), to_string_decimal(plan.tensor_bytes),
                        plan.shards.size(), to_string(plan.format),
                        plan.shards.size() == 1 ? "" : "s", to_string_decimal(plan.max_shard_size),
                        o.dry_run ? " (dry run)" : "");
  table t({"SHARD", "TENSORS", "LAYERS", "BYTES"});
  for (const auto& s : plan.shards) {
    t.add({s.file + (s.oversized ? " (oversized)" : ""), std::to_string(s.tensors.size()),
           layer_range(plan, s), to_string_decimal(s.size)});
  }
  t.print(io.out, {1, 3});
  if (!plan.index_file.empty()) io.out << "index: " << plan.index_file << '\n';
  for (const auto& w : plan.warnings) io.out << "warning: " << w << '\n';
  if (done) {
    io.out << fmt::format("\nwrote {} file{} ({}) to {}; verified {} tensors against the source\n",
                          done->files.size(), done->files.size() == 1 ? "" : "s",
                          to_string_decimal(done->written), o.out, done->verified_tensors);
  }
  return exit_ok;
}

}  // namespace

command add_reshard(CLI::App& app, streams& io) {
  auto o = std::make_shared<reshard_cli_options>();
  CLI::App* sub = app.add_subcommand(
      "reshard", "Cut a checkpoint into layer-aligned shards under a size limit");
  sub->add_option("source", o->source,
                  "a safetensors or GGUF file (any shard of a set) or directory")
      ->required();
  sub->add_option("--max-shard-size", o->max_size, "the limit per file: 4GB (10^9) or 4GiB (2^30)")
      ->required();
  sub->add_option("--out", o->out, "the output directory (created if missing)")->required();
  sub->add_option("--format", o->format, "safetensors or gguf (must be the source's)")
      ->check(CLI::IsMember({"safetensors", "gguf"}));
  sub->add_option("--stem", o->stem, "output file name stem (default: the source set's name)");
  sub->add_flag("--dry-run", o->dry_run, "print the plan, write nothing");
  sub->add_flag("--force", o->force, "replace an existing set of the same names");
  sub->add_flag("--no-sync", o->no_sync, "do not fsync the shards before renaming them");
  sub->add_flag("--json", o->json, "print JSON instead of a table");
  return {sub, [o, &io]() { return run_reshard(*o, io); }};
}

}  // namespace shardfit::cli
