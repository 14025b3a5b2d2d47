#pragma once

/// @file
/// @brief `byte_source`: bounded random access to bytes, from a file, from memory, or from a
/// caller's reader (an HTTP range fetcher, say). The readers of file headers (GGUF, safetensors)
/// read through it and never past `size()`.

#include <shardfit/core/compiled.hpp>
#include <shardfit/core/error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shardfit {

/// @brief Random read access to a bounded sequence of bytes.
///
/// A file source reads with `pread`, not `mmap`: a file truncated while it is read then gives a
/// short read and a clear error instead of SIGBUS. Copies share the underlying file descriptor.
class byte_source {
 public:
  /// @brief A reader callback: fills `dst` from `offset`, returns the bytes written (short at end).
  using reader = std::function<std::size_t(std::uint64_t offset, std::span<std::byte> dst)>;

  /// @brief Opens `path` for reading; it must be a regular file.
  /// @throws shardfit::error (errc::io_error) naming the file and the system error.
  [[nodiscard]] static byte_source from_file(const std::string& path);

  /// @brief Wraps memory the caller keeps alive (a header fetched over HTTP ranges, say).
  [[nodiscard]] static byte_source from_memory(std::span<const std::byte> data,
                                               std::string name = "<memory>");

  /// @brief Takes ownership of a buffer.
  [[nodiscard]] static byte_source from_buffer(std::vector<std::byte> data,
                                               std::string name = "<memory>");

  /// @brief Reads through the caller's function, for a source of `size` bytes.
  [[nodiscard]] static byte_source from_reader(std::uint64_t size, reader read, std::string name);

  /// @brief Total size in bytes.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// @brief The file path or the name given, for error messages.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// @brief Reads up to `dst.size()` bytes at `offset`; returns how many were read (fewer only
  /// at the end of the source). Never reads past `size()`.
  std::size_t read(std::uint64_t offset, std::span<std::byte> dst) const;

 private:
  struct file_handle {
    explicit file_handle(int f) : fd(f) {}
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    ~file_handle() { ::close(fd); }
    int fd;
  };

  byte_source() = default;

  std::string name_;
  std::uint64_t size_ = 0;
  reader read_;
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/io/byte_source-inl.hpp>
#endif
