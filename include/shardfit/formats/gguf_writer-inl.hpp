#pragma once

// The bodies of <shardfit/formats/gguf_writer.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/gguf_writer.hpp>

namespace shardfit {

SHARDFIT_INLINE gguf_builder::gguf_builder(std::uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw error::invalid_argument("GGUF alignment " + std::to_string(alignment) +
                                  " is not a power of 2");
  }
  if (alignment != 32) add_u32("general.alignment", alignment);
}

SHARDFIT_INLINE void gguf_builder::add_bool(std::string_view key, bool v) {
  scalar(key, gguf_type::boolean, static_cast<std::uint8_t>(v ? 1 : 0));
}

SHARDFIT_INLINE void gguf_builder::add_string(std::string_view key, std::string_view v) {
  begin_kv(key, gguf_type::string);
  put_string(v);
}

SHARDFIT_INLINE void gguf_builder::add_strings(std::string_view key,
                                               std::span<const std::string> values) {
  begin_kv(key, gguf_type::array);
  put(static_cast<std::uint32_t>(gguf_type::string));
  put(static_cast<std::uint64_t>(values.size()));
  for (const auto& v : values) put_string(v);
}

SHARDFIT_INLINE void gguf_builder::add_value(std::string_view key, const gguf_value& v) {
  begin_kv(key, v.type());
  put_value(v);
}

SHARDFIT_INLINE std::uint64_t gguf_builder::add_tensor(std::string_view name,
                                                       std::span<const std::uint64_t> ne,
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

SHARDFIT_INLINE std::uint64_t gguf_builder::add_tensor(std::string_view name,
                                                       std::initializer_list<std::uint64_t> ne,
                                                       std::uint32_t type_id) {
  return add_tensor(name, std::span<const std::uint64_t>(ne.begin(), ne.size()), type_id);
}

SHARDFIT_INLINE std::vector<std::byte> gguf_builder::header() const {
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

SHARDFIT_INLINE void gguf_builder::put_string(std::string_view s) {
  put(static_cast<std::uint64_t>(s.size()));
  const auto* b = reinterpret_cast<const std::byte*>(s.data());
  kv_.insert(kv_.end(), b, b + s.size());
}

SHARDFIT_INLINE void gguf_builder::begin_kv(std::string_view key, gguf_type type) {
  if (key.empty()) throw error::invalid_argument("a GGUF metadata key cannot be empty");
  put_string(key);
  put(static_cast<std::uint32_t>(type));
  ++n_kv_;
}

SHARDFIT_INLINE void gguf_builder::put_value(const gguf_value& v) {
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

}  // namespace shardfit
