#pragma once

// The bodies of <shardfit/reshard/reshard.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/reshard/reshard.hpp>

namespace shardfit {

SHARDFIT_INLINE bytes reshard_plan::bytes_to_write() const {
  bytes b = companion_bytes;
  for (const auto& s : shards) b += s.size;
  if (!index_file.empty()) {
    // Each entry: the tensor name, the shard's file name and JSON punctuation.
    std::uint64_t idx = 128;
    for (const auto& t : tensors) idx += t.name.size() * 2 + 16;
    for (const auto& s : shards) idx += s.file.size() * s.tensors.size();
    b += bytes{idx};
  }
  return b;
}

SHARDFIT_INLINE std::vector<std::string> leftover_work_dirs(const std::string& out_dir) {
  std::vector<std::string> out;
  for (const auto& w : detail::find_work_dirs(out_dir)) {
    std::string s = w.path + " (" + to_string_decimal(w.size) + " of partial files";
    if (w.pid) s += ", process " + std::to_string(*w.pid);
    s += w.alive ? ", still running)" : ", left by a run that was stopped)";
    out.push_back(std::move(s));
  }
  return out;
}

SHARDFIT_INLINE std::optional<bytes> free_space(const std::string& dir) {
  return detail::filesystem_free(dir);
}

namespace detail {

SHARDFIT_INLINE bool is_model_companion(std::string_view name) {
  static constexpr std::string_view exact[] = {"config.json",
                                               "generation_config.json",
                                               "special_tokens_map.json",
                                               "added_tokens.json",
                                               "vocab.json",
                                               "vocab.txt",
                                               "merges.txt",
                                               "preprocessor_config.json",
                                               "processor_config.json",
                                               "chat_template.json",
                                               "params.json",
                                               "video_preprocessor_config.json",
                                               "tokenizer_config.json",
                                               "tokenizer.json",
                                               "tokenizer.model"};
  for (const auto e : exact) {
    if (name == e) return true;
  }
  const auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  return (name.substr(0, 9) == "tokenizer" && !ends(".safetensors")) || ends(".jinja") ||
         ends(".tiktoken");
}

SHARDFIT_INLINE void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4U];
      out += hex[c & 15U];
    } else {
      out += ch;
    }
  }
  out += '"';
}

SHARDFIT_INLINE void append_st_entry(std::string& out, const reshard_tensor& t,
                                     std::uint64_t begin) {
  append_json_string(out, t.name);
  out += ":{\"dtype\":";
  append_json_string(out, t.dtype);
  out += ",\"shape\":[";
  for (std::size_t i = 0; i < t.shape.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(t.shape[i]);
  }
  out +=
      "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(begin + t.size) + "]}";
}

SHARDFIT_INLINE std::string safetensors_shard_header(const reshard_plan& plan,
                                                     const reshard_shard& s) {
  std::string json = "{";
  if (!plan.metadata.empty()) {
    json += "\"__metadata__\":{";
    for (std::size_t i = 0; i < plan.metadata.size(); ++i) {
      if (i != 0) json += ',';
      append_json_string(json, plan.metadata[i].first);
      json += ':';
      append_json_string(json, plan.metadata[i].second);
    }
    json += '}';
  }
  for (const auto ti : s.tensors) {
    if (json.size() > 1) json += ',';
    append_st_entry(json, plan.tensors[ti], plan.tensors[ti].offset);
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(n & 0xFFU);
    n >>= 8U;
  }
  return out + json;
}

SHARDFIT_INLINE gguf_builder gguf_shard_builder(const reshard_plan& plan, const gguf_file* meta,
                                                std::uint32_t index) {
  gguf_builder b(plan.alignment);
  if (index == 0 && meta != nullptr) {
    for (const auto& kv : meta->metadata()) {
      if (kv.key.substr(0, 6) == "split." || kv.key == "general.alignment") continue;
      b.add_value(kv.key, kv.value);
    }
  }
  b.add_u16("split.no", static_cast<std::uint16_t>(index));
  b.add_u16("split.count", static_cast<std::uint16_t>(plan.shards.size()));
  b.add_i32("split.tensors.count", static_cast<std::int32_t>(plan.tensors.size()));
  for (const auto ti : plan.shards[index].tensors) {
    const auto& t = plan.tensors[ti];
    b.add_tensor(t.name, t.shape, t.ggml_type);
  }
  return b;
}

SHARDFIT_INLINE std::string digits_max(bytes limit) {
  return std::to_string(limit.count());
}

SHARDFIT_INLINE void finish_plan(reshard_plan& plan, const gguf_file* meta) {
  const auto n = static_cast<std::uint32_t>(plan.shards.size());
  const std::string ext = plan.format == reshard_format::gguf ? "gguf" : "safetensors";
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& s = plan.shards[i];
    s.file = n == 1 ? plan.stem + "." + ext : make_shard_name(plan.stem, i + 1, n, ext);
    if (plan.format == reshard_format::safetensors) {
      std::uint64_t at = 0;
      for (const auto ti : s.tensors) {
        plan.tensors[ti].offset = at;
        at += plan.tensors[ti].size;
      }
      s.header = bytes{safetensors_shard_header(plan, s).size()};
      s.size = s.header + bytes{at};
    } else {
      const gguf_builder b = gguf_shard_builder(plan, meta, i);
      std::uint64_t at = 0;
      for (const auto ti : s.tensors) {
        plan.tensors[ti].offset = at;
        at = (at + plan.tensors[ti].size + plan.alignment - 1) / plan.alignment * plan.alignment;
      }
      s.header = bytes{b.header().size()};
      s.size = s.header + bytes{at};
    }
  }
  if (plan.format == reshard_format::safetensors && n > 1) {
    plan.index_file = plan.stem + ".safetensors.index.json";
  }
}

SHARDFIT_INLINE output_file::output_file(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw error::io(path_, std::string("cannot create: ") + std::strerror(errno));
}

SHARDFIT_INLINE output_file::~output_file() {
  if (fd_ >= 0) ::close(fd_);
  if (!keep_) ::unlink(path_.c_str());
}

SHARDFIT_INLINE void output_file::write(std::span<const std::byte> data) {
  const std::byte* p = data.data();
  std::size_t left = data.size();
  while (left != 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw error::io(path_, std::string("write failed: ") + std::strerror(errno));
    p += n;
    left -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
  }
}

SHARDFIT_INLINE void output_file::zeros(std::uint64_t n) {
  static constexpr std::array<std::byte, 64> z{};
  while (n != 0) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, z.size()));
    write(std::span<const std::byte>(z.data(), k));
    n -= k;
  }
}

SHARDFIT_INLINE void output_file::finish(bool sync) {
  if (sync && ::fsync(fd_) != 0) {
    throw error::io(path_, std::string("fsync failed: ") + std::strerror(errno));
  }
  if (::close(fd_) != 0)
    throw error::io(path_, std::string("close failed: ") + std::strerror(errno));
  fd_ = -1;
}

SHARDFIT_INLINE void make_dirs(const std::string& dir) {
  if (dir.empty()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw error::io(dir, "exists and is not a directory");
    return;
  }
  const auto slash = dir.find_last_of('/', dir.size() > 1 ? dir.size() - 2 : 0);
  if (slash != std::string::npos && slash != 0) make_dirs(dir.substr(0, slash));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw error::io(dir, std::string("cannot create the directory: ") + std::strerror(errno));
  }
}

SHARDFIT_INLINE bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

SHARDFIT_INLINE bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

SHARDFIT_INLINE std::string index_json(const reshard_plan& plan) {
  std::string json =
      "{\n  \"metadata\": {\n    \"total_size\": " + std::to_string(plan.tensor_bytes.count()) +
      "\n  },\n  \"weight_map\": {";
  std::vector<std::pair<std::string_view, std::string_view>> map;
  for (const auto& s : plan.shards) {
    for (const auto ti : s.tensors) map.emplace_back(plan.tensors[ti].name, s.file);
  }
  std::sort(map.begin(), map.end());
  for (std::size_t i = 0; i < map.size(); ++i) {
    json += i == 0 ? "\n    " : ",\n    ";
    append_json_string(json, map[i].first);
    json += ": ";
    append_json_string(json, map[i].second);
  }
  json += "\n  }\n}\n";
  return json;
}

SHARDFIT_INLINE std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

SHARDFIT_INLINE std::vector<std::string> files_of_set(const std::string& dir,
                                                      const std::string& stem,
                                                      reshard_format format) {
  std::vector<std::string> out;
  const std::string ext = format == reshard_format::gguf ? ".gguf" : ".safetensors";
  for (const auto& e : posix_filesystem{}.list(dir.empty() ? "." : dir)) {
    const std::string& name = e.name;
    bool ours = name == stem + ext || name == stem + ext + ".index.json";
    if (!ours && name.size() > ext.size() &&
        name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      const auto shard = parse_shard_name(name);
      ours = shard && shard->stem == stem;
    }
    if (ours) out.push_back(join_path(dir, name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace detail

}  // namespace shardfit
