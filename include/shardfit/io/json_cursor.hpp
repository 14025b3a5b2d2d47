#pragma once

// A small, strict JSON reader for the core (which must not need nlohmann-json). It is a
// structured pull cursor: the caller walks objects and arrays with callbacks and reads scalars
// directly into its own types, so no document tree is ever built and memory stays proportional
// to what the caller keeps. Every error names the source and the byte offset. Limits: nesting
// depth and elements per array are bounded (json_limits), so hostile input is refused quickly.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace shardfit::detail {

/// Bounds applied while reading.
struct json_limits {
  std::size_t max_depth = 64;                                                ///< nesting
  std::size_t max_array_elements = std::numeric_limits<std::size_t>::max();  ///< per array
  std::size_t max_object_members = std::numeric_limits<std::size_t>::max();  ///< per object
  bool lines = false;  ///< errors say "line L (offset N)", for text people edit or diff
};

enum class json_type : std::uint8_t { null, boolean, number, string, array, object };

constexpr std::string_view to_string(json_type t) noexcept {
  switch (t) {
    case json_type::null:
      return "null";
    case json_type::boolean:
      return "boolean";
    case json_type::number:
      return "number";
    case json_type::string:
      return "string";
    case json_type::array:
      return "array";
    case json_type::object:
      return "object";
  }
  return "value";
}

class json_cursor {
 public:
  /// `base_offset` is added to offsets in messages (the text's position within its file).
  json_cursor(std::string_view text, std::string source, json_limits limits = {},
              std::uint64_t base_offset = 0)
      : text_(text), source_(std::move(source)), limits_(limits), base_(base_offset) {}

  /// The name used in error messages (a file path).
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Byte offset of the next unread character.
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }

  /// Type of the next value (does not consume it).
  [[nodiscard]] json_type peek();

  /// Consumes `null` if it is next; returns whether it was.
  bool consume_null();

  bool read_bool();

  /// A non-negative integer that fits 64 bits. Integral floats ("4096.0") are accepted.
  std::uint64_t read_u64();

  /// A signed integer that fits 64 bits.
  std::int64_t read_i64();

  /// Any number as a double.
  double read_double();

  /// The raw text of the next number (for callers that keep exact values).
  std::string_view read_number_text() { return number_token().text; }

  /// A string, unescaped.
  std::string read_string();

  /// Walks an object: calls `on_member(std::string_view key)` with the cursor placed on the
  /// member's value. A callback that does not consume the value has it skipped.
  template <class F>
  void read_object(F&& on_member) {
    if (peek() != json_type::object) type_error("an object");
    enter();
    ++pos_;
    skip_ws();
    std::size_t members = 0;
    if (consume(('}'))) {
      leave();
      return;
    }
    std::string key;
    for (;;) {
      skip_ws();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key");
      key.clear();
      read_string_into(key);
      skip_ws();
      if (!consume(':')) fail("expected ':' after key \"" + key + "\"");
      if (++members > limits_.max_object_members) {
        fail("object has more than " + std::to_string(limits_.max_object_members) + " members");
      }
      skip_ws();
      const auto before = pos_;
      on_member(std::string_view(key));
      if (pos_ == before) skip();
      skip_ws();
      if (consume(',')) continue;
      if (consume('}')) break;
      fail("expected ',' or '}' in object");
    }
    leave();
  }

  /// Walks an array: calls `on_element(std::size_t index)` with the cursor on each element.
  template <class F>
  void read_array(F&& on_element) {
    if (peek() != json_type::array) type_error("an array");
    enter();
    ++pos_;
    skip_ws();
    if (consume(']')) {
      leave();
      return;
    }
    for (std::size_t i = 0;; ++i) {
      if (i >= limits_.max_array_elements) {
        fail("array has more than " + std::to_string(limits_.max_array_elements) + " elements");
      }
      skip_ws();
      const auto before = pos_;
      on_element(i);
      if (pos_ == before) skip();
      skip_ws();
      if (consume(',')) continue;
      if (consume(']')) break;
      fail("expected ',' or ']' in array");
    }
    leave();
  }

  /// Skips one value of any type (iteratively, within the depth limit).
  void skip();

  /// Requires that only whitespace remains.
  void expect_end();

  [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const;
  /// Fails because the next value has the wrong type; `wanted` like "a string".
  [[noreturn]] void type_error(std::string_view wanted);

 private:
  struct number_tok {
    std::string_view text;
    bool integral;
  };

  static std::string str(std::string_view s) { return std::string(s); }

  static std::string describe(char c);

  void enter();
  void leave() noexcept { --depth_; }

  void skip_ws() noexcept;

  bool consume(char c) noexcept;

  void expect_literal(std::string_view lit);

  number_tok number_token();

  bool digits() noexcept;

  double to_double(std::string_view t, std::size_t at) const;

  void skip_string() { scan_string(nullptr); }

  unsigned hex4(std::size_t at) const;

  static void put(std::string* out, char c);

  static void put_utf8(std::string& out, unsigned cp);

  void read_string_into(std::string& out) { scan_string(&out); }

  // Reads a string at the cursor, appending its unescaped value to `out` unless it is null.
  void scan_string(std::string* out);

  std::string_view text_;
  std::string source_;
  json_limits limits_;
  std::uint64_t base_ = 0;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/io/json_cursor-inl.hpp>
#endif
