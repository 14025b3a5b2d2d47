#pragma once

// model_profile from Hugging Face models: safetensors headers plus config.json (exact bytes), or
// config.json plus the index alone (bytes derived from the architecture and dtype, checked
// against metadata.total_size). Also load_model, which picks the way. Included by model.hpp.

#include <shardfit/core/compiled.hpp>
#include <shardfit/files/discover.hpp>
#include <shardfit/files/index_file.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/read_hf_config.hpp>
#include <shardfit/formats/safetensors.hpp>
#include <shardfit/formats/verify.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/model/detail/gguf_profile.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/model/tensor_names.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace shardfit::detail {

// Bytes per parameter of the unquantized tensors.
SHARDFIT_INLINE double dtype_bytes(std::string_view torch_dtype) noexcept;

// Layer attention shapes and the model-level fields shared by both Hugging Face paths.
SHARDFIT_INLINE model_profile hf_base_profile(const hf_config& c);

SHARDFIT_INLINE model_profile safetensors_profile(const std::vector<safetensors_header>& headers,
                                                  const hf_config& c);

// Bytes of a linear weight of `in` × `out` under the config's quantization; `expert` says
// whether it is a routed expert (MXFP4 checkpoints quantize only those).
SHARDFIT_INLINE double linear_bytes(const hf_config& c, double in, double out, bool expert);

// Derives every layer's bytes from the architecture; returns the parameter count.
SHARDFIT_INLINE double derive_config_bytes(const hf_config& c, model_profile& m, bool has_bias,
                                           bool has_qk_norm);

SHARDFIT_INLINE model_profile config_profile(const hf_config& c, const weight_index* index);

// The last component of a directory path ("models/Llama-3.1-8B/" → "Llama-3.1-8B"); nothing
// for "", "." or "/".
SHARDFIT_INLINE std::optional<std::string> directory_name(const std::string& dir);

SHARDFIT_INLINE std::string_view base_name(std::string_view path);

// A tensor of a set: its name, its file, its bytes (0 when only the index names it).
struct mapped_tensor {
  std::string_view name;
  std::uint32_t file = 0;
  std::uint64_t size = 0;
};

// What each weight file holds. Files whose size is unknown (not downloaded) are sized from
// their tensors: exact bytes when known, else an equal share of their layer's bytes.
SHARDFIT_INLINE std::vector<weight_file> hf_weight_files(
    const std::vector<std::string>& names, const std::vector<mapped_tensor>& tensors,
    const std::vector<std::optional<bytes>>& sizes, const model_profile& m);

// The profile of one discovered set (config.json is looked for in the set's directory).
template <class Fs>
model_profile set_profile(const shard_set& set, const load_options& options, const Fs& fs) {
  // Every present shard is checked the way `inspect` checks it, and a set that is not complete
  // is refused with the same words. A set with no weight file at all is planned from its
  // config and index (before download); one with some shards missing is a partial download.
  if (!set.missing.empty() && !set.files.empty()) {
    throw error(errc::incomplete, set.directory, status_message(set));
  }
  const auto refuse = [&](const shard_set& checked) {
    const set_status st = checked.status();
    throw error(st == set_status::truncated ? errc::truncated : errc::invalid_format, set.directory,
                status_message(checked));
  };
  if (set.format == model_format::gguf) {
    if constexpr (byte_readable_filesystem<Fs>) {
      shard_set checked = set;  // each header read once: the set reader checks as it reads
      auto g = open_checked_gguf(checked, fs);
      if (!g) refuse(checked);
      model_profile m = gguf_profile(*g);
      for (const auto& c : set.companions) m.companions.push_back(c.path);
      m.hub_repo = set.hub_repo;
      return m;
    } else {
      throw error(errc::unsupported, set.directory,
                  "reading GGUF metadata needs a filesystem that can open files");
    }
  }
  if constexpr (byte_readable_filesystem<Fs>) {
    if (!set.files.empty()) {  // also with config_only: plan refuses what inspect calls broken
      shard_set checked = set;
      verify_set(checked, fs);
      if (!checked.complete()) refuse(checked);
    }
  }
  const std::string config_path = join_path(set.directory, "config.json");
  const hf_config config = read_hf_config(config_path, fs);
  model_profile m;
  const bool can_read = byte_readable_filesystem<Fs> && set.format == model_format::safetensors &&
                        set.missing.empty() && !set.files.empty() && !options.config_only;
  if (can_read) {
    std::vector<safetensors_header> headers;
    headers.reserve(set.files.size());
    if constexpr (byte_readable_filesystem<Fs>) {
      for (const auto& f : set.files) headers.push_back(safetensors_header::read(fs.open(f.path)));
    }
    m = safetensors_profile(headers, config);
    if (headers.size() > 1) {
      std::vector<std::string> names;
      std::vector<mapped_tensor> tensors;
      std::vector<std::optional<bytes>> sizes;
      for (std::uint32_t i = 0; i < headers.size(); ++i) {
        names.push_back(set.files[i].path);
        sizes.emplace_back(set.files[i].size);
        for (const auto& t : headers[i].tensors()) tensors.push_back({t.name, i, t.size().count()});
      }
      m.weight_files = hf_weight_files(names, tensors, sizes, m);
    }
  } else {
    std::optional<weight_index> index;
    if (!set.index_path.empty()) {
      index =
          parse_weight_index(fs.read_file(set.index_path, std::size_t{64} << 20U), set.index_path);
    }
    m = config_profile(config, index ? &*index : nullptr);
    if (index && index->files.size() > 1) {
      std::vector<mapped_tensor> tensors;
      tensors.reserve(index->tensors.size());
      for (const auto& [name, file] : index->tensors) tensors.push_back({name, file, 0});
      std::vector<std::optional<bytes>> sizes;
      for (const auto& name : index->files) {
        std::optional<bytes> size;
        for (const auto& f : set.files) {
          if (base_name(f.path) == base_name(name)) size = f.size;
        }
        sizes.push_back(size);
      }
      m.weight_files = hf_weight_files(index->files, tensors, sizes, m);
    }
  }
  m.set = set.name;
  // Hugging Face names every repository's files "model"; the directory names the model.
  m.name = set.name;
  if (set.name == "model" || set.name == "pytorch_model" || set.name == "consolidated") {
    if (auto dir = directory_name(set.directory)) m.name = std::move(*dir);
  }
  if (!set.hub_repo.empty()) m.name = set.hub_repo;  // a hub cache: the snapshot dir is a hash
  m.hub_repo = set.hub_repo;
  for (const auto& f : set.files) m.files.push_back(f.path);
  if (!set.index_path.empty()) m.files.push_back(set.index_path);
  m.files.push_back(config_path);
  m.file_bytes = set.total_bytes;
  return m;
}

// Of several Hugging Face sets side by side, the one vLLM loads: safetensors over PyTorch
// `.bin`, and among safetensors the set its index names (a Mistral repository's
// `consolidated.safetensors` beside the indexed shards is skipped). Null when that does not
// decide (GGUF sets among them, or two sets of equal rank).
SHARDFIT_INLINE const shard_set* engine_choice(const std::vector<shard_set>& sets);

template <class Fs>
model_profile load_model_impl(const std::string& path, const load_options& options, const Fs& fs) {
  discovery_options dopts;
  dopts.revision = options.revision;
  const discovery_result found = discover(path, dopts, fs);
  const shard_set* set = nullptr;
  std::vector<std::string> others;
  if (options.set_name.empty() && found.sets.size() > 1) {
    set = engine_choice(found.sets);
    if (set == nullptr) {
      std::string names;
      for (const auto& t : found.sets) {
        names +=
            (names.empty() ? "" : ", ") + t.name + " (" + std::string(to_string(t.format)) + ")";
      }
      throw error::invalid_argument(path + ": holds several model sets: " + names +
                                    "; choose one by its name")
          .with_option("set_name");
    }
    for (const auto& t : found.sets) {
      if (&t != set) others.push_back(t.name + " (" + std::string(to_string(t.format)) + ")");
    }
  } else {
    for (const auto& s : found.sets) {
      if (!options.set_name.empty() && s.name != options.set_name) continue;
      set = &s;
      break;
    }
  }
  if (set != nullptr) {
    model_profile m = set_profile(*set, options, fs);
    if (!others.empty()) {
      std::string list;
      for (const auto& o : others) list += (list.empty() ? "" : ", ") + o;
      m.notes.push_back("the directory holds several sets; " + set->name + " (" +
                        std::string(to_string(set->format)) +
                        (set->index_path.empty() ? "" : ", indexed") +
                        ") is the one vLLM loads; not used: " + list + " (choose one by its name)");
    }
    return m;
  }
  if (!options.set_name.empty()) {
    throw error(errc::not_found, path, "no model set named '" + options.set_name + "'");
  }
  // No weights and no index: a config.json alone still describes the architecture.
  const auto path_stat = fs.stat(path);
  const std::string dir = path_stat && path_stat->kind == file_kind::directory ? path : ".";
  const std::string config_path = join_path(dir, "config.json");
  const auto cst = fs.stat(config_path);
  if (!cst || cst->kind != file_kind::regular) {
    throw error(errc::not_found, path, "no model files, index or config.json");
  }
  model_profile m = config_profile(read_hf_config(config_path, fs), nullptr);
  m.name = directory_name(dir).value_or(path);
  m.files.push_back(config_path);
  m.notes.push_back("no weight files or index: sizes derived from config.json alone");
  return m;
}

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/model/detail/hf_profile-inl.hpp>
#endif
