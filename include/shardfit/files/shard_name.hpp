#pragma once

/// @file
/// @brief The shard filename grammar `<stem>-<k>-of-<n>.<ext>` (any zero-padded width, extension
/// in any case) for `.gguf`, `.safetensors` and `.bin` files, and model file formats.

#include <shardfit/core/compiled.hpp>
#include <shardfit/files/model_format.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardfit {

/// @brief A parsed shard filename.
struct shard_name {
  std::string stem;              ///< the part before `-<k>-of-<n>`
  std::uint32_t index = 0;       ///< k (1-based; 0 is parsed and later reported as foreign)
  std::uint32_t count = 0;       ///< n
  std::uint8_t index_width = 0;  ///< digits written for k ("00001" → 5)
  std::uint8_t count_width = 0;  ///< digits written for n
  model_format format = model_format::gguf;
  std::string extension;  ///< as written, without the dot ("gguf", "GGUF")

  friend bool operator==(const shard_name&, const shard_name&) = default;
};

namespace detail {

constexpr bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

constexpr bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && ieq(s.substr(s.size() - suffix.size()), suffix);
}

// Parses 1..9 decimal digits (so the value fits 32 bits); false otherwise.
constexpr bool parse_u32_digits(std::string_view d, std::uint32_t& out) noexcept {
  if (d.empty() || d.size() > 9) return false;
  std::uint32_t v = 0;
  for (const char c : d) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace detail

/// @brief The format of a file extension (without the dot, any case), if it is a model format.
[[nodiscard]] constexpr std::optional<model_format> format_from_extension(
    std::string_view ext) noexcept {
  if (detail::ieq(ext, "gguf")) return model_format::gguf;
  if (detail::ieq(ext, "safetensors")) return model_format::safetensors;
  if (detail::ieq(ext, "bin")) return model_format::pytorch;
  return std::nullopt;
}

namespace detail {

// The allocation-free core of parse_shard_name: the stem and extension are views of `filename`.
struct shard_name_view {
  std::string_view stem;
  std::string_view extension;
  std::uint32_t index = 0;
  std::uint32_t count = 0;
  std::uint8_t index_width = 0;
  std::uint8_t count_width = 0;
  model_format format = model_format::gguf;
};

constexpr std::optional<shard_name_view> parse_shard_view(std::string_view filename) noexcept {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto format = format_from_extension(filename.substr(dot + 1));
  if (!format) return std::nullopt;
  const std::string_view base = filename.substr(0, dot);
  // The count: digits at the end of the base, preceded by "-of-".
  std::size_t count_start = base.size();
  while (count_start > 0 && base[count_start - 1] >= '0' && base[count_start - 1] <= '9') {
    --count_start;
  }
  if (count_start < 4 || !ieq(base.substr(count_start - 4, 4), "-of-")) return std::nullopt;
  const std::size_t index_end = count_start - 4;
  std::size_t index_start = index_end;
  while (index_start > 0 && base[index_start - 1] >= '0' && base[index_start - 1] <= '9') {
    --index_start;
  }
  if (index_start < 2 || base[index_start - 1] != '-') return std::nullopt;  // stem non-empty
  shard_name_view out;
  if (!parse_u32_digits(base.substr(index_start, index_end - index_start), out.index) ||
      !parse_u32_digits(base.substr(count_start), out.count)) {
    return std::nullopt;
  }
  out.stem = base.substr(0, index_start - 1);
  out.extension = filename.substr(dot + 1);
  out.index_width = static_cast<std::uint8_t>(index_end - index_start);
  out.count_width = static_cast<std::uint8_t>(base.size() - count_start);
  out.format = *format;
  return out;
}

}  // namespace detail

/// @brief Parses `<stem>-<k>-of-<n>.<ext>`; nothing if `filename` does not follow the grammar.
/// `k` and `n` have 1 to 9 digits, `-of-` and the extension match in any case, the stem is not
/// empty. Values are not range-checked here (`k > n` is a foreign shard, found by discovery).
///
/// Example:
/// @code
///   auto s = shardfit::parse_shard_name("Llama-70B-Q4_K_M-00002-of-00003.gguf");
///   // s->stem == "Llama-70B-Q4_K_M", s->index == 2, s->count == 3, s->index_width == 5
/// @endcode
[[nodiscard]] SHARDFIT_INLINE std::optional<shard_name> parse_shard_name(std::string_view filename);

/// @brief The name of shard `index` of `count`: `<stem>-00001-of-00003.<ext>`. Both numbers
/// are zero-padded to `min_width` digits, or wider when `count` needs more.
[[nodiscard]] SHARDFIT_INLINE std::string make_shard_name(std::string_view stem,
                                                          std::uint32_t index, std::uint32_t count,
                                                          std::string_view extension,
                                                          std::size_t min_width = 5);

/// @brief Whether a GGUF file name is a multimodal projector (`mmproj*.gguf`, or any GGUF whose
/// name contains "mmproj"): a companion of a model, never the model itself.
[[nodiscard]] constexpr bool is_projector_name(std::string_view filename) noexcept {
  if (!detail::iends_with(filename, ".gguf")) return false;
  for (std::size_t i = 0; i + 6 <= filename.size(); ++i) {
    if (detail::ieq(filename.substr(i, 6), "mmproj")) return true;
  }
  return false;
}

/// @brief Whether a file name is a Hugging Face weight index (`*.safetensors.index.json`,
/// `*.bin.index.json`, any case).
[[nodiscard]] constexpr bool is_weight_index_name(std::string_view filename) noexcept {
  return detail::iends_with(filename, ".safetensors.index.json") ||
         detail::iends_with(filename, ".bin.index.json");
}

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/files/shard_name-inl.hpp>
#endif
