#pragma once

// A fast 64-bit checksum over a byte stream, independent of how the stream is chunked: four
// lanes of multiply-rotate rounds over 32-byte blocks (xxHash64's structure and constants, our
// own code). Not cryptographic: it detects corruption and misplaced bytes, the resharder's need.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <shardfit/core/compiled.hpp>
#include <span>

namespace shardfit::detail {

class stream_hash {
 public:
  stream_hash() noexcept { reset(); }

  void reset() noexcept;

  void update(std::span<const std::byte> data) noexcept;

  [[nodiscard]] std::uint64_t digest() const noexcept;

  /// The checksum of one buffer.
  [[nodiscard]] static std::uint64_t of(std::span<const std::byte> data) noexcept;

 private:
  static constexpr std::size_t block = 32;
  static constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL;
  static constexpr std::uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
  static constexpr std::uint64_t p3 = 0x165667B19E3779F9ULL;
  static constexpr std::uint64_t p4 = 0x85EBCA77C2B2AE63ULL;
  static constexpr std::uint64_t p5 = 0x27D4EB2F165667C5ULL;
  static constexpr std::uint64_t seed_ = 0;

  static std::uint64_t load(const std::byte* p) noexcept;
  static std::uint64_t round(std::uint64_t acc, std::uint64_t in) noexcept;
  void consume(const std::byte* p) noexcept;

  std::array<std::uint64_t, 4> lanes_{};
  std::array<std::byte, block> buffer_{};
  std::uint64_t total_ = 0;
  std::size_t pending_ = 0;
};

}  // namespace shardfit::detail

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/reshard/detail/stream_hash-inl.hpp>
#endif
