#pragma once

// A small, strict JSON reader for the core (which must not need nlohmann-json). It is a
// structured pull cursor: the caller walks objects and arrays with callbacks and reads scalars
// directly into its own types, so no document tree is ever built and memory stays proportional
// to what the caller keeps. Every error names the source and the byte offset. Limits: nesting
// depth and elements per array are bounded (json_limits), so hostile input is refused quickly.

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
  [[nodiscard]] json_type peek() {
    skip_ws();
    if (pos_ >= text_.size()) fail("unexpected end of input, expected a value");
    switch (text_[pos_]) {
      case '{':
        return json_type::object;
      case '[':
        return json_type::array;
      case '"':
        return json_type::string;
      case 't':
      case 'f':
        return json_type::boolean;
      case 'n':
        return json_type::null;
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) {
          return json_type::number;
        }
        fail(std::string("unexpected character ") + describe(text_[pos_]));
    }
  }

  /// Consumes `null` if it is next; returns whether it was.
  bool consume_null() {
    if (peek() != json_type::null) return false;
    expect_literal("null");
    return true;
  }

  bool read_bool() {
    if (peek() != json_type::boolean) type_error("a boolean");
    if (text_[pos_] == 't') {
      expect_literal("true");
      return true;
    }
    expect_literal("false");
    return false;
  }

  /// A non-negative integer that fits 64 bits. Integral floats ("4096.0") are accepted.
  std::uint64_t read_u64() {
    const auto start = pos_;
    const auto tok = number_token();
    std::uint64_t v = 0;
    if (tok.integral) {
      if (tok.text.front() == '-')
        fail_at(start, "expected a non-negative integer, got " + str(tok.text));
      const auto r = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
      if (r.ec != std::errc{}) fail_at(start, "integer " + str(tok.text) + " does not fit 64 bits");
      return v;
    }
    const double d = to_double(tok.text, start);
    // Range first (2^64 is exact in a double): converting an out-of-range double is undefined.
    if (!(d >= 0.0 && d < 18446744073709551616.0) ||
        d != static_cast<double>(static_cast<std::uint64_t>(d))) {
      fail_at(start, "expected a non-negative integer that fits 64 bits, got " + str(tok.text));
    }
    return static_cast<std::uint64_t>(d);
  }

  /// A signed integer that fits 64 bits.
  std::int64_t read_i64() {
    const auto start = pos_;
    const auto tok = number_token();
    std::int64_t v = 0;
    if (!tok.integral) fail_at(start, "expected an integer, got " + str(tok.text));
    const auto r = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
    if (r.ec != std::errc{}) fail_at(start, "integer " + str(tok.text) + " does not fit 64 bits");
    return v;
  }

  /// Any number as a double.
  double read_double() {
    const auto start = pos_;
    const auto tok = number_token();
    return to_double(tok.text, start);
  }

  /// The raw text of the next number (for callers that keep exact values).
  std::string_view read_number_text() { return number_token().text; }

  /// A string, unescaped.
  std::string read_string() {
    if (peek() != json_type::string) type_error("a string");
    std::string out;
    read_string_into(out);
    return out;
  }

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
  void skip() {
    switch (peek()) {
      case json_type::null:
        expect_literal("null");
        return;
      case json_type::boolean:
        (void)read_bool();
        return;
      case json_type::number:
        (void)number_token();
        return;
      case json_type::string:
        skip_string();
        return;
      case json_type::array:
        read_array([this](std::size_t) { skip(); });
        return;
      case json_type::object:
        read_object([this](std::string_view) { skip(); });
        return;
    }
  }

  /// Requires that only whitespace remains.
  void expect_end() {
    skip_ws();
    if (pos_ != text_.size()) fail("unexpected data after the JSON value");
  }

  [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const {
    if (!limits_.lines) throw error::format(source_, base_ + offset, message);
    const auto upto = text_.substr(0, std::min(offset, text_.size()));
    const auto line = 1 + static_cast<std::size_t>(std::count(upto.begin(), upto.end(), '\n'));
    throw error::format(source_, "line " + std::to_string(line) + " (offset " +
                                     std::to_string(base_ + offset) + "): " + message);
  }
  /// Fails because the next value has the wrong type; `wanted` like "a string".
  [[noreturn]] void type_error(std::string_view wanted) {
    const auto t = peek();
    fail(std::string("expected ") + std::string(wanted) + ", got " + std::string(to_string(t)));
  }

 private:
  struct number_tok {
    std::string_view text;
    bool integral;
  };

  static std::string str(std::string_view s) { return std::string(s); }

  static std::string describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("0x") + hex[u >> 4] + hex[u & 15];
  }

  void enter() {
    if (++depth_ > limits_.max_depth) {
      fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
  }
  void leave() noexcept { --depth_; }

  void skip_ws() noexcept {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume(char c) noexcept {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect_literal(std::string_view lit) {
    if (text_.substr(pos_, lit.size()) != lit) fail("invalid literal, expected " + str(lit));
    pos_ += lit.size();
  }

  number_tok number_token() {
    if (peek() != json_type::number) type_error("a number");
    const std::size_t start = pos_;
    bool integral = true;
    consume('-');
    if (pos_ >= text_.size()) fail("truncated number");
    if (text_[pos_] == '0') {
      ++pos_;
    } else if (text_[pos_] >= '1' && text_[pos_] <= '9') {
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    } else {
      fail("invalid number");
    }
    if (consume('.')) {
      integral = false;
      if (!digits()) fail("expected digits after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (!consume('+')) consume('-');
      if (!digits()) fail("expected digits in exponent");
    }
    return {text_.substr(start, pos_ - start), integral};
  }

  bool digits() noexcept {
    const auto start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ != start;
  }

  double to_double(std::string_view t, std::size_t at) const {
    double d = 0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), d);
    if (r.ec != std::errc{} || r.ptr != t.data() + t.size()) {
      fail_at(at, "number " + str(t) + " is out of range");
    }
    return d;
  }

  void skip_string() { scan_string(nullptr); }

  unsigned hex4(std::size_t at) const {
    if (at + 4 > text_.size()) fail_at(at, "truncated \\u escape");
    unsigned v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = text_[at + i];
      v <<= 4U;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail_at(at + i, "invalid hex digit in \\u escape");
      }
    }
    return v;
  }

  static void put(std::string* out, char c) {
    if (out != nullptr) out->push_back(c);
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
      out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
  }

  void read_string_into(std::string& out) { scan_string(&out); }

  // Reads a string at the cursor, appending its unescaped value to `out` unless it is null.
  void scan_string(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      // Copy the run up to the next quote, backslash or control character in one go.
      const std::size_t run_start = pos_;
      while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) break;
        ++pos_;
      }
      if (out != nullptr) out->append(text_.data() + run_start, pos_ - run_start);
      if (pos_ >= text_.size()) fail("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return;
      }
      if (c != '\\') fail("control character in string");
      ++pos_;
      if (pos_ >= text_.size()) fail("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          put(out, '"');
          break;
        case '\\':
          put(out, '\\');
          break;
        case '/':
          put(out, '/');
          break;
        case 'b':
          put(out, '\b');
          break;
        case 'f':
          put(out, '\f');
          break;
        case 'n':
          put(out, '\n');
          break;
        case 'r':
          put(out, '\r');
          break;
        case 't':
          put(out, '\t');
          break;
        case 'u': {
          unsigned cp = hex4(pos_);
          pos_ += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") fail("unpaired surrogate in \\u escape");
            const unsigned lo = hex4(pos_ + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate in \\u escape");
            pos_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10U) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired surrogate in \\u escape");
          }
          if (out != nullptr) put_utf8(*out, cp);
          break;
        }
        default:
          fail_at(pos_ - 1, "invalid escape in string");
      }
    }
  }

  std::string_view text_;
  std::string source_;
  json_limits limits_;
  std::uint64_t base_ = 0;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace shardfit::detail
