#include <shardfit/formats/gguf.hpp>
#include <shardfit/formats/gguf_writer.hpp>

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using shardfit::byte_source;
using shardfit::errc;
using shardfit::gguf_builder;
using shardfit::gguf_file;
using shardfit::gguf_type;
using shardfit::test::temp_dir;

std::string shared_data() {
  return SHARDFIT_SHARED_DATA;
}

// What @huggingface/gguf 0.4.6 (../shared/tools/llama-truth/hf_parse.mjs) reports for the
// shared files: metadata keys (without its pseudo keys), tensors, tensorDataOffset, arch.
struct independent_parse {
  const char* file;
  std::size_t keys;
  std::size_t tensors;
  std::uint64_t data_offset;
  const char* arch;
};
constexpr std::array<independent_parse, 16> kTruth{{
    {"ggml-vocab-baichuan.gguf", 18, 0, 1341024, "baichuan"},
    {"ggml-vocab-bert-bge.gguf", 20, 0, 627552, "bert"},
    {"ggml-vocab-deepseek-coder.gguf", 25, 0, 1156096, "llama"},
    {"ggml-vocab-deepseek-llm.gguf", 23, 0, 3970176, "llama"},
    {"ggml-vocab-falcon.gguf", 18, 0, 2287744, "falcon"},
    {"ggml-vocab-gpt-2.gguf", 16, 0, 1766816, "gpt2"},
    {"ggml-vocab-gpt-neox.gguf", 17, 0, 1771456, "gptneox"},
    {"ggml-vocab-llama-spm.gguf", 22, 0, 723872, "llama"},
    {"ggml-vocab-mpt.gguf", 17, 0, 1771424, "mpt"},
    {"ggml-vocab-phi-3.gguf", 26, 0, 726048, "phi3"},
    {"ggml-vocab-refact.gguf", 18, 0, 1720736, "refact"},
    {"ggml-vocab-starcoder.gguf", 19, 0, 1719360, "starcoder2"},
    {"tiny/L4_f16.gguf", 22, 39, 25856, "llama"},
    {"tiny/L4_f16_split-00001-of-00003.gguf", 25, 13, 24416, "llama"},
    {"tiny/L4_q4_0.gguf", 22, 39, 25856, "llama"},
    {"tiny/L4_q8_0.gguf", 22, 39, 25856, "llama"},
}};

TEST(Gguf, SharedFilesMatchAnIndependentParser) {
  if (!std::filesystem::exists(shared_data() + "/gguf/MANIFEST.tsv")) {
    GTEST_SKIP() << "../shared/data is absent: the real GGUF files are not checked here";
  }
  for (const auto& t : kTruth) {
    SCOPED_TRACE(t.file);
    const auto f = gguf_file::open(shared_data() + "/gguf/" + t.file);
    EXPECT_EQ(f.version(), 3U);
    EXPECT_FALSE(f.big_endian());
    EXPECT_EQ(f.metadata().size(), t.keys);
    EXPECT_EQ(f.tensors().size(), t.tensors);
    EXPECT_EQ(f.data_offset(), t.data_offset);
    EXPECT_EQ(f.architecture(), t.arch);
    EXPECT_EQ(f.alignment(), 32U);
    if (t.tensors == 0) {
      EXPECT_GT(f.data_offset(), f.file_size());  // vocab-only: valid
    }
  }
  const auto split2 =
      gguf_file::open(shared_data() + "/gguf/tiny/L4_f16_split-00002-of-00003.gguf");
  EXPECT_EQ(split2.metadata().size(), 3U);
  EXPECT_EQ(split2.data_offset(), 896U);
  EXPECT_EQ(split2.architecture(), "");
}

TEST(Gguf, VocabularyArraysAreReadLazily) {
  const std::string path = shared_data() + "/gguf/ggml-vocab-llama-spm.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared/data is absent";
  const auto f = gguf_file::open(path);
  const auto* tokens = f.find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_TRUE(tokens->is_array());
  EXPECT_EQ(tokens->element_type(), gguf_type::string);
  EXPECT_EQ(tokens->size(), 32000U);
  std::vector<std::string> first;
  tokens->for_each([&](const shardfit::gguf_value& v) {
    if (first.size() < 3) first.emplace_back(*v.to_string());
  });
  EXPECT_EQ(first, (std::vector<std::string>{"<unk>", "<s>", "</s>"}));
  EXPECT_EQ(f.get_u64("llama.block_count"), 32U);
  EXPECT_EQ(f.get_u64("llama.context_length"), 4096U);
}

TEST(Gguf, EveryValueTypeRoundTrips) {
  gguf_builder b(64);
  b.add_u8("u8", 200);
  b.add_i8("i8", -100);
  b.add_u16("u16", 60000);
  b.add_i16("i16", -30000);
  b.add_u32("u32", 4000000000U);
  b.add_i32("i32", -2000000000);
  b.add_f32("f32", 1.5F);
  b.add_bool("bool", true);
  b.add_string("str", "héllo");
  b.add_u64("u64", 18446744073709551615ULL);
  b.add_i64("i64", -9223372036854775807LL);
  b.add_f64("f64", -2.25);
  const std::vector<std::int32_t> ints{1, -2, 3};
  b.add_array<std::int32_t>("arr.i32", gguf_type::int32, ints);
  const std::vector<std::string> strs{"a", "", "ccc"};
  b.add_strings("arr.str", strs);
  b.add_tensor("t0", {64, 2}, 0);  // f32: 512 bytes
  b.add_tensor("t1", {32, 3}, 8);  // q8_0: 3 blocks of 34 = 102 bytes
  const auto bytes = b.header();
  std::vector<std::byte> file = bytes;
  file.resize(file.size() + b.data_size());
  const auto f = gguf_file::read(byte_source::from_memory(file, "mem.gguf"));
  EXPECT_EQ(f.path(), "mem.gguf");
  EXPECT_EQ(f.alignment(), 64U);
  EXPECT_EQ(f.metadata().size(), 15U);  // 14 added + general.alignment
  EXPECT_EQ(f.data_offset() % 64, 0U);
  EXPECT_EQ(f.data_offset(), bytes.size());
  EXPECT_EQ(*f.find("u8")->to_u64(), 200U);
  EXPECT_EQ(*f.find("i8")->to_i64(), -100);
  EXPECT_EQ(*f.find("u16")->to_u64(), 60000U);
  EXPECT_EQ(*f.find("i16")->to_i64(), -30000);
  EXPECT_EQ(*f.find("u32")->to_u64(), 4000000000U);
  EXPECT_EQ(*f.find("i32")->to_i64(), -2000000000);
  EXPECT_EQ(*f.find("f32")->to_f64(), 1.5);
  EXPECT_EQ(*f.find("bool")->to_bool(), true);
  EXPECT_EQ(*f.find("str")->to_string(), "héllo");
  EXPECT_EQ(*f.find("u64")->to_u64(), 18446744073709551615ULL);
  EXPECT_FALSE(f.find("u64")->to_i64().has_value());  // out of range, not wrapped
  EXPECT_EQ(*f.find("i64")->to_i64(), -9223372036854775807LL);
  EXPECT_FALSE(f.find("i64")->to_u64().has_value());
  EXPECT_EQ(*f.find("f64")->to_f64(), -2.25);
  EXPECT_FALSE(f.find("arr.i32")->to_u64_array().has_value());  // has a negative element
  std::vector<std::int64_t> got;
  f.find("arr.i32")->for_each([&](const shardfit::gguf_value& v) { got.push_back(*v.to_i64()); });
  EXPECT_EQ(got, (std::vector<std::int64_t>{1, -2, 3}));
  std::vector<std::string> got_s;
  f.find("arr.str")->for_each(
      [&](const shardfit::gguf_value& v) { got_s.emplace_back(*v.to_string()); });
  EXPECT_EQ(got_s, strs);
  ASSERT_EQ(f.tensors().size(), 2U);
  EXPECT_EQ(f.tensors()[0].name, "t0");
  EXPECT_EQ(f.tensors()[0].size.count(), 512U);
  EXPECT_EQ(f.tensors()[1].offset, 512U);
  EXPECT_EQ(f.tensors()[1].size.count(), 102U);
  EXPECT_EQ(f.tensors()[1].type.name, "q8_0");
  EXPECT_EQ(f.data_size().count(), 614U);  // the end of the last tensor: 512 + 102
  EXPECT_EQ(f.get_string("str"), "héllo");
  EXPECT_FALSE(f.get_u64("absent").has_value());
  try {
    (void)f.get_u64("str");
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(),
                 "mem.gguf: metadata key 'str' must be a non-negative integer, not string");
  }
}

// A hand-written little- or big-endian GGUF, for versions the writer does not emit.
class raw_gguf {
 public:
  raw_gguf(std::uint32_t version, bool big) : v1_(version == 1), big_(big) {
    bytes_.insert(bytes_.end(), {std::byte{'G'}, std::byte{'G'}, std::byte{'U'}, std::byte{'F'}});
    u32(version);
  }
  void u8(std::uint8_t v) { bytes_.push_back(std::byte{v}); }
  void u32(std::uint32_t v) { num(v, 4); }
  void u64(std::uint64_t v) { num(v, 8); }
  void len(std::uint64_t v) { v1_ ? u32(static_cast<std::uint32_t>(v)) : u64(v); }
  void str(std::string_view s) {
    len(s.size());
    for (char c : s) bytes_.push_back(static_cast<std::byte>(c));
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  void num(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      const int shift = big_ ? 8 * (n - 1 - i) : 8 * i;
      bytes_.push_back(static_cast<std::byte>((v >> shift) & 0xFF));
    }
  }
  bool v1_;
  bool big_;
  std::vector<std::byte> bytes_;
};

std::vector<std::byte> small_model(std::uint32_t version, bool big) {
  raw_gguf g(version, big);
  g.len(1);  // tensors
  g.len(3);  // metadata
  g.str("general.architecture");
  g.u32(8);
  g.str("llama");
  g.str("llama.block_count");
  g.u32(4);
  g.u32(7);
  g.str("nested");
  g.u32(9);
  g.u32(9);  // array of arrays
  g.len(2);
  g.u32(4);  // [u32 x2]
  g.len(2);
  g.u32(1);
  g.u32(2);
  g.u32(8);  // [string x1]
  g.len(1);
  g.str("x");
  g.str("w");  // tensor
  g.u32(2);
  g.len(4);
  g.len(2);
  g.u32(0);  // f32
  g.u64(0);
  auto& b = g.bytes();
  while (b.size() % 32 != 0) b.push_back(std::byte{0});
  b.resize(b.size() + 32);
  return b;
}

TEST(Gguf, ReadsVersionsOneTwoThreeInBothByteOrders) {
  for (const std::uint32_t version : {1U, 2U, 3U}) {
    for (const bool big : {false, true}) {
      SCOPED_TRACE("v" + std::to_string(version) + (big ? " big-endian" : " little-endian"));
      const auto bytes = small_model(version, big);
      const auto f = gguf_file::read(byte_source::from_memory(bytes, "m.gguf"));
      EXPECT_EQ(f.version(), version);
      EXPECT_EQ(f.big_endian(), big);
      EXPECT_EQ(f.architecture(), "llama");
      EXPECT_EQ(f.get_u64("llama.block_count"), 7U);
      const auto* nested = f.find("nested");
      ASSERT_NE(nested, nullptr);
      EXPECT_EQ(nested->size(), 2U);
      std::vector<std::size_t> sizes;
      nested->for_each([&](const shardfit::gguf_value& e) { sizes.push_back(e.size()); });
      EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 1}));
      std::vector<std::uint64_t> inner;
      nested->for_each([&](const shardfit::gguf_value& e) {
        if (auto a = e.to_u64_array()) inner = *a;
      });
      EXPECT_EQ(inner, (std::vector<std::uint64_t>{1, 2}));
      ASSERT_EQ(f.tensors().size(), 1U);
      EXPECT_EQ(f.tensors()[0].ne[0], 4U);
      EXPECT_EQ(f.tensors()[0].size.count(), 32U);
      EXPECT_EQ(f.data_offset() % 32, 0U);
    }
  }
}

// Expects `bytes` to be refused with an error of `code` whose text contains `fragment`.
void expect_refused(const std::vector<std::byte>& bytes, errc code, const std::string& fragment) {
  try {
    (void)gguf_file::read(byte_source::from_memory(bytes, "bad.gguf"));
    ADD_FAILURE() << "accepted; expected: " << fragment;
  } catch (const shardfit::error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("bad.gguf: ", 0), 0U) << e.what();
  }
}

TEST(Gguf, HostileHeadersAreRefusedWithoutLargeAllocations) {
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1ULL << 60);  // 2^60 metadata entries in a 24-byte file
    expect_refused(g.bytes(), errc::truncated,
                   "at offset 24: the name of metadata key 0 needs 8 bytes");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.u64(1ULL << 62);  // a key of 2^62 bytes
    expect_refused(g.bytes(), errc::truncated,
                   "needs 4611686018427387904 bytes, but the file ends at 32");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.str("a");
    g.u32(9);
    g.u32(0);
    g.u64(1ULL << 40);  // 2^40 u8 elements
    expect_refused(g.bytes(), errc::invalid_format, "claims 1099511627776 elements of 1 bytes");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.str("a");
    g.u32(9);
    g.u32(8);
    g.u64(1ULL << 40);  // 2^40 strings
    expect_refused(g.bytes(), errc::invalid_format, "claims 1099511627776 elements, more than");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.str("a");
    g.u32(13);  // no such type
    expect_refused(g.bytes(), errc::invalid_format, "metadata key 'a' has invalid type 13");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(2);
    g.str("a");
    g.u32(4);
    g.u32(1);
    g.str("a");
    g.u32(4);
    g.u32(2);
    expect_refused(g.bytes(), errc::invalid_format, "duplicate metadata key 'a'");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(1);
    g.u64(8);
    g.u32(99);  // unknown ggml type
    g.u64(0);
    expect_refused(g.bytes(), errc::unsupported, "tensor 'w' has unknown ggml type id 99");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(5);  // five dims
    expect_refused(g.bytes(), errc::invalid_format,
                   "tensor 'w' has 5 dimensions; ggml supports at most 4");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(1);
    g.u64(33);
    g.u32(8);  // q8_0 rows must be multiples of 32
    g.u64(0);
    expect_refused(g.bytes(), errc::invalid_format,
                   "has rows of 33 elements, not a multiple of its block of 32");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(2);
    g.u64(1ULL << 40);
    g.u64(1ULL << 40);  // 2^80 elements
    g.u32(0);
    g.u64(0);
    expect_refused(g.bytes(), errc::invalid_format, "has a size that overflows 64 bits");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(1);
    g.u64(1024);
    g.u32(0);
    g.u64(0);  // 4096 bytes of data in a file that has none
    expect_refused(g.bytes(), errc::truncated, "tensor 'w' data [0, +4096) past the data section");
  }
  {
    raw_gguf g(3, false);
    g.u64(1);
    g.u64(0);
    g.str("w");
    g.u32(1);
    g.u64(8);
    g.u32(0);
    g.u64(16);  // not aligned to 32
    g.bytes().resize(256);
    expect_refused(g.bytes(), errc::invalid_format,
                   "offset 16 is not a multiple of the alignment 32");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.str("general.alignment");
    g.u32(4);
    g.u32(48);
    expect_refused(g.bytes(), errc::invalid_format, "general.alignment 48 is not a power of 2");
  }
  {
    raw_gguf g(3, false);
    g.u64(0);
    g.u64(1);
    g.str("general.alignment");
    g.u32(10);  // u64: must be u32
    g.u64(32);
    expect_refused(g.bytes(), errc::invalid_format, "general.alignment must be uint32, not uint64");
  }
  {
    raw_gguf g(4, false);
    g.u64(0);
    g.u64(0);
    expect_refused(g.bytes(), errc::unsupported, "GGUF version 4 is not supported");
  }
  std::vector<std::byte> not_gguf(64, std::byte{0});
  expect_refused(not_gguf, errc::invalid_format, "not a GGUF file (bad magic)");
}

// Issue 18: a shard that claims 2^63 tensors (or 2^63 metadata keys) in a large sparse file
// (64 GiB of zeros after the header) is refused at the first entry, naming the file and the
// offset: no allocation proportional to the count, no read of billions of zero entries.
TEST(Gguf, HugeCountsInALargeSparseFileAreRefusedAtTheFirstEntry) {
  const temp_dir d;
  for (const bool tensors : {true, false}) {
    raw_gguf g(3, false);
    g.u64(tensors ? 1ULL << 63U : 0);
    g.u64(tensors ? 0 : 1ULL << 63U);
    const auto& b = g.bytes();
    const std::string path =
        d.write(tensors ? "t.gguf" : "k.gguf",
                std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(64ULL << 30U)), 0);
    try {
      (void)gguf_file::open(path);
      ADD_FAILURE() << "no error";
    } catch (const shardfit::error& e) {
      EXPECT_EQ(e.code(), errc::invalid_format);
      EXPECT_EQ(std::string(e.what()),
                path + (tensors ? ": at offset 24: tensor info 0 has an empty name"
                                : ": at offset 24: metadata key 0 is empty"));
    }
  }
}

TEST(Gguf, NestedArraysAreBounded) {
  raw_gguf g(3, false);
  g.u64(0);
  g.u64(1);
  g.str("deep");
  g.u32(9);
  for (int i = 0; i < 20; ++i) {
    g.u32(9);
    g.u64(1);
  }
  g.bytes().resize(g.bytes().size() + 64);
  expect_refused(g.bytes(), errc::invalid_format, "nests arrays deeper than 8 levels");
}

TEST(Gguf, EveryTruncationAndBitFlipIsAnErrorOrAValidFile) {
  temp_dir d;
  shardfit::test::tiny_llama m;
  m.layers = 2;
  const auto path = shardfit::test::write_tiny_llama(d / "m.gguf", m);
  std::vector<std::byte> bytes(std::filesystem::file_size(path));
  {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const auto header = gguf_file::read(byte_source::from_memory(bytes)).data_offset();
  for (std::size_t cut = 0; cut < header; cut += 7) {
    std::vector<std::byte> t(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_THROW((void)gguf_file::read(byte_source::from_memory(t)), shardfit::error) << cut;
  }
  std::size_t accepted = 0;
  for (std::size_t at = 0; at < header; at += 3) {
    auto flipped = bytes;
    flipped[at] ^= std::byte{0x5a};
    try {
      (void)gguf_file::read(byte_source::from_memory(flipped));
      ++accepted;  // e.g. a flipped character inside a string value
    } catch (const shardfit::error&) {
    }
  }
  EXPECT_LT(accepted, header / 3);
}

TEST(Gguf, ReadsOnlyAsFarAsTheHeaderAndNeverPastTheSource) {
  temp_dir d;
  shardfit::test::tiny_llama m;
  m.embd = 1024;
  m.vocab = 32000;
  m.ff = 2816;
  m.layers = 8;
  const auto path = shardfit::test::write_tiny_llama(d / "m.gguf", m);
  const auto file = byte_source::from_file(path);
  std::uint64_t largest_end = 0;
  std::uint64_t read_bytes = 0;
  const auto counting = byte_source::from_reader(
      file.size(),
      [&](std::uint64_t off, std::span<std::byte> dst) {
        largest_end = std::max<std::uint64_t>(largest_end, off + dst.size());
        read_bytes += dst.size();
        return file.read(off, dst);
      },
      "counted.gguf");
  const auto f = gguf_file::read(counting);
  EXPECT_EQ(f.tensors().size(), 75U);
  EXPECT_GT(file.size(), 100'000'000U);  // the weights
  EXPECT_LE(read_bytes, 256U * 1024);    // one read-ahead of the header
  EXPECT_LE(largest_end, file.size());
  EXPECT_EQ(f.data_size().count(), file.size() - f.data_offset());
}

}  // namespace
