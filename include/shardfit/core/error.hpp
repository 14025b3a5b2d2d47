#pragma once

/// @file
/// @brief `shardfit::error` (unexpected failures) and `reason` / `verdict` (expected outcomes).
///
/// The split follows the Kubernetes scheduler: an expected outcome, such as a candidate that does
/// not fit or a tensor-parallel degree that an engine refuses, is data (a `verdict` with a
/// `reason`). An unexpected failure, such as an unreadable file or a malformed header, throws
/// `shardfit::error`, whose message names the file and the problem.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/rule.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace shardfit {

/// @brief What went wrong, for callers that branch on the kind of failure.
enum class errc : int {
  invalid_argument = 1,  ///< a value given by the caller is malformed ("12XB", a negative count)
  overflow,              ///< arithmetic past the range of its type (more than 2^64-1 bytes)
  io_error,              ///< a file or directory could not be opened, read, written or renamed
  not_found,             ///< a path, file or entry that must exist does not
  invalid_format,        ///< content breaks its format (bad magic, truncated header, wrong type)
  unsupported,           ///< well-formed but not supported (an unknown tensor type id)
  incomplete,            ///< a shard set misses files, or an index names an absent file
  unsafe_path,           ///< a path escapes the directory it must stay in (`../`, absolute)
  limit_exceeded,        ///< a size, count or nesting depth beyond a documented bound
  contract_violation,    ///< a policy broke its documented contract (a score outside [0, 100])
  already_exists,        ///< an output exists and overwriting it was not asked for
  truncated,             ///< a file ends before the header or data its own header declares
  interrupted,           ///< stopped on request (a signal); what it had begun was undone
};

/// @brief A stable lowercase name for an error code ("invalid_format").
[[nodiscard]] constexpr std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::overflow:
      return "overflow";
    case errc::io_error:
      return "io_error";
    case errc::not_found:
      return "not_found";
    case errc::invalid_format:
      return "invalid_format";
    case errc::unsupported:
      return "unsupported";
    case errc::incomplete:
      return "incomplete";
    case errc::unsafe_path:
      return "unsafe_path";
    case errc::limit_exceeded:
      return "limit_exceeded";
    case errc::contract_violation:
      return "contract_violation";
    case errc::already_exists:
      return "already_exists";
    case errc::truncated:
      return "truncated";
    case errc::interrupted:
      return "interrupted";
  }
  return "unknown";
}

/// @brief The exception every shardfit function throws for an unexpected failure.
///
/// `what()` is `"<path>: <message>"` when the failure concerns a file, else `"<message>"`; the
/// tool prints it behind `shardfit: `. Named constructors keep throw sites short.
///
/// Example:
/// @code
///   throw shardfit::error::format("m.gguf", 24, "tensor count 2^40 exceeds the file size");
///   // what(): "m.gguf: at offset 24: tensor count 2^40 exceeds the file size"
/// @endcode
class error : public std::runtime_error {
 public:
  /// @brief An error with no file attached.
  error(errc code, std::string message)
      : std::runtime_error(message), code_(code), message_(std::move(message)) {}

  /// @brief An error about `path`; `what()` is `"<path>: <message>"`.
  error(errc code, std::string path, std::string message)
      : std::runtime_error(join(path, message)),
        code_(code),
        path_(std::move(path)),
        message_(std::move(message)) {}

  /// @brief The kind of failure.
  [[nodiscard]] errc code() const noexcept { return code_; }
  /// @brief The file or directory concerned, or empty.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// @brief The problem without the path prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// @brief The setting that resolves it, by its library name ("force", "set_name",
  /// "out_dir"), or empty; a front end names its own option for it.
  [[nodiscard]] const std::string& option() const noexcept { return option_; }
  /// @brief This error, naming the setting `name` that resolves it.
  [[nodiscard]] error with_option(std::string name) &&;

  /// @brief A malformed value given by the caller.
  [[nodiscard]] static error invalid_argument(std::string message);
  /// @brief Arithmetic that would overflow; `what` names the quantity.
  [[nodiscard]] static error overflow(std::string_view what);
  /// @brief A failed system call on `path`.
  [[nodiscard]] static error io(std::string path, std::string message);
  /// @brief A format violation in `path` at byte `offset`.
  [[nodiscard]] static error format(std::string path, std::uint64_t offset, std::string message);
  /// @brief `path` ends before what its header declares (a header field, a tensor's data), at
  /// byte `offset` of the header: a cut download, as opposed to a corrupt one.
  [[nodiscard]] static error truncated(std::string path, std::uint64_t offset, std::string message);
  /// @brief A format violation in `path` that has no single byte offset (a JSON key, say).
  [[nodiscard]] static error format(std::string path, std::string message);
  /// @brief A resource bound exceeded while reading `path`.
  [[nodiscard]] static error limit(std::string path, std::string message);

 private:
  static std::string join(const std::string& path, const std::string& message);

  errc code_;
  std::string path_;
  std::string message_;
  std::string option_;
};

/// @brief Why something was rejected: the rule that decided and a message with the numbers.
struct reason {
  rule_id rule = rule_id::fit_vram;  ///< the rule; `to_string(rule)` is its stable id
  std::string message;  ///< e.g. "32 attention heads are not divisible by tensor parallel 3"

  friend bool operator==(const reason&, const reason&) = default;
};

/// @brief The outcome of a check: accepted, or rejected with a reason. Never a bare bool.
struct verdict {
  bool ok = true;  ///< true when accepted
  reason why;      ///< set when rejected

  /// @brief An accepting verdict.
  [[nodiscard]] static verdict accept() { return {}; }
  /// @brief A rejecting verdict by `rule` with `message`.
  [[nodiscard]] static verdict reject(rule_id rule, std::string message);
  /// @brief True when accepted.
  explicit operator bool() const noexcept { return ok; }
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/core/error-inl.hpp>
#endif
