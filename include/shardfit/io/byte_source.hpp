#pragma once

/// @file
/// @brief `byte_source`: bounded random access to bytes, from a file, from memory, or from a
/// caller's reader (an HTTP range fetcher, say). The readers of file headers (GGUF, safetensors)
/// read through it and never past `size()`.

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
  [[nodiscard]] static byte_source from_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) throw error::io(path, std::string("cannot open: ") + std::strerror(errno));
    auto owner = std::make_shared<file_handle>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0)
      throw error::io(path, std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw error::io(path, "not a regular file");
    byte_source s;
    s.name_ = path;
    s.size_ = static_cast<std::uint64_t>(st.st_size);
    s.read_ = [owner, path](std::uint64_t offset, std::span<std::byte> dst) -> std::size_t {
      std::size_t done = 0;
      while (done < dst.size()) {
        const ssize_t n = ::pread(owner->fd, dst.data() + done, dst.size() - done,
                                  static_cast<off_t>(offset + done));
        if (n < 0) {
          if (errno == EINTR) continue;
          throw error::io(path, std::string("read failed: ") + std::strerror(errno));
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
      }
      return done;
    };
    return s;
  }

  /// @brief Wraps memory the caller keeps alive (a header fetched over HTTP ranges, say).
  [[nodiscard]] static byte_source from_memory(std::span<const std::byte> data,
                                               std::string name = "<memory>") {
    byte_source s;
    s.name_ = std::move(name);
    s.size_ = data.size();
    s.read_ = [data](std::uint64_t offset, std::span<std::byte> dst) -> std::size_t {
      if (offset >= data.size()) return 0;
      const auto n =
          std::min<std::size_t>(dst.size(), data.size() - static_cast<std::size_t>(offset));
      std::memcpy(dst.data(), data.data() + offset, n);
      return n;
    };
    return s;
  }

  /// @brief Takes ownership of a buffer.
  [[nodiscard]] static byte_source from_buffer(std::vector<std::byte> data,
                                               std::string name = "<memory>") {
    auto owned = std::make_shared<const std::vector<std::byte>>(std::move(data));
    byte_source s = from_memory(std::span<const std::byte>(*owned), std::move(name));
    auto inner = std::move(s.read_);
    s.read_ = [owned, inner](std::uint64_t offset, std::span<std::byte> dst) {
      return inner(offset, dst);
    };
    return s;
  }

  /// @brief Reads through the caller's function, for a source of `size` bytes.
  [[nodiscard]] static byte_source from_reader(std::uint64_t size, reader read, std::string name) {
    byte_source s;
    s.name_ = std::move(name);
    s.size_ = size;
    s.read_ = std::move(read);
    return s;
  }

  /// @brief Total size in bytes.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// @brief The file path or the name given, for error messages.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// @brief Reads up to `dst.size()` bytes at `offset`; returns how many were read (fewer only
  /// at the end of the source). Never reads past `size()`.
  std::size_t read(std::uint64_t offset, std::span<std::byte> dst) const {
    if (offset >= size_) return 0;
    const std::uint64_t avail = size_ - offset;
    if (dst.size() > avail) dst = dst.first(static_cast<std::size_t>(avail));
    return read_(offset, dst);
  }

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
