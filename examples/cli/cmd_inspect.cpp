// shardfit inspect PATH [--recursive] [--json]: the shard sets at PATH, whether each is complete,
// and their true sizes.

#include "commands.hpp"
#include "table.hpp"

#include <shardfit/format.hpp>
#include <shardfit/json.hpp>
#include <shardfit/shard_set.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>
#include <string>

namespace shardfit::cli {
namespace {

struct inspect_options {
  std::string path;
  bool recursive = false;
  bool json = false;
};

std::string status_of(const shard_set& s) {
  if (s.complete()) return "complete";
  if (!s.missing.empty()) {
    std::string out = "missing ";
    for (std::size_t i = 0; i < s.missing.size(); ++i) {
      if (i == 8) {
        out += fmt::format(", ... ({} in all)", s.missing.size());
        break;
      }
      out += (i == 0 ? "" : ", ") + std::to_string(s.missing[i]);
    }
    return out;
  }
  return "inconsistent";
}

void print_text(const discovery_result& found, std::ostream& out) {
  if (found.sets.empty()) out << "no model file sets found\n";
  table t({"SET", "FORMAT", "SHARDS", "STATUS", "SIZE", "BYTES"});
  for (const auto& s : found.sets) {
    t.add({s.name, std::string(to_string(s.format)),
           fmt::format("{}/{}", s.present_shards(), s.expected_shards), status_of(s),
           fmt::format("{}", s.total_bytes), fmt::format("{:n}", s.total_bytes)});
  }
  if (!t.empty()) t.print(out, {4, 5});
  for (const auto& s : found.sets) {
    const bool sparse = s.allocated_bytes < s.total_bytes;
    if (s.index_total_size || sparse || !s.companions.empty() || !s.duplicates.empty() ||
        !s.foreign.empty() || !s.problems.empty()) {
      out << '\n' << s.name << ":\n";
    }
    if (s.index_total_size) {
      out << fmt::format("  index {}: metadata.total_size {} ({:n} bytes of tensors)\n",
                         s.index_path, *s.index_total_size, *s.index_total_size);
    }
    if (sparse) out << fmt::format("  allocated on disk: {} (sparse files)\n", s.allocated_bytes);
    for (const auto& c : s.companions) {
      out << fmt::format("  companion {} ({})\n", c.path, c.size);
    }
    for (const auto& d : s.duplicates) {
      for (const auto& p : d.paths) out << fmt::format("  duplicate of shard {}: {}\n", d.index, p);
    }
    for (const auto& f : s.foreign) out << fmt::format("  foreign: {}: {}\n", f.path, f.why);
    for (const auto& p : s.problems) out << "  problem: " << p << '\n';
  }
  if (!found.problems.empty()) {
    out << "\nproblems:\n";
    for (const auto& p : found.problems) out << "  " << p.path << ": " << p.message << '\n';
  }
}

}  // namespace

command add_inspect(CLI::App& app, streams& io) {
  auto opts = std::make_shared<inspect_options>();
  CLI::App* sub = app.add_subcommand(
      "inspect", "List the model file sets at PATH: completeness, shards, true total size");
  sub->add_option("path", opts->path, "a model file (any shard of a set), or a directory")
      ->required();
  sub->add_flag("-r,--recursive", opts->recursive, "also search subdirectories");
  sub->add_flag("--json", opts->json, "print JSON instead of a table");
  return {sub, [opts, &io]() {
            discovery_options options;
            options.recursive = opts->recursive;
            const discovery_result found = discover(opts->path, options);
            if (opts->json) {
              io.out << nlohmann::ordered_json(found).dump(2) << '\n';
            } else {
              print_text(found, io.out);
            }
            return found.all_complete() ? exit_ok : exit_no_fit;
          }};
}

}  // namespace shardfit::cli
