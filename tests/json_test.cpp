#include <shardfit/json.hpp>

#include <gtest/gtest.h>

namespace {

using shardfit::bytes;
using namespace shardfit::literals;

TEST(JsonAdapter, BytesAreExactIntegers) {
  const nlohmann::json j = 46_GiB;
  EXPECT_EQ(j.dump(), "49392123904");
  const nlohmann::ordered_json oj = 1_B;
  EXPECT_EQ(oj.dump(), "1");
}

TEST(JsonAdapter, BytesReadIntegersAndStrings) {
  EXPECT_EQ(nlohmann::json(17179869184ULL).get<bytes>(), 16_GiB);
  EXPECT_EQ(nlohmann::json("16GiB").get<bytes>(), 16_GiB);
  EXPECT_EQ(nlohmann::json("500GB").get<bytes>(), 500_GB);
  EXPECT_EQ(nlohmann::json(0).get<bytes>(), 0_B);
}

TEST(JsonAdapter, BytesRejectOtherValues) {
  EXPECT_THROW((void)nlohmann::json(-1).get<bytes>(), shardfit::error);
  EXPECT_THROW((void)nlohmann::json(1.5).get<bytes>(), shardfit::error);
  EXPECT_THROW((void)nlohmann::json(true).get<bytes>(), shardfit::error);
  EXPECT_THROW((void)nlohmann::json("lots").get<bytes>(), shardfit::error);
  try {
    (void)nlohmann::json::parse(R"([1])").get<bytes>();
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(),
                 "a size must be an integer or a string such as \"16GiB\", not array [1]");
  }
}

TEST(JsonAdapter, ReasonsVerdictsAndErrors) {
  using shardfit::rule_id;
  const nlohmann::ordered_json r = shardfit::reason{rule_id::tp_vocab, "32 % 3 != 0"};
  EXPECT_EQ(r.dump(), R"({"rule":"tp.vocab","message":"32 % 3 != 0"})");
  EXPECT_EQ(r.get<shardfit::reason>(), (shardfit::reason{rule_id::tp_vocab, "32 % 3 != 0"}));
  EXPECT_THROW(
      (void)nlohmann::json::parse(R"({"rule":"tp.heads","message":"x"})").get<shardfit::reason>(),
      shardfit::error);
  const nlohmann::ordered_json v = shardfit::verdict::reject(rule_id::ep_experts, "b");
  EXPECT_EQ(v.dump(), R"({"ok":false,"rule":"ep.experts","message":"b"})");
  const nlohmann::ordered_json ok = shardfit::verdict::accept();
  EXPECT_EQ(ok.dump(), R"({"ok":true})");
  const nlohmann::ordered_json e = shardfit::error::io("x.gguf", "cannot open");
  EXPECT_EQ(e.dump(), R"({"code":"io_error","path":"x.gguf","message":"cannot open"})");
  const nlohmann::json c = shardfit::errc::unsafe_path;
  EXPECT_EQ(c.dump(), R"("unsafe_path")");
}

}  // namespace
