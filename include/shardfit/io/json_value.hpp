#pragma once

// A small JSON tree for configuration files (config.json, cluster files), built with the cursor
// under a node budget so a hostile file cannot make it large. Each value keeps its byte offset
// for messages. Big machine outputs (kubectl, safetensors headers) use the cursor directly.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/io/json_cursor.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace shardfit::detail {

class json_value {
 public:
  [[nodiscard]] json_type type() const noexcept { return type_; }
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
  [[nodiscard]] bool is_null() const noexcept { return type_ == json_type::null; }
  [[nodiscard]] bool is_number() const noexcept { return type_ == json_type::number; }
  [[nodiscard]] bool is_string() const noexcept { return type_ == json_type::string; }
  [[nodiscard]] bool is_object() const noexcept { return type_ == json_type::object; }
  [[nodiscard]] bool is_array() const noexcept { return type_ == json_type::array; }
  [[nodiscard]] bool is_bool() const noexcept { return type_ == json_type::boolean; }

  [[nodiscard]] bool boolean() const noexcept { return bool_; }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }  // string or number
  [[nodiscard]] double number() const noexcept { return number_; }
  /// True when the number is a non-negative integer that fits 64 bits (4096 or 4096.0).
  [[nodiscard]] bool is_u64() const noexcept { return is_u64_; }
  [[nodiscard]] std::uint64_t u64() const noexcept { return u64_; }

  [[nodiscard]] const std::vector<json_value>& items() const noexcept { return items_; }
  [[nodiscard]] const std::vector<std::pair<std::string, json_value>>& members() const noexcept;

  /// The member named `key` of an object, or null (also for non-objects).
  [[nodiscard]] const json_value* get(std::string_view key) const noexcept;

  /// Parses `text` (from `source`, for messages) into a tree of at most `max_nodes` values;
  /// with `lines`, errors name the line as well as the offset.
  static json_value parse(std::string_view text, const std::string& source,
                          std::size_t max_nodes = 1'000'000, std::size_t max_depth = 64,
                          bool lines = false);

 private:
  static json_value build(json_cursor& cur, std::size_t& budget, std::size_t max_nodes);

  json_type type_ = json_type::null;
  std::size_t offset_ = 0;
  bool bool_ = false;
  bool is_u64_ = false;
  std::uint64_t u64_ = 0;
  double number_ = 0;
  std::string text_;
  std::vector<json_value> items_;
  std::vector<std::pair<std::string, json_value>> members_;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/io/json_value-inl.hpp>
#endif
