#pragma once

// The bodies of <shardfit/files/shard_name.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/files/shard_name.hpp>

namespace shardfit {

SHARDFIT_INLINE std::optional<shard_name> parse_shard_name(std::string_view filename) {
  const auto v = detail::parse_shard_view(filename);
  if (!v) return std::nullopt;
  shard_name out;
  out.stem = std::string(v->stem);
  out.index = v->index;
  out.count = v->count;
  out.index_width = v->index_width;
  out.count_width = v->count_width;
  out.format = v->format;
  out.extension = std::string(v->extension);
  return out;
}

SHARDFIT_INLINE std::string make_shard_name(std::string_view stem, std::uint32_t index,
                                            std::uint32_t count, std::string_view extension,
                                            std::size_t min_width) {
  const std::string n = std::to_string(count);
  const std::size_t width = n.size() > min_width ? n.size() : min_width;
  auto pad = [width](std::uint32_t v) {
    std::string s = std::to_string(v);
    return std::string(width > s.size() ? width - s.size() : 0, '0') + s;
  };
  std::string out(stem);
  out += '-';
  out += pad(index);
  out += "-of-";
  out += pad(count);
  out += '.';
  out += extension;
  return out;
}

}  // namespace shardfit
