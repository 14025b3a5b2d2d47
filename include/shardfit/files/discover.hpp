#pragma once

/// @file
/// @brief Shard-set discovery: groups the files of a directory into model file sets (GGUF
/// splits, safetensors shards with or without their index, single files), checks completeness
/// (missing, duplicate and foreign shards, absent index entries), adds up sizes, and caches
/// directory scans by (path, size, mtime, inode).
///
/// A split model is sized by all of its shards, never by the first: three shards of 46 GB,
/// 46 GB and 39 GB make a set of 131 GB, and a missing shard makes the set incomplete.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/files/index_file.hpp>
#include <shardfit/files/shard_name.hpp>
#include <shardfit/files/shard_set.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/io/json_value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shardfit {

namespace detail {

template <class Fs>
class discoverer;

struct pair_hash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const noexcept {
    return std::hash<std::uint64_t>{}(p.first * 0x9E3779B97F4A7C15ULL ^ p.second);
  }
};

// The sets of one directory, with names relative to it.
struct dir_scan {
  std::vector<shard_set> sets;
  std::vector<discovery_problem> problems;
  std::vector<std::pair<std::string, file_stat>> subdirs;     // not hidden, by name
  std::vector<std::pair<std::string, file_stat>> file_stats;  // files the sets use
};

SHARDFIT_INLINE std::string_view strip_suffix_ci(std::string_view s,
                                                 std::string_view suffix) noexcept;

SHARDFIT_INLINE std::string describe_kind(file_kind k);

struct stem_key {
  std::string_view stem;
  model_format format;
  friend bool operator==(const stem_key&, const stem_key&) = default;
};
struct stem_key_hash {
  std::size_t operator()(const stem_key& k) const noexcept {
    return std::hash<std::string_view>{}(k.stem) ^ static_cast<std::size_t>(k.format);
  }
};

struct grammar_member {
  shard_name_view name;
  const dir_entry* entry;
};

// Groups `entries` of `dir` into sets. `load_index` parses an index file; `stat_path` stats a
// path below `dir` (for index entries naming subdirectories).
template <class LoadIndex, class StatPath>
dir_scan scan_entries(const std::string& dir, const std::vector<dir_entry>& entries,
                      const discovery_options& options, LoadIndex&& load_index,
                      StatPath&& stat_path) {
  dir_scan out;
  std::vector<const dir_entry*> files;
  files.reserve(entries.size());
  for (const auto& e : entries) {
    switch (e.stat.kind) {
      case file_kind::regular:
        files.push_back(&e);
        break;
      case file_kind::directory:
        if (!e.name.empty() && e.name.front() != '.') out.subdirs.emplace_back(e.name, e.stat);
        break;
      default:
        out.problems.push_back({join_path(dir, e.name), describe_kind(e.stat.kind)});
        break;
    }
  }
  std::sort(out.subdirs.begin(), out.subdirs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::unordered_map<std::string_view, const dir_entry*> by_name;  // built when an index needs it
  std::unordered_set<std::string_view> claimed;
  auto remember = [&](const std::string& path, const file_stat& st) {
    if (options.revalidate_files) out.file_stats.emplace_back(path, st);
  };

  // 1. Sets defined by a weight index: its weight_map is the authority on membership.
  std::vector<const dir_entry*> index_files;
  for (const auto* f : files) {
    if (is_weight_index_name(f->name)) index_files.push_back(f);
  }
  std::sort(index_files.begin(), index_files.end(),
            [](const dir_entry* a, const dir_entry* b) { return a->name < b->name; });
  std::unordered_map<stem_key, std::size_t, stem_key_hash> index_stems;  // -> set position + 1
  std::vector<std::shared_ptr<const weight_index>> indexes;  // keeps the views above alive
  if (!index_files.empty()) {
    by_name.reserve(files.size());
    for (const auto* f : files) by_name.emplace(f->name, f);
  }
  for (const auto* f : index_files) {
    claimed.insert(f->name);
    const std::string index_path = join_path(dir, f->name);
    remember(index_path, f->stat);
    const std::shared_ptr<const weight_index> idx = load_index(index_path, f->stat);
    indexes.push_back(idx);
    const std::string_view inner = strip_suffix_ci(f->name, ".index.json");
    shard_set s;
    s.format = iends_with(inner, ".bin") ? model_format::pytorch : model_format::safetensors;
    s.name = std::string(strip_suffix_ci(strip_suffix_ci(inner, ".safetensors"), ".bin"));
    s.directory = dir;
    s.index_path = index_path;
    s.index_total_size = idx->total_size;
    s.expected_shards = static_cast<std::uint32_t>(idx->files.size());
    s.index_only = idx->files.empty();
    std::vector<std::string> absent;
    for (std::uint32_t i = 0; i < idx->files.size(); ++i) {
      const std::string& rel = idx->files[i];
      const std::string path = join_path(dir, rel);
      std::uint32_t number = i + 1;
      const auto base = std::string_view(rel).substr(rel.rfind('/') + 1);
      if (const auto v = parse_shard_view(base)) {
        if (v->count == s.expected_shards && v->index >= 1 && v->index <= v->count) {
          number = v->index;
        }
        index_stems.emplace(stem_key{v->stem, v->format}, 0);
      }
      std::optional<file_stat> st;
      if (rel.find('/') == std::string::npos) {
        if (auto it = by_name.find(rel); it != by_name.end()) st = it->second->stat;
      } else {
        st = stat_path(path);
      }
      if (st && st->kind == file_kind::regular) {
        s.files.push_back({path, number, st->size, st->allocated});
        if (base.size() == rel.size()) claimed.insert(base);
        remember(path, *st);
      } else {
        s.missing.push_back(number);
        absent.push_back("weight_map entry '" + idx->first_tensor_of(i) + "' names '" + rel +
                         "', which is absent");
      }
    }
    if (!absent.empty() && absent.size() == idx->files.size()) {
      s.problems.push_back("none of the " + std::to_string(absent.size()) +
                           " files named by the index is present (index only, not downloaded)");
    } else {
      s.problems.insert(s.problems.end(), absent.begin(), absent.end());
    }
    out.sets.push_back(std::move(s));
    // Stems of this index's shards: unclaimed files with the same stem are foreign to it.
    for (auto& [key, pos] : index_stems) {
      if (pos == 0) pos = out.sets.size();
    }
  }

  // 2. Files following the shard grammar, grouped by (stem, format).
  std::unordered_map<stem_key, std::vector<grammar_member>, stem_key_hash> groups;
  std::vector<const dir_entry*> singles;
  std::vector<const dir_entry*> projectors;
  for (const auto* f : files) {
    if (!claimed.empty() && claimed.count(f->name) != 0) continue;
    if (is_projector_name(f->name)) {
      projectors.push_back(f);
      continue;
    }
    if (const auto v = parse_shard_view(f->name)) {
      groups[stem_key{v->stem, v->format}].push_back({*v, f});
    } else if (!is_weight_index_name(f->name)) {
      singles.push_back(f);
    }
  }
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(), [](const grammar_member& a, const grammar_member& b) {
      return a.name.index != b.name.index ? a.name.index < b.name.index
                                          : a.entry->name < b.entry->name;
    });
    if (auto it = index_stems.find(key); it != index_stems.end()) {
      shard_set& owner = out.sets[it->second - 1];
      for (const auto& m : members) {
        const std::string path = join_path(dir, m.entry->name);
        owner.foreign.push_back({path, "not named by " + owner.index_path});
      }
      continue;
    }
    // The expected count: that of shard 1 when present, else the most common one.
    std::uint32_t n = 0;
    if (members.front().name.index == 1) {
      n = members.front().name.count;
    } else {
      std::unordered_map<std::uint32_t, std::size_t> votes;
      std::size_t best = 0;
      for (const auto& m : members) {
        const std::size_t v = ++votes[m.name.count];
        if (v > best || (v == best && m.name.count < n)) {
          best = v;
          n = m.name.count;
        }
      }
    }
    shard_set s;
    s.name = std::string(key.stem);
    s.directory = dir;
    s.format = key.format;
    if (n == 0 || n > options.max_shards_per_set) {
      for (const auto& m : members) {
        out.problems.push_back({join_path(dir, m.entry->name),
                                "claims " + std::to_string(m.name.count) +
                                    " shards; sets of 1 to " +
                                    std::to_string(options.max_shards_per_set) + " are supported"});
      }
      continue;
    }
    s.expected_shards = n;
    std::uint32_t next = 1;  // the next index expected while walking the sorted members
    for (std::size_t i = 0; i < members.size();) {
      const auto& m = members[i];
      const std::string path = join_path(dir, m.entry->name);
      if (m.name.count != n) {
        s.foreign.push_back({path, "-of-" + std::to_string(m.name.count) +
                                       " disagrees with the set's " + std::to_string(n) +
                                       " shards"});
        remember(path, m.entry->stat);
        ++i;
        continue;
      }
      if (m.name.index == 0 || m.name.index > n) {
        s.foreign.push_back({path, "index " + std::to_string(m.name.index) +
                                       " is outside the set's " + std::to_string(n) + " shards"});
        remember(path, m.entry->stat);
        ++i;
        continue;
      }
      // All claimants of this index: members [i, j), sorted by index, then name.
      std::size_t j = i + 1;
      while (j < members.size() && members[j].name.index == m.name.index) ++j;
      for (; next < m.name.index; ++next) s.missing.push_back(next);
      next = m.name.index + 1;
      // Keep the claimant written with the widest (canonical, zero-padded) digits.
      const grammar_member* keep = &m;
      for (std::size_t k = i + 1; k < j; ++k) {
        if (members[k].name.count == n && members[k].name.index_width > keep->name.index_width) {
          keep = &members[k];
        }
      }
      s.files.push_back({join_path(dir, keep->entry->name), m.name.index, keep->entry->stat.size,
                         keep->entry->stat.allocated});
      remember(s.files.back().path, keep->entry->stat);
      if (j > i + 1) {
        shard_duplicate d{m.name.index, {}};
        for (std::size_t k = i; k < j; ++k) {
          if (&members[k] == keep || members[k].name.count != n) continue;
          d.paths.push_back(join_path(dir, members[k].entry->name));
          remember(d.paths.back(), members[k].entry->stat);
        }
        if (!d.paths.empty()) s.duplicates.push_back(std::move(d));
      }
      for (std::size_t k = i; k < j; ++k) {  // count-mismatched members sharing this index
        if (members[k].name.count != n) {
          s.foreign.push_back({join_path(dir, members[k].entry->name),
                               "-of-" + std::to_string(members[k].name.count) +
                                   " disagrees with the set's " + std::to_string(n) + " shards"});
        }
      }
      i = j;
    }
    for (; next <= n; ++next) s.missing.push_back(next);
    out.sets.push_back(std::move(s));
  }

  // 3. Single-file models.
  for (const auto* f : singles) {
    const auto dot = f->name.rfind('.');
    if (dot == std::string::npos) continue;
    const auto format = format_from_extension(std::string_view(f->name).substr(dot + 1));
    if (!format) continue;
    // Of the many .bin files in a model folder only pytorch_model.bin is a model by itself.
    if (*format == model_format::pytorch && !ieq(f->name, "pytorch_model.bin")) continue;
    shard_set s;
    s.name = f->name.substr(0, dot);
    s.directory = dir;
    s.format = *format;
    s.expected_shards = 1;
    s.files.push_back({join_path(dir, f->name), 1, f->stat.size, f->stat.allocated});
    remember(s.files.back().path, f->stat);
    out.sets.push_back(std::move(s));
  }

  // 4. Projectors accompany every GGUF set of the directory; they are never sized as the model.
  std::sort(projectors.begin(), projectors.end(),
            [](const dir_entry* a, const dir_entry* b) { return a->name < b->name; });
  bool attached = false;
  for (auto& s : out.sets) {
    if (s.format != model_format::gguf) continue;
    for (const auto* p : projectors) {
      s.companions.push_back({join_path(dir, p->name), 0, p->stat.size, p->stat.allocated});
      attached = true;
    }
  }
  for (const auto* p : projectors) {
    remember(join_path(dir, p->name), p->stat);
    if (!attached) {
      out.problems.push_back(
          {join_path(dir, p->name), "multimodal projector with no GGUF model beside it"});
    }
  }

  // 5. Sizes and order.
  for (auto& s : out.sets) {
    std::sort(s.files.begin(), s.files.end(),
              [](const shard_file& a, const shard_file& b) { return a.index < b.index; });
    std::sort(s.missing.begin(), s.missing.end());
    for (const auto& f : s.files) {
      s.total_bytes += f.size;
      s.allocated_bytes += f.allocated;
    }
  }
  return out;
}

SHARDFIT_INLINE std::int64_t now_ns();

}  // namespace detail

/// @brief Remembers directory scans keyed by the directory's (path, size, mtime, inode) and
/// parsed index files keyed by the file's (path, size, mtime, inode), so repeated discovery
/// neither stats every file again nor re-reads indexes. Safe to share between threads: lookups
/// and inserts take an internal lock (scans run outside it, so two threads may scan one
/// directory at once; the later result is kept).
///
/// A directory modified within `racy_window` before its scan started is scanned again next time
/// (as git treats racy index entries): a second change inside one timestamp tick would not move
/// its mtime. A file changed in place leaves the directory's mtime alone; set
/// `discovery_options::revalidate_files` to catch that at the cost of one stat per file.
class discovery_cache {
 public:
  /// @brief A cache that trusts directories last modified more than `racy_window` before the
  /// scan that was cached.
  explicit discovery_cache(std::chrono::nanoseconds racy_window = std::chrono::seconds(2))
      : racy_window_ns_(racy_window.count()) {}

  /// @brief Directory scans answered from the cache.
  [[nodiscard]] std::size_t hits() const;
  /// @brief Directory scans that read the directory.
  [[nodiscard]] std::size_t misses() const;
  /// @brief Directories remembered.
  [[nodiscard]] std::size_t size() const;
  /// @brief Forgets everything.
  void clear();

 private:
  template <class Fs>
  friend class detail::discoverer;

  struct dir_record {
    file_stat stat;
    std::int64_t scanned_at_ns = 0;
    std::shared_ptr<const detail::dir_scan> scan;
  };
  struct index_record {
    file_stat stat;
    std::shared_ptr<const weight_index> index;
  };

  std::int64_t racy_window_ns_;
  mutable std::mutex mutex_;  // guards everything below
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
  std::unordered_map<std::string, dir_record> dirs_;
  std::unordered_map<std::string, index_record> indexes_;
};

namespace detail {

template <class Fs>
class discoverer {
 public:
  discoverer(const Fs& fs, const discovery_options& options, discovery_cache* cache)
      : fs_(fs), options_(options), cache_(cache) {}

  discovery_result run(const std::string& path) {
    std::string p = normalize_dir(path);
    auto st = fs_.stat(p);
    if (!st) throw error(errc::not_found, p, "no such file or directory");
    discovery_result result;
    std::string repo;
    if (st->kind == file_kind::directory) {
      if (auto snapshot = hub_snapshot(p)) {
        repo = hub_repo_name(p);
        p = std::move(*snapshot);
        st = fs_.stat(p);
        if (!st) throw error(errc::not_found, p, "no such snapshot directory");
      }
      walk(p, *st, "", 0, result);
      for (auto& s : result.sets) s.hub_repo = repo;
    } else if (st->kind == file_kind::regular) {
      select_file(p, result);
    } else {
      throw error(errc::invalid_argument, p,
                  "is a " + std::string(to_string(st->kind)) + ", not a model file or directory");
    }
    std::sort(result.sets.begin(), result.sets.end(), [](const shard_set& a, const shard_set& b) {
      return a.name != b.name ? a.name < b.name : a.format < b.format;
    });
    std::stable_sort(
        result.problems.begin(), result.problems.end(),
        [](const discovery_problem& a, const discovery_problem& b) { return a.path < b.path; });
    return result;
  }

 private:
  void walk(const std::string& dir, const file_stat& st, const std::string& rel, std::size_t depth,
            discovery_result& out) {
    if (!visited_.insert({st.device, st.inode}).second) {
      out.problems.push_back({dir, "directory reached twice (through a link); searched once"});
      return;
    }
    // Without a cache the scan is ours alone and its sets are moved, not copied.
    std::shared_ptr<const dir_scan> shared;
    dir_scan owned;
    try {
      if (cache_ != nullptr) {
        shared = scan_dir(dir, st);
      } else {
        owned = scan_now(dir);
      }
    } catch (const error& e) {
      if (depth == 0 || e.code() != errc::io_error) throw;
      out.problems.push_back({dir, e.message()});  // an unreadable subdirectory
      return;
    }
    const dir_scan& scan = shared ? *shared : owned;
    const std::size_t first = out.sets.size();
    if (shared) {
      out.sets.insert(out.sets.end(), scan.sets.begin(), scan.sets.end());
    } else {
      out.sets.insert(out.sets.end(), std::make_move_iterator(owned.sets.begin()),
                      std::make_move_iterator(owned.sets.end()));
    }
    if (!rel.empty()) {
      for (std::size_t i = first; i < out.sets.size(); ++i) {
        out.sets[i].name = rel + "/" + out.sets[i].name;
      }
    }
    out.problems.insert(out.problems.end(), scan.problems.begin(), scan.problems.end());
    if (!options_.recursive) return;
    for (const auto& [name, sub] : scan.subdirs) {
      const std::string sub_path = join_path(dir, name);
      if (depth + 1 > options_.max_depth) {
        out.problems.push_back({sub_path, "deeper than the " + std::to_string(options_.max_depth) +
                                              "-level recursion limit; not searched"});
        continue;
      }
      walk(sub_path, sub, rel.empty() ? name : rel + "/" + name, depth + 1, out);
    }
  }

  void select_file(const std::string& file, discovery_result& out) {
    const auto slash = file.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
    const auto dst = fs_.stat(dir);
    if (!dst || dst->kind != file_kind::directory) {
      throw error::io(dir, "cannot read the directory of " + file);
    }
    const auto scan = scan_dir(dir, *dst);
    const std::string full =
        join_path(dir, std::string_view(file).substr(slash == std::string::npos ? 0 : slash + 1));
    for (const auto& s : scan->sets) {
      if (mentions(s, full)) {
        out.sets.push_back(s);
        for (const auto& p : scan->problems) {
          if (p.path == full) out.problems.push_back(p);
        }
        return;
      }
    }
    for (const auto& s : scan->sets) {
      for (const auto& c : s.companions) {
        if (c.path == full) {
          throw error(errc::invalid_argument, full,
                      "is a multimodal projector (a companion of " + s.name + "), not a model");
        }
      }
    }
    // An Ollama manifest (models/manifests/<registry>/<namespace>/<model>/<tag>) names its
    // model layer's blob (models/blobs/sha256-<digest>) and the model ("llama3.2:latest").
    if (auto s = ollama_manifest_set(full)) {
      out.sets.push_back(std::move(*s));
      return;
    }
    // A file named without an extension may still be GGUF: Ollama's blob store names its
    // models "sha256-<digest>". The magic decides (a file named by the user, so opening it is
    // asked for).
    if constexpr (byte_readable_filesystem<Fs>) {
      if (const auto fst = fs_.stat(full); fst && has_gguf_magic(full)) {
        shard_set s;
        s.name = full.substr(full.rfind('/') + 1);
        s.directory = dir;
        s.format = model_format::gguf;
        s.expected_shards = 1;
        s.files.push_back({full, 1, fst->size, fst->allocated});
        s.total_bytes = fst->size;
        s.allocated_bytes = fst->allocated;
        out.sets.push_back(std::move(s));
        return;
      }
    }
    throw error(errc::invalid_argument, full,
                "not a model file (expected .gguf, .safetensors, pytorch_model.bin, a "
                "-00001-of-0000N shard, an .index.json, or a file starting with the GGUF magic)");
  }

  // A Hugging Face cache repository (`models--org--name/` holding `refs/` and `snapshots/`): the
  // snapshot directory of the revision asked for (a name under refs/ or a commit hash).
  std::optional<std::string> hub_snapshot(const std::string& dir) const {
    const auto snaps = fs_.stat(join_path(dir, "snapshots"));
    if (!snaps || snaps->kind != file_kind::directory) return std::nullopt;
    const std::string& rev = options_.revision;
    const auto safe = [](std::string_view s) {
      return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
             s.find('\0') == std::string_view::npos;
    };
    if (!safe(rev)) throw error::invalid_argument("revision '" + rev + "' is not a ref name");
    std::string commit = rev;
    const std::string ref = join_path(join_path(dir, "refs"), rev);
    if (const auto rs = fs_.stat(ref); rs && rs->kind == file_kind::regular) {
      commit = fs_.read_file(ref, 256);
      while (!commit.empty() && (commit.back() == '\n' || commit.back() == ' ')) commit.pop_back();
      if (!safe(commit)) throw error::format(ref, "does not hold a commit hash");
    }
    const std::string snapshot = join_path(join_path(dir, "snapshots"), commit);
    const auto ss = fs_.stat(snapshot);
    if (!ss || ss->kind != file_kind::directory) {
      throw error(errc::not_found, snapshot,
                  "no snapshot for revision '" + rev + "' in this Hugging Face cache repository");
    }
    return snapshot;
  }

  // "models--meta-llama--Llama-3.1-8B" -> "meta-llama/Llama-3.1-8B" (empty when not so named).
  static std::string hub_repo_name(const std::string& dir) {
    std::string base = dir.substr(dir.rfind('/') + 1);
    const std::string prefix = "models--";
    if (base.rfind(prefix, 0) != 0) return {};
    base = base.substr(prefix.size());
    const auto sep = base.find("--");
    if (sep == std::string::npos) return base;
    return base.substr(0, sep) + "/" + base.substr(sep + 2);
  }

  // The set an Ollama manifest describes: its model layer's blob as the one GGUF file, its
  // projector layer as a companion; nothing when `file` is not such a manifest.
  std::optional<shard_set> ollama_manifest_set(const std::string& file) const {
    const std::string marker = "/manifests/";
    const auto at = file.rfind(marker);
    const auto st = fs_.stat(file);
    if (at == std::string::npos || !st || st->size > bytes{std::uint64_t{1} << 20U}) return {};
    std::string text;
    try {
      text = fs_.read_file(file, std::size_t{1} << 20U);
    } catch (const error&) {
      return {};
    }
    if (text.find("application/vnd.ollama.image.model") == std::string::npos) return {};
    const auto root = json_value::parse(text, file, 10'000, 8);
    const json_value* layers = root.is_object() ? root.get("layers") : nullptr;
    if (layers == nullptr || !layers->is_array()) {
      throw error::format(file, "an Ollama manifest needs a \"layers\" array");
    }
    const std::string models = file.substr(0, at);
    // "registry.ollama.ai/library/llama3.2/latest" -> "llama3.2:latest" (the default namespace
    // left out, as `ollama list` shows it).
    std::string name = file.substr(at + marker.size());
    if (const auto first = name.find('/'); first != std::string::npos)
      name = name.substr(first + 1);
    if (name.rfind("library/", 0) == 0) name = name.substr(8);
    if (const auto last = name.rfind('/'); last != std::string::npos) name[last] = ':';
    shard_set s;
    s.name = name;
    s.directory = join_path(models, "blobs");
    s.format = model_format::gguf;
    s.expected_shards = 1;
    for (const auto& layer : layers->items()) {
      const json_value* type = layer.is_object() ? layer.get("mediaType") : nullptr;
      const json_value* digest = layer.is_object() ? layer.get("digest") : nullptr;
      if (type == nullptr || digest == nullptr || !type->is_string() || !digest->is_string()) {
        continue;
      }
      std::string d = digest->text();
      if (d.rfind("sha256:", 0) != 0 || d.find('/') != std::string::npos) {
        throw error::format(file, "layer digest '" + d + "' is not sha256:<hex>");
      }
      d[6] = '-';
      const std::string blob = join_path(s.directory, d);
      const auto bst = fs_.stat(blob);
      const bool model = type->text() == "application/vnd.ollama.image.model";
      const bool projector = type->text() == "application/vnd.ollama.image.projector";
      if (!model && !projector) continue;
      if (!bst || bst->kind != file_kind::regular) {
        if (model) s.missing.push_back(1);
        continue;
      }
      const shard_file f{blob, model ? 1U : 0U, bst->size, bst->allocated};
      if (model) {
        s.files.push_back(f);
        s.total_bytes = bst->size;
        s.allocated_bytes = bst->allocated;
      } else {
        s.companions.push_back(f);
      }
    }
    if (s.files.empty() && s.missing.empty()) {
      throw error::format(file, "an Ollama manifest without a model layer");
    }
    return s;
  }

  // True when the file starts with "GGUF" (read errors: false).
  bool has_gguf_magic(const std::string& path) const {
    try {
      const byte_source src = fs_.open(path);
      std::array<std::byte, 4> magic{};
      if (src.read(0, magic) != magic.size()) return false;
      return std::memcmp(magic.data(), "GGUF", 4) == 0;
    } catch (const error&) {
      return false;
    }
  }

  static bool mentions(const shard_set& s, const std::string& full) {
    if (s.index_path == full) return true;
    const auto is = [&](const auto& f) { return f.path == full; };
    if (std::any_of(s.files.begin(), s.files.end(), is)) return true;
    if (std::any_of(s.foreign.begin(), s.foreign.end(), is)) return true;
    return std::any_of(s.duplicates.begin(), s.duplicates.end(), [&](const shard_duplicate& d) {
      return std::find(d.paths.begin(), d.paths.end(), full) != d.paths.end();
    });
  }

  std::shared_ptr<const dir_scan> scan_dir(const std::string& dir, const file_stat& st) {
    if (cache_ == nullptr) return std::make_shared<const dir_scan>(scan_now(dir));
    std::shared_ptr<const dir_scan> cached;
    {
      const std::lock_guard lock(cache_->mutex_);
      const auto it = cache_->dirs_.find(dir);
      if (it != cache_->dirs_.end() && it->second.stat == st &&
          st.mtime_ns + cache_->racy_window_ns_ < it->second.scanned_at_ns) {
        cached = it->second.scan;
      }
    }
    if (cached && files_unchanged(*cached)) {
      const std::lock_guard lock(cache_->mutex_);
      ++cache_->hits_;
      return cached;
    }
    const std::int64_t started = now_ns();
    auto scan = std::make_shared<const dir_scan>(scan_now(dir));
    const std::lock_guard lock(cache_->mutex_);
    ++cache_->misses_;
    cache_->dirs_[dir] = {st, started, scan};
    return scan;
  }

  bool files_unchanged(const dir_scan& scan) const {
    if (!options_.revalidate_files) return true;
    return std::all_of(scan.file_stats.begin(), scan.file_stats.end(), [this](const auto& f) {
      const auto now = fs_.stat(f.first);
      return now && *now == f.second;
    });
  }

  dir_scan scan_now(const std::string& dir) {
    const std::vector<dir_entry> entries = fs_.list(dir);
    dir_scan scan = scan_entries(
        dir, entries, options_,
        [this](const std::string& path, const file_stat& st) { return load_index(path, st); },
        [this](const std::string& path) { return fs_.stat(path); });
    return scan;
  }

  std::shared_ptr<const weight_index> load_index(const std::string& path, const file_stat& st) {
    if (cache_ != nullptr) {
      const std::lock_guard lock(cache_->mutex_);
      const auto it = cache_->indexes_.find(path);
      if (it != cache_->indexes_.end() && it->second.stat == st) return it->second.index;
    }
    auto idx = std::make_shared<const weight_index>(
        parse_weight_index(fs_.read_file(path, options_.max_index_bytes), path));
    if (cache_ != nullptr) {
      const std::lock_guard lock(cache_->mutex_);
      cache_->indexes_[path] = {st, idx};
    }
    return idx;
  }

  const Fs& fs_;
  const discovery_options& options_;
  discovery_cache* cache_;
  std::unordered_set<std::pair<std::uint64_t, std::uint64_t>, pair_hash> visited_;
};

}  // namespace detail

/// @brief Finds the model file sets at `path`: a directory (every set in it, and in its
/// subdirectories when `options.recursive`), or a file (the whole set it belongs to: any shard
/// selects its set, and an index file selects its set).
///
/// @tparam Fs a `filesystem_policy`: `posix_filesystem` (default), or `listing_filesystem` for
/// names and sizes of remote files.
/// @throws shardfit::error: not_found when `path` does not exist; io_error when the directory
/// cannot be read; invalid_argument when a file is not a model file; unsafe_path when an index
/// names a file outside the model directory; invalid_format when an index is malformed.
///
/// Example:
/// @code
///   shardfit::discovery_result found = shardfit::discover("models/llama-70b");
///   for (const auto& set : found.sets)
///     std::cout << set.name << ": " << shardfit::to_string(set.total_bytes)
///               << (set.complete() ? "" : " (incomplete)") << '\n';
/// @endcode
template <filesystem_policy Fs = posix_filesystem>
[[nodiscard]] discovery_result discover(const std::string& path,
                                        const discovery_options& options = {}, const Fs& fs = Fs{},
                                        discovery_cache* cache = nullptr) {
  return detail::discoverer<Fs>(fs, options, cache).run(path);
}

#ifdef SHARDFIT_COMPILED_LIB
// Instantiated once, in shardfit::compiled (src/files.cpp), for the default filesystem.
extern template discovery_result discover<posix_filesystem>(const std::string&,
                                                            const discovery_options&,
                                                            const posix_filesystem&,
                                                            discovery_cache*);
#endif

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/files/discover-inl.hpp>
#endif
