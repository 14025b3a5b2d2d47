#pragma once

// The bodies of <shardfit/io/byte_source.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/io/byte_source.hpp>

namespace shardfit {

SHARDFIT_INLINE byte_source byte_source::from_file(const std::string& path) {
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

SHARDFIT_INLINE byte_source byte_source::from_memory(std::span<const std::byte> data,
                                                     std::string name) {
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

SHARDFIT_INLINE byte_source byte_source::from_buffer(std::vector<std::byte> data,
                                                     std::string name) {
  auto owned = std::make_shared<const std::vector<std::byte>>(std::move(data));
  byte_source s = from_memory(std::span<const std::byte>(*owned), std::move(name));
  auto inner = std::move(s.read_);
  s.read_ = [owned, inner](std::uint64_t offset, std::span<std::byte> dst) {
    return inner(offset, dst);
  };
  return s;
}

SHARDFIT_INLINE byte_source byte_source::from_reader(std::uint64_t size, reader read,
                                                     std::string name) {
  byte_source s;
  s.name_ = std::move(name);
  s.size_ = size;
  s.read_ = std::move(read);
  return s;
}

SHARDFIT_INLINE std::size_t byte_source::read(std::uint64_t offset,
                                              std::span<std::byte> dst) const {
  if (offset >= size_) return 0;
  const std::uint64_t avail = size_ - offset;
  if (dst.size() > avail) dst = dst.first(static_cast<std::size_t>(avail));
  return read_(offset, dst);
}

}  // namespace shardfit
