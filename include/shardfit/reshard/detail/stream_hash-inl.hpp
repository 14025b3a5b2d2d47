#pragma once

// The bodies of <shardfit/reshard/detail/stream_hash.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/reshard/detail/stream_hash.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE void stream_hash::reset() noexcept {
  lanes_ = {seed_ + p1 + p2, seed_ + p2, seed_, seed_ - p1};
  total_ = 0;
  pending_ = 0;
}

SHARDFIT_INLINE void stream_hash::update(std::span<const std::byte> data) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  total_ += n;
  if (pending_ != 0) {
    const std::size_t take = std::min(n, block - pending_);
    std::memcpy(buffer_.data() + pending_, p, take);
    pending_ += take;
    p += take;
    n -= take;
    if (pending_ < block) return;
    consume(buffer_.data());
    pending_ = 0;
  }
  while (n >= block) {
    consume(p);
    p += block;
    n -= block;
  }
  if (n != 0) {
    std::memcpy(buffer_.data(), p, n);
    pending_ = n;
  }
}

SHARDFIT_INLINE std::uint64_t stream_hash::digest() const noexcept {
  std::uint64_t h = total_ >= block ? std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) +
                                          std::rotl(lanes_[2], 12) + std::rotl(lanes_[3], 18)
                                    : seed_ + p5;
  if (total_ >= block) {
    for (const auto lane : lanes_) h = (h ^ round(0, lane)) * p1 + p4;
  }
  h += total_;
  std::size_t i = 0;
  for (; i + 8 <= pending_; i += 8) {
    h ^= round(0, load(buffer_.data() + i));
    h = std::rotl(h, 27) * p1 + p4;
  }
  for (; i < pending_; ++i) {
    h ^= static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(buffer_[i])) * p5;
    h = std::rotl(h, 11) * p1;
  }
  h ^= h >> 33;
  h *= p2;
  h ^= h >> 29;
  h *= p3;
  h ^= h >> 32;
  return h;
}

SHARDFIT_INLINE std::uint64_t stream_hash::of(std::span<const std::byte> data) noexcept {
  stream_hash h;
  h.update(data);
  return h.digest();
}

SHARDFIT_INLINE std::uint64_t stream_hash::load(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

SHARDFIT_INLINE std::uint64_t stream_hash::round(std::uint64_t acc, std::uint64_t in) noexcept {
  return std::rotl(acc + in * p2, 31) * p1;
}

SHARDFIT_INLINE void stream_hash::consume(const std::byte* p) noexcept {
  lanes_[0] = round(lanes_[0], load(p));
  lanes_[1] = round(lanes_[1], load(p + 8));
  lanes_[2] = round(lanes_[2], load(p + 16));
  lanes_[3] = round(lanes_[3], load(p + 24));
}

}  // namespace shardfit::detail
