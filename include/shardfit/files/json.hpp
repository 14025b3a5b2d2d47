#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for shard sets and discovery results.

#include <shardfit/core/json.hpp>
#include <shardfit/files/shard_set.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace shardfit {

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
/// expected_shards, complete, status (complete, incomplete, truncated, corrupt), missing,
/// total_bytes, allocated_bytes, files, companions, duplicates, foreign, index (`{"path",
/// "total_size"}` or null) and problems.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const shard_set& s) {
  j = BasicJsonType::object();
  j["name"] = s.name;
  j["format"] = s.format;
  j["directory"] = s.directory;
  j["shards"] = s.present_shards();
  j["expected_shards"] = s.expected_shards;
  j["complete"] = s.complete();
  j["status"] = std::string(to_string(s.status()));
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
    idx["maps_files"] = !s.index_only;
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
