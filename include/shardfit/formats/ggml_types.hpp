#pragma once

/// @file
/// @brief ggml tensor types (the type ids stored in GGUF files): names, block sizes, bytes per
/// block, and tensor byte sizes; and llama.cpp's file types (`general.file_type`).

#include <shardfit/core/checked.hpp>
#include <shardfit/core/units.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace shardfit {

/// @brief A ggml tensor type: a block of `block_size` elements is stored in `type_size` bytes.
struct ggml_type_traits {
  std::uint32_t id = 0;
  std::string_view name;  ///< lowercase, as ggml names it ("q4_K", "f16")
  std::uint32_t block_size = 0;
  std::uint32_t type_size = 0;
};

namespace detail {

// ggml.h type ids and ggml-common.h block layouts. Ids 4, 5 and 31-33, 36-38 were removed
// from ggml and are not valid in GGUF files.
inline constexpr std::array<ggml_type_traits, 36> ggml_types{{
    {0, "f32", 1, 4},         {1, "f16", 1, 2},         {2, "q4_0", 32, 18},
    {3, "q4_1", 32, 20},      {6, "q5_0", 32, 22},      {7, "q5_1", 32, 24},
    {8, "q8_0", 32, 34},      {9, "q8_1", 32, 36},      {10, "q2_K", 256, 84},
    {11, "q3_K", 256, 110},   {12, "q4_K", 256, 144},   {13, "q5_K", 256, 176},
    {14, "q6_K", 256, 210},   {15, "q8_K", 256, 292},   {16, "iq2_xxs", 256, 66},
    {17, "iq2_xs", 256, 74},  {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50},
    {20, "iq4_nl", 32, 18},   {21, "iq3_s", 256, 110},  {22, "iq2_s", 256, 82},
    {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1},         {25, "i16", 1, 2},
    {26, "i32", 1, 4},        {27, "i64", 1, 8},        {28, "f64", 1, 8},
    {29, "iq1_m", 256, 56},   {30, "bf16", 1, 2},       {34, "tq1_0", 256, 54},
    {35, "tq2_0", 256, 66},   {39, "mxfp4", 32, 17},    {40, "nvfp4", 64, 36},
    {41, "q1_0", 128, 18},    {42, "q2_0", 64, 18},     {~0U, "", 0, 0},  // sentinel, never matched
}};

}  // namespace detail

/// @brief The traits of a ggml type id, or nothing for an id ggml does not define.
[[nodiscard]] constexpr std::optional<ggml_type_traits> ggml_type_info(std::uint32_t id) noexcept {
  for (const auto& t : detail::ggml_types) {
    if (t.id == id && t.block_size != 0) return t;
  }
  return std::nullopt;
}

/// @brief The traits of a ggml type by name (case-insensitive: "Q4_K", "f16"), or nothing.
[[nodiscard]] constexpr std::optional<ggml_type_traits> ggml_type_by_name(
    std::string_view name) noexcept {
  for (const auto& t : detail::ggml_types) {
    if (t.block_size == 0 || t.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      char a = t.name[i];
      char b = name[i];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
      same = a == b;
    }
    if (same) return t;
  }
  return std::nullopt;
}

/// @brief Why a tensor shape cannot be sized for a type, or nothing when it can.
enum class tensor_size_problem : std::uint8_t {
  none,
  row_not_multiple_of_block,  ///< ne0 is not a multiple of the type's block size
  overflow,                   ///< elements or bytes exceed 64 bits
};

/// @brief Bytes of a tensor with dims `ne` (ggml order: ne[0] is the row length) of type `t`:
/// elements / block_size × type_size. Sets `problem` and returns nothing when not sizable.
[[nodiscard]] constexpr std::optional<bytes> ggml_tensor_bytes(
    const ggml_type_traits& t, std::span<const std::uint64_t> ne,
    tensor_size_problem* problem = nullptr) noexcept {
  auto fail = [&](tensor_size_problem p) -> std::optional<bytes> {
    if (problem != nullptr) *problem = p;
    return std::nullopt;
  };
  std::uint64_t elements = 1;
  for (const auto d : ne) {
    if (detail::mul_overflows(elements, d, elements)) return fail(tensor_size_problem::overflow);
  }
  if (!ne.empty() && ne[0] % t.block_size != 0) {
    return fail(tensor_size_problem::row_not_multiple_of_block);
  }
  std::uint64_t out = 0;
  if (detail::mul_overflows(elements / t.block_size, t.type_size, out)) {
    return fail(tensor_size_problem::overflow);
  }
  if (problem != nullptr) *problem = tensor_size_problem::none;
  return bytes{out};
}

/// @brief llama.cpp's name for a `general.file_type` value ("Q4_K_M"), or empty when unknown.
[[nodiscard]] constexpr std::string_view llama_file_type_name(std::uint32_t ftype) noexcept {
  constexpr std::array<std::string_view, 42> names{
      "F32",   "F16",     "Q4_0",      "Q4_1",   "",       "",        "",       "Q8_0",   "Q5_0",
      "Q5_1",  "Q2_K",    "Q3_K_S",    "Q3_K_M", "Q3_K_L", "Q4_K_S",  "Q4_K_M", "Q5_K_S", "Q5_K_M",
      "Q6_K",  "IQ2_XXS", "IQ2_XS",    "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S",  "IQ4_NL", "IQ3_S",
      "IQ3_M", "IQ2_S",   "IQ2_M",     "IQ4_XS", "IQ1_M",  "BF16",    "",       "",       "",
      "TQ1_0", "TQ2_0",   "MXFP4_MOE", "NVFP4",  "Q1_0",   "Q2_0"};
  return ftype < names.size() ? names[ftype] : std::string_view{};
}

}  // namespace shardfit
