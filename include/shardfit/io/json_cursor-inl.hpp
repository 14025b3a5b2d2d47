#pragma once

// The bodies of <shardfit/io/json_cursor.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/io/json_cursor.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE json_type json_cursor::peek() {
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

SHARDFIT_INLINE bool json_cursor::consume_null() {
  if (peek() != json_type::null) return false;
  expect_literal("null");
  return true;
}

SHARDFIT_INLINE bool json_cursor::read_bool() {
  if (peek() != json_type::boolean) type_error("a boolean");
  if (text_[pos_] == 't') {
    expect_literal("true");
    return true;
  }
  expect_literal("false");
  return false;
}

SHARDFIT_INLINE std::uint64_t json_cursor::read_u64() {
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

SHARDFIT_INLINE std::int64_t json_cursor::read_i64() {
  const auto start = pos_;
  const auto tok = number_token();
  std::int64_t v = 0;
  if (!tok.integral) fail_at(start, "expected an integer, got " + str(tok.text));
  const auto r = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
  if (r.ec != std::errc{}) fail_at(start, "integer " + str(tok.text) + " does not fit 64 bits");
  return v;
}

SHARDFIT_INLINE double json_cursor::read_double() {
  const auto start = pos_;
  const auto tok = number_token();
  return to_double(tok.text, start);
}

SHARDFIT_INLINE std::string json_cursor::read_string() {
  if (peek() != json_type::string) type_error("a string");
  std::string out;
  read_string_into(out);
  return out;
}

SHARDFIT_INLINE void json_cursor::skip() {
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

SHARDFIT_INLINE void json_cursor::expect_end() {
  skip_ws();
  if (pos_ != text_.size()) fail("unexpected data after the JSON value");
}

SHARDFIT_INLINE void json_cursor::fail_at(std::size_t offset, const std::string& message) const {
  if (!limits_.lines) throw error::format(source_, base_ + offset, message);
  const auto upto = text_.substr(0, std::min(offset, text_.size()));
  const auto line = 1 + static_cast<std::size_t>(std::count(upto.begin(), upto.end(), '\n'));
  throw error::format(source_, "line " + std::to_string(line) + " (offset " +
                                   std::to_string(base_ + offset) + "): " + message);
}

SHARDFIT_INLINE void json_cursor::type_error(std::string_view wanted) {
  const auto t = peek();
  fail(std::string("expected ") + std::string(wanted) + ", got " + std::string(to_string(t)));
}

SHARDFIT_INLINE std::string json_cursor::describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("0x") + hex[u >> 4] + hex[u & 15];
}

SHARDFIT_INLINE void json_cursor::enter() {
  if (++depth_ > limits_.max_depth) {
    fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  }
}

SHARDFIT_INLINE void json_cursor::skip_ws() noexcept {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ++pos_;
  }
}

SHARDFIT_INLINE bool json_cursor::consume(char c) noexcept {
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

SHARDFIT_INLINE void json_cursor::expect_literal(std::string_view lit) {
  if (text_.substr(pos_, lit.size()) != lit) fail("invalid literal, expected " + str(lit));
  pos_ += lit.size();
}

SHARDFIT_INLINE auto json_cursor::number_token() -> number_tok {
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

SHARDFIT_INLINE bool json_cursor::digits() noexcept {
  const auto start = pos_;
  while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
  return pos_ != start;
}

SHARDFIT_INLINE double json_cursor::to_double(std::string_view t, std::size_t at) const {
  double d = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  if (r.ec != std::errc{} || r.ptr != t.data() + t.size()) {
    fail_at(at, "number " + str(t) + " is out of range");
  }
  return d;
}

SHARDFIT_INLINE unsigned json_cursor::hex4(std::size_t at) const {
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

SHARDFIT_INLINE void json_cursor::put(std::string* out, char c) {
  if (out != nullptr) out->push_back(c);
}

SHARDFIT_INLINE void json_cursor::put_utf8(std::string& out, unsigned cp) {
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

SHARDFIT_INLINE void json_cursor::scan_string(std::string* out) {
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

}  // namespace shardfit::detail
