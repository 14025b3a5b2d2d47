// shardfit inspect PATH [--recursive] [--json]: the shard sets at PATH, whether each is complete,
// and their true sizes.

#include "commands.hpp"
#include "options.hpp"
#include "schema.hpp"
#include "table.hpp"

#include <shardfit/files/discover.hpp>
#include <shardfit/format.hpp>
#include <shardfit/formats/verify.hpp>
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace shardfit::cli {
namespace {

struct inspect_options {
  std::string path;
  bool recursive = false;
  bool json = false;
  bool no_metadata = false;
  std::string revision = "main";
};

// A set's model metadata, or why it could not be read.
struct set_model {
  std::optional<model_profile> profile;
  std::string error;
};

// Checks every shard of every set and reads its model: a GGUF set's headers are read once (the
// set reader checks as it reads), others are checked, then read.
std::vector<set_model> read_models(discovery_result& found) {
  std::vector<set_model> out;
  for (auto& s : found.sets) {
    set_model m;
    if (s.format == model_format::gguf) {
      if (auto g = open_checked_gguf(s)) {
        m.profile = profile_from_gguf(*g);
      } else {
        m.error = "not read: " + status_message(s);
      }
      out.push_back(std::move(m));
      continue;
    }
    verify_set(s);
    if (s.status() == set_status::truncated || s.status() == set_status::corrupt) {
      m.error = "not read: " + status_message(s);
      out.push_back(std::move(m));
      continue;
    }
    try {
      m.profile = profile_from_set(s);
    } catch (const shardfit::error& e) {
      m.error = e.what() + option_hint(e.option());
    }
    out.push_back(std::move(m));
  }
  return out;
}

nlohmann::ordered_json model_json(const set_model& m) {
  if (!m.profile) return {{"error", m.error}};
  const model_profile& p = *m.profile;
  nlohmann::ordered_json j;
  j["architecture"] = p.architecture;
  j["name"] = p.name;
  j["source"] = p.source;
  j["quantization"] = p.quantization;
  j["layers"] = p.n_layer;
  j["embedding"] = p.n_embd;
  j["heads"] = p.n_head;
  j["kv_heads"] = p.n_head_kv;
  j["head_dim"] = p.head_dim_k;
  j["context_length"] = p.n_ctx_train;
  j["vocab"] = p.n_vocab;
  j["experts"] = p.n_expert;
  j["experts_used"] = p.n_expert_used;
  j["parameters"] = p.parameters;
  j["weights_bytes"] = p.weights();
  j["layer_bytes_min"] = p.min_layer_bytes();
  j["layer_bytes_max"] = p.max_layer_bytes();
  j["notes"] = p.notes;
  return j;
}

std::string human_count(std::uint64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}B", static_cast<double>(n) / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f}M", static_cast<double>(n) / 1e6);
  if (n >= 1'000) return fmt::format("{:.2f}K", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

void print_model(const set_model& m, std::ostream& out) {
  if (!m.profile) {
    out << "  model metadata: " << m.error << '\n';
    return;
  }
  const model_profile& p = *m.profile;
  out << fmt::format("  model: {} ({}, {}, from {})\n", p.name, p.architecture, p.quantization,
                     p.source);
  out << fmt::format("  {} layers, {} heads / {} KV heads, head dim {}, context {}, vocab {}\n",
                     p.n_layer, p.n_head, p.n_head_kv, p.head_dim_k, p.n_ctx_train, p.n_vocab);
  if (p.is_moe()) {
    out << fmt::format("  {} experts, {} per token, {} shared\n", p.n_expert, p.n_expert_used,
                       p.n_expert_shared);
  }
  out << fmt::format("  {} parameters, weights {}, layer {} to {}\n", human_count(p.parameters),
                     p.weights(), p.min_layer_bytes(), p.max_layer_bytes());
  for (const auto& n : p.notes) out << "  note: " << n << '\n';
}

std::string status_of(const shard_set& s) {
  if (s.status() != set_status::incomplete) return std::string(to_string(s.status()));
  if (s.index_only) return "index only";
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

void print_text(const discovery_result& found, const std::vector<set_model>& models,
                std::ostream& out) {
  if (found.sets.empty()) out << "no model file sets found\n";
  table t({"SET", "FORMAT", "SHARDS", "STATUS", "SIZE", "BYTES"});
  for (const auto& s : found.sets) {
    t.add({s.name, std::string(to_string(s.format)),
           fmt::format("{}/{}", s.present_shards(), s.expected_shards), status_of(s),
           fmt::format("{}", s.total_bytes), fmt::format("{:n}", s.total_bytes)});
  }
  if (!t.empty()) t.print(out, {4, 5});
  for (std::size_t i = 0; i < found.sets.size(); ++i) {
    const shard_set& s = found.sets[i];
    const bool sparse = s.allocated_bytes < s.total_bytes;
    out << '\n' << s.name << ":\n";
    if (i < models.size()) print_model(models[i], out);
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
    if (s.index_only) out << "  problem: " << status_message(s) << '\n';
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
  sub->add_option("--revision", opts->revision,
                  "in a Hugging Face cache repository: refs/ name or commit (main)");
  sub->add_flag("--json", opts->json, "print JSON instead of a table");
  sub->add_flag("--no-metadata", opts->no_metadata,
                "only list files and sizes: read no headers and no config.json");
  return {sub, [opts, &io]() {
            discovery_options options;
            options.recursive = opts->recursive;
            options.revision = opts->revision;
            discovery_result found = discover(opts->path, options);
            std::vector<set_model> models;
            if (!opts->no_metadata) models = read_models(found);
            if (opts->json) {
              nlohmann::ordered_json j = found;
              for (std::size_t i = 0; i < models.size(); ++i) {
                j["sets"][i]["model"] = model_json(models[i]);
              }
              io.out << with_schema("inspect", std::move(j)).dump(2) << '\n';
            } else {
              print_text(found, models, io.out);
            }
            return found.all_complete() ? exit_ok : exit_no_fit;
          }};
}

}  // namespace shardfit::cli
