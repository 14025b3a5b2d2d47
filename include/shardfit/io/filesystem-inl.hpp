#pragma once

// The bodies of <shardfit/io/filesystem.hpp>: included by it (header-only, the default) or compiled
// once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/io/filesystem.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE file_stat from_stat(const struct stat& st) {
  file_stat s;
  if (S_ISREG(st.st_mode)) {
    s.kind = file_kind::regular;
  } else if (S_ISDIR(st.st_mode)) {
    s.kind = file_kind::directory;
  } else if (S_ISFIFO(st.st_mode)) {
    s.kind = file_kind::fifo;
  } else if (S_ISSOCK(st.st_mode)) {
    s.kind = file_kind::socket;
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    s.kind = file_kind::device;
  }
  s.size = bytes{st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0};
  s.allocated = bytes{static_cast<std::uint64_t>(st.st_blocks) * 512U};
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.device = static_cast<std::uint64_t>(st.st_dev);
  return s;
}

SHARDFIT_INLINE std::optional<file_stat> failed_stat(int err, bool lstat_ok) {
  file_stat s;
  if (err == ELOOP) {
    s.kind = file_kind::symlink_loop;
  } else if (err == ENOENT || err == ENOTDIR) {
    if (!lstat_ok) return std::nullopt;
    s.kind = file_kind::broken_link;
  } else {
    s.kind = file_kind::unreadable;
  }
  return s;
}

SHARDFIT_INLINE std::string normalize_dir(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

SHARDFIT_INLINE std::optional<std::string> real_path(const std::string& p) {
  std::unique_ptr<char, void (*)(void*)> r(::realpath(p.c_str(), nullptr), &std::free);
  if (!r) return std::nullopt;
  return std::string(r.get());
}

SHARDFIT_INLINE std::string link_root(const std::string& real_dir) {
  const auto last = real_dir.find_last_of('/');
  if (last != std::string::npos && last > 0) {
    const std::string parent = real_dir.substr(0, last);
    const auto prev = parent.find_last_of('/');
    if (prev != std::string::npos && parent.substr(prev + 1) == "snapshots" && prev > 0) {
      return parent.substr(0, prev);
    }
  }
  return real_dir;
}

SHARDFIT_INLINE bool inside(const std::string& path, const std::string& root) {
  if (root == "/" || path == root) return true;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

}  // namespace detail

SHARDFIT_INLINE std::optional<file_stat> posix_filesystem::stat(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return detail::from_stat(st);
  const int err = errno;
  struct stat lst {};
  return detail::failed_stat(err, ::lstat(path.c_str(), &lst) == 0);
}

SHARDFIT_INLINE std::vector<dir_entry> posix_filesystem::list(const std::string& dir) const {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw error::io(dir, std::string("cannot open directory: ") + std::strerror(errno));
  DIR* d = ::fdopendir(dfd);
  if (d == nullptr) {
    const int err = errno;
    ::close(dfd);
    throw error::io(dir, std::string("cannot read directory: ") + std::strerror(err));
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, &::closedir);
  std::vector<dir_entry> out;
  std::optional<std::string> root;  // where links may point, resolved on the first link
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0)
        throw error::io(dir, std::string("cannot read directory: ") + std::strerror(errno));
      break;
    }
    const std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    struct stat st {};
    dir_entry entry{std::string(name), {}};
    // Whether it is a link: the directory entry says so on most filesystems (one syscall
    // fewer per file); only when it does not is the entry itself stat'ed.
    bool link = e->d_type == DT_LNK;
    if (e->d_type == DT_UNKNOWN) {
      struct stat self {};
      link = ::fstatat(dfd, e->d_name, &self, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(self.st_mode);
    }
    if (::fstatat(dfd, e->d_name, &st, 0) == 0) {
      entry.stat = detail::from_stat(st);
      if (link) {
        if (!root) root = detail::link_root(detail::real_path(dir).value_or(dir));
        const auto target = detail::real_path(join_path(dir, name));
        if (!target || !detail::inside(*target, *root)) entry.stat.kind = file_kind::outside_link;
      }
    } else {
      const int err = errno;
      struct stat lst {};
      auto s = detail::failed_stat(err, ::fstatat(dfd, e->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0);
      if (!s) continue;  // vanished between readdir and stat
      entry.stat = *s;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

SHARDFIT_INLINE std::string posix_filesystem::read_file(const std::string& path,
                                                        std::size_t max_bytes) const {
  const byte_source src = byte_source::from_file(path);
  if (src.size() > max_bytes) {
    throw error::limit(path, "file is " + std::to_string(src.size()) + " bytes, more than the " +
                                 std::to_string(max_bytes) + "-byte limit");
  }
  std::string text(static_cast<std::size_t>(src.size()), '\0');
  const auto n = src.read(0, std::as_writable_bytes(std::span<char>(text)));
  text.resize(n);
  return text;
}

SHARDFIT_INLINE byte_source posix_filesystem::open(const std::string& path) const {
  return byte_source::from_file(path);
}

SHARDFIT_INLINE void listing_filesystem::add_file(const std::string& path, bytes size,
                                                  std::optional<std::string> content) {
  const std::string p = detail::normalize_dir(path);
  file_stat st;
  st.kind = file_kind::regular;
  st.size = content ? bytes{content->size()} : size;
  st.allocated = st.size;
  st.inode = ++next_inode_;
  nodes_[p] = node{st, std::move(content)};
  for (auto slash = p.rfind('/'); slash != std::string::npos && slash > 0;
       slash = p.rfind('/', slash - 1)) {
    const std::string dir = p.substr(0, slash);
    auto& n = nodes_[dir];
    if (n.stat.kind != file_kind::directory) {
      n.stat.kind = file_kind::directory;
      n.stat.inode = ++next_inode_;
    }
  }
}

SHARDFIT_INLINE std::optional<file_stat> listing_filesystem::stat(const std::string& path) const {
  const auto it = nodes_.find(detail::normalize_dir(path));
  if (it == nodes_.end()) return std::nullopt;
  return it->second.stat;
}

SHARDFIT_INLINE std::vector<dir_entry> listing_filesystem::list(const std::string& dir) const {
  const std::string d = detail::normalize_dir(dir);
  const auto it = nodes_.find(d);
  if (it == nodes_.end() || it->second.stat.kind != file_kind::directory) {
    throw error::io(dir, "cannot open directory: not in the listing");
  }
  std::vector<dir_entry> out;
  const std::string prefix = d + "/";
  for (auto c = nodes_.lower_bound(prefix); c != nodes_.end(); ++c) {
    if (c->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string_view rest = std::string_view(c->first).substr(prefix.size());
    if (rest.find('/') != std::string_view::npos) continue;
    out.push_back({std::string(rest), c->second.stat});
  }
  return out;
}

SHARDFIT_INLINE std::string listing_filesystem::read_file(const std::string& path,
                                                          std::size_t max_bytes) const {
  const auto it = nodes_.find(detail::normalize_dir(path));
  if (it == nodes_.end() || !it->second.content) {
    throw error::io(path, "cannot read: the listing has no content for this file");
  }
  if (it->second.content->size() > max_bytes) {
    throw error::limit(path, "file is " + std::to_string(it->second.content->size()) +
                                 " bytes, more than the " + std::to_string(max_bytes) +
                                 "-byte limit");
  }
  return *it->second.content;
}

SHARDFIT_INLINE byte_source listing_filesystem::open(const std::string& path) const {
  const auto it = nodes_.find(detail::normalize_dir(path));
  if (it == nodes_.end() || !it->second.content) {
    throw error::io(path, "cannot read: the listing has no content for this file");
  }
  const std::string& c = *it->second.content;
  std::vector<std::byte> buf(c.size());
  if (!c.empty()) std::memcpy(buf.data(), c.data(), c.size());  // never memcpy from null
  return byte_source::from_buffer(std::move(buf), path);
}

SHARDFIT_INLINE std::string read_input(const std::string& path, std::size_t max_bytes) {
  const bool stdin_ = path == "-";
  const std::string name = stdin_ ? std::string("standard input") : path;
  const int fd = stdin_ ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw error::io(path, std::string("cannot open: ") + std::strerror(errno));
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      if (!stdin_) ::close(fd);
      throw error::io(name, std::string("cannot read: ") + std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) {
      if (!stdin_) ::close(fd);
      throw error::limit(name, "more than the " + std::to_string(max_bytes) + "-byte limit");
    }
  }
  if (!stdin_) ::close(fd);
  return text;
}

}  // namespace shardfit
