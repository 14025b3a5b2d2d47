#pragma once

/// @file
/// @brief Filesystem policies for discovery: `posix_filesystem` (the real one) and
/// `listing_filesystem` (names and sizes from a listing, e.g. a model hub's, with no local files).
/// Both model the `filesystem_policy` concept of <shardfit/concepts.hpp>.

#include <shardfit/core/compiled.hpp>
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

SHARDFIT_INLINE file_stat from_stat(const struct stat& st);

// Classifies a failed stat that followed links; `lstat_ok` tells whether the link itself exists.
SHARDFIT_INLINE std::optional<file_stat> failed_stat(int err, bool lstat_ok);

// Strips trailing slashes (but keeps "/").
SHARDFIT_INLINE std::string normalize_dir(std::string p);

// The canonical path of `p`, or nothing.
SHARDFIT_INLINE std::optional<std::string> real_path(const std::string& p);

// Where links of a directory may point: the directory itself, or, for a Hugging Face cache
// snapshot (`<repo>/snapshots/<revision>`, whose files link to `<repo>/blobs/`), the repository.
SHARDFIT_INLINE std::string link_root(const std::string& real_dir);

SHARDFIT_INLINE bool inside(const std::string& path, const std::string& root);

}  // namespace detail

/// @brief The real filesystem, through POSIX calls. Stateless; never opens anything but
/// directories and regular files, so FIFOs and devices cannot block it. A listed entry that is
/// a symbolic link pointing out of its directory is reported as `outside_link` and never
/// followed — except the links of a Hugging Face cache snapshot into its repository's blobs.
class posix_filesystem {
 public:
  /// @brief Stat following links; nothing when the path does not exist. Loops, broken links
  /// and permission problems come back as their `file_kind`, not as exceptions.
  [[nodiscard]] std::optional<file_stat> stat(const std::string& path) const;

  /// @brief The entries of a directory with their stats (following links), unsorted.
  /// @throws shardfit::error (errc::io_error) when the directory cannot be opened or read.
  [[nodiscard]] std::vector<dir_entry> list(const std::string& dir) const;

  /// @brief Reads a whole regular file of at most `max_bytes`.
  /// @throws shardfit::error: io_error when it cannot be read or is not a regular file,
  /// limit_exceeded when it is larger than `max_bytes`.
  [[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes) const;

  /// @brief A bounded byte source over a regular file.
  [[nodiscard]] byte_source open(const std::string& path) const;
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
  void add_file(const std::string& path, bytes size, std::optional<std::string> content = {});

  /// @brief Stat of a listed path; nothing if unlisted.
  [[nodiscard]] std::optional<file_stat> stat(const std::string& path) const;

  /// @brief The direct children of a listed directory.
  [[nodiscard]] std::vector<dir_entry> list(const std::string& dir) const;

  /// @brief The content of a listed file that carries content.
  /// @throws shardfit::error (io_error) for files listed without content.
  [[nodiscard]] std::string read_file(const std::string& path, std::size_t max_bytes) const;

  /// @brief A byte source over a listed file's content.
  [[nodiscard]] byte_source open(const std::string& path) const;

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
[[nodiscard]] SHARDFIT_INLINE std::string read_input(const std::string& path,
                                                     std::size_t max_bytes);

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/io/filesystem-inl.hpp>
#endif
