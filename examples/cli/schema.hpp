#pragma once

// Every `--json` output of the tool names its schema: "shardfit.<command>/<major>", first in
// the object. The major changes when a field is removed or changes meaning (new fields do not
// change it), so a scheduler parsing the output can tell.

#include <shardfit/core/json.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

namespace shardfit::cli {

inline nlohmann::ordered_json with_schema(const std::string& command, nlohmann::ordered_json j) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["schema"] = json_schema(command);
  for (auto& [key, value] : j.items()) out[key] = std::move(value);
  return out;
}

}  // namespace shardfit::cli
