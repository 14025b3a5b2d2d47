#pragma once

/// @file
/// @brief safetensors header reader: the little-endian u64 header length, the JSON header
/// (`__metadata__` and one entry per tensor: dtype, shape, data_offsets) and every bound the
/// format sets. Reads the header only, through a bounded `byte_source`.

#include <shardfit/core/checked.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/byte_source.hpp>
#include <shardfit/io/json_cursor.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief A safetensors dtype and its width in bits.
struct safetensors_dtype {
  std::string_view name;  ///< as written in headers ("BF16", "F8_E4M3")
  std::uint32_t bits = 0;

  friend bool operator==(const safetensors_dtype&, const safetensors_dtype&) = default;
};

namespace detail {

inline constexpr std::array<safetensors_dtype, 20> safetensors_dtypes{{
    {"BOOL", 8}, {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},
    {"U16", 16}, {"F16", 16},    {"BF16", 16},   {"I32", 32},    {"U32", 32},
    {"F32", 32}, {"C64", 64},    {"F64", 64},    {"I64", 64},    {"U64", 64},
}};

}  // namespace detail

/// @brief The dtype named `name` (exact, as the format writes it), or nothing.
[[nodiscard]] constexpr std::optional<safetensors_dtype> safetensors_dtype_by_name(
    std::string_view name) noexcept {
  for (const auto& d : detail::safetensors_dtypes) {
    if (d.name == name) return d;
  }
  return std::nullopt;
}

/// @brief One tensor of a safetensors file.
struct safetensors_tensor {
  std::string name;
  safetensors_dtype dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0;  ///< data offset relative to the data section
  std::uint64_t end = 0;    ///< one past the last byte, relative to the data section

  /// @brief Bytes of data.
  [[nodiscard]] bytes size() const noexcept { return bytes{end - begin}; }
  /// @brief Number of elements.
  [[nodiscard]] std::uint64_t elements() const noexcept;
};

/// @brief Bounds applied while reading a header.
struct safetensors_limits {
  std::uint64_t max_header_bytes = 100'000'000;  ///< the format's own limit
  std::size_t max_rank = 32;                     ///< dimensions per tensor
};

/// @brief A parsed safetensors header.
///
/// Example:
/// @code
///   auto h = shardfit::safetensors_header::open("model-00001-of-00004.safetensors");
///   for (const auto& t : h.tensors()) std::cout << t.name << ' ' << t.size().count() << '\n';
/// @endcode
class safetensors_header {
 public:
  /// @brief Reads and validates the header of `src`.
  /// @throws shardfit::error (invalid_format, limit_exceeded) naming the source, the offset or
  /// the tensor.
  [[nodiscard]] static safetensors_header read(const byte_source& src,
                                               const safetensors_limits& limits = {});

  /// @brief Opens and reads the file at `path`.
  [[nodiscard]] static safetensors_header open(const std::string& path,
                                               const safetensors_limits& limits = {});

  /// @brief The path or name of the source.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// @brief Size of the whole file.
  [[nodiscard]] std::uint64_t file_size() const noexcept { return file_size_; }
  /// @brief Bytes of JSON header (the u64 length prefix excluded).
  [[nodiscard]] std::uint64_t header_size() const noexcept { return header_size_; }
  /// @brief Absolute offset of the data section (8 + header_size).
  [[nodiscard]] std::uint64_t data_offset() const noexcept { return 8 + header_size_; }
  /// @brief End of the last tensor's data, relative to the data section.
  [[nodiscard]] bytes data_size() const noexcept { return data_size_; }
  /// @brief Tensors in header order.
  [[nodiscard]] std::span<const safetensors_tensor> tensors() const noexcept { return tensors_; }
  /// @brief `__metadata__` entries in header order.
  [[nodiscard]] std::span<const std::pair<std::string, std::string>> metadata() const noexcept;
  /// @brief The tensor named `name`, or null.
  [[nodiscard]] const safetensors_tensor* find(std::string_view name) const noexcept;

 private:
  std::string path_;
  std::uint64_t file_size_ = 0;
  std::uint64_t header_size_ = 0;
  bytes data_size_;
  std::vector<safetensors_tensor> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/safetensors-inl.hpp>
#endif
