#pragma once

/// @file
/// @brief Filesystem policies for discovery: `posix_filesystem` (the real one) and
/// `listing_filesystem` (names and sizes from a listing, e.g. a model hub's, with no local files).
/// Both model the `filesystem_policy` concept of <shardfit/concepts.hpp>.

#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/path.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/io/byte_source.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shardfit {

/// @brief What a path is, after following symbolic links.
enum class file_kind : std::uint8_t {
  regular,       ///< a regular file
  directory,     ///< a directory
  symlink_loop,  ///< a chain of symbolic links that never ends (ELOOP)
  broken_link,   ///< a symbolic link to nothing
  fifo,          ///< a named pipe: never opened (it could block)
  socket,        ///< a socket
  device,        ///< a character or block device: never opened
  unreadable,    ///< exists but cannot be examined (permission denied)
  outside_link,  ///< a symbolic link out of its directory: never followed (see `posix_filesystem`)
  other,         ///< anything else
};

/// @brief A stable name for a file kind ("symlink_loop").
[[nodiscard]] constexpr std::string_view to_string(file_kind k) noexcept {
  switch (k) {
    case file_kind::regular:
      return "regular";
    case file_kind::directory:
      return "directory";
    case file_kind::symlink_loop:
      return "symlink_loop";
    case file_kind::broken_link:
      return "broken_link";
    case file_kind::fifo:
      return "fifo";
    case file_kind::socket:
      return "socket";
    case file_kind::device:
      return "device";
    case file_kind::unreadable:
      return "unreadable";
    case file_kind::outside_link:
      return "outside_link";
    case file_kind::other:
      return "other";
  }
  return "other";
}

/// @brief What discovery needs to know of a file: its kind, sizes and identity.
struct file_stat {
  file_kind kind = file_kind::other;
  bytes size;                 ///< apparent size (st_size)
  bytes allocated;            ///< bytes allocated on disk (st_blocks × 512); less for sparse files
  std::int64_t mtime_ns = 0;  ///< modification time, nanoseconds since the epoch
  std::uint64_t inode = 0;
  std::uint64_t device = 0;

  friend bool operator==(const file_stat&, const file_stat&) = default;
};

/// @brief One entry of a directory listing.
struct dir_entry {
  std::string name;  ///< the entry's name, no directory part
  file_stat stat;
};

namespace detail {

inline file_stat from_stat(const struct stat& st) {
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

// Classifies a failed stat that followed links; `lstat_ok` tells whether the link itself exists.
inline std::optional<file_stat> failed_stat(int err, bool lstat_ok) {
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

// Strips trailing slashes (but keeps "/").
inline std::string normalize_dir(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// The canonical path of `p`, or nothing.
inline std::optional<std::string> real_path(const std::string& p) {
  std::unique_ptr<char, void (*)(void*)> r(::realpath(p.c_str(), nullptr), &std::free);
  if (!r) return std::nullopt;
  return std::string(r.get());
}

// Where links of a directory may point: the directory itself, or, for a Hugging Face cache
// snapshot (`<repo>/snapshots/<revision>`, whose files link to `<repo>/blobs/`), the repository.
inline std::string link_root(const std::string& real_dir) {
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

inline bool inside(const std::string& path, const std::string& root) {
  if (root == "/" || path == root) return true;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

}  // namespace detail

/// @brief The real filesystem, through POSIX calls. Stateless; never opens anything but
/// directories and regular files, so FIFOs and devices cannot block it. A listed entry that is
/// a symbolic link pointing out of its directory is reported as `outside_link` and never
/// followed — except the links of a Hugging Face cache snapshot into its repository's blobs.
class posix_filesystem {
 public:
  /// @brief Stat following links; nothing when the path does not exist. Loops, broken links
  /// and permission problems come back as their `file_kind`, not as exceptions.
  [[nodiscard]] std::optional<file_stat> stat(const std::string& path) const {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return detail::from_stat(st);
    const int err = errno;
    struct stat lst {};
    return detail::failed_stat(err, ::lstat(path.c_str(), &lst) == 0);
  }

  /// @brief The entries of a directory with their stats (following links), unsorted.
  /// @throws shardfit::error (errc::io_error) when the directory cannot be opened or read.
  [[nodiscard]] std::vector<dir_entry> list(const std::string& dir) const {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
      throw error::io(dir, std::string("cannot open directory: ") + std::strerror(errno));
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
        auto s =
            detail::failed_stat(err, ::fstatat(dfd, e->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0);
        if (!s) continue;  // vanished between readdir and stat
        entry.stat = *s;
      }
      out.push_back(std::move(entry));
    }
    return out;
  }

  /// @brief Reads a whole regular file of at most `max_bytes`.
  /// @throws shardfit::error: io_error when it cannot be read or is not a regular file,
  /// limit_exceeded when it is larger than `max_bytes`.
  [[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes) const {
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

  /// @brief A bounded byte source over a regular file.
  [[nodiscard]] byte_source open(const std::string& path) const {
    return byte_source::from_file(path);
  }
};

/// @brief A filesystem made from a listing of file paths and sizes, such as a model hub's API
/// listing, so that discovery and sizing work with no local files. Small files (an index JSON,
/// a config) may carry their content; files without content cannot be read.
///
/// Example:
/// @code
///   shardfit::listing_filesystem hub;
///   hub.add_file("repo/model-00001-of-00002.safetensors", shardfit::bytes{4'900'000'000});
///   hub.add_file("repo/model-00002-of-00002.safetensors", shardfit::bytes{1'200'000'000});
///   auto found = shardfit::discover("repo", {}, hub);  // one complete set of 6.1 GB
/// @endcode
class listing_filesystem {
 public:
  /// @brief Adds a file (and its parent directories); `content`, when given, makes it readable
  /// and its size is the content's size.
  void add_file(const std::string& path, bytes size, std::optional<std::string> content = {}) {
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

  /// @brief Stat of a listed path; nothing if unlisted.
  [[nodiscard]] std::optional<file_stat> stat(const std::string& path) const {
    const auto it = nodes_.find(detail::normalize_dir(path));
    if (it == nodes_.end()) return std::nullopt;
    return it->second.stat;
  }

  /// @brief The direct children of a listed directory.
  [[nodiscard]] std::vector<dir_entry> list(const std::string& dir) const {
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

  /// @brief The content of a listed file that carries content.
  /// @throws shardfit::error (io_error) for files listed without content.
  [[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes) const {
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

  /// @brief A byte source over a listed file's content.
  [[nodiscard]] byte_source open(const std::string& path) const {
    const auto it = nodes_.find(detail::normalize_dir(path));
    if (it == nodes_.end() || !it->second.content) {
      throw error::io(path, "cannot read: the listing has no content for this file");
    }
    const std::string& c = *it->second.content;
    std::vector<std::byte> buf(c.size());
    if (!c.empty()) std::memcpy(buf.data(), c.data(), c.size());  // never memcpy from null
    return byte_source::from_buffer(std::move(buf), path);
  }

 private:
  struct node {
    file_stat stat;
    std::optional<std::string> content;
  };
  std::map<std::string, node> nodes_;
  std::uint64_t next_inode_ = 0;
};

static_assert(byte_readable_filesystem<posix_filesystem>);
static_assert(byte_readable_filesystem<listing_filesystem>);

/// @brief Reads an input named on the command line (a cluster file, a GPU tool's output): "-" is
/// standard input; anything else is opened and read as a stream, so pipes, process substitution
/// (`<(nvidia-smi ...)`, a `/dev/fd/N`) and `/proc` files work as well as regular files.
/// @throws shardfit::error: io_error when it cannot be opened or read; limit_exceeded past
/// `max_bytes`.
[[nodiscard]] inline std::string read_input(const std::string& path, std::size_t max_bytes) {
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
