#pragma once

/// @file
/// @brief Hugging Face `config.json` → the architecture facts shardfit needs: layers, hidden
/// size, heads and KV heads, head dim, intermediate sizes, vocabulary, tied embeddings, MoE
/// (experts, experts per token, shared experts, leading dense layers), MLA ranks, sliding-window
/// layers, context length, dtype and `quantization_config`. Multimodal configs (gemma-3,
/// Qwen2.5-VL, InternVL, Llama 4) give the language model from `text_config` / `llm_config` and
/// the vision tower separately. Unknown keys are ignored; a known key of the wrong type is an
/// error naming the key.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/formats/hf_config.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/io/json_value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardfit {

namespace detail {

// Typed access to one object of a config, with messages that name the key (with its path).
class config_object {
 public:
  config_object(const json_value* obj, std::string prefix, std::string path)
      : obj_(obj), prefix_(std::move(prefix)), path_(std::move(path)) {}

  [[nodiscard]] const json_value* raw(std::string_view key) const;

  [[nodiscard]] std::optional<std::uint64_t> u64(std::string_view key) const;

  // The first of several alias keys that is present.
  [[nodiscard]] std::optional<std::uint64_t> u64_any(
      std::initializer_list<std::string_view> keys) const;

  [[nodiscard]] std::uint32_t u32(std::string_view key, std::uint32_t fallback = 0) const;

  [[nodiscard]] std::uint32_t u32_any(std::initializer_list<std::string_view> keys) const;

  [[nodiscard]] std::optional<std::string> string(std::string_view key) const;

  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;

  [[nodiscard]] std::optional<double> number(std::string_view key) const;

  [[nodiscard]] const json_value* object(std::string_view key) const;

  [[nodiscard]] const json_value* array(std::string_view key) const;

  [[nodiscard]] config_object child(std::string_view key) const;

  [[nodiscard]] bool present() const noexcept { return obj_ != nullptr; }
  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }

  [[noreturn]] void wrong(std::string_view key, const json_value& v, std::string_view want) const;

 private:
  const json_value* obj_;
  std::string prefix_;
  std::string path_;
};

SHARDFIT_INLINE void read_quantization(const config_object& q, hf_config& c);

// The vocabulary of a text config class when the config omits it; 0 for a type not listed.
SHARDFIT_INLINE std::uint32_t default_vocab_size(std::string_view type);

// A scaling factor as a config writes it: "4", "2.5".
SHARDFIT_INLINE std::string format_factor(double f);

SHARDFIT_INLINE void read_language_model(const config_object& t, const config_object& top,
                                         hf_config& c);

}  // namespace detail

/// @brief Reads the text of a `config.json` (from `path`, used in messages).
/// @throws shardfit::error (invalid_format) for malformed JSON or a known key of the wrong type,
/// naming the key and its offset.
[[nodiscard]] SHARDFIT_INLINE hf_config parse_hf_config(std::string_view text,
                                                        const std::string& path);

/// @brief Reads `config.json` at `path` (at most 16 MiB).
template <filesystem_policy Fs = posix_filesystem>
[[nodiscard]] hf_config read_hf_config(const std::string& path, const Fs& fs = Fs{}) {
  return parse_hf_config(fs.read_file(path, std::size_t{16} << 20U), path);
}

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/formats/read_hf_config-inl.hpp>
#endif
