#pragma once

/// @file
/// @brief GGUF reader (versions 1, 2 and 3, little- and big-endian): metadata of all 13 value
/// types including nested arrays, tensor infos, alignment and the data offset. Reads through a
/// bounded `byte_source`; allocation never exceeds the bytes the file actually holds.

#include <shardfit/core/checked.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/formats/ggml_types.hpp>
#include <shardfit/io/byte_source.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shardfit {

/// @brief GGUF metadata value types (gguf.h).
enum class gguf_type : std::uint32_t {
  uint8 = 0,
  int8 = 1,
  uint16 = 2,
  int16 = 3,
  uint32 = 4,
  int32 = 5,
  float32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  uint64 = 10,
  int64 = 11,
  float64 = 12,
};

/// @brief "uint8", ..., "float64", as gguf.h names them.
[[nodiscard]] constexpr std::string_view to_string(gguf_type t) noexcept {
  constexpr std::array<std::string_view, 13> names{
      "uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
      "bool",  "string", "array",  "uint64", "int64",  "float64"};
  const auto i = static_cast<std::uint32_t>(t);
  return i < names.size() ? names[i] : std::string_view("invalid");
}

namespace detail {

// Byte size of a fixed-size GGUF type; 0 for string and array.
constexpr std::uint64_t gguf_scalar_size(gguf_type t) noexcept {
  switch (t) {
    case gguf_type::uint8:
    case gguf_type::int8:
    case gguf_type::boolean:
      return 1;
    case gguf_type::uint16:
    case gguf_type::int16:
      return 2;
    case gguf_type::uint32:
    case gguf_type::int32:
    case gguf_type::float32:
      return 4;
    case gguf_type::uint64:
    case gguf_type::int64:
    case gguf_type::float64:
      return 8;
    default:
      return 0;
  }
}

template <class T>
T gguf_load(const std::byte* p, bool big_endian) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if (big_endian != (std::endian::native == std::endian::big) && sizeof(T) > 1) {
    std::array<std::byte, sizeof(T)> b{};
    std::memcpy(b.data(), &v, sizeof(T));
    std::reverse(b.begin(), b.end());
    std::memcpy(&v, b.data(), sizeof(T));
  }
  return v;
}

class gguf_parser;

}  // namespace detail

/// @brief A metadata value: a view into the header bytes kept by its `gguf_file` (valid while
/// that file, or a copy of it, lives). Arrays are not materialised; they are read on access.
class gguf_value {
 public:
  /// @brief The value's type.
  [[nodiscard]] gguf_type type() const noexcept { return type_; }

  /// @brief An unsigned value of any integer type (negative values give nothing).
  [[nodiscard]] std::optional<std::uint64_t> to_u64() const noexcept;

  /// @brief A signed value of any integer type that fits 64 signed bits.
  [[nodiscard]] std::optional<std::int64_t> to_i64() const noexcept;

  /// @brief A floating-point or integer value as a double.
  [[nodiscard]] std::optional<double> to_f64() const noexcept;

  /// @brief A boolean.
  [[nodiscard]] std::optional<bool> to_bool() const noexcept;

  /// @brief A string (the bytes as stored; GGUF strings are UTF-8).
  [[nodiscard]] std::optional<std::string_view> to_string() const noexcept;

  /// @brief True for arrays.
  [[nodiscard]] bool is_array() const noexcept { return type_ == gguf_type::array; }
  /// @brief The element type of an array.
  [[nodiscard]] gguf_type element_type() const noexcept { return element_; }
  /// @brief The element count of an array (0 for scalars).
  [[nodiscard]] std::uint64_t size() const noexcept { return count_; }

  /// @brief Calls `f(const gguf_value&)` for each element of an array, in order.
  template <class F>
  void for_each(F&& f) const {
    if (type_ != gguf_type::array) return;
    const std::byte* p = data_;
    for (std::uint64_t i = 0; i < count_; ++i) {
      gguf_value e = element_at(p);
      f(static_cast<const gguf_value&>(e));
      p = e.end_;
    }
  }

  /// @brief The elements of an integer array, or nothing when it is not one.
  [[nodiscard]] std::optional<std::vector<std::uint64_t>> to_u64_array() const;

 private:
  friend class detail::gguf_parser;

  template <class T>
  T load() const noexcept {
    return detail::gguf_load<T>(data_, big_endian_);
  }

  std::uint64_t load_len(const std::byte* p) const noexcept;

  // The array element starting at `p` (its extent was validated when the file was parsed).
  gguf_value element_at(const std::byte* p) const noexcept;

  const std::byte* data_ = nullptr;  // payload: the scalar, the string's bytes, the elements
  const std::byte* end_ = nullptr;   // one past the value's last byte
  std::uint64_t bytes_ = 0;
  std::uint64_t count_ = 0;
  gguf_type type_ = gguf_type::uint8;
  gguf_type element_ = gguf_type::uint8;
  bool big_endian_ = false;
  bool v1_ = false;
};

/// @brief One metadata key and its value.
struct gguf_kv {
  std::string_view key;
  gguf_value value;
};

/// @brief A tensor's description from the header. Dims are in ggml order (ne[0] = row length).
struct gguf_tensor {
  std::string_view name;
  std::uint32_t n_dims = 0;
  std::array<std::uint64_t, 4> ne{1, 1, 1, 1};
  ggml_type_traits type;
  std::uint64_t offset = 0;  ///< relative to the data section
  bytes size;                ///< bytes of data

  /// @brief The dimensions actually stored.
  [[nodiscard]] std::span<const std::uint64_t> dims() const noexcept;
  /// @brief Number of elements.
  [[nodiscard]] std::uint64_t elements() const noexcept { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

/// @brief A parsed GGUF header. Copies share the header bytes.
///
/// Example:
/// @code
///   auto f = shardfit::gguf_file::open("model.gguf");
///   std::string_view arch = f.architecture();             // "llama"
///   auto layers = f.get_u64(std::string(arch) + ".block_count");
///   for (const auto& t : f.tensors()) total += t.size;
/// @endcode
class gguf_file {
 public:
  /// @brief Parses the header read from `src`.
  /// @throws shardfit::error (invalid_format or unsupported) naming the source and the offset.
  [[nodiscard]] static gguf_file read(const byte_source& src);

  /// @brief Opens and parses the file at `path`.
  [[nodiscard]] static gguf_file open(const std::string& path);

  /// @brief The path or name of the source.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// @brief GGUF version (1, 2 or 3).
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  /// @brief True when the file's numbers are big-endian.
  [[nodiscard]] bool big_endian() const noexcept { return big_endian_; }
  /// @brief Size of the whole file.
  [[nodiscard]] std::uint64_t file_size() const noexcept { return file_size_; }
  /// @brief `general.alignment`, or 32.
  [[nodiscard]] std::uint64_t alignment() const noexcept { return alignment_; }
  /// @brief Absolute offset of the tensor data section (may be past the end of a vocab-only file).
  [[nodiscard]] std::uint64_t data_offset() const noexcept { return data_offset_; }
  /// @brief End of the last tensor's data, relative to the data section.
  [[nodiscard]] bytes data_size() const noexcept { return data_size_; }
  /// @brief Every metadata key-value pair, in file order.
  [[nodiscard]] std::span<const gguf_kv> metadata() const noexcept { return kvs_; }
  /// @brief Every tensor, in file order.
  [[nodiscard]] std::span<const gguf_tensor> tensors() const noexcept { return tensors_; }

  /// @brief The value of `key`, or null.
  [[nodiscard]] const gguf_value* find(std::string_view key) const noexcept;

  /// @brief A string value; nothing when absent. @throws shardfit::error if of another type.
  [[nodiscard]] std::optional<std::string_view> get_string(std::string_view key) const;
  /// @brief A non-negative integer value; nothing when absent.
  /// @throws shardfit::error if of another type or negative.
  [[nodiscard]] std::optional<std::uint64_t> get_u64(std::string_view key) const;
  /// @brief A number value; nothing when absent. @throws shardfit::error if not a number.
  [[nodiscard]] std::optional<double> get_f64(std::string_view key) const;
  /// @brief A boolean value; nothing when absent. @throws shardfit::error if of another type.
  [[nodiscard]] std::optional<bool> get_bool(std::string_view key) const;

  /// @brief `general.architecture`, or empty.
  [[nodiscard]] std::string_view architecture() const;

 private:
  friend class detail::gguf_parser;

  [[nodiscard]] error wrong_type(std::string_view key, const gguf_value& v,
                                 std::string_view wanted) const;

  std::shared_ptr<const std::byte[]> header_;
  std::string path_;
  std::uint32_t version_ = 0;
  bool big_endian_ = false;
  std::uint64_t file_size_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  bytes data_size_;
  std::vector<gguf_kv> kvs_;
  std::vector<gguf_tensor> tensors_;
};

namespace detail {

// Reads a GGUF header through a growing buffer: bytes are read from the source only as the
// parser reaches them, so a header that claims more than the file holds fails at the end of the
// file instead of allocating what it claims.
class gguf_parser {
 public:
  explicit gguf_parser(const byte_source& src) : src_(src) {}

  gguf_file parse();

 private:
  struct value_extent {
    std::uint64_t data = 0;  // payload start
    std::uint64_t end = 0;   // one past the value
    gguf_type element = gguf_type::uint8;
    std::uint64_t count = 0;
  };

  static constexpr std::uint64_t max_array_depth = 8;

  [[noreturn]] void fail(std::uint64_t at, const std::string& message) const;

  std::string str(std::uint64_t off, std::uint64_t len) const;

  std::uint64_t remaining() const noexcept { return src_.size() - pos_; }

  // What is being read, for messages; built only when reading fails.
  std::string describe(const char* what) const;

  // Makes bytes [pos_, pos_ + n) available, reading from the source as needed.
  void need(std::uint64_t n, const char* what);

  void grow(std::uint64_t n, const char* what);

  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    const T v = gguf_load<T>(buf_.get() + pos_, big_endian_);
    pos_ += sizeof(T);
    return v;
  }

  std::uint64_t read_len(const char* what);

  std::pair<std::uint64_t, std::uint64_t> read_string(const char* what);

  value_extent read_value(gguf_type type, std::uint64_t depth);

  const byte_source& src_;
  std::unique_ptr<std::byte[]> buf_;  // bytes [0, size_) of the source
  std::uint64_t size_ = 0;
  std::string context_;  // "metadata key 'x'", "tensor 'y'": names what is read in messages
  std::uint64_t pos_ = 0;
  bool big_endian_ = false;
  bool v1_ = false;
};

}  // namespace detail

/// @brief The split fields of a GGUF shard (llama.cpp's gguf-split keys).
struct gguf_split_info {
  std::optional<std::uint64_t> no;             ///< `split.no` (0-based)
  std::optional<std::uint64_t> count;          ///< `split.count`
  std::optional<std::uint64_t> tensors_count;  ///< `split.tensors.count` (the whole set's)
  std::uint64_t tensors = 0;                   ///< tensors in this shard
};

/// @brief Reads the split fields of a parsed shard. @throws shardfit::error for wrong types.
[[nodiscard]] SHARDFIT_INLINE gguf_split_info split_info(const gguf_file& f);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/gguf-inl.hpp>
#endif
