#pragma once

/// @file
/// @brief Layer-aligned resharding: cut a safetensors checkpoint (one file or a set) or a GGUF
/// model (one file or a split set) into shards under a size limit, keeping every tensor of a
/// layer in one shard whenever the layer fits, with the standard names (`<stem>-00001-of-00003`)
/// and, for safetensors, the index file.
///
/// Writing streams every tensor through one bounded buffer (8 MiB by default, never more than
/// 64 MiB, whatever the model's size), checksums it on the way, and builds the set under
/// temporary names (`.partial` files in a hidden directory of the target); only when every shard
/// is written, synced and verified — each header re-read, each tensor's offsets, size and
/// checksum compared with the source's — are the files renamed into place, the index last. A
/// crash or kill leaves no set that looks complete; the source is only ever read.
///
/// Example:
/// @code
///   shardfit::reshard_options o;
///   o.max_shard_size = shardfit::parse_bytes("4GB");
///   auto plan = shardfit::plan_reshard("model.safetensors", "out/", o);  // names, tensors, bytes
///   auto done = shardfit::write_reshard(plan, o);                        // written and verified
/// @endcode

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/files/discover.hpp>
#include <shardfit/files/index_file.hpp>
#include <shardfit/files/shard_name.hpp>
#include <shardfit/formats/gguf.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/gguf_writer.hpp>
#include <shardfit/formats/safetensors.hpp>
#include <shardfit/io/byte_source.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/model/load.hpp>  // the tensor naming rules (place_hf_tensor, place_gguf_tensor)
#include <shardfit/reshard/detail/stream_hash.hpp>
#include <shardfit/reshard/detail/work_area.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shardfit {

/// @brief The file format of a checkpoint: `model_format` (safetensors or GGUF; PyTorch
/// pickles are not resharded). Kept as a name for one release.
using reshard_format = model_format;

/// @brief Where a reshard is: which phase, which shard, how many bytes of how many.
struct reshard_progress {
  std::string_view phase;   ///< "write" or "verify"
  std::uint32_t shard = 0;  ///< 0-based
  std::uint32_t shards = 0;
  bytes done;
  bytes total;
};

/// @brief How to reshard.
struct reshard_options {
  bytes max_shard_size;  ///< the limit per output file, headers included
  std::string stem;      ///< output name stem; empty: the source set's name
  /// Replace an existing set of the same name in the output directory: its files are
  /// overwritten or, when the new set has other names, removed once the new set is in place.
  bool force = false;
  /// Reshard into the source's own directory, replacing the source set: the old set stays
  /// until the new one is written and verified, then the new files are renamed into place
  /// (the index last) and the old shards removed. Needed when the output is the source's
  /// directory.
  bool in_place = false;
  bool sync = true;  ///< fsync every shard before it is renamed into place
  std::size_t buffer_size = std::size_t{8} << 20U;  ///< copy buffer; at most 64 MiB
  /// Called as bytes are written and verified; may throw to abort (nothing is then left behind).
  std::function<void(const reshard_progress&)> progress;
  /// Polled between chunks: true stops the run with `errc::interrupted`, removing the working
  /// directory (see `interrupt_guard` for SIGINT and SIGTERM).
  std::function<bool()> cancelled;
  /// Bytes free on the filesystem of a directory; default: statvfs. Nothing: unknown (no check).
  std::function<std::optional<bytes>(const std::string&)> free_space;
};

/// @brief One tensor of the plan and where its bytes come from.
struct reshard_tensor {
  std::string name;
  std::uint32_t source_file = 0;       ///< index into `reshard_plan::source_files`
  std::uint64_t source_offset = 0;     ///< absolute offset of its data in that file
  std::uint64_t size = 0;              ///< bytes of data
  std::optional<std::uint32_t> layer;  ///< the repeating layer it belongs to
  std::string dtype;                   ///< safetensors dtype ("BF16") or ggml type ("q4_K")
  std::uint32_t ggml_type = 0;         ///< GGUF: the ggml type id
  std::vector<std::uint64_t> shape;    ///< as the source stores it
  std::uint64_t offset = 0;            ///< planned offset in its output shard's data section
};

/// @brief One output shard.
struct reshard_shard {
  std::string file;                    ///< file name in the output directory
  std::vector<std::uint32_t> tensors;  ///< indices into `reshard_plan::tensors`, in order
  bytes header;                        ///< header bytes (length prefix and padding included)
  bytes size;                          ///< the whole file
  bool oversized = false;              ///< a single tensor larger than the limit
};

/// @brief A reshard plan: deterministic for the same source and options.
struct reshard_plan {
  reshard_format format = reshard_format::safetensors;
  std::vector<std::string> source_files;
  std::string out_dir;
  std::string stem;
  bytes max_shard_size;
  std::vector<reshard_tensor> tensors;
  std::vector<reshard_shard> shards;
  std::string index_file;  ///< safetensors: `<stem>.safetensors.index.json`
  std::vector<std::pair<std::string, std::string>> metadata;  ///< safetensors `__metadata__`
  std::uint32_t alignment = 32;                               ///< GGUF data alignment
  bytes tensor_bytes;                                         ///< sum of the tensors' bytes
  std::vector<std::string> warnings;
  std::string source_dir;    ///< the directory holding the source set
  std::string source_index;  ///< the source set's index file, when it has one
  /// Files beside a safetensors source that make a directory loadable as a model (config,
  /// generation config, tokenizer, chat template, processor config): copied beside the shards.
  std::vector<std::string> companion_files;
  bytes companion_bytes;  ///< their sizes

  /// @brief Bytes the run writes: shards, index (an upper bound) and companion files.
  [[nodiscard]] bytes bytes_to_write() const;
};

/// @brief What `write_reshard` did.
struct reshard_result {
  std::vector<std::string> files;  ///< paths written (shards, companion files, then the index)
  bytes written;                   ///< bytes of all files written
  std::size_t verified_tensors = 0;
  std::vector<std::string> removed;  ///< files of the replaced set removed after the new one
  /// Working directories of runs that were killed, removed before this run (what and why).
  std::vector<std::string> cleaned;
};

/// @brief Working directories (`.shardfit-reshard-*`) in `out_dir` left by runs whose process
/// is gone, and ones a running reshard holds: "path (size, process N[, still running])".
[[nodiscard]] SHARDFIT_INLINE std::vector<std::string> leftover_work_dirs(
    const std::string& out_dir);

/// @brief Bytes free on the filesystem that holds (or will hold) `dir`; nothing when unknown.
[[nodiscard]] SHARDFIT_INLINE std::optional<bytes> free_space(const std::string& dir);

namespace detail {

// Files a model directory needs beside its weights: configs, tokenizer, chat template.
SHARDFIT_INLINE bool is_model_companion(std::string_view name);

SHARDFIT_INLINE void append_json_string(std::string& out, std::string_view s);

// One tensor's entry of a safetensors header: "name":{"dtype":..,"shape":[..],"data_offsets":[..]}
SHARDFIT_INLINE void append_st_entry(std::string& out, const reshard_tensor& t,
                                     std::uint64_t begin);

// The header of a safetensors shard: length prefix, JSON, space padding to 8 bytes.
SHARDFIT_INLINE std::string safetensors_shard_header(const reshard_plan& plan,
                                                     const reshard_shard& s);

// The header builder of a GGUF shard (metadata in the first shard only, split keys in all).
SHARDFIT_INLINE gguf_builder gguf_shard_builder(const reshard_plan& plan, const gguf_file* meta,
                                                std::uint32_t index);

SHARDFIT_INLINE std::string digits_max(bytes limit);

// Fills the shards' names, offsets, headers and sizes once tensors are assigned.
SHARDFIT_INLINE void finish_plan(reshard_plan& plan, const gguf_file* meta);

// Greedy layer-aligned packing under the limit; `entry` is a tensor's header cost (an upper
// bound), `fixed` a shard's header cost without tensors, `align` the data alignment.
template <class Entry>
void pack(reshard_plan& plan, std::uint64_t fixed, std::uint64_t align, Entry entry) {
  const std::uint64_t limit = plan.max_shard_size.count();
  if (fixed + align >= limit) {
    throw error::invalid_argument("the shard limit " + to_string_decimal(plan.max_shard_size) +
                                  " cannot hold even a shard's header (" +
                                  std::to_string(fixed + align) + " bytes)");
  }
  auto padded = [align](std::uint64_t v) { return (v + align - 1) / align * align; };
  auto cost = [&](const reshard_tensor& t) { return entry(t) + padded(t.size); };
  std::uint64_t used = 0;  // of the current shard (0: no shard open)
  auto open = [&] {
    plan.shards.emplace_back();
    used = fixed + align;  // header padding, counted once
  };
  auto close_if_open = [&] {
    if (!plan.shards.empty() && !plan.shards.back().tensors.empty()) used = 0;
  };
  std::size_t i = 0;
  const auto n = plan.tensors.size();
  while (i < n) {
    // The run of tensors of one layer (a non-layer tensor is a run of its own).
    std::size_t j = i + 1;
    if (plan.tensors[i].layer) {
      while (j < n && plan.tensors[j].layer == plan.tensors[i].layer) ++j;
    }
    std::uint64_t run = 0;
    for (std::size_t k = i; k < j; ++k) run += cost(plan.tensors[k]);
    if (used == 0) open();
    if (used + run > limit && !plan.shards.back().tensors.empty() && fixed + align + run <= limit) {
      close_if_open();
      open();
    }
    if (used + run <= limit) {
      for (std::size_t k = i; k < j; ++k)
        plan.shards.back().tensors.push_back(static_cast<std::uint32_t>(k));
      used += run;
      i = j;
      continue;
    }
    // A layer larger than a shard: split it between tensors only.
    for (std::size_t k = i; k < j; ++k) {
      const std::uint64_t c = cost(plan.tensors[k]);
      if (used == 0) open();
      if (used + c > limit && !plan.shards.back().tensors.empty()) {
        close_if_open();
        open();
      }
      plan.shards.back().tensors.push_back(static_cast<std::uint32_t>(k));
      used += c;
      if (used > limit) {  // one tensor larger than the limit: a shard of its own
        plan.shards.back().oversized = true;
        plan.warnings.push_back(
            "tensor '" + plan.tensors[k].name + "' (" +
            to_string_decimal(bytes{plan.tensors[k].size}) + ") is larger than the shard limit " +
            to_string_decimal(plan.max_shard_size) + ": it gets a shard of its own");
        close_if_open();
      }
    }
    i = j;
  }
  if (!plan.shards.empty() && plan.shards.back().tensors.empty()) plan.shards.pop_back();
}

// A file being written: created exclusively, closed (and removed unless kept) on scope exit.
class output_file {
 public:
  explicit output_file(std::string path);
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file();
  void write(std::span<const std::byte> data);
  void zeros(std::uint64_t n);
  void finish(bool sync);
  void keep() noexcept { keep_ = true; }
  [[nodiscard]] std::uint64_t written() const noexcept { return written_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool keep_ = false;
  std::uint64_t written_ = 0;
};

SHARDFIT_INLINE void make_dirs(const std::string& dir);

SHARDFIT_INLINE bool exists(const std::string& path);

SHARDFIT_INLINE bool same_file(const std::string& a, const std::string& b);

// Reads [at, at + size) of `src` through `buffer`, handing each chunk to `fn`; returns the
// bytes read, fewer than `size` when the file ends first.
template <class Fn>
std::uint64_t for_each_chunk(const byte_source& src, std::uint64_t at, std::uint64_t size,
                             std::vector<std::byte>& buffer, Fn&& fn) {
  std::uint64_t done = 0;
  while (done < size) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size - done, buffer.size()));
    const auto got = src.read(at + done, std::span<std::byte>(buffer.data(), n));
    if (got != 0) fn(std::span<const std::byte>(buffer.data(), got));
    done += got;
    if (got != n) break;
  }
  return done;
}

}  // namespace detail

/// @brief Plans a reshard of the model at `source` (a safetensors or GGUF file, any shard of a
/// set, or a directory holding one set) into `out_dir`. Reads headers only.
/// @throws shardfit::error for an unreadable or incomplete source, a zero limit, or a limit
/// too small to hold even a header.
/// @tparam Fs a `byte_readable_filesystem` the source is read through (default: POSIX).
template <byte_readable_filesystem Fs = posix_filesystem>
[[nodiscard]] reshard_plan plan_reshard(const std::string& source, const std::string& out_dir,
                                        const reshard_options& options, const Fs& fs = Fs{}) {
  if (options.max_shard_size == bytes{}) {
    throw error::invalid_argument("the maximum shard size must be more than 0 bytes");
  }
  const discovery_result found = discover(source, {}, fs);
  const shard_set* set = nullptr;
  for (const auto& s : found.sets) {
    if (s.format != model_format::safetensors && s.format != model_format::gguf) continue;
    if (set != nullptr) {
      throw error::invalid_argument(source + ": holds several model sets; name one file");
    }
    set = &s;
  }
  if (set == nullptr) throw error(errc::not_found, source, "no safetensors or GGUF model found");
  if (set->index_only) throw error(errc::incomplete, source, status_message(*set));
  if (!set->missing.empty()) {
    throw error(errc::incomplete, source,
                "the set '" + set->name + "' misses " + std::to_string(set->missing.size()) +
                    " shard(s); reshard a complete set");
  }
  reshard_plan plan;
  plan.out_dir = out_dir;
  plan.max_shard_size = options.max_shard_size;
  plan.stem = options.stem.empty() ? set->name : options.stem;
  if (plan.stem.empty() || plan.stem.find('/') != std::string::npos) {
    throw error::invalid_argument("the output stem '" + plan.stem + "' must be a plain file name");
  }
  for (const auto& f : set->files) plan.source_files.push_back(f.path);
  plan.source_dir = set->directory;
  plan.source_index = set->index_path;
  if (set->format == model_format::safetensors) {
    for (const auto& e : fs.list(set->directory)) {
      if (e.stat.kind != file_kind::regular || !detail::is_model_companion(e.name)) continue;
      plan.companion_files.push_back(join_path(set->directory, e.name));
      plan.companion_bytes += e.stat.size;
    }
    std::sort(plan.companion_files.begin(), plan.companion_files.end());
  }

  if (set->format == model_format::safetensors) {
    plan.format = reshard_format::safetensors;
    std::vector<safetensors_header> headers;
    for (const auto& f : set->files) headers.push_back(safetensors_header::read(fs.open(f.path)));
    std::uint32_t n_layer = 0;  // for layer numbers: any "layers.N." counts
    for (const auto& h : headers) {
      for (const auto& t : h.tensors()) {
        const auto p = place_hf_tensor(t.name, 0xFFFFFFFFU);
        if (p.kind == tensor_place::layer) n_layer = std::max(n_layer, p.layer_index + 1);
      }
    }
    for (std::uint32_t fi = 0; fi < headers.size(); ++fi) {
      const auto& h = headers[fi];
      if (fi == 0) {
        for (const auto& kv : h.metadata()) plan.metadata.push_back(kv);
      }
      std::vector<const safetensors_tensor*> order;
      for (const auto& t : h.tensors()) order.push_back(&t);
      std::stable_sort(order.begin(), order.end(),
                       [](const auto* a, const auto* b) { return a->begin < b->begin; });
      for (const auto* t : order) {
        reshard_tensor r;
        r.name = t->name;
        r.source_file = fi;
        r.source_offset = h.data_offset() + t->begin;
        r.size = t->size().count();
        r.dtype = std::string(t->dtype.name);
        r.shape = t->shape;
        const auto p = place_hf_tensor(t->name, n_layer);
        if (p.kind == tensor_place::layer) r.layer = p.layer_index;
        plan.tensors.push_back(std::move(r));
      }
    }
    // Header costs (upper bounds: offsets written with the limit's digits).
    std::string meta = "{";
    if (!plan.metadata.empty()) {
      meta += "\"__metadata__\":{";
      for (std::size_t i = 0; i < plan.metadata.size(); ++i) {
        if (i != 0) meta += ',';
        detail::append_json_string(meta, plan.metadata[i].first);
        meta += ':';
        detail::append_json_string(meta, plan.metadata[i].second);
      }
      meta += "},";
    }
    const std::uint64_t fixed = 8 + meta.size() + 1;
    const std::uint64_t digits = detail::digits_max(plan.max_shard_size).size();
    detail::pack(plan, fixed, 8, [digits](const reshard_tensor& t) {
      std::string e;
      reshard_tensor probe = t;
      probe.size = 0;
      detail::append_st_entry(e, probe, 0);
      return e.size() + 1 + 2 * (digits - 1);  // the two offsets at full width, and a comma
    });
    detail::finish_plan(plan, nullptr);
  } else {
    plan.format = reshard_format::gguf;
    const gguf_set g = gguf_set::from_set(*set, fs);
    const gguf_file& meta = g.metadata();
    plan.alignment = static_cast<std::uint32_t>(meta.alignment());
    for (const auto& st : g.tensors()) {
      reshard_tensor r;
      r.name = std::string(st.tensor.name);
      r.source_file = st.shard;
      r.source_offset = st.file_offset;
      r.size = st.tensor.size.count();
      r.dtype = std::string(st.tensor.type.name);
      r.ggml_type = st.tensor.type.id;
      r.shape.assign(st.tensor.dims().begin(), st.tensor.dims().end());
      const auto p = place_gguf_tensor(st.tensor.name);
      if (p.kind == tensor_place::layer) r.layer = p.layer_index;
      plan.tensors.push_back(std::move(r));
    }
    // The first shard carries the metadata: count it in every shard's fixed cost (an upper bound).
    gguf_builder probe(plan.alignment);
    for (const auto& kv : meta.metadata()) {
      if (kv.key.substr(0, 6) == "split." || kv.key == "general.alignment") continue;
      probe.add_value(kv.key, kv.value);
    }
    probe.add_u16("split.no", 0);
    probe.add_u16("split.count", 0);
    probe.add_i32("split.tensors.count", 0);
    const std::uint64_t fixed = probe.header().size();
    detail::pack(plan, fixed, plan.alignment, [](const reshard_tensor& t) {
      return 8 + t.name.size() + 4 + 8 * t.shape.size() + 4 + 8;
    });
    detail::finish_plan(plan, &meta);
  }
  for (const auto& t : plan.tensors) plan.tensor_bytes += bytes{t.size};
  for (const auto& s : plan.shards) {
    if (!s.oversized && s.size > plan.max_shard_size) {
      throw error::invalid_argument("the shard limit " + to_string_decimal(plan.max_shard_size) +
                                    " cannot hold a header and a tensor of " + source);
    }
  }
  return plan;
}

namespace detail {

// The index file of a planned safetensors set.
SHARDFIT_INLINE std::string index_json(const reshard_plan& plan);

SHARDFIT_INLINE std::string base_name(const std::string& path);

// The files of a set named `stem` (its shards, single file and index) in `dir`.
SHARDFIT_INLINE std::vector<std::string> files_of_set(const std::string& dir,
                                                      const std::string& stem,
                                                      reshard_format format);

// Copies `from` to `to` through `buffer`, polling `tick` per chunk.
template <class Tick>
std::uint64_t copy_file(const std::string& from, const std::string& to,
                        std::vector<std::byte>& buffer, bool sync, Tick&& tick) {
  const byte_source src = byte_source::from_file(from);
  output_file out(to);
  const auto got = for_each_chunk(src, 0, src.size(), buffer, [&](std::span<const std::byte> c) {
    out.write(c);
    tick();
  });
  if (got != src.size()) throw error::io(from, "changed while it was copied");
  out.finish(sync);
  out.keep();
  return got;
}

}  // namespace detail

/// @brief Writes the planned shards (and index, and the companion files that make the output a
/// loadable model directory), verifies them, then renames them into place.
///
/// Before writing, working directories that killed runs left in the output directory are
/// removed (reported in `reshard_result::cleaned`); one a running reshard holds stops this run;
/// the output filesystem must have room for everything the run writes. A set of the same name
/// already there is replaced only with `force` (or `in_place`, in the source's directory), and
/// its files that the new set does not overwrite are removed once the new set is in place.
/// @throws shardfit::error when an output file exists (without `force`), the output is the
/// source's directory (without `in_place`), the disk is too small, the run is cancelled
/// (`errc::interrupted`), or any read, write or verification fails; nothing is left behind
/// then, and the source is untouched.
/// @tparam Fs a `byte_readable_filesystem` the source is read through (default: POSIX); the
/// shards are written to the local filesystem.
template <byte_readable_filesystem Fs = posix_filesystem>
reshard_result write_reshard(const reshard_plan& plan, const reshard_options& options,
                             const Fs& fs = Fs{}) {
  const std::size_t buffer_size =
      std::clamp<std::size_t>(options.buffer_size, std::size_t{64} << 10U, std::size_t{64} << 20U);
  reshard_result result;
  detail::make_dirs(plan.out_dir);

  // Leftovers of killed runs go; a live run in the same directory stops this one.
  for (const auto& w : detail::find_work_dirs(plan.out_dir)) {
    if (w.alive) {
      throw error(errc::already_exists, plan.out_dir,
                  "another reshard (process " + std::to_string(*w.pid) + ") is writing here (" +
                      w.path + "); wait for it or stop it");
    }
    detail::remove_work_dir(w.path);
    result.cleaned.push_back("removed " + w.path + " (" + to_string_decimal(w.size) +
                             " of partial files left by a run that was stopped" +
                             (w.pid ? ", process " + std::to_string(*w.pid) : std::string()) + ")");
  }

  const bool into_source_dir =
      !plan.source_dir.empty() && detail::same_file(plan.out_dir, plan.source_dir);
  if (into_source_dir && !options.in_place) {
    throw error::invalid_argument(
        plan.out_dir +
        ": is the source's directory; reshard in place (the old set is replaced once the new "
        "one verifies) or choose another output directory");
  }
  if (options.in_place && !into_source_dir) {
    throw error::invalid_argument(plan.out_dir +
                                  ": an in-place reshard writes into the source's directory " +
                                  plan.source_dir);
  }

  std::vector<std::string> finals;
  for (const auto& s : plan.shards) finals.push_back(join_path(plan.out_dir, s.file));
  std::vector<std::string> companions;  // copied: not already in the output directory
  if (!into_source_dir) {
    for (const auto& c : plan.companion_files) {
      const std::string target = join_path(plan.out_dir, detail::base_name(c));
      if (detail::exists(target) && !options.force) {
        throw error(errc::already_exists, target, "already exists").with_option("force");
      }
      companions.push_back(c);
      finals.push_back(target);
    }
  }
  if (!plan.index_file.empty()) finals.push_back(join_path(plan.out_dir, plan.index_file));

  // The set being replaced: the source set in place, a set of the same name with force.
  std::vector<std::string> replaced = detail::files_of_set(plan.out_dir, plan.stem, plan.format);
  if (options.in_place) {
    replaced.insert(replaced.end(), plan.source_files.begin(), plan.source_files.end());
    if (!plan.source_index.empty()) replaced.push_back(plan.source_index);
  }
  for (const auto& f : finals) {
    for (const auto& src : plan.source_files) {
      if (!options.in_place && detail::same_file(f, src)) {
        throw error::invalid_argument(f + ": is a file of the source").with_option("out_dir");
      }
    }
    if (!options.force && !options.in_place && detail::exists(f)) {
      throw error(errc::already_exists, f, "already exists").with_option("force");
    }
  }
  if (!options.force && !options.in_place && !replaced.empty()) {
    throw error(errc::already_exists, replaced.front(),
                "a set named '" + plan.stem + "' is already there")
        .with_option("force");
  }

  // Room for everything written: the replaced set is removed only after the new one verifies.
  const std::string index = plan.index_file.empty() ? std::string() : detail::index_json(plan);
  bytes need = plan.index_file.empty() ? bytes{} : bytes{index.size()};
  for (const auto& s : plan.shards) need += s.size;
  if (!into_source_dir) need += plan.companion_bytes;
  const auto free =
      options.free_space ? options.free_space(plan.out_dir) : detail::filesystem_free(plan.out_dir);
  if (free && *free < need) {
    throw error(errc::limit_exceeded, plan.out_dir,
                "the new set needs " + to_string_decimal(need) + " but its filesystem has " +
                    to_string_decimal(*free) + " free" +
                    (replaced.empty() ? std::string()
                                      : " (the set it replaces is removed only after the new "
                                        "one verifies)"));
  }

  std::vector<byte_source> sources;
  for (const auto& p : plan.source_files) sources.push_back(fs.open(p));
  std::optional<gguf_set> gsrc;
  if (plan.format == reshard_format::gguf)
    gsrc.emplace(gguf_set::open(plan.source_files.front(), fs));

  detail::work_dir work(plan.out_dir);
  const auto check_cancel = [&] {
    if (options.cancelled && options.cancelled()) {
      throw error(errc::interrupted, plan.out_dir,
                  "interrupted; removed the working directory " + work.path() +
                      " and everything written so far (the source and the files that were "
                      "there are untouched)");
    }
  };
  check_cancel();
  std::vector<std::byte> buffer(buffer_size);
  std::vector<std::uint64_t> checksums(plan.tensors.size(), 0);
  const bytes total = plan.tensor_bytes;
  bytes done{};
  std::vector<std::string> temps;

  // Write.
  for (std::uint32_t si = 0; si < plan.shards.size(); ++si) {
    const auto& s = plan.shards[si];
    detail::output_file out(work.file(s.file));
    if (plan.format == reshard_format::safetensors) {
      const std::string header = detail::safetensors_shard_header(plan, s);
      out.write(std::as_bytes(std::span<const char>(header.data(), header.size())));
    } else {
      const auto header = detail::gguf_shard_builder(plan, &gsrc->metadata(), si).header();
      out.write(header);
    }
    const std::uint64_t data_start = out.written();
    for (const auto ti : s.tensors) {
      const auto& t = plan.tensors[ti];
      out.zeros(data_start + t.offset - out.written());  // GGUF alignment padding
      detail::stream_hash h;
      const auto got = detail::for_each_chunk(
          sources[t.source_file], t.source_offset, t.size, buffer,
          [&](std::span<const std::byte> chunk) {
            h.update(chunk);
            out.write(chunk);
            done += bytes{chunk.size()};
            if (options.progress)
              options.progress(
                  {"write", si, static_cast<std::uint32_t>(plan.shards.size()), done, total});
            check_cancel();
          });
      if (got != t.size) {
        throw error::io(plan.source_files[t.source_file],
                        "ended inside tensor '" + t.name + "' (at byte " +
                            std::to_string(t.source_offset + got) + ")");
      }
      checksums[ti] = h.digest();
    }
    if (out.written() != s.size.count()) {
      throw error::io(out.path(), "wrote " + std::to_string(out.written()) + " bytes, planned " +
                                      std::to_string(s.size.count()));
    }
    out.finish(options.sync);
    out.keep();
    temps.push_back(out.path());
    result.written += bytes{out.written()};
  }
  for (const auto& c : companions) {
    const std::string temp = work.file(detail::base_name(c));
    result.written += bytes{detail::copy_file(c, temp, buffer, options.sync, check_cancel)};
    temps.push_back(temp);
  }
  std::string index_temp;
  if (!plan.index_file.empty()) {
    detail::output_file out(work.file(plan.index_file));
    out.write(std::as_bytes(std::span<const char>(index.data(), index.size())));
    out.finish(options.sync);
    out.keep();
    index_temp = out.path();
    result.written += bytes{out.written()};
  }

  // Verify: every header re-read, every tensor where the plan put it, with the source's bytes.
  done = bytes{};
  for (std::uint32_t si = 0; si < plan.shards.size(); ++si) {
    const auto& s = plan.shards[si];
    const byte_source file = byte_source::from_file(temps[si]);
    if (file.size() != s.size.count()) {
      throw error::format(temps[si], "has " + std::to_string(file.size()) + " bytes, planned " +
                                         std::to_string(s.size.count()));
    }
    std::uint64_t data_start = 0;
    // name -> (absolute offset, size), as the shard's own header says
    std::unordered_map<std::string, std::pair<std::uint64_t, std::uint64_t>> found;
    if (plan.format == reshard_format::safetensors) {
      const auto h = safetensors_header::read(file);
      data_start = h.data_offset();
      for (const auto& t : h.tensors()) {
        found.emplace(t.name, std::pair{data_start + t.begin, t.size().count()});
      }
    } else {
      const auto g = gguf_file::read(file);
      data_start = g.data_offset();
      if (g.get_u64("split.no") != si || g.get_u64("split.count") != plan.shards.size()) {
        throw error::format(temps[si], "split.no / split.count do not match the plan");
      }
      for (const auto& t : g.tensors()) {
        found.emplace(std::string(t.name), std::pair{data_start + t.offset, t.size.count()});
      }
    }
    if (found.size() != s.tensors.size()) {
      throw error::format(temps[si], "holds " + std::to_string(found.size()) +
                                         " tensors, planned " + std::to_string(s.tensors.size()));
    }
    for (std::size_t k = 0; k < s.tensors.size(); ++k) {
      const auto& t = plan.tensors[s.tensors[k]];
      const auto it = found.find(t.name);
      if (it == found.end()) throw error::format(temps[si], "lacks tensor '" + t.name + "'");
      if (it->second.first != data_start + t.offset || it->second.second != t.size) {
        throw error::format(temps[si], "tensor '" + t.name + "' is not where the plan put it");
      }
      detail::stream_hash h;
      const auto got = detail::for_each_chunk(
          file, it->second.first, t.size, buffer, [&](std::span<const std::byte> chunk) {
            h.update(chunk);
            done += bytes{chunk.size()};
            if (options.progress)
              options.progress(
                  {"verify", si, static_cast<std::uint32_t>(plan.shards.size()), done, total});
            check_cancel();
          });
      if (got != t.size) {
        throw error::format(temps[si], "ends inside tensor '" + t.name + "'");
      }
      if (h.digest() != checksums[s.tensors[k]]) {
        throw error::format(temps[si], "tensor '" + t.name + "' differs from the source's bytes");
      }
      ++result.verified_tensors;
    }
  }
  if (!index_temp.empty()) {
    const auto idx = parse_weight_index(
        posix_filesystem{}.read_file(index_temp, std::size_t{256} << 20U), index_temp);
    if (idx.tensors.size() != plan.tensors.size() || idx.total_size != plan.tensor_bytes) {
      throw error::format(index_temp, "does not list the planned tensors and total size");
    }
  }
  check_cancel();

  // Into place: shards and companions first, the index last (a set without its index is
  // visibly incomplete; in place, the new index replaces the old one in one rename).
  std::vector<std::string> sources_to_move = temps;
  if (!index_temp.empty()) sources_to_move.push_back(index_temp);
  for (std::size_t i = 0; i < sources_to_move.size(); ++i) {
    if (::rename(sources_to_move[i].c_str(), finals[i].c_str()) != 0) {
      throw error::io(finals[i], std::string("cannot rename into place: ") + std::strerror(errno));
    }
    result.files.push_back(finals[i]);
  }
  // Then the replaced set's files that the new set did not overwrite.
  std::sort(replaced.begin(), replaced.end());
  replaced.erase(std::unique(replaced.begin(), replaced.end()), replaced.end());
  for (const auto& f : replaced) {
    const bool kept = std::any_of(finals.begin(), finals.end(), [&](const std::string& n) {
      return n == f || detail::same_file(n, f);
    });
    if (kept) continue;
    if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
      throw error::io(
          f, std::string("cannot remove the replaced set's file: ") + std::strerror(errno));
    }
    result.removed.push_back(f);
  }
  return result;
}

#ifdef SHARDFIT_COMPILED_LIB
// Instantiated once, in shardfit::compiled (src/reshard.cpp), for the default filesystem.
extern template reshard_plan plan_reshard<posix_filesystem>(const std::string&, const std::string&,
                                                            const reshard_options&,
                                                            const posix_filesystem&);
extern template reshard_result write_reshard<posix_filesystem>(const reshard_plan&,
                                                               const reshard_options&,
                                                               const posix_filesystem&);
#endif

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/reshard/reshard-inl.hpp>
#endif
