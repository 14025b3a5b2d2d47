#pragma once

// A fast 64-bit checksum over a byte stream, independent of how the stream is chunked: four
// lanes of multiply-rotate rounds over 32-byte blocks (xxHash64's structure and constants, our
// own code). Not cryptographic: it detects corruption and misplaced bytes, the resharder's need.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shardfit::detail {

class stream_hash {
 public:
  stream_hash() noexcept { reset(); }

  void reset() noexcept {
    lanes_ = {seed_ + p1 + p2, seed_ + p2, seed_, seed_ - p1};
    total_ = 0;
    pending_ = 0;
  }

  void update(std::span<const std::byte> data) noexcept {
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

  [[nodiscard]] std::uint64_t digest() const noexcept {
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

  /// The checksum of one buffer.
  [[nodiscard]] static std::uint64_t of(std::span<const std::byte> data) noexcept {
    stream_hash h;
    h.update(data);
    return h.digest();
  }

 private:
  static constexpr std::size_t block = 32;
  static constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL;
  static constexpr std::uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
  static constexpr std::uint64_t p3 = 0x165667B19E3779F9ULL;
  static constexpr std::uint64_t p4 = 0x85EBCA77C2B2AE63ULL;
  static constexpr std::uint64_t p5 = 0x27D4EB2F165667C5ULL;
  static constexpr std::uint64_t seed_ = 0;

  static std::uint64_t load(const std::byte* p) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
  }
  static std::uint64_t round(std::uint64_t acc, std::uint64_t in) noexcept {
    return std::rotl(acc + in * p2, 31) * p1;
  }
  void consume(const std::byte* p) noexcept {
    lanes_[0] = round(lanes_[0], load(p));
    lanes_[1] = round(lanes_[1], load(p + 8));
    lanes_[2] = round(lanes_[2], load(p + 16));
    lanes_[3] = round(lanes_[3], load(p + 24));
  }

  std::array<std::uint64_t, 4> lanes_{};
  std::array<std::byte, block> buffer_{};
  std::uint64_t total_ = 0;
  std::size_t pending_ = 0;
};

}  // namespace shardfit::detail
