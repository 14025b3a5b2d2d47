#pragma once

/// @file
/// @brief Builds GGUF v3 headers (little-endian): metadata of every type, tensor infos with
/// aligned offsets, and the padding up to the data section. Used by the resharder to write
/// split files, and by tests and tools to make models without weights.

#include <shardfit/core/checked.hpp>
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
  explicit gguf_builder(std::uint32_t alignment = 32) : alignment_(alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
      throw error::invalid_argument("GGUF alignment " + std::to_string(alignment) +
                                    " is not a power of 2");
    }
    if (alignment != 32) add_u32("general.alignment", alignment);
  }

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
  void add_bool(std::string_view key, bool v) {
    scalar(key, gguf_type::boolean, static_cast<std::uint8_t>(v ? 1 : 0));
  }
  void add_string(std::string_view key, std::string_view v) {
    begin_kv(key, gguf_type::string);
    put_string(v);
  }
  /// @brief An array of strings.
  void add_strings(std::string_view key, std::span<const std::string> values) {
    begin_kv(key, gguf_type::array);
    put(static_cast<std::uint32_t>(gguf_type::string));
    put(static_cast<std::uint64_t>(values.size()));
    for (const auto& v : values) put_string(v);
  }
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
  void add_value(std::string_view key, const gguf_value& v) {
    begin_kv(key, v.type());
    put_value(v);
  }

  /// @brief Adds a tensor of ggml type `type_id` with dims `ne` (ggml order); its data offset
  /// is the next aligned position. Returns that offset.
  std::uint64_t add_tensor(std::string_view name, std::span<const std::uint64_t> ne,
                           std::uint32_t type_id) {
    const auto traits = ggml_type_info(type_id);
    if (!traits) throw error::invalid_argument("unknown ggml type id " + std::to_string(type_id));
    if (ne.size() > 4) throw error::invalid_argument("a tensor has at most 4 dimensions");
    const auto size = ggml_tensor_bytes(*traits, ne);
    if (!size) throw error::invalid_argument("tensor '" + std::string(name) + "' cannot be sized");
    tensor_info t{std::string(name), {ne.begin(), ne.end()}, type_id, data_size_};
    tensors_.push_back(std::move(t));
    const std::uint64_t offset = data_size_;
    std::uint64_t end = 0;
    if (detail::add_overflows(data_size_, size->count(), end) ||
        detail::align_up_overflows(end, alignment_, data_size_)) {
      throw error::overflow("GGUF data size");
    }
    return offset;
  }
  /// @brief Same, with dims given as a list: `add_tensor("x", {256, 1000}, 1)`.
  std::uint64_t add_tensor(std::string_view name, std::initializer_list<std::uint64_t> ne,
                           std::uint32_t type_id) {
    return add_tensor(name, std::span<const std::uint64_t>(ne.begin(), ne.size()), type_id);
  }

  /// @brief The header: magic, version 3, counts, metadata, tensor infos, padding.
  [[nodiscard]] std::vector<std::byte> header() const {
    std::vector<std::byte> out;
    auto raw = [&out](const void* p, std::size_t n) {
      const auto* b = static_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    };
    auto u32 = [&](std::uint32_t v) { raw(&v, 4); };
    auto u64 = [&](std::uint64_t v) { raw(&v, 8); };
    raw("GGUF", 4);
    u32(3);
    u64(tensors_.size());
    u64(n_kv_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    for (const auto& t : tensors_) {
      u64(t.name.size());
      raw(t.name.data(), t.name.size());
      u32(static_cast<std::uint32_t>(t.ne.size()));
      for (const auto d : t.ne) u64(d);
      u32(t.type);
      u64(t.offset);
    }
    out.resize(static_cast<std::size_t>((out.size() + alignment_ - 1) / alignment_ * alignment_));
    return out;
  }

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
  void put_string(std::string_view s) {
    put(static_cast<std::uint64_t>(s.size()));
    const auto* b = reinterpret_cast<const std::byte*>(s.data());
    kv_.insert(kv_.end(), b, b + s.size());
  }
  void begin_kv(std::string_view key, gguf_type type) {
    if (key.empty()) throw error::invalid_argument("a GGUF metadata key cannot be empty");
    put_string(key);
    put(static_cast<std::uint32_t>(type));
    ++n_kv_;
  }
  template <class T>
  void scalar(std::string_view key, gguf_type type, T v) {
    begin_kv(key, type);
    put(v);
  }
  void put_value(const gguf_value& v) {
    switch (v.type()) {
      case gguf_type::uint8:
        put(static_cast<std::uint8_t>(*v.to_u64()));
        break;
      case gguf_type::int8:
        put(static_cast<std::int8_t>(*v.to_i64()));
        break;
      case gguf_type::uint16:
        put(static_cast<std::uint16_t>(*v.to_u64()));
        break;
      case gguf_type::int16:
        put(static_cast<std::int16_t>(*v.to_i64()));
        break;
      case gguf_type::uint32:
        put(static_cast<std::uint32_t>(*v.to_u64()));
        break;
      case gguf_type::int32:
        put(static_cast<std::int32_t>(*v.to_i64()));
        break;
      case gguf_type::float32:
        put(static_cast<float>(*v.to_f64()));
        break;
      case gguf_type::boolean:
        put(static_cast<std::uint8_t>(*v.to_bool() ? 1 : 0));
        break;
      case gguf_type::string:
        put_string(*v.to_string());
        break;
      case gguf_type::uint64:
        put(*v.to_u64());
        break;
      case gguf_type::int64:
        put(*v.to_i64());
        break;
      case gguf_type::float64:
        put(*v.to_f64());
        break;
      case gguf_type::array:
        put(static_cast<std::uint32_t>(v.element_type()));
        put(v.size());
        v.for_each([this](const gguf_value& e) { put_value(e); });
        break;
    }
  }

  std::uint32_t alignment_;
  std::uint64_t n_kv_ = 0;
  std::vector<std::byte> kv_;
  std::vector<tensor_info> tensors_;
  std::uint64_t data_size_ = 0;
};

}  // namespace shardfit
