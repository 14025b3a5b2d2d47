#include <shardfit/formats/safetensors.hpp>

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace {

using shardfit::byte_source;
using shardfit::errc;
using shardfit::safetensors_header;
using shardfit::test::st_tensor;
using shardfit::test::temp_dir;

TEST(Safetensors, ReadsTensorsAndMetadata) {
  temp_dir d;
  const auto path = shardfit::test::write_safetensors(
      d / "m.safetensors",
      {{"model.embed_tokens.weight", "BF16", {100, 16}, 3200},
       {"model.layers.0.mlp.down_proj.weight", "F8_E4M3", {16, 64}, 1024},
       {"model.layers.0.mlp.down_proj.weight_scale_inv", "F32", {1, 1}, 4},
       {"packed", "F4", {2, 8}, 8},
       {"scalar", "F32", {}, 4},
       {"empty", "F16", {0, 7}, 0}},
      {{"format", "pt"}});
  const auto h = safetensors_header::open(path);
  ASSERT_EQ(h.tensors().size(), 6U);
  EXPECT_EQ(h.tensors()[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(h.tensors()[0].dtype.name, "BF16");
  EXPECT_EQ(h.tensors()[0].shape, (std::vector<std::uint64_t>{100, 16}));
  EXPECT_EQ(h.tensors()[0].size().count(), 3200U);
  EXPECT_EQ(h.tensors()[1].begin, 3200U);
  EXPECT_EQ(h.tensors()[3].dtype.bits, 4U);
  EXPECT_EQ(h.tensors()[4].elements(), 1U);
  EXPECT_EQ(h.data_size().count(), 3200U + 1024 + 4 + 8 + 4);
  EXPECT_EQ(h.data_offset(), 8 + h.header_size());
  EXPECT_EQ(h.file_size(), h.data_offset() + h.data_size().count());
  ASSERT_EQ(h.metadata().size(), 1U);
  EXPECT_EQ(h.metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
  EXPECT_NE(h.find("scalar"), nullptr);
  EXPECT_EQ(h.find("absent"), nullptr);
}

TEST(Safetensors, EveryDtypeHasItsWidth) {
  const std::vector<std::pair<const char*, std::uint32_t>> widths{
      {"BOOL", 8}, {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
      {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},
      {"U16", 16}, {"F16", 16},    {"BF16", 16},   {"I32", 32},    {"U32", 32},
      {"F32", 32}, {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64}};
  for (const auto& [name, bits] : widths) {
    const auto d = shardfit::safetensors_dtype_by_name(name);
    ASSERT_TRUE(d) << name;
    EXPECT_EQ(d->bits, bits) << name;
  }
  EXPECT_FALSE(shardfit::safetensors_dtype_by_name("bf16").has_value());
}

std::vector<std::byte> with_header(const std::string& json, std::size_t data_bytes) {
  std::vector<std::byte> out(8);
  const std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::byte>((n >> (8 * i)) & 0xFF);
  for (char c : json) out.push_back(static_cast<std::byte>(c));
  out.resize(out.size() + data_bytes);
  return out;
}

void expect_refused(const std::vector<std::byte>& bytes, errc code, const std::string& what) {
  try {
    (void)safetensors_header::read(byte_source::from_memory(bytes, "x.safetensors"));
    ADD_FAILURE() << "accepted; expected: " << what;
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(std::string(e.what()), what);
  }
}

TEST(Safetensors, HostileHeadersAreRefused) {
  expect_refused(
      {}, errc::invalid_format,
      "x.safetensors: at offset 0: file of 0 bytes is too short for a safetensors header length");
  {
    auto b = with_header("{}", 0);
    b[7] = std::byte{0x7f};  // a length near 2^63
    expect_refused(b, errc::limit_exceeded,
                   "x.safetensors: at offset 0: header length 9151314442816847874 exceeds the "
                   "limit of 100000000 bytes");
  }
  {
    auto b = with_header("{}", 0);
    b[0] = std::byte{100};  // longer than the file
    expect_refused(
        b, errc::truncated,
        "x.safetensors: at offset 0: header length 100 runs past the end of the file (10 bytes)");
  }
  expect_refused(
      with_header(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          12),
      errc::invalid_format,
      "x.safetensors: tensor 'b' data [4, 12) overlaps the tensor before it (which ends at 8)");
  expect_refused(
      with_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), errc::truncated,
      "x.safetensors: at offset 13: tensor 'a' data ends at 16, past the file's 8 bytes of data");
  expect_refused(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                 errc::invalid_format,
                 "x.safetensors: at offset 13: tensor 'a' has 8 bytes of data but dtype F32 and "
                 "shape need 12");
  expect_refused(with_header(R"({"a":{"dtype":"F99","shape":[1],"data_offsets":[0,1]}})", 8),
                 errc::invalid_format,
                 "x.safetensors: at offset 22: tensor 'a' has unknown dtype 'F99'");
  expect_refused(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
                 errc::invalid_format,
                 "x.safetensors: at offset 13: tensor 'a' data_offsets [8, 4] are reversed");
  expect_refused(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 8),
                 errc::invalid_format,
                 "x.safetensors: at offset 55: tensor 'a' data_offsets must be [begin, end]");
  expect_refused(with_header(R"({"a":{"dtype":"F32"}})", 8), errc::invalid_format,
                 "x.safetensors: at offset 13: tensor 'a' needs dtype, shape and data_offsets");
  expect_refused(
      with_header(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          8),
      errc::invalid_format, "x.safetensors: at offset 66: duplicate tensor 'a'");
  expect_refused(
      with_header(R"({"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", 8),
      errc::invalid_format,
      "x.safetensors: at offset 13: tensor 'a' of F4 has 3 elements, not a whole number of bytes");
  expect_refused(
      with_header(R"({"__metadata__":{"k":1}})", 0), errc::invalid_format,
      "x.safetensors: at offset 29: expected a string for __metadata__ entry 'k', got number");
  expect_refused(with_header(R"([])", 0), errc::invalid_format,
                 "x.safetensors: at offset 8: expected an object, got array");
  expect_refused(
      with_header(
          R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})",
          8),
      errc::invalid_format, "x.safetensors: at offset 101: array has more than 32 elements");
  expect_refused(
      with_header(
          R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 8),
      errc::invalid_format, "x.safetensors: at offset 13: tensor 'a' shape overflows 64 bits");
}

TEST(Safetensors, EveryTruncationIsAnError) {
  temp_dir d;
  const auto path = shardfit::test::write_safetensors(
      d / "m.safetensors", {{"a", "F32", {4}, 16}, {"b", "BF16", {8}, 16}});
  std::vector<std::byte> bytes(std::filesystem::file_size(path));
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::byte> t(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_THROW((void)safetensors_header::read(byte_source::from_memory(t)), shardfit::error)
        << cut;
  }
  EXPECT_EQ(safetensors_header::read(byte_source::from_memory(bytes)).tensors().size(), 2U);
}

}  // namespace
