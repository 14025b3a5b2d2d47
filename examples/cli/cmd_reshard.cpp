// shardfit reshard SRC --max-shard-size SIZE --out DIR: layer-aligned shards, verified.

#include "commands.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/reshard/interrupt.hpp>
#include <shardfit/reshard/reshard.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
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
  bool in_place = false;
  bool quiet = false;
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

// Progress on stderr: on a terminal one line redrawn (at most once per percent or 0.2 s) with
// bytes done, rate and time left; otherwise one plain line per 5% or per 10 s, so a log file
// gets readable lines instead of one line of carriage returns.
class progress_meter {
 public:
  using clock = std::chrono::steady_clock;
  progress_meter(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}
  void operator()(const reshard_progress& p) {
    const auto now = clock::now();
    if (p.phase != phase_) {
      if (drawn_ && terminal_) err_ << '\n';
      phase_ = p.phase;
      start_ = now;
      last_time_ = now;
      last_pct_ = -1;
    }
    const int pct =
        p.total.count() == 0 ? 100 : static_cast<int>(p.done.count() * 100 / p.total.count());
    const double since_last = std::chrono::duration<double>(now - last_time_).count();
    if (terminal_) {
      if (pct == last_pct_ && since_last < 0.2 && p.done != p.total) return;
    } else if (last_pct_ >= 0 && pct / 5 == last_pct_ / 5 && since_last < 10.0 &&
               p.done != p.total) {
      return;
    }
    if (!terminal_ && pct == last_pct_ && p.done == p.total) return;
    last_pct_ = pct;
    last_time_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(p.done.count()) / elapsed : 0.0;
    std::string tail;
    if (rate > 0) {
      tail = fmt::format(", {}/s", to_string_decimal(bytes{static_cast<std::uint64_t>(rate)}));
      if (p.done < p.total) {
        const double left = static_cast<double>((p.total - p.done).count()) / rate;
        tail += fmt::format(", {} left", duration_text(left));
      }
    }
    const std::string text =
        fmt::format("{:<6} {:3}% {} / {}{}", p.phase, pct, to_string_decimal(p.done),
                    to_string_decimal(p.total), tail);
    if (terminal_) {
      err_ << "\r" << text << "\033[K" << std::flush;
    } else {
      err_ << text << '\n';
    }
    drawn_ = true;
  }
  void end() {
    if (drawn_ && terminal_) err_ << '\n';
    drawn_ = false;
  }

 private:
  static std::string duration_text(double s) {
    const auto t = static_cast<std::uint64_t>(s + 0.5);
    if (t < 60) return fmt::format("{} s", t);
    if (t < 3600) return fmt::format("{} min {} s", t / 60, t % 60);
    return fmt::format("{} h {} min", t / 3600, (t % 3600) / 60);
  }

  std::ostream& err_;
  bool terminal_;
  std::string phase_;
  clock::time_point start_{};
  clock::time_point last_time_{};
  int last_pct_ = -1;
  bool drawn_ = false;
};

int run_reshard(const reshard_cli_options& o, streams& io) {
  reshard_options opts;
  opts.max_shard_size = parse_bytes(o.max_size);
  opts.stem = o.stem;
  opts.force = o.force;
  opts.in_place = o.in_place;
  opts.sync = !o.no_sync;
  if (o.out.empty() && !o.in_place) {
    throw error::invalid_argument("--out DIR is required (or --in-place to replace the source)");
  }
  reshard_plan plan = plan_reshard(o.source, o.out.empty() ? "." : o.out, opts);
  if (o.out.empty()) plan.out_dir = plan.source_dir;  // in place: the source's own directory
  const std::string& out = plan.out_dir;
  if (!o.format.empty() && o.format != to_string(plan.format)) {
    throw error::invalid_argument("--format " + o.format + ": the source is " +
                                  std::string(to_string(plan.format)) +
                                  "; resharding keeps the format (converting is not resharding)");
  }
  const bytes to_write = plan.bytes_to_write();
  const std::optional<bytes> free = free_space(out);
  std::optional<reshard_result> done;
  if (!o.dry_run) {
    progress_meter meter(io.err, io.err_is_terminal);
    if (!o.json && !o.quiet) opts.progress = [&meter](const reshard_progress& p) { meter(p); };
    interrupt_guard guard;
    opts.cancelled = interrupt_guard::requested;
    try {
      done = write_reshard(plan, opts);
    } catch (const error& e) {
      meter.end();
      if (e.code() == errc::interrupted) {
        io.err << "shardfit: " << e.what() << '\n';
        return 128 + interrupt_guard::signal();
      }
      throw;
    } catch (...) {
      meter.end();
      throw;
    }
    meter.end();
    if (!o.json) {
      for (const auto& c : done->cleaned) io.err << "shardfit: " << c << '\n';
    }
  }
  if (o.json) {
    auto j = plan_json(plan);
    j["bytes_to_write"] = to_write;
    j["free_bytes"] = free ? nlohmann::ordered_json(*free) : nlohmann::ordered_json(nullptr);
    j["companion_files"] = plan.companion_files;
    j["leftover_work_dirs"] = done ? std::vector<std::string>{} : leftover_work_dirs(out);
    j["written"] = done.has_value();
    if (done) {
      j["files"] = done->files;
      j["written_bytes"] = done->written;
      j["verified_tensors"] = done->verified_tensors;
      j["removed"] = done->removed;
      j["cleaned"] = done->cleaned;
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
  if (!plan.companion_files.empty()) {
    std::string names;
    for (const auto& c : plan.companion_files) {
      names += (names.empty() ? "" : ", ") + c.substr(c.find_last_of('/') + 1);
    }
    io.out << (o.in_place ? "kept: " : "copied: ") << names << '\n';
  }
  for (const auto& w : plan.warnings) io.out << "warning: " << w << '\n';
  if (o.dry_run) {
    io.out << fmt::format("\nwould write {} to {}; {}\n", to_string_decimal(to_write), out,
                          free ? to_string_decimal(*free) + " free on its filesystem"
                               : std::string("its free space is unknown"));
    for (const auto& w : leftover_work_dirs(out)) {
      io.out << "leftover working directory: " << w << " (a real run removes it)\n";
    }
  }
  if (done) {
    io.out << fmt::format("\nwrote {} file{} ({}) to {}; verified {} tensors against the source\n",
                          done->files.size(), done->files.size() == 1 ? "" : "s",
                          to_string_decimal(done->written), out, done->verified_tensors);
    if (!done->removed.empty()) {
      io.out << fmt::format("removed {} file{} of the replaced set\n", done->removed.size(),
                            done->removed.size() == 1 ? "" : "s");
    }
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
  sub->add_option("--out", o->out, "the output directory (created if missing)");
  sub->add_option("--format", o->format, "safetensors or gguf (must be the source's)")
      ->check(CLI::IsMember({"safetensors", "gguf"}));
  sub->add_option("--stem", o->stem, "output file name stem (default: the source set's name)");
  sub->add_flag("--dry-run", o->dry_run, "print the plan, write nothing");
  sub->add_flag("--force", o->force,
                "replace an existing set of the same name (its other shards are removed)");
  sub->add_flag("--in-place", o->in_place,
                "replace the source set in its directory once the new set verifies");
  sub->add_flag("--quiet,-q", o->quiet, "print no progress");
  sub->add_flag("--no-sync", o->no_sync, "do not fsync the shards before renaming them");
  sub->add_flag("--json", o->json, "print JSON instead of a table");
  return {sub, [o, &io]() { return run_reshard(*o, io); }};
}

}  // namespace shardfit::cli
