#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for shardfit's public types (`to_json` / `from_json`
/// found by ADL). Include this header only where JSON is wanted; the core never includes it.
///
/// Byte counts serialise as exact integers. On input they accept an integer or a string with a
/// unit (`"16GiB"`, `"500GB"`, `17179869184`).

#include <shardfit/error.hpp>
#include <shardfit/shard_set.hpp>
#include <shardfit/units.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace shardfit {

/// @brief Writes the exact byte count as an unsigned integer.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const bytes& b) {
  j = b.count();
}

/// @brief Reads an unsigned integer or a size string ("16GiB").
/// @throws shardfit::error (errc::invalid_argument) for negative, fractional or other values.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, bytes& b) {
  if (j.is_number_unsigned()) {
    b = bytes{j.template get<std::uint64_t>()};
  } else if (j.is_number_integer()) {
    const auto v = j.template get<std::int64_t>();
    if (v < 0) throw error::invalid_argument("a size cannot be negative: " + std::to_string(v));
    b = bytes{static_cast<std::uint64_t>(v)};
  } else if (j.is_string()) {
    b = parse_bytes(j.template get_ref<const typename BasicJsonType::string_t&>());
  } else {
    throw error::invalid_argument("a size must be an integer or a string such as \"16GiB\", not " +
                                  std::string(j.type_name()) + " " + j.dump());
  }
}

/// @brief Writes the stable name of an error code ("invalid_format").
template <class BasicJsonType>
void to_json(BasicJsonType& j, const errc& code) {
  j = std::string(to_string(code));
}

/// @brief Writes `{"rule": ..., "message": ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const reason& r) {
  j = BasicJsonType::object();
  j["rule"] = r.rule;
  j["message"] = r.message;
}

/// @brief Reads `{"rule": ..., "message": ...}`.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, reason& r) {
  r.rule = j.at("rule").template get<std::string>();
  r.message = j.at("message").template get<std::string>();
}

/// @brief Writes `{"ok": true}` or `{"ok": false, "rule": ..., "message": ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const verdict& v) {
  j = BasicJsonType::object();
  j["ok"] = v.ok;
  if (!v.ok) {
    j["rule"] = v.why.rule;
    j["message"] = v.why.message;
  }
}

/// @brief Writes `{"code": ..., "path": ..., "message": ...}` for an error report.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const error& e) {
  j = BasicJsonType::object();
  j["code"] = std::string(to_string(e.code()));
  j["path"] = e.path();
  j["message"] = e.message();
}

/// @brief Writes "gguf", "safetensors" or "pytorch".
template <class BasicJsonType>
void to_json(BasicJsonType& j, const model_format& f) {
  j = std::string(to_string(f));
}

/// @brief Writes `{"path", "index", "bytes", "allocated_bytes"}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const shard_file& f) {
  j = BasicJsonType::object();
  j["path"] = f.path;
  j["index"] = f.index;
  j["bytes"] = f.size;
  j["allocated_bytes"] = f.allocated;
}

/// @brief Writes a set with stable keys: name, format, directory, shards (present),
/// expected_shards, complete, missing, total_bytes, allocated_bytes, files, companions,
/// duplicates, foreign, index (`{"path", "total_size"}` or null) and problems.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const shard_set& s) {
  j = BasicJsonType::object();
  j["name"] = s.name;
  j["format"] = s.format;
  j["directory"] = s.directory;
  j["shards"] = s.present_shards();
  j["expected_shards"] = s.expected_shards;
  j["complete"] = s.complete();
  j["missing"] = s.missing;
  j["total_bytes"] = s.total_bytes;
  j["allocated_bytes"] = s.allocated_bytes;
  j["files"] = s.files;
  j["companions"] = s.companions;
  auto dups = BasicJsonType::array();
  for (const auto& d : s.duplicates) {
    BasicJsonType e = BasicJsonType::object();
    e["index"] = d.index;
    e["paths"] = d.paths;
    dups.push_back(std::move(e));
  }
  j["duplicates"] = std::move(dups);
  auto foreign = BasicJsonType::array();
  for (const auto& f : s.foreign) {
    BasicJsonType e = BasicJsonType::object();
    e["path"] = f.path;
    e["why"] = f.why;
    foreign.push_back(std::move(e));
  }
  j["foreign"] = std::move(foreign);
  if (s.index_path.empty()) {
    j["index"] = nullptr;
  } else {
    BasicJsonType idx = BasicJsonType::object();
    idx["path"] = s.index_path;
    idx["total_size"] =
        s.index_total_size ? BasicJsonType(s.index_total_size->count()) : BasicJsonType(nullptr);
    j["index"] = std::move(idx);
  }
  j["problems"] = s.problems;
}

/// @brief Writes `{"sets": [...], "problems": [{"path", "message"}]}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const discovery_result& r) {
  j = BasicJsonType::object();
  j["sets"] = r.sets;
  auto problems = BasicJsonType::array();
  for (const auto& p : r.problems) {
    BasicJsonType e = BasicJsonType::object();
    e["path"] = p.path;
    e["message"] = p.message;
    problems.push_back(std::move(e));
  }
  j["problems"] = std::move(problems);
}

}  // namespace shardfit
