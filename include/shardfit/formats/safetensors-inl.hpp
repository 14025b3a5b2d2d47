#pragma once

// The bodies of <shardfit/formats/safetensors.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/formats/safetensors.hpp>

namespace shardfit {

SHARDFIT_INLINE std::uint64_t safetensors_tensor::elements() const noexcept {
  std::uint64_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

SHARDFIT_INLINE safetensors_header safetensors_header::open(const std::string& path,
                                                            const safetensors_limits& limits) {
  return read(byte_source::from_file(path), limits);
}

SHARDFIT_INLINE std::span<const std::pair<std::string, std::string>> safetensors_header::metadata()
    const noexcept {
  return metadata_;
}

SHARDFIT_INLINE const safetensors_tensor* safetensors_header::find(
    std::string_view name) const noexcept {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

SHARDFIT_INLINE safetensors_header safetensors_header::read(const byte_source& src,
                                                            const safetensors_limits& limits) {
  safetensors_header h;
  h.path_ = src.name();
  h.file_size_ = src.size();
  std::array<std::byte, 8> len_bytes{};
  if (src.size() < 8 || src.read(0, len_bytes) != 8) {
    throw error::format(h.path_, 0,
                        "file of " + std::to_string(src.size()) +
                            " bytes is too short for a safetensors header length");
  }
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(len_bytes[i]) << (8U * i);
  if (n > limits.max_header_bytes) {
    throw error::limit(h.path_, "at offset 0: header length " + std::to_string(n) +
                                    " exceeds the limit of " +
                                    std::to_string(limits.max_header_bytes) + " bytes");
  }
  if (n > src.size() - 8) {
    throw error::truncated(h.path_, 0,
                           "header length " + std::to_string(n) +
                               " runs past the end of the file (" + std::to_string(src.size()) +
                               " bytes)");
  }
  if (n < 2)
    throw error::format(h.path_, 8,
                        "header of " + std::to_string(n) + " bytes is not a JSON object");
  h.header_size_ = n;
  std::string text(static_cast<std::size_t>(n), '\0');
  if (src.read(8, std::as_writable_bytes(std::span<char>(text))) != n) {
    throw error::io(h.path_, "the file is shorter than its size; did it change?");
  }
  const std::uint64_t data_bytes = src.size() - 8 - n;

  // Offsets in messages are file offsets: the JSON starts after the 8-byte length.
  detail::json_limits jl;
  jl.max_depth = 4;
  jl.max_array_elements = limits.max_rank;
  detail::json_cursor cur(text, h.path_, jl, 8);
  auto fail = [&](std::uint64_t json_offset, const std::string& message) {
    throw error::format(h.path_, 8 + json_offset, message);
  };
  {
    std::unordered_set<std::string> names;
    cur.read_object([&](std::string_view key) {
      if (key == "__metadata__") {
        cur.read_object([&](std::string_view mkey) {
          if (cur.peek() != detail::json_type::string) {
            cur.type_error("a string for __metadata__ entry '" + std::string(mkey) + "'");
          }
          h.metadata_.emplace_back(std::string(mkey), cur.read_string());
        });
        return;
      }
      const std::size_t at = cur.offset();
      safetensors_tensor t;
      t.name = std::string(key);
      if (!names.insert(t.name).second) fail(at, "duplicate tensor '" + t.name + "'");
      bool has_dtype = false;
      bool has_shape = false;
      bool has_offsets = false;
      cur.read_object([&](std::string_view field) {
        if (field == "dtype") {
          const std::size_t dat = cur.offset();
          const std::string d = cur.read_string();
          const auto dt = safetensors_dtype_by_name(d);
          if (!dt) fail(dat, "tensor '" + t.name + "' has unknown dtype '" + d + "'");
          t.dtype = *dt;
          has_dtype = true;
        } else if (field == "shape") {
          cur.read_array([&](std::size_t) { t.shape.push_back(cur.read_u64()); });
          has_shape = true;
        } else if (field == "data_offsets") {
          std::size_t count = 0;
          const std::size_t oat = cur.offset();
          cur.read_array([&](std::size_t i) {
            const std::uint64_t v = cur.read_u64();
            if (i == 0) t.begin = v;
            if (i == 1) t.end = v;
            count = i + 1;
          });
          if (count != 2) fail(oat, "tensor '" + t.name + "' data_offsets must be [begin, end]");
          has_offsets = true;
        }
      });
      if (!has_dtype || !has_shape || !has_offsets) {
        fail(at, "tensor '" + t.name + "' needs dtype, shape and data_offsets");
      }
      if (t.begin > t.end) {
        fail(at, "tensor '" + t.name + "' data_offsets [" + std::to_string(t.begin) + ", " +
                     std::to_string(t.end) + "] are reversed");
      }
      std::uint64_t elements = 1;
      std::uint64_t bits = 0;
      bool overflow = false;
      for (const auto dim : t.shape)
        overflow = overflow || detail::mul_overflows(elements, dim, elements);
      overflow = overflow || detail::mul_overflows(elements, t.dtype.bits, bits);
      if (overflow) fail(at, "tensor '" + t.name + "' shape overflows 64 bits");
      if (bits % 8 != 0) {
        fail(at, "tensor '" + t.name + "' of " + std::string(t.dtype.name) + " has " +
                     std::to_string(elements) + " elements, not a whole number of bytes");
      }
      if (t.end - t.begin != bits / 8) {
        fail(at, "tensor '" + t.name + "' has " + std::to_string(t.end - t.begin) +
                     " bytes of data but dtype " + std::string(t.dtype.name) + " and shape need " +
                     std::to_string(bits / 8));
      }
      if (t.end > data_bytes) {
        throw error::truncated(h.path_, 8 + at,
                               "tensor '" + t.name + "' data ends at " + std::to_string(t.end) +
                                   ", past the file's " + std::to_string(data_bytes) +
                                   " bytes of data");
      }
      h.tensors_.push_back(std::move(t));
    });
    cur.expect_end();
  }

  // Data ranges may not overlap (the format also forbids holes; those are tolerated).
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  order.reserve(h.tensors_.size());
  for (std::size_t i = 0; i < h.tensors_.size(); ++i) order.emplace_back(h.tensors_[i].begin, i);
  std::sort(order.begin(), order.end());
  std::uint64_t high = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto& t = h.tensors_[order[k].second];
    if (k > 0 && t.begin < high && t.end > t.begin) {
      throw error::format(h.path_, "tensor '" + t.name + "' data [" + std::to_string(t.begin) +
                                       ", " + std::to_string(t.end) +
                                       ") overlaps the tensor before it (which ends at " +
                                       std::to_string(high) + ")");
    }
    high = std::max(high, t.end);
  }
  h.data_size_ = bytes{high};
  return h;
}

}  // namespace shardfit
