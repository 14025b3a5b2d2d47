#pragma once

/// @file
/// @brief Builds GGUF v3 headers (little-endian): metadata of every type, tensor infos with
/// aligned offsets, and the padding up to the data section. Used by the resharder to write
/// split files, and by tests and tools to make models without weights.

#include <shardfit/core/checked.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/formats/gguf.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

/// @brief A GGUF header under construction.
///
/// Example:
/// @code
///   shardfit::gguf_builder b;
///   b.add_string("general.architecture", "llama");
///   b.add_u32("llama.block_count", 2);
///   b.add_tensor("token_embd.weight", {256, 1000}, 1);  // f16
///   std::vector<std::byte> header = b.header();          // then b.data_size() bytes of data
/// @endcode
class gguf_builder {
 public:
  /// @brief A builder with data alignment `alignment` (written as general.alignment when it is
  /// not the default 32).
  explicit gguf_builder(std::uint32_t alignment = 32);

  void add_u8(std::string_view key, std::uint8_t v) { scalar(key, gguf_type::uint8, v); }
  void add_i8(std::string_view key, std::int8_t v) { scalar(key, gguf_type::int8, v); }
  void add_u16(std::string_view key, std::uint16_t v) { scalar(key, gguf_type::uint16, v); }
  void add_i16(std::string_view key, std::int16_t v) { scalar(key, gguf_type::int16, v); }
  void add_u32(std::string_view key, std::uint32_t v) { scalar(key, gguf_type::uint32, v); }
  void add_i32(std::string_view key, std::int32_t v) { scalar(key, gguf_type::int32, v); }
  void add_f32(std::string_view key, float v) { scalar(key, gguf_type::float32, v); }
  void add_u64(std::string_view key, std::uint64_t v) { scalar(key, gguf_type::uint64, v); }
  void add_i64(std::string_view key, std::int64_t v) { scalar(key, gguf_type::int64, v); }
  void add_f64(std::string_view key, double v) { scalar(key, gguf_type::float64, v); }
  void add_bool(std::string_view key, bool v);
  void add_string(std::string_view key, std::string_view v);
  /// @brief An array of strings.
  void add_strings(std::string_view key, std::span<const std::string> values);
  /// @brief An array of a fixed-size numeric type `T` stored as `type`.
  template <class T>
  void add_array(std::string_view key, gguf_type type, std::span<const T> values) {
    if (detail::gguf_scalar_size(type) != sizeof(T)) {
      throw error::invalid_argument("array element type does not match its C++ type");
    }
    begin_kv(key, gguf_type::array);
    put(static_cast<std::uint32_t>(type));
    put(static_cast<std::uint64_t>(values.size()));
    for (const auto& v : values) put(v);
  }
  /// @brief Copies a value read from another file (any version or byte order) under `key`.
  void add_value(std::string_view key, const gguf_value& v);

  /// @brief Adds a tensor of ggml type `type_id` with dims `ne` (ggml order); its data offset
  /// is the next aligned position. Returns that offset.
  std::uint64_t add_tensor(std::string_view name, std::span<const std::uint64_t> ne,
                           std::uint32_t type_id);
  /// @brief Same, with dims given as a list: `add_tensor("x", {256, 1000}, 1)`.
  std::uint64_t add_tensor(std::string_view name, std::initializer_list<std::uint64_t> ne,
                           std::uint32_t type_id);

  /// @brief The header: magic, version 3, counts, metadata, tensor infos, padding.
  [[nodiscard]] std::vector<std::byte> header() const;

  /// @brief Bytes of the data section (every tensor, each padded to the alignment).
  [[nodiscard]] std::uint64_t data_size() const noexcept { return data_size_; }
  /// @brief Number of metadata entries added.
  [[nodiscard]] std::uint64_t kv_count() const noexcept { return n_kv_; }
  /// @brief Number of tensors added.
  [[nodiscard]] std::size_t tensor_count() const noexcept { return tensors_.size(); }
  /// @brief The data alignment.
  [[nodiscard]] std::uint32_t alignment() const noexcept { return alignment_; }

 private:
  struct tensor_info {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::uint64_t offset;
  };

  template <class T>
  void put(T v) {
    static_assert(std::endian::native == std::endian::little, "the writer emits little-endian");
    const auto* b = reinterpret_cast<const std::byte*>(&v);
    kv_.insert(kv_.end(), b, b + sizeof(T));
  }
  void put_string(std::string_view s);
  void begin_kv(std::string_view key, gguf_type type);
  template <class T>
  void scalar(std::string_view key, gguf_type type, T v) {
    begin_kv(key, type);
    put(v);
  }
  void put_value(const gguf_value& v);

  std::uint32_t alignment_;
  std::uint64_t n_kv_ = 0;
  std::vector<std::byte> kv_;
  std::vector<tensor_info> tensors_;
  std::uint64_t data_size_ = 0;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/gguf_writer-inl.hpp>
#endif
