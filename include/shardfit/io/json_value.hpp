#pragma once

// A small JSON tree for configuration files (config.json, cluster files), built with the cursor
// under a node budget so a hostile file cannot make it large. Each value keeps its byte offset
// for messages. Big machine outputs (kubectl, safetensors headers) use the cursor directly.

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
  [[nodiscard]] const std::vector<std::pair<std::string, json_value>>& members() const noexcept {
    return members_;
  }

  /// The member named `key` of an object, or null (also for non-objects).
  [[nodiscard]] const json_value* get(std::string_view key) const noexcept {
    if (type_ != json_type::object) return nullptr;
    for (const auto& [k, v] : members_) {
      if (k == key) return &v;
    }
    return nullptr;
  }

  /// Parses `text` (from `source`, for messages) into a tree of at most `max_nodes` values;
  /// with `lines`, errors name the line as well as the offset.
  static json_value parse(std::string_view text, const std::string& source,
                          std::size_t max_nodes = 1'000'000, std::size_t max_depth = 64,
                          bool lines = false) {
    json_limits limits;
    limits.max_depth = max_depth;
    limits.lines = lines;
    json_cursor cur(text, source, limits);
    std::size_t budget = max_nodes;
    json_value v = build(cur, budget, max_nodes);
    cur.expect_end();
    return v;
  }

 private:
  static json_value build(json_cursor& cur, std::size_t& budget, std::size_t max_nodes) {
    if (budget == 0) {
      cur.fail("more than " + std::to_string(max_nodes) + " JSON values; this file is refused");
    }
    --budget;
    json_value v;
    v.type_ = cur.peek();
    v.offset_ = cur.offset();
    switch (v.type_) {
      case json_type::null:
        (void)cur.consume_null();
        break;
      case json_type::boolean:
        v.bool_ = cur.read_bool();
        break;
      case json_type::string:
        v.text_ = cur.read_string();
        break;
      case json_type::number: {
        const std::size_t at = cur.offset();
        v.text_ = std::string(cur.read_number_text());
        const char* first = v.text_.data();
        const char* last = first + v.text_.size();
        const auto r = std::from_chars(first, last, v.number_);
        if (r.ec != std::errc{}) cur.fail_at(at, "number " + v.text_ + " is out of range");
        if (v.text_.find_first_of("-.eE") == std::string::npos) {
          v.is_u64_ = std::from_chars(first, last, v.u64_).ec == std::errc{};
        } else if (v.number_ >= 0 && v.number_ < 1.8e19 &&
                   v.number_ == static_cast<double>(static_cast<std::uint64_t>(v.number_))) {
          v.u64_ = static_cast<std::uint64_t>(v.number_);
          v.is_u64_ = true;
        }
        break;
      }
      case json_type::array:
        cur.read_array([&](std::size_t) { v.items_.push_back(build(cur, budget, max_nodes)); });
        break;
      case json_type::object:
        cur.read_object([&](std::string_view key) {
          v.members_.emplace_back(std::string(key), build(cur, budget, max_nodes));
        });
        break;
    }
    return v;
  }

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
