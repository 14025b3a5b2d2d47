#pragma once

/// @file
/// @brief Opt-in nlohmann-json adapters for the core types: `bytes` (exact integers out; an
/// integer or a size string such as "16GiB" in), error codes, reasons, verdicts and errors.

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Reads the fields of one JSON object with their types and ranges checked: an absent or null
// key keeps the default, a key of the wrong type or out of range is an `invalid_argument`
// error naming the object and the key, and `finish()` refuses keys nobody read (a misspelt
// setting must not be silently ignored).
template <class BasicJsonType>
class json_fields {
 public:
  json_fields(const BasicJsonType& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j.is_object()) fail("", "must be a JSON object, not " + std::string(j.type_name()));
  }

  [[noreturn]] void fail(std::string_view key, const std::string& problem) const {
    throw error::invalid_argument(what_ + (key.empty() ? "" : " key '" + std::string(key) + "'") +
                                  ": " + problem);
  }
  // The value of `key`, or null when absent or null.
  [[nodiscard]] const BasicJsonType* get(std::string_view key) {
    const auto it = j_.find(std::string(key));
    if (it == j_.end()) return nullptr;
    read_.emplace_back(key);
    return it->is_null() ? nullptr : &*it;
  }
  [[nodiscard]] const BasicJsonType& need(std::string_view key) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) fail(key, "is missing");
    return *v;
  }
  template <class U>
  bool unsigned_int(std::string_view key, U& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() &&
                                    v->template get<std::int64_t>() < 0)) {
      fail(key, "must be a non-negative integer, not " + v->dump());
    }
    const auto x = v->template get<std::uint64_t>();
    if (x > static_cast<std::uint64_t>(std::numeric_limits<U>::max())) {
      fail(key, v->dump() + " is out of range");
    }
    out = static_cast<U>(x);
    return true;
  }
  bool signed_int(std::string_view key, std::int32_t& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_number_integer()) fail(key, "must be an integer, not " + v->dump());
    if (v->is_number_unsigned() && v->template get<std::uint64_t>() > 0x7fffffffULL) {
      fail(key, v->dump() + " is out of range");
    }
    const auto x = v->template get<std::int64_t>();
    if (x < -0x7fffffffLL - 1 || x > 0x7fffffffLL) fail(key, v->dump() + " is out of range");
    out = static_cast<std::int32_t>(x);
    return true;
  }
  bool number(std::string_view key, double& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_number()) fail(key, "must be a number, not " + v->dump());
    out = v->template get<double>();
    return true;
  }
  bool boolean(std::string_view key, bool& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) fail(key, "must be true or false, not " + v->dump());
    out = v->template get<bool>();
    return true;
  }
  bool string(std::string_view key, std::string& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_string()) fail(key, "must be a string, not " + v->dump());
    out = v->template get<std::string>();
    return true;
  }
  bool size(std::string_view key, bytes& out) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    try {
      out = v->template get<bytes>();
    } catch (const error& e) {
      fail(key, e.message());
    }
    return true;
  }
  // An object or array read by `read(value)`, errors prefixed with this object's name.
  template <class F>
  bool nested(std::string_view key, F&& read) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    std::forward<F>(read)(*v, what_ + " " + std::string(key));
    return true;
  }
  template <class T, class F>
  bool array(std::string_view key, std::vector<T>& out, F&& read_one) {
    const BasicJsonType* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_array()) fail(key, "must be an array, not " + std::string(v->type_name()));
    out.clear();
    out.reserve(v->size());
    for (std::size_t i = 0; i < v->size(); ++i) {
      out.push_back(
          read_one((*v)[i], what_ + " " + std::string(key) + "[" + std::to_string(i) + "]"));
    }
    return true;
  }
  // Arrays of one kind of value.
  template <class U>
  bool unsigned_ints(std::string_view key, std::vector<U>& out) {
    return array(key, out, [&](const BasicJsonType& v, const std::string& where) {
      if (!v.is_number_unsigned() ||
          v.template get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<U>::max())) {
        fail(key, where + " must be a non-negative integer in range, not " + v.dump());
      }
      return static_cast<U>(v.template get<std::uint64_t>());
    });
  }
  bool numbers(std::string_view key, std::vector<double>& out) {
    return array(key, out, [&](const BasicJsonType& v, const std::string& where) {
      if (!v.is_number()) fail(key, where + " must be a number, not " + v.dump());
      return v.template get<double>();
    });
  }
  bool strings(std::string_view key, std::vector<std::string>& out) {
    return array(key, out, [&](const BasicJsonType& v, const std::string& where) {
      if (!v.is_string()) fail(key, where + " must be a string, not " + v.dump());
      return v.template get<std::string>();
    });
  }
  // Refuses the keys not read.
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (std::find(read_.begin(), read_.end(), it.key()) == read_.end()) {
        fail(it.key(), "is not a known key");
      }
    }
  }

 private:
  const BasicJsonType& j_;
  std::string what_;
  std::vector<std::string> read_;
};

}  // namespace detail

}  // namespace shardfit
