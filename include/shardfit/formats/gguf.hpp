#pragma once

/// @file
/// @brief GGUF reader (versions 1, 2 and 3, little- and big-endian): metadata of all 13 value
/// types including nested arrays, tensor infos, alignment and the data offset. Reads through a
/// bounded `byte_source`; allocation never exceeds the bytes the file actually holds.

#include <shardfit/core/checked.hpp>
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
  [[nodiscard]] std::optional<std::uint64_t> to_u64() const noexcept {
    switch (type_) {
      case gguf_type::uint8:
        return load<std::uint8_t>();
      case gguf_type::uint16:
        return load<std::uint16_t>();
      case gguf_type::uint32:
        return load<std::uint32_t>();
      case gguf_type::uint64:
        return load<std::uint64_t>();
      case gguf_type::int8:
      case gguf_type::int16:
      case gguf_type::int32:
      case gguf_type::int64: {
        const auto v = *to_i64();
        if (v < 0) return std::nullopt;
        return static_cast<std::uint64_t>(v);
      }
      default:
        return std::nullopt;
    }
  }

  /// @brief A signed value of any integer type that fits 64 signed bits.
  [[nodiscard]] std::optional<std::int64_t> to_i64() const noexcept {
    switch (type_) {
      case gguf_type::int8:
        return load<std::int8_t>();
      case gguf_type::int16:
        return load<std::int16_t>();
      case gguf_type::int32:
        return load<std::int32_t>();
      case gguf_type::int64:
        return load<std::int64_t>();
      case gguf_type::uint8:
      case gguf_type::uint16:
      case gguf_type::uint32:
      case gguf_type::uint64: {
        const auto v = *to_u64();
        if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(v);
      }
      default:
        return std::nullopt;
    }
  }

  /// @brief A floating-point or integer value as a double.
  [[nodiscard]] std::optional<double> to_f64() const noexcept {
    if (type_ == gguf_type::float32) return static_cast<double>(load<float>());
    if (type_ == gguf_type::float64) return load<double>();
    if (const auto i = to_i64()) return static_cast<double>(*i);
    if (const auto u = to_u64()) return static_cast<double>(*u);
    return std::nullopt;
  }

  /// @brief A boolean.
  [[nodiscard]] std::optional<bool> to_bool() const noexcept {
    if (type_ != gguf_type::boolean) return std::nullopt;
    return load<std::uint8_t>() != 0;
  }

  /// @brief A string (the bytes as stored; GGUF strings are UTF-8).
  [[nodiscard]] std::optional<std::string_view> to_string() const noexcept {
    if (type_ != gguf_type::string) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_), static_cast<std::size_t>(bytes_));
  }

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
  [[nodiscard]] std::optional<std::vector<std::uint64_t>> to_u64_array() const {
    if (type_ != gguf_type::array || detail::gguf_scalar_size(element_) == 0) return std::nullopt;
    std::vector<std::uint64_t> out;
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count_, 1U << 16U)));
    bool ok = true;
    for_each([&](const gguf_value& e) {
      const auto v = e.to_u64();
      ok = ok && v.has_value();
      out.push_back(v.value_or(0));
    });
    if (!ok) return std::nullopt;
    return out;
  }

 private:
  friend class detail::gguf_parser;

  template <class T>
  T load() const noexcept {
    return detail::gguf_load<T>(data_, big_endian_);
  }

  std::uint64_t load_len(const std::byte* p) const noexcept {
    return v1_ ? detail::gguf_load<std::uint32_t>(p, big_endian_)
               : detail::gguf_load<std::uint64_t>(p, big_endian_);
  }

  // The array element starting at `p` (its extent was validated when the file was parsed).
  gguf_value element_at(const std::byte* p) const noexcept {
    gguf_value e;
    e.big_endian_ = big_endian_;
    e.v1_ = v1_;
    e.type_ = element_;
    const std::uint64_t len_size = v1_ ? 4 : 8;
    if (element_ == gguf_type::string) {
      e.bytes_ = load_len(p);
      e.data_ = p + len_size;
      e.end_ = e.data_ + e.bytes_;
    } else if (element_ == gguf_type::array) {
      e.element_ = static_cast<gguf_type>(detail::gguf_load<std::uint32_t>(p, big_endian_));
      e.count_ = load_len(p + 4);
      e.data_ = p + 4 + len_size;
      const std::byte* q = e.data_;
      for (std::uint64_t i = 0; i < e.count_; ++i) q = e.element_at(q).end_;
      e.end_ = q;
      e.bytes_ = static_cast<std::uint64_t>(q - e.data_);
    } else {
      e.bytes_ = detail::gguf_scalar_size(element_);
      e.data_ = p;
      e.end_ = p + e.bytes_;
    }
    return e;
  }

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
  [[nodiscard]] std::span<const std::uint64_t> dims() const noexcept {
    return std::span<const std::uint64_t>(ne).first(n_dims);
  }
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
  [[nodiscard]] static gguf_file open(const std::string& path) {
    return read(byte_source::from_file(path));
  }

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
  [[nodiscard]] const gguf_value* find(std::string_view key) const noexcept {
    for (const auto& kv : kvs_) {
      if (kv.key == key) return &kv.value;
    }
    return nullptr;
  }

  /// @brief A string value; nothing when absent. @throws shardfit::error if of another type.
  [[nodiscard]] std::optional<std::string_view> get_string(std::string_view key) const {
    const gguf_value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (auto s = v->to_string()) return s;
    throw wrong_type(key, *v, "a string");
  }
  /// @brief A non-negative integer value; nothing when absent.
  /// @throws shardfit::error if of another type or negative.
  [[nodiscard]] std::optional<std::uint64_t> get_u64(std::string_view key) const {
    const gguf_value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (auto u = v->to_u64()) return u;
    throw wrong_type(key, *v, "a non-negative integer");
  }
  /// @brief A number value; nothing when absent. @throws shardfit::error if not a number.
  [[nodiscard]] std::optional<double> get_f64(std::string_view key) const {
    const gguf_value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (auto d = v->to_f64()) return d;
    throw wrong_type(key, *v, "a number");
  }
  /// @brief A boolean value; nothing when absent. @throws shardfit::error if of another type.
  [[nodiscard]] std::optional<bool> get_bool(std::string_view key) const {
    const gguf_value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (auto b = v->to_bool()) return b;
    throw wrong_type(key, *v, "a boolean");
  }

  /// @brief `general.architecture`, or empty.
  [[nodiscard]] std::string_view architecture() const {
    return get_string("general.architecture").value_or("");
  }

 private:
  friend class detail::gguf_parser;

  [[nodiscard]] error wrong_type(std::string_view key, const gguf_value& v,
                                 std::string_view wanted) const {
    return error::format(path_, "metadata key '" + std::string(key) + "' must be " +
                                    std::string(wanted) + ", not " +
                                    std::string(to_string(v.type())));
  }

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

  gguf_file parse() {
    need(8, "the GGUF magic and version");
    if (std::memcmp(buf_.get(), "GGUF", 4) != 0) fail(0, "not a GGUF file (bad magic)");
    pos_ = 4;
    std::uint32_t version = read<std::uint32_t>("the version");
    if ((version & 0xFFFFU) == 0 && version != 0) {
      const std::uint32_t swapped = ((version & 0xFFU) << 24U) | ((version & 0xFF00U) << 8U) |
                                    ((version >> 8U) & 0xFF00U) | (version >> 24U);
      if (swapped >= 1 && swapped <= 3) {
        big_endian_ = true;
        version = swapped;
      }
    }
    if (version < 1 || version > 3) {
      throw error(errc::unsupported, src_.name(),
                  "at offset 4: GGUF version " + std::to_string(version) +
                      " is not supported (1, 2 and 3 are)");
    }
    v1_ = version == 1;
    const std::uint64_t n_tensors = read_len("the tensor count");
    const std::uint64_t n_kv = read_len("the metadata count");

    struct raw_kv {
      std::uint64_t key_off, key_len, at;
      gguf_type type;
      value_extent ext;
    };
    std::vector<raw_kv> raw_kvs;
    // Counts come from the file: reserve only what a small header holds, and let a real one
    // grow (a sparse file makes `remaining()` large without its bytes being real).
    constexpr std::uint64_t reserve_cap = 4096;
    raw_kvs.reserve(static_cast<std::size_t>(std::min({n_kv, remaining() / 13, reserve_cap})));
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      const std::uint64_t at = pos_;
      context_ = "metadata key " + std::to_string(i);
      const auto [koff, klen] = read_string("the name");
      if (klen == 0) fail(at, "metadata key " + std::to_string(i) + " is empty");
      context_ = "metadata key '" + str(koff, klen) + "'";
      const std::uint64_t type_at = pos_;
      const auto type = read<std::uint32_t>("the type");
      if (type > 12) fail(type_at, context_ + " has invalid type " + std::to_string(type));
      const auto ext = read_value(static_cast<gguf_type>(type), 0);
      raw_kvs.push_back({koff, klen, at, static_cast<gguf_type>(type), ext});
    }

    struct raw_tensor {
      std::uint64_t name_off, name_len, at;
      gguf_tensor t;
    };
    std::vector<raw_tensor> raw_tensors;
    raw_tensors.reserve(
        static_cast<std::size_t>(std::min({n_tensors, remaining() / 24, reserve_cap})));
    // Names are checked as they are read, so zeros (a sparse or wiped file) stop at the first
    // entry instead of being read billions of times.
    std::unordered_set<std::string> seen;
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
      raw_tensor r{};
      r.at = pos_;
      context_ = "tensor info " + std::to_string(i);
      std::tie(r.name_off, r.name_len) = read_string("the name");
      if (r.name_len == 0) fail(r.at, "tensor info " + std::to_string(i) + " has an empty name");
      const std::string name = str(r.name_off, r.name_len);
      if (!seen.insert(name).second) fail(r.at, "duplicate tensor name '" + name + "'");
      context_ = "tensor '" + name + "'";
      const std::uint64_t dims_at = pos_;
      r.t.n_dims = read<std::uint32_t>("the dimension count");
      if (r.t.n_dims > 4) {
        fail(dims_at, "tensor '" + name + "' has " + std::to_string(r.t.n_dims) +
                          " dimensions; ggml supports at most 4");
      }
      for (std::uint32_t d = 0; d < r.t.n_dims; ++d) r.t.ne[d] = read_len("a dimension");
      const std::uint64_t type_at = pos_;
      const auto type_id = read<std::uint32_t>("the type");
      const auto traits = ggml_type_info(type_id);
      if (!traits) {
        throw error(errc::unsupported, src_.name(),
                    "at offset " + std::to_string(type_at) + ": tensor '" + name +
                        "' has unknown ggml type id " + std::to_string(type_id));
      }
      r.t.type = *traits;
      r.t.offset = read<std::uint64_t>("the offset");
      tensor_size_problem problem{};
      const auto size = ggml_tensor_bytes(*traits, r.t.dims(), &problem);
      if (!size) {
        fail(dims_at, "tensor '" + name + "' of type " + std::string(traits->name) +
                          (problem == tensor_size_problem::overflow
                               ? " has a size that overflows 64 bits"
                               : " has rows of " + std::to_string(r.t.ne[0]) +
                                     " elements, not a multiple of its block of " +
                                     std::to_string(traits->block_size)));
      }
      r.t.size = *size;
      raw_tensors.push_back(r);
    }

    gguf_file f;
    f.path_ = src_.name();
    f.version_ = version;
    f.big_endian_ = big_endian_;
    f.file_size_ = src_.size();
    const std::uint64_t header_end = pos_;
    // The file keeps the header bytes only: drop the read-ahead when it is more than a little.
    if (size_ - header_end > (std::uint64_t{64} << 10U)) {
      auto exact =
          std::unique_ptr<std::byte[]>(new std::byte[static_cast<std::size_t>(header_end)]);
      std::memcpy(exact.get(), buf_.get(), static_cast<std::size_t>(header_end));
      buf_ = std::move(exact);
    }
    std::shared_ptr<const std::byte[]> header(buf_.release());
    const std::byte* base = header.get();
    f.header_ = std::move(header);

    std::unordered_set<std::string_view> keys;
    keys.reserve(raw_kvs.size());
    f.kvs_.reserve(raw_kvs.size());
    for (const auto& r : raw_kvs) {
      const std::string_view key(reinterpret_cast<const char*>(base + r.key_off),
                                 static_cast<std::size_t>(r.key_len));
      if (!keys.insert(key).second) fail(r.at, "duplicate metadata key '" + std::string(key) + "'");
      gguf_value v;
      v.type_ = r.type;
      v.element_ = r.ext.element;
      v.count_ = r.ext.count;
      v.data_ = base + r.ext.data;
      v.end_ = base + r.ext.end;
      v.bytes_ = r.ext.end - r.ext.data;
      v.big_endian_ = big_endian_;
      v.v1_ = v1_;
      f.kvs_.push_back({key, v});
    }

    if (const gguf_value* a = f.find("general.alignment")) {
      if (a->type() != gguf_type::uint32) {
        fail(0, "general.alignment must be uint32, not " + std::string(to_string(a->type())));
      }
      const auto align = *a->to_u64();
      if (align == 0 || (align & (align - 1)) != 0) {
        fail(0, "general.alignment " + std::to_string(align) + " is not a power of 2");
      }
      f.alignment_ = align;
    }
    if (align_up_overflows(header_end, f.alignment_, f.data_offset_))
      fail(header_end, "data offset overflows");

    std::unordered_set<std::string_view> names;
    names.reserve(raw_tensors.size());
    f.tensors_.reserve(raw_tensors.size());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> extents;  // [offset, end) per tensor
    extents.reserve(raw_tensors.size());
    for (auto& r : raw_tensors) {
      r.t.name = std::string_view(reinterpret_cast<const char*>(base + r.name_off),
                                  static_cast<std::size_t>(r.name_len));
      const std::string name(r.t.name);
      if (!names.insert(r.t.name).second) fail(r.at, "duplicate tensor name '" + name + "'");
      if (r.t.offset % f.alignment_ != 0) {
        fail(r.at, "tensor '" + name + "' offset " + std::to_string(r.t.offset) +
                       " is not a multiple of the alignment " + std::to_string(f.alignment_));
      }
      std::uint64_t end = 0;
      std::uint64_t abs_end = 0;
      if (add_overflows(r.t.offset, r.t.size.count(), end) ||
          add_overflows(f.data_offset_, end, abs_end) || abs_end > f.file_size_) {
        throw error::truncated(src_.name(), r.at,
                               "tensor '" + name + "' data [" + std::to_string(r.t.offset) + ", +" +
                                   std::to_string(r.t.size.count()) +
                                   ") past the data section at " + std::to_string(f.data_offset_) +
                                   " ends beyond the file's " + std::to_string(f.file_size_) +
                                   " bytes");
      }
      extents.emplace_back(r.t.offset, end);
      f.tensors_.push_back(r.t);
    }
    std::sort(extents.begin(), extents.end());
    for (std::size_t i = 1; i < extents.size(); ++i) {
      if (extents[i].first < extents[i - 1].second) {
        fail(header_end,
             "tensor data ranges overlap at data offset " + std::to_string(extents[i].first));
      }
    }
    f.data_size_ = bytes{extents.empty() ? 0 : extents.back().second};
    return f;
  }

 private:
  struct value_extent {
    std::uint64_t data = 0;  // payload start
    std::uint64_t end = 0;   // one past the value
    gguf_type element = gguf_type::uint8;
    std::uint64_t count = 0;
  };

  static constexpr std::uint64_t max_array_depth = 8;

  [[noreturn]] void fail(std::uint64_t at, const std::string& message) const {
    throw error::format(src_.name(), at, message);
  }

  std::string str(std::uint64_t off, std::uint64_t len) const {
    return {reinterpret_cast<const char*>(buf_.get() + off), static_cast<std::size_t>(len)};
  }

  std::uint64_t remaining() const noexcept { return src_.size() - pos_; }

  // What is being read, for messages; built only when reading fails.
  std::string describe(const char* what) const {
    return context_.empty() ? std::string(what) : std::string(what) + " of " + context_;
  }

  // Makes bytes [pos_, pos_ + n) available, reading from the source as needed.
  void need(std::uint64_t n, const char* what) {
    if (n <= size_ - pos_) return;  // the common case: already read
    grow(n, what);
  }

  void grow(std::uint64_t n, const char* what) {
    std::uint64_t end = 0;
    if (add_overflows(pos_, n, end) || end > src_.size()) {
      throw error::truncated(src_.name(), pos_,
                             describe(what) + " needs " + std::to_string(n) +
                                 " bytes, but the file ends at " + std::to_string(src_.size()));
    }
    // Read ahead 256 KiB, then four times what was read (a vocabulary makes headers of a few
    // MiB); never past the end of the source, so a lying header cannot make us allocate more.
    constexpr std::uint64_t first_read = std::uint64_t{256} << 10U;
    const std::uint64_t grown = std::max<std::uint64_t>(size_ * 4, first_read);
    const std::uint64_t target = std::max(end, std::min<std::uint64_t>(src_.size(), grown));
    auto bigger = std::unique_ptr<std::byte[]>(new std::byte[static_cast<std::size_t>(target)]);
    if (size_ != 0) std::memcpy(bigger.get(), buf_.get(), static_cast<std::size_t>(size_));
    const auto got = src_.read(
        size_,
        std::span<std::byte>(bigger.get() + size_, static_cast<std::size_t>(target - size_)));
    if (got != target - size_) {
      throw error::io(src_.name(), "the file is shorter than its size (" +
                                       std::to_string(size_ + got) + " of " +
                                       std::to_string(target) + " bytes read); did it change?");
    }
    buf_ = std::move(bigger);
    size_ = target;
  }

  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    const T v = gguf_load<T>(buf_.get() + pos_, big_endian_);
    pos_ += sizeof(T);
    return v;
  }

  std::uint64_t read_len(const char* what) {
    return v1_ ? read<std::uint32_t>(what) : read<std::uint64_t>(what);
  }

  std::pair<std::uint64_t, std::uint64_t> read_string(const char* what) {
    const std::uint64_t len = read_len(what);
    need(len, what);
    const std::uint64_t off = pos_;
    pos_ += len;
    return {off, len};
  }

  value_extent read_value(gguf_type type, std::uint64_t depth) {
    value_extent e;
    if (type == gguf_type::string) {
      const auto [off, len] = read_string("the string value");
      e.data = off;
      e.end = off + len;
      return e;
    }
    if (type != gguf_type::array) {
      const std::uint64_t n = gguf_scalar_size(type);
      need(n, "the value");
      e.data = pos_;
      pos_ += n;
      e.end = pos_;
      return e;
    }
    const std::uint64_t at = pos_;
    if (depth >= max_array_depth) {
      fail(at, describe("an array") + " nests arrays deeper than " +
                   std::to_string(max_array_depth) + " levels");
    }
    const auto elem = read<std::uint32_t>("the array element type");
    if (elem > 12)
      fail(at, describe("the array") + " has invalid element type " + std::to_string(elem));
    e.element = static_cast<gguf_type>(elem);
    e.count = read_len("the array length");
    e.data = pos_;
    const std::uint64_t fixed = gguf_scalar_size(e.element);
    if (fixed != 0) {
      std::uint64_t total = 0;
      if (mul_overflows(e.count, fixed, total) || total > remaining()) {
        fail(at, describe("the array") + " claims " + std::to_string(e.count) + " elements of " +
                     std::to_string(fixed) + " bytes, more than the " +
                     std::to_string(remaining()) + " bytes left in the file");
      }
      need(total, "the array elements");
      pos_ += total;
    } else {
      // Variable-size elements: each takes at least a length, so a count beyond what the file
      // holds runs into its end after at most file-size steps.
      const std::uint64_t min_elem =
          e.element == gguf_type::string ? (v1_ ? 4 : 8) : (v1_ ? 8 : 12);
      if (e.count > remaining() / min_elem) {
        fail(at, describe("the array") + " claims " + std::to_string(e.count) +
                     " elements, more than the " + std::to_string(remaining()) +
                     " bytes left in the file can hold");
      }
      for (std::uint64_t i = 0; i < e.count; ++i) (void)read_value(e.element, depth + 1);
    }
    e.end = pos_;
    return e;
  }

  const byte_source& src_;
  std::unique_ptr<std::byte[]> buf_;  // bytes [0, size_) of the source
  std::uint64_t size_ = 0;
  std::string context_;  // "metadata key 'x'", "tensor 'y'": names what is read in messages
  std::uint64_t pos_ = 0;
  bool big_endian_ = false;
  bool v1_ = false;
};

}  // namespace detail

inline gguf_file gguf_file::read(const byte_source& src) {
  return detail::gguf_parser(src).parse();
}

/// @brief The split fields of a GGUF shard (llama.cpp's gguf-split keys).
struct gguf_split_info {
  std::optional<std::uint64_t> no;             ///< `split.no` (0-based)
  std::optional<std::uint64_t> count;          ///< `split.count`
  std::optional<std::uint64_t> tensors_count;  ///< `split.tensors.count` (the whole set's)
  std::uint64_t tensors = 0;                   ///< tensors in this shard
};

/// @brief Reads the split fields of a parsed shard. @throws shardfit::error for wrong types.
[[nodiscard]] inline gguf_split_info split_info(const gguf_file& f) {
  gguf_split_info s;
  s.no = f.get_u64("split.no");
  s.count = f.get_u64("split.count");
  s.tensors_count = f.get_u64("split.tensors.count");
  s.tensors = f.tensors().size();
  return s;
}

}  // namespace shardfit
