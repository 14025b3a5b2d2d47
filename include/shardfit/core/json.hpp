#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for the core types: `bytes` (exact integers out; an
/// integer or a size string such as "16GiB" in), error codes, reasons, verdicts and errors.

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace shardfit {

/// @brief The major version of shardfit's JSON documents: it changes only when a field is
/// removed or changes meaning (new fields do not change it).
inline constexpr int json_schema_major = 1;

/// @brief The schema name a JSON document of `kind` carries first, as `"schema"`:
/// "shardfit.plan/1" (kinds: inspect, estimate, check-parallel, plan, reshard).
[[nodiscard]] inline std::string json_schema(const std::string& kind) {
  return "shardfit." + kind + "/" + std::to_string(json_schema_major);
}

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
  j["rule"] = std::string(to_string(r.rule));
  j["message"] = r.message;
}

/// @brief Writes a rule's stable id ("tp.attention_heads").
template <class BasicJsonType>
void to_json(BasicJsonType& j, const rule_id& r) {
  j = std::string(to_string(r));
}

/// @brief Reads a rule's stable id; an unknown id is an `invalid_argument` error naming it.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, rule_id& r) {
  const auto text = j.template get<std::string>();
  const auto id = parse_rule(text);
  if (!id) throw error::invalid_argument("unknown rule id '" + text + "'");
  r = *id;
}

/// @brief Reads `{"rule": ..., "message": ...}`.
template <class BasicJsonType>
void from_json(const BasicJsonType& j, reason& r) {
  r.rule = j.at("rule").template get<rule_id>();
  r.message = j.at("message").template get<std::string>();
}

/// @brief Writes `{"ok": true}` or `{"ok": false, "rule": ..., "message": ...}`.
template <class BasicJsonType>
void to_json(BasicJsonType& j, const verdict& v) {
  j = BasicJsonType::object();
  j["ok"] = v.ok;
  if (!v.ok) {
    j["rule"] = std::string(to_string(v.why.rule));
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

namespace detail {

// Reads `key` into `out` when present (absent keys keep their defaults).
template <class BasicJsonType, class T>
void json_optional(const BasicJsonType& j, const char* key, T& out) {
  if (const auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace detail

}  // namespace shardfit
