#pragma once

/// @file
/// @brief `shardfit::bytes`, a strong byte-count type with checked arithmetic, parsing and
/// formatting. Needs neither fmt nor nlohmann-json.

#include <shardfit/core/checked.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>

#include <array>
#include <charconv>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace shardfit {

/// @brief A number of bytes. Arithmetic is checked: a result past 2^64-1 (or below zero) throws
/// `shardfit::error` with `errc::overflow` instead of wrapping.
///
/// Example:
/// @code
///   using namespace shardfit::literals;
///   shardfit::bytes total = 46_GB + 46_GB + 39_GB;  // 131'000'000'000 bytes
///   to_string(total);                              // "122.00 GiB"
///   shardfit::parse_bytes("1.5TiB").count();       // 1'649'267'441'664
/// @endcode
class bytes {
 public:
  /// @brief The underlying count type.
  using rep = std::uint64_t;

  /// @brief Zero bytes.
  constexpr bytes() noexcept = default;
  /// @brief Exactly `n` bytes.
  constexpr explicit bytes(rep n) noexcept : n_(n) {}

  /// @brief The byte count.
  [[nodiscard]] constexpr rep count() const noexcept { return n_; }
  /// @brief The largest representable count.
  [[nodiscard]] static constexpr bytes max() noexcept {
    return bytes{std::numeric_limits<rep>::max()};
  }

  friend constexpr auto operator<=>(bytes, bytes) noexcept = default;
  friend constexpr bool operator==(bytes, bytes) noexcept = default;

  /// @brief Adds; @throws shardfit::error (errc::overflow) past 2^64-1.
  constexpr bytes& operator+=(bytes other) {
    if (detail::add_overflows(n_, other.n_, n_)) throw error::overflow("byte count addition");
    return *this;
  }
  /// @brief Subtracts; @throws shardfit::error (errc::overflow) below zero.
  constexpr bytes& operator-=(bytes other) {
    if (other.n_ > n_) throw error::overflow("byte count subtraction below zero");
    n_ -= other.n_;
    return *this;
  }
  /// @brief Multiplies by a count; @throws shardfit::error (errc::overflow) past 2^64-1.
  constexpr bytes& operator*=(rep k) {
    if (detail::mul_overflows(n_, k, n_)) throw error::overflow("byte count multiplication");
    return *this;
  }

  /// @brief Checked sum.
  friend constexpr bytes operator+(bytes a, bytes b) { return a += b; }
  /// @brief Checked difference.
  friend constexpr bytes operator-(bytes a, bytes b) { return a -= b; }
  /// @brief Checked product with a count.
  friend constexpr bytes operator*(bytes a, rep k) { return a *= k; }
  /// @brief Checked product with a count.
  friend constexpr bytes operator*(rep k, bytes a) { return a *= k; }
  /// @brief Integer division by a count, rounding down.
  friend constexpr bytes operator/(bytes a, rep k) { return bytes{a.n_ / k}; }

 private:
  rep n_ = 0;
};

/// @brief `a + b`, or nothing on overflow. Never throws.
[[nodiscard]] constexpr std::optional<bytes> checked_add(bytes a, bytes b) noexcept {
  std::uint64_t r = 0;
  if (detail::add_overflows(a.count(), b.count(), r)) return std::nullopt;
  return bytes{r};
}

/// @brief `a * k`, or nothing on overflow. Never throws.
[[nodiscard]] constexpr std::optional<bytes> checked_mul(bytes a, std::uint64_t k) noexcept {
  std::uint64_t r = 0;
  if (detail::mul_overflows(a.count(), k, r)) return std::nullopt;
  return bytes{r};
}

/// @brief `a - b`, or zero when `b > a` (free memory that is overcommitted is zero, not huge).
[[nodiscard]] constexpr bytes saturating_sub(bytes a, bytes b) noexcept {
  return b > a ? bytes{} : bytes{a.count() - b.count()};
}

/// @brief User-defined literals: `16_GiB` is 16 × 2^30 bytes, `4_GB` is 4 × 10^9.
namespace literals {
// clang-format off
constexpr bytes operator""_B(unsigned long long n) { return bytes{n}; }
constexpr bytes operator""_KiB(unsigned long long n) { return bytes{n} * (1ULL << 10); }
constexpr bytes operator""_MiB(unsigned long long n) { return bytes{n} * (1ULL << 20); }
constexpr bytes operator""_GiB(unsigned long long n) { return bytes{n} * (1ULL << 30); }
constexpr bytes operator""_TiB(unsigned long long n) { return bytes{n} * (1ULL << 40); }
constexpr bytes operator""_KB(unsigned long long n) { return bytes{n} * 1'000ULL; }
constexpr bytes operator""_MB(unsigned long long n) { return bytes{n} * 1'000'000ULL; }
constexpr bytes operator""_GB(unsigned long long n) { return bytes{n} * 1'000'000'000ULL; }
constexpr bytes operator""_TB(unsigned long long n) { return bytes{n} * 1'000'000'000'000ULL; }
// clang-format on
}  // namespace literals

namespace detail {

struct unit_entry {
  std::string_view name;
  std::uint64_t factor;
  bool case_insensitive;
};

// Accepted units. The "B" forms match in any case ("gb", "GiB"); the bare single letters follow
// Kubernetes quantities ("16Gi" binary, "16G" decimal) and are case-sensitive, so that the
// Kubernetes milli suffix "m" is refused rather than read as mega.
inline constexpr std::array<unit_entry, 26> byte_units{{
    {"B", 1, true},
    {"KB", 1'000ULL, true},
    {"MB", 1'000'000ULL, true},
    {"GB", 1'000'000'000ULL, true},
    {"TB", 1'000'000'000'000ULL, true},
    {"PB", 1'000'000'000'000'000ULL, true},
    {"EB", 1'000'000'000'000'000'000ULL, true},
    {"KiB", 1ULL << 10, true},
    {"MiB", 1ULL << 20, true},
    {"GiB", 1ULL << 30, true},
    {"TiB", 1ULL << 40, true},
    {"PiB", 1ULL << 50, true},
    {"EiB", 1ULL << 60, true},
    {"k", 1'000ULL, false},
    {"K", 1'000ULL, false},
    {"M", 1'000'000ULL, false},
    {"G", 1'000'000'000ULL, false},
    {"T", 1'000'000'000'000ULL, false},
    {"P", 1'000'000'000'000'000ULL, false},
    {"E", 1'000'000'000'000'000'000ULL, false},
    {"Ki", 1ULL << 10, false},
    {"Mi", 1ULL << 20, false},
    {"Gi", 1ULL << 30, false},
    {"Ti", 1ULL << 40, false},
    {"Pi", 1ULL << 50, false},
    {"Ei", 1ULL << 60, false},
}};

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

__extension__ typedef unsigned __int128 u128;  // NOLINT(modernize-use-using)

// Parses `text` into `out`; on failure returns a message that explains the problem.
SHARDFIT_INLINE std::optional<std::string> parse_bytes_impl(std::string_view text, bytes& out);

SHARDFIT_INLINE std::string fixed2(double value);

SHARDFIT_INLINE std::string format_scaled(bytes b, std::uint64_t base,
                                          const std::array<std::string_view, 7>& names);

}  // namespace detail

/// @brief Parses a size: a plain count ("4096"), decimal units ("4GB" = 4×10^9, "1.5TB"),
/// binary units ("4GiB" = 4×2^30, "1.5TiB") or Kubernetes quantities ("64Gi", "500M").
/// Fractions round to the nearest byte; unit letters of the "B" forms match in any case.
/// @throws shardfit::error (errc::invalid_argument) naming the text and the problem.
[[nodiscard]] SHARDFIT_INLINE bytes parse_bytes(std::string_view text);

/// @brief Like `parse_bytes`, but returns nothing on failure and, when `problem` is given,
/// stores the explanation there. Never throws except `std::bad_alloc`.
[[nodiscard]] SHARDFIT_INLINE std::optional<bytes> try_parse_bytes(std::string_view text,
                                                                   std::string* problem = nullptr);

/// @brief Formats with binary units and two decimals: "512 B", "1.50 KiB", "46.00 GiB".
[[nodiscard]] SHARDFIT_INLINE std::string to_string(bytes b);

/// @brief Formats with decimal units and two decimals: "131.00 GB", "4.10 kB".
[[nodiscard]] SHARDFIT_INLINE std::string to_string_decimal(bytes b);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/core/units-inl.hpp>
#endif
