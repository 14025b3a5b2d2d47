#pragma once

// The bodies of <shardfit/formats/gguf.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/gguf.hpp>

namespace shardfit {

SHARDFIT_INLINE std::optional<std::uint64_t> gguf_value::to_u64() const noexcept {
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

SHARDFIT_INLINE std::optional<std::int64_t> gguf_value::to_i64() const noexcept {
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

SHARDFIT_INLINE std::optional<double> gguf_value::to_f64() const noexcept {
  if (type_ == gguf_type::float32) return static_cast<double>(load<float>());
  if (type_ == gguf_type::float64) return load<double>();
  if (const auto i = to_i64()) return static_cast<double>(*i);
  if (const auto u = to_u64()) return static_cast<double>(*u);
  return std::nullopt;
}

SHARDFIT_INLINE std::optional<bool> gguf_value::to_bool() const noexcept {
  if (type_ != gguf_type::boolean) return std::nullopt;
  return load<std::uint8_t>() != 0;
}

SHARDFIT_INLINE std::optional<std::string_view> gguf_value::to_string() const noexcept {
  if (type_ != gguf_type::string) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(data_), static_cast<std::size_t>(bytes_));
}

SHARDFIT_INLINE std::optional<std::vector<std::uint64_t>> gguf_value::to_u64_array() const {
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

SHARDFIT_INLINE std::uint64_t gguf_value::load_len(const std::byte* p) const noexcept {
  return v1_ ? detail::gguf_load<std::uint32_t>(p, big_endian_)
             : detail::gguf_load<std::uint64_t>(p, big_endian_);
}

SHARDFIT_INLINE gguf_value gguf_value::element_at(const std::byte* p) const noexcept {
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

SHARDFIT_INLINE std::span<const std::uint64_t> gguf_tensor::dims() const noexcept {
  return std::span<const std::uint64_t>(ne).first(n_dims);
}

SHARDFIT_INLINE gguf_file gguf_file::open(const std::string& path) {
  return read(byte_source::from_file(path));
}

SHARDFIT_INLINE const gguf_value* gguf_file::find(std::string_view key) const noexcept {
  for (const auto& kv : kvs_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

SHARDFIT_INLINE std::optional<std::string_view> gguf_file::get_string(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (auto s = v->to_string()) return s;
  throw wrong_type(key, *v, "a string");
}

SHARDFIT_INLINE std::optional<std::uint64_t> gguf_file::get_u64(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (auto u = v->to_u64()) return u;
  throw wrong_type(key, *v, "a non-negative integer");
}

SHARDFIT_INLINE std::optional<double> gguf_file::get_f64(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (auto d = v->to_f64()) return d;
  throw wrong_type(key, *v, "a number");
}

SHARDFIT_INLINE std::optional<bool> gguf_file::get_bool(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (auto b = v->to_bool()) return b;
  throw wrong_type(key, *v, "a boolean");
}

SHARDFIT_INLINE std::string_view gguf_file::architecture() const {
  return get_string("general.architecture").value_or("");
}

SHARDFIT_INLINE error gguf_file::wrong_type(std::string_view key, const gguf_value& v,
                                            std::string_view wanted) const {
  return error::format(path_, "metadata key '" + std::string(key) + "' must be " +
                                  std::string(wanted) + ", not " +
                                  std::string(to_string(v.type())));
}

namespace detail {

SHARDFIT_INLINE gguf_file gguf_parser::parse() {
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
    auto exact = std::unique_ptr<std::byte[]>(new std::byte[static_cast<std::size_t>(header_end)]);
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
                                 std::to_string(r.t.size.count()) + ") past the data section at " +
                                 std::to_string(f.data_offset_) + " ends beyond the file's " +
                                 std::to_string(f.file_size_) + " bytes");
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

SHARDFIT_INLINE void gguf_parser::fail(std::uint64_t at, const std::string& message) const {
  throw error::format(src_.name(), at, message);
}

SHARDFIT_INLINE std::string gguf_parser::str(std::uint64_t off, std::uint64_t len) const {
  return {reinterpret_cast<const char*>(buf_.get() + off), static_cast<std::size_t>(len)};
}

SHARDFIT_INLINE std::string gguf_parser::describe(const char* what) const {
  return context_.empty() ? std::string(what) : std::string(what) + " of " + context_;
}

SHARDFIT_INLINE void gguf_parser::need(std::uint64_t n, const char* what) {
  if (n <= size_ - pos_) return;  // the common case: already read
  grow(n, what);
}

SHARDFIT_INLINE void gguf_parser::grow(std::uint64_t n, const char* what) {
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
      size_, std::span<std::byte>(bigger.get() + size_, static_cast<std::size_t>(target - size_)));
  if (got != target - size_) {
    throw error::io(src_.name(), "the file is shorter than its size (" +
                                     std::to_string(size_ + got) + " of " + std::to_string(target) +
                                     " bytes read); did it change?");
  }
  buf_ = std::move(bigger);
  size_ = target;
}

SHARDFIT_INLINE std::uint64_t gguf_parser::read_len(const char* what) {
  return v1_ ? read<std::uint32_t>(what) : read<std::uint64_t>(what);
}

SHARDFIT_INLINE std::pair<std::uint64_t, std::uint64_t> gguf_parser::read_string(const char* what) {
  const std::uint64_t len = read_len(what);
  need(len, what);
  const std::uint64_t off = pos_;
  pos_ += len;
  return {off, len};
}

SHARDFIT_INLINE auto gguf_parser::read_value(gguf_type type, std::uint64_t depth) -> value_extent {
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
    fail(at, describe("an array") + " nests arrays deeper than " + std::to_string(max_array_depth) +
                 " levels");
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
                   std::to_string(fixed) + " bytes, more than the " + std::to_string(remaining()) +
                   " bytes left in the file");
    }
    need(total, "the array elements");
    pos_ += total;
  } else {
    // Variable-size elements: each takes at least a length, so a count beyond what the file
    // holds runs into its end after at most file-size steps.
    const std::uint64_t min_elem = e.element == gguf_type::string ? (v1_ ? 4 : 8) : (v1_ ? 8 : 12);
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

}  // namespace detail

SHARDFIT_INLINE gguf_file gguf_file::read(const byte_source& src) {
  return detail::gguf_parser(src).parse();
}

SHARDFIT_INLINE gguf_split_info split_info(const gguf_file& f) {
  gguf_split_info s;
  s.no = f.get_u64("split.no");
  s.count = f.get_u64("split.count");
  s.tensors_count = f.get_u64("split.tensors.count");
  s.tensors = f.tensors().size();
  return s;
}

}  // namespace shardfit
