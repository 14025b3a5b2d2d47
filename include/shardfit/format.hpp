#pragma once

/// @file
/// @brief Opt-in fmt formatters for shardfit's public types. The core never includes fmt.
///
/// `bytes` takes a presentation type: none or `b` for binary units ("46.00 GiB"), `d` for
/// decimal units ("131.00 GB"), `n` for the exact count ("131000000000").
///
/// Example:
/// @code
///   fmt::format("{} / {:d} / {:n}", 46_GiB, 46_GiB, 46_GiB);
///   // "46.00 GiB / 49.39 GB / 49392123904"
/// @endcode

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>

#include <fmt/format.h>

#include <string>

template <>
struct fmt::formatter<shardfit::bytes> {
  char presentation = 'b';

  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && (*it == 'b' || *it == 'd' || *it == 'n')) presentation = *it++;
    if (it != ctx.end() && *it != '}')
      throw fmt::format_error("invalid format for shardfit::bytes");
    return it;
  }

  template <class FormatContext>
  auto format(const shardfit::bytes& b, FormatContext& ctx) const -> decltype(ctx.out()) {
    std::string text;
    switch (presentation) {
      case 'd':
        text = shardfit::to_string_decimal(b);
        break;
      case 'n':
        text = std::to_string(b.count());
        break;
      default:
        text = shardfit::to_string(b);
        break;
    }
    return fmt::format_to(ctx.out(), "{}", text);
  }
};

template <>
struct fmt::formatter<shardfit::errc> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const shardfit::errc& code, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(shardfit::to_string(code), ctx);
  }
};

template <>
struct fmt::formatter<shardfit::reason> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const shardfit::reason& r, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::format_to(ctx.out(), "{}: {}", to_string(r.rule), r.message);
  }
};
