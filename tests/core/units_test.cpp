#include <shardfit/core/units.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace {

using shardfit::bytes;
using shardfit::errc;
using shardfit::parse_bytes;
using namespace shardfit::literals;

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TEST(Bytes, ParsesPlainCounts) {
  EXPECT_EQ(parse_bytes("4096").count(), 4096U);
  EXPECT_EQ(parse_bytes("0").count(), 0U);
  EXPECT_EQ(parse_bytes("  17  ").count(), 17U);
  EXPECT_EQ(parse_bytes("18446744073709551615").count(), kMax);
}

TEST(Bytes, ParsesDecimalAndBinaryUnits) {
  EXPECT_EQ(parse_bytes("4GB").count(), 4'000'000'000U);
  EXPECT_EQ(parse_bytes("4GiB").count(), 4ULL << 30);
  EXPECT_EQ(parse_bytes("4 GiB").count(), 4ULL << 30);
  EXPECT_EQ(parse_bytes("4gb").count(), 4'000'000'000U);
  EXPECT_EQ(parse_bytes("4gib").count(), 4ULL << 30);
  EXPECT_EQ(parse_bytes("1.5TiB").count(), 1'649'267'441'664U);
  EXPECT_EQ(parse_bytes("1.5TB").count(), 1'500'000'000'000U);
  EXPECT_EQ(parse_bytes("512B").count(), 512U);
  EXPECT_EQ(parse_bytes("2kB").count(), 2000U);
  EXPECT_EQ(parse_bytes("2KiB").count(), 2048U);
  EXPECT_EQ(parse_bytes("3MB").count(), 3'000'000U);
  EXPECT_EQ(parse_bytes("3MiB").count(), 3ULL << 20);
  EXPECT_EQ(parse_bytes("1PiB").count(), 1ULL << 50);
  EXPECT_EQ(parse_bytes("1EiB").count(), 1ULL << 60);
  EXPECT_EQ(parse_bytes(".5KiB").count(), 512U);
}

TEST(Bytes, ParsesKubernetesQuantities) {
  EXPECT_EQ(parse_bytes("65842148Ki").count(), 65'842'148ULL * 1024);
  EXPECT_EQ(parse_bytes("64Gi").count(), 64ULL << 30);
  EXPECT_EQ(parse_bytes("500M").count(), 500'000'000U);
  EXPECT_EQ(parse_bytes("1G").count(), 1'000'000'000U);
  EXPECT_EQ(parse_bytes("8k").count(), 8000U);
}

TEST(Bytes, FractionsRoundToNearestByte) {
  EXPECT_EQ(parse_bytes("0.1KiB").count(), 102U);            // 102.4
  EXPECT_EQ(parse_bytes("0.0005KiB").count(), 1U);           // 0.512
  EXPECT_EQ(parse_bytes("1.3GiB").count(), 1'395'864'371U);  // 1395864371.2
}

void expect_rejected(const std::string& text, const std::string& fragment) {
  try {
    (void)parse_bytes(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << text;
    EXPECT_NE(std::string(e.what()).find("invalid size '" + text + "'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  std::string problem;
  EXPECT_FALSE(shardfit::try_parse_bytes(text, &problem).has_value()) << text;
  EXPECT_NE(problem.find(fragment), std::string::npos) << problem;
}

TEST(Bytes, RejectsJunkWithAClearMessage) {
  expect_rejected("", "empty size");
  expect_rejected("   ", "empty size");
  expect_rejected("GB", "expected a number");
  expect_rejected("12XB", "unknown unit 'XB'");
  expect_rejected("-1", "cannot be negative");
  expect_rejected("+1", "takes no sign");
  expect_rejected("1.", "decimal point must be followed by digits");
  expect_rejected("1..5GB", "decimal point must be followed by digits");
  expect_rejected("1e9", "unknown unit 'e9'");
  expect_rejected("4 G B", "unknown unit 'G B'");
  expect_rejected("100m", "unknown unit 'm'");  // Kubernetes milli, not mega
  expect_rejected("0x10", "unknown unit 'x10'");
  expect_rejected("18446744073709551616", "too large for 64 bits");
  expect_rejected("17EiB", "exceeds 2^64-1");
  expect_rejected("1.1234567890123456789GB", "more than 18 decimal places");
}

TEST(Bytes, CheckedArithmeticReportsOverflow) {
  EXPECT_EQ((46_GB + 46_GB + 39_GB).count(), 131'000'000'000U);
  EXPECT_EQ((1_GiB - 1_MiB).count(), (1ULL << 30) - (1ULL << 20));
  EXPECT_EQ((3 * 1_GiB).count(), 3ULL << 30);
  EXPECT_EQ((1_GiB / 4).count(), 1ULL << 28);

  try {
    (void)(bytes::max() + 1_B);
    ADD_FAILURE() << "overflow not reported";
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), errc::overflow);
    EXPECT_STREQ(e.what(), "byte count addition overflows 64 bits");
  }
  EXPECT_THROW((void)(1_B - 2_B), shardfit::error);
  EXPECT_THROW((void)(bytes::max() * 2), shardfit::error);
  EXPECT_THROW((void)(shardfit::parse_bytes("1EiB") * 16), shardfit::error);

  EXPECT_FALSE(shardfit::checked_add(bytes::max(), 1_B).has_value());
  EXPECT_EQ(shardfit::checked_add(1_B, 2_B), 3_B);
  EXPECT_FALSE(shardfit::checked_mul(bytes{1ULL << 32}, 1ULL << 32).has_value());
  EXPECT_EQ(shardfit::checked_mul(bytes{1ULL << 31}, 2), bytes{1ULL << 32});
  EXPECT_EQ(shardfit::saturating_sub(1_GiB, 2_GiB), 0_B);
  EXPECT_EQ(shardfit::saturating_sub(2_GiB, 1_GiB), 1_GiB);
}

TEST(Bytes, LiteralsAreExact) {
  static_assert((16_GiB).count() == 17'179'869'184ULL);
  static_assert((4_GB).count() == 4'000'000'000ULL);
  static_assert((1_TiB).count() == 1ULL << 40);
  static_assert((2_TB).count() == 2'000'000'000'000ULL);
  static_assert(1_KiB < 1_MiB);
  SUCCEED();
}

TEST(Bytes, FormatsWithTwoDecimals) {
  using shardfit::to_string;
  EXPECT_EQ(to_string(0_B), "0 B");
  EXPECT_EQ(to_string(1023_B), "1023 B");
  EXPECT_EQ(to_string(1024_B), "1.00 KiB");
  EXPECT_EQ(to_string(1536_B), "1.50 KiB");
  EXPECT_EQ(to_string(46_GiB), "46.00 GiB");
  EXPECT_EQ(to_string(46_GB + 46_GB + 39_GB), "122.00 GiB");
  EXPECT_EQ(to_string(bytes{1'514'590'000'000ULL}), "1.38 TiB");
  EXPECT_EQ(to_string(bytes{1048575}), "1.00 MiB");  // 1023.999 KiB rounds up a unit
  EXPECT_EQ(to_string(bytes{1048570}), "1023.99 KiB");
  EXPECT_EQ(to_string(bytes::max()), "16.00 EiB");
  EXPECT_EQ(shardfit::to_string_decimal(46_GB + 46_GB + 39_GB), "131.00 GB");
  EXPECT_EQ(shardfit::to_string_decimal(4100_B), "4.10 kB");
  EXPECT_EQ(shardfit::to_string_decimal(999_B), "999 B");
}

TEST(Bytes, FormatAndParseRoundTripForWholeUnits) {
  for (const char* text : {"1 KiB", "46 GiB", "3 TiB", "7 MiB"}) {
    const bytes b = parse_bytes(text);
    EXPECT_EQ(parse_bytes(shardfit::to_string(b)), b) << text;
  }
}

}  // namespace
