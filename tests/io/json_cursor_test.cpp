// The core's internal JSON reader (shardfit/detail/json_cursor.hpp).
#include <shardfit/io/json_cursor.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using shardfit::detail::json_cursor;
using shardfit::detail::json_limits;
using shardfit::detail::json_type;

std::string error_of(const std::string& text, json_limits limits = {}) {
  try {
    json_cursor c(text, "t.json", limits);
    c.skip();
    c.expect_end();
  } catch (const shardfit::error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonCursor, ReadsScalarsObjectsAndArrays) {
  json_cursor c(R"( {"a": 1, "b": [true, false, null], "c": "x\"y", "d": -2.5e1, "e": {}} )", "t");
  std::vector<std::string> keys;
  c.read_object([&](std::string_view key) {
    keys.emplace_back(key);
    if (key == "a") {
      EXPECT_EQ(c.read_u64(), 1U);
    }
    if (key == "b") {
      std::vector<json_type> types;
      c.read_array([&](std::size_t) {
        types.push_back(c.peek());
        c.skip();
      });
      EXPECT_EQ(types,
                (std::vector<json_type>{json_type::boolean, json_type::boolean, json_type::null}));
    }
    if (key == "c") {
      EXPECT_EQ(c.read_string(), "x\"y");
    }
    if (key == "d") {
      EXPECT_DOUBLE_EQ(c.read_double(), -25.0);
    }
    // "e" is not consumed: the cursor skips it.
  });
  c.expect_end();
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(JsonCursor, UnescapesStrings) {
  json_cursor c(R"("\u00e9\ud83d\ude00\n\t\/\\\b\f\r")", "t");
  EXPECT_EQ(c.read_string(), "\xc3\xa9\xf0\x9f\x98\x80\n\t/\\\b\f\r");
}

TEST(JsonCursor, IntegersAreExact) {
  json_cursor a("18446744073709551615", "t");
  EXPECT_EQ(a.read_u64(), 18446744073709551615ULL);
  json_cursor b("-9223372036854775808", "t");
  EXPECT_EQ(b.read_i64(), INT64_MIN);
  json_cursor c("4096.0", "t");
  EXPECT_EQ(c.read_u64(), 4096U);
  EXPECT_EQ(error_of("18446744073709551616"), "");  // skipping accepts any number
  json_cursor d("18446744073709551616", "t");
  EXPECT_THROW((void)d.read_u64(), shardfit::error);
  json_cursor e("1.5", "t");
  EXPECT_THROW((void)e.read_u64(), shardfit::error);
  json_cursor f("1e400", "t");
  EXPECT_THROW((void)f.read_double(), shardfit::error);
  // Found by fuzz_index: a huge float was converted before its range was checked (UB).
  for (const char* big : {"1e60", "9.33e35", "18446744073709551616.0", "-1.0", "2e19"}) {
    json_cursor g(big, "t");
    try {
      (void)g.read_u64();
      ADD_FAILURE() << big;
    } catch (const shardfit::error& err) {
      EXPECT_NE(std::string(err.what()).find("a non-negative integer that fits 64 bits"),
                std::string::npos)
          << err.what();
    }
  }
  json_cursor h("1.8e19", "t");
  EXPECT_EQ(h.read_u64(), 18000000000000000000ULL);
}

TEST(JsonCursor, ErrorsNameTheSourceAndOffset) {
  EXPECT_EQ(error_of("{\"a\" 1}"), "t.json: at offset 5: expected ':' after key \"a\"");
  EXPECT_EQ(error_of("[1 2]"), "t.json: at offset 3: expected ',' or ']' in array");
  EXPECT_EQ(error_of("\"abc"), "t.json: at offset 4: unterminated string");
  EXPECT_EQ(error_of("\"a\x01\""), "t.json: at offset 2: control character in string");
  EXPECT_EQ(error_of("\"\\x\""), "t.json: at offset 2: invalid escape in string");
  EXPECT_EQ(error_of("\"\\ud800\""), "t.json: at offset 7: unpaired surrogate in \\u escape");
  EXPECT_EQ(error_of("\"\\u12\""), "t.json: at offset 3: truncated \\u escape");
  EXPECT_EQ(error_of("\"\\u12x4\""), "t.json: at offset 5: invalid hex digit in \\u escape");
  EXPECT_EQ(error_of("tru"), "t.json: at offset 0: invalid literal, expected true");
  EXPECT_EQ(error_of("01"), "t.json: at offset 1: unexpected data after the JSON value");
  EXPECT_EQ(error_of("-"), "t.json: at offset 1: truncated number");
  EXPECT_EQ(error_of("1."), "t.json: at offset 2: expected digits after '.'");
  EXPECT_EQ(error_of("1e"), "t.json: at offset 2: expected digits in exponent");
  EXPECT_EQ(error_of(""), "t.json: at offset 0: unexpected end of input, expected a value");
  EXPECT_EQ(error_of("@"), "t.json: at offset 0: unexpected character '@'");
  EXPECT_EQ(error_of("\x80"), "t.json: at offset 0: unexpected character 0x80");
  EXPECT_EQ(error_of("{1:2}"), "t.json: at offset 1: expected a string key");
}

TEST(JsonCursor, DepthAndSizeLimitsAreEnforcedQuickly) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_of(deep), "t.json: at offset 64: nesting deeper than 64 levels");
  json_limits small;
  small.max_array_elements = 3;
  EXPECT_EQ(error_of("[1,2,3,4]", small), "t.json: at offset 7: array has more than 3 elements");
  small.max_object_members = 1;
  EXPECT_EQ(error_of(R"({"a":1,"b":2})", small),
            "t.json: at offset 11: object has more than 1 members");
}

TEST(JsonCursor, TypeErrorsSayWhatWasExpected) {
  json_cursor c("[1]", "t.json");
  try {
    (void)c.read_string();
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(), "t.json: at offset 0: expected a string, got array");
  }
}

}  // namespace
