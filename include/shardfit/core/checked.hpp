#pragma once

// Checked unsigned arithmetic helpers. Internal: users never name shardfit::detail.

#include <cstdint>
#include <limits>

namespace shardfit::detail {

/// Adds without wrapping; returns false (and leaves `out` unspecified) on overflow.
[[nodiscard]] constexpr bool add_overflows(std::uint64_t a, std::uint64_t b,
                                           std::uint64_t& out) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_add_overflow(a, b, &out);
#else
  out = a + b;
  return out < a;
#endif
}

/// Multiplies without wrapping; returns true on overflow.
[[nodiscard]] constexpr bool mul_overflows(std::uint64_t a, std::uint64_t b,
                                           std::uint64_t& out) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_mul_overflow(a, b, &out);
#else
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return true;
  out = a * b;
  return false;
#endif
}

/// Rounds `value` up to a multiple of `align` (align > 0); returns true on overflow.
[[nodiscard]] constexpr bool align_up_overflows(std::uint64_t value, std::uint64_t align,
                                                std::uint64_t& out) noexcept {
  const std::uint64_t rem = value % align;
  if (rem == 0) {
    out = value;
    return false;
  }
  return add_overflows(value, align - rem, out);
}

}  // namespace shardfit::detail
