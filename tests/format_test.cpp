#include <shardfit/format.hpp>

#include <gtest/gtest.h>

namespace {

using namespace shardfit::literals;

TEST(FormatAdapter, BytesPresentations) {
  EXPECT_EQ(fmt::format("{}", 46_GiB), "46.00 GiB");
  EXPECT_EQ(fmt::format("{:b}", 46_GiB), "46.00 GiB");
  EXPECT_EQ(fmt::format("{:d}", 46_GiB), "49.39 GB");
  EXPECT_EQ(fmt::format("{:n}", 46_GiB), "49392123904");
  EXPECT_EQ(fmt::format("{:d}", 46_GB + 46_GB + 39_GB), "131.00 GB");
}

TEST(FormatAdapter, BadSpecIsRejected) {
  EXPECT_THROW((void)fmt::format(fmt::runtime("{:q}"), 1_B), fmt::format_error);
}

TEST(FormatAdapter, ErrcAndReason) {
  EXPECT_EQ(fmt::format("{}", shardfit::errc::overflow), "overflow");
  EXPECT_EQ(fmt::format("{:>10}", shardfit::errc::overflow), "  overflow");
  EXPECT_EQ(
      fmt::format("{}", shardfit::reason{shardfit::rule_id::tp_attention_heads, "32 % 3 != 0"}),
      "tp.attention_heads: 32 % 3 != 0");
}

}  // namespace
