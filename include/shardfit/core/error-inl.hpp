#pragma once

// The bodies of <shardfit/core/error.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/core/error.hpp>

namespace shardfit {

SHARDFIT_INLINE error error::with_option(std::string name) && {
  option_ = std::move(name);
  return std::move(*this);
}

SHARDFIT_INLINE error error::invalid_argument(std::string message) {
  return {errc::invalid_argument, std::move(message)};
}

SHARDFIT_INLINE error error::overflow(std::string_view what) {
  return {errc::overflow, std::string(what) + " overflows 64 bits"};
}

SHARDFIT_INLINE error error::io(std::string path, std::string message) {
  return {errc::io_error, std::move(path), std::move(message)};
}

SHARDFIT_INLINE error error::format(std::string path, std::uint64_t offset, std::string message) {
  return {errc::invalid_format, std::move(path),
          "at offset " + std::to_string(offset) + ": " + std::move(message)};
}

SHARDFIT_INLINE error error::truncated(std::string path, std::uint64_t offset,
                                       std::string message) {
  return {errc::truncated, std::move(path),
          "at offset " + std::to_string(offset) + ": " + std::move(message)};
}

SHARDFIT_INLINE error error::format(std::string path, std::string message) {
  return {errc::invalid_format, std::move(path), std::move(message)};
}

SHARDFIT_INLINE error error::limit(std::string path, std::string message) {
  return {errc::limit_exceeded, std::move(path), std::move(message)};
}

SHARDFIT_INLINE std::string error::join(const std::string& path, const std::string& message) {
  return path.empty() ? message : path + ": " + message;
}

SHARDFIT_INLINE verdict verdict::reject(rule_id rule, std::string message) {
  return {false, {rule, std::move(message)}};
}

}  // namespace shardfit
