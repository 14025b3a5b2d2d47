#include <shardfit/core/error.hpp>

#include <gtest/gtest.h>

namespace {

using shardfit::errc;
using shardfit::error;

TEST(Error, WhatNamesThePathAndTheProblem) {
  const error e = error::format("models/m.gguf", 24, "tensor count exceeds the file");
  EXPECT_STREQ(e.what(), "models/m.gguf: at offset 24: tensor count exceeds the file");
  EXPECT_EQ(e.code(), errc::invalid_format);
  EXPECT_EQ(e.path(), "models/m.gguf");
  EXPECT_EQ(e.message(), "at offset 24: tensor count exceeds the file");
}

TEST(Error, WithoutPathWhatIsTheMessage) {
  const error e = error::invalid_argument("bad size");
  EXPECT_STREQ(e.what(), "bad size");
  EXPECT_TRUE(e.path().empty());
  EXPECT_EQ(e.code(), errc::invalid_argument);
}

TEST(Error, NamedConstructorsSetTheirCodes) {
  EXPECT_EQ(error::io("f", "x").code(), errc::io_error);
  EXPECT_EQ(error::overflow("sum").code(), errc::overflow);
  EXPECT_STREQ(error::overflow("sum").what(), "sum overflows 64 bits");
  EXPECT_EQ(error::limit("f", "x").code(), errc::limit_exceeded);
  EXPECT_EQ(error::format("f", "x").code(), errc::invalid_format);
  EXPECT_STREQ(error::format("cfg.json", "key 'x' must be a number").what(),
               "cfg.json: key 'x' must be a number");
}

TEST(Error, IsARuntimeError) {
  try {
    throw error(errc::not_found, "dir", "no such directory");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "dir: no such directory");
  }
}

TEST(Error, CodesHaveStableNames) {
  EXPECT_EQ(shardfit::to_string(errc::invalid_argument), "invalid_argument");
  EXPECT_EQ(shardfit::to_string(errc::overflow), "overflow");
  EXPECT_EQ(shardfit::to_string(errc::io_error), "io_error");
  EXPECT_EQ(shardfit::to_string(errc::not_found), "not_found");
  EXPECT_EQ(shardfit::to_string(errc::invalid_format), "invalid_format");
  EXPECT_EQ(shardfit::to_string(errc::unsupported), "unsupported");
  EXPECT_EQ(shardfit::to_string(errc::incomplete), "incomplete");
  EXPECT_EQ(shardfit::to_string(errc::unsafe_path), "unsafe_path");
  EXPECT_EQ(shardfit::to_string(errc::limit_exceeded), "limit_exceeded");
  EXPECT_EQ(shardfit::to_string(errc::contract_violation), "contract_violation");
  EXPECT_EQ(shardfit::to_string(errc::already_exists), "already_exists");
  EXPECT_EQ(shardfit::to_string(errc::truncated), "truncated");
  EXPECT_EQ(shardfit::to_string(static_cast<errc>(999)), "unknown");
}

TEST(Verdict, CarriesAReasonWhenRejected) {
  const auto ok = shardfit::verdict::accept();
  EXPECT_TRUE(static_cast<bool>(ok));
  const auto no = shardfit::verdict::reject(shardfit::rule_id::tp_attention_heads,
                                            "32 heads not divisible by 3");
  EXPECT_FALSE(static_cast<bool>(no));
  EXPECT_EQ(no.why.rule, shardfit::rule_id::tp_attention_heads);
  EXPECT_EQ(to_string(no.why.rule), "tp.attention_heads");
  EXPECT_EQ(no.why.message, "32 heads not divisible by 3");
}

}  // namespace
