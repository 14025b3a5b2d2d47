#pragma once

// The bodies of <shardfit/core/units.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/core/units.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE std::optional<std::string> parse_bytes_impl(std::string_view text, bytes& out) {
  const std::string_view s = trim(text);
  if (s.empty()) return std::string("empty size");
  if (s.front() == '-') return std::string("a size cannot be negative");
  if (s.front() == '+') return std::string("a size takes no sign");

  std::size_t i = 0;
  std::uint64_t whole = 0;
  std::size_t whole_digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++whole_digits) {
    if (detail::mul_overflows(whole, 10, whole) ||
        detail::add_overflows(whole, static_cast<std::uint64_t>(s[i] - '0'), whole)) {
      return std::string("number too large for 64 bits");
    }
  }
  std::uint64_t frac = 0;
  std::uint64_t frac_scale = 1;
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++frac_digits) {
      if (frac_digits == 18) return std::string("more than 18 decimal places");
      frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
      frac_scale *= 10;
    }
    if (frac_digits == 0) return std::string("a decimal point must be followed by digits");
  }
  if (whole_digits == 0 && frac_digits == 0) return std::string("expected a number");

  std::string_view unit = trim(s.substr(i));
  std::uint64_t factor = 1;
  if (!unit.empty()) {
    bool found = false;
    for (const auto& u : byte_units) {
      if (u.case_insensitive ? iequals(unit, u.name) : unit == u.name) {
        factor = u.factor;
        found = true;
        break;
      }
    }
    if (!found) {
      return "unknown unit '" + std::string(unit) +
             "' (expected B, kB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB, EiB, or Ki, Mi, "
             "Gi, Ti, k, M, G, T)";
    }
  }
  const u128 total = static_cast<u128>(whole) * factor +
                     (static_cast<u128>(frac) * factor + frac_scale / 2) / frac_scale;
  if (total > std::numeric_limits<std::uint64_t>::max()) {
    return std::string("size exceeds 2^64-1 bytes");
  }
  out = bytes{static_cast<std::uint64_t>(total)};
  return std::nullopt;
}

SHARDFIT_INLINE std::string fixed2(double value) {
  std::array<char, 64> buf{};
  const auto res =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, 2);
  return {buf.data(), res.ptr};
}

SHARDFIT_INLINE std::string format_scaled(bytes b, std::uint64_t base,
                                          const std::array<std::string_view, 7>& names) {
  const std::uint64_t n = b.count();
  if (n < base) return std::to_string(n) + " B";
  std::size_t idx = 0;
  long double divisor = 1;
  // Move up a unit as soon as two decimals would print the base itself ("1024.00 KiB").
  const long double threshold = static_cast<long double>(base) - 0.005L;
  while (idx + 1 < names.size() && static_cast<long double>(n) / divisor >= threshold) {
    divisor *= static_cast<long double>(base);
    ++idx;
  }
  const auto value = static_cast<double>(static_cast<long double>(n) / divisor);
  return fixed2(value) + " " + std::string(names[idx]);
}

}  // namespace detail

SHARDFIT_INLINE bytes parse_bytes(std::string_view text) {
  bytes out;
  if (auto problem = detail::parse_bytes_impl(text, out)) {
    throw error::invalid_argument("invalid size '" + std::string(text) + "': " + *problem);
  }
  return out;
}

SHARDFIT_INLINE std::optional<bytes> try_parse_bytes(std::string_view text, std::string* problem) {
  bytes out;
  if (auto p = detail::parse_bytes_impl(text, out)) {
    if (problem != nullptr) *problem = std::move(*p);
    return std::nullopt;
  }
  return out;
}

SHARDFIT_INLINE std::string to_string(bytes b) {
  static constexpr std::array<std::string_view, 7> names{"B",   "KiB", "MiB", "GiB",
                                                         "TiB", "PiB", "EiB"};
  return detail::format_scaled(b, 1024, names);
}

SHARDFIT_INLINE std::string to_string_decimal(bytes b) {
  static constexpr std::array<std::string_view, 7> names{"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  return detail::format_scaled(b, 1000, names);
}

}  // namespace shardfit
