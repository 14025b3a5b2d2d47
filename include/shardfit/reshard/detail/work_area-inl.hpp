#pragma once

// The bodies of <shardfit/reshard/detail/work_area.hpp>: included by it (header-only, the default)
// or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/reshard/detail/work_area.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE work_dir::work_dir(const std::string& parent) {
  std::string tmpl = join_path(parent, std::string(work_dir_prefix) + "XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw error::io(parent,
                    std::string("cannot create a working directory: ") + std::strerror(errno));
  }
  path_ = tmpl;
  lock_ = join_path(path_, std::string(work_dir_lock));
  const int fd = ::open(lock_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    const auto n = ::write(fd, pid.data(), pid.size());
    ::close(fd);
    if (n == static_cast<ssize_t>(pid.size())) return;
  }
  ::unlink(lock_.c_str());
  ::rmdir(path_.c_str());
  throw error::io(path_, std::string("cannot write its lock: ") + std::strerror(errno));
}

SHARDFIT_INLINE work_dir::~work_dir() {
  for (const auto& f : files_) ::unlink(f.c_str());
  ::unlink(lock_.c_str());
  ::rmdir(path_.c_str());
}

SHARDFIT_INLINE std::string work_dir::file(std::string_view final_name) {
  files_.push_back(join_path(path_, std::string(final_name) + ".partial"));
  return files_.back();
}

SHARDFIT_INLINE bool process_alive(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;  // it exists, owned by someone else
}

SHARDFIT_INLINE std::vector<found_work_dir> find_work_dirs(const std::string& dir) {
  std::vector<found_work_dir> out;
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name.substr(0, work_dir_prefix.size()) != work_dir_prefix) continue;
    found_work_dir w;
    w.path = join_path(dir, std::string(name));
    struct stat st {};
    if (::lstat(w.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (DIR* inner = ::opendir(w.path.c_str())) {
      while (const dirent* f = ::readdir(inner)) {
        const std::string_view fname(f->d_name);
        if (fname == "." || fname == "..") continue;
        struct stat fst {};
        if (::lstat(join_path(w.path, std::string(fname)).c_str(), &fst) == 0) {
          w.size += bytes{static_cast<std::uint64_t>(fst.st_size)};
        }
      }
      ::closedir(inner);
    }
    const int fd = ::open(join_path(w.path, std::string(work_dir_lock)).c_str(), O_RDONLY);
    if (fd >= 0) {
      char buf[32] = {};
      const auto n = ::read(fd, buf, sizeof(buf) - 1);
      ::close(fd);
      if (n > 0) {
        char* end = nullptr;
        const long pid = std::strtol(buf, &end, 10);
        if (end != buf && pid > 0) w.pid = pid;
      }
    }
    w.alive = w.pid && process_alive(*w.pid);
    out.push_back(std::move(w));
  }
  ::closedir(d);
  return out;
}

SHARDFIT_INLINE void remove_work_dir(const std::string& path) {
  if (DIR* d = ::opendir(path.c_str())) {
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    for (const auto& n : names) {
      const std::string f = join_path(path, n);
      if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
        throw error::io(f, std::string("cannot remove: ") + std::strerror(errno));
      }
    }
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    throw error::io(path, std::string("cannot remove: ") + std::strerror(errno));
  }
}

SHARDFIT_INLINE std::optional<bytes> filesystem_free(std::string dir) {
  if (dir.empty()) dir = ".";
  for (int i = 0; i < 256; ++i) {
    struct statvfs v {};
    if (::statvfs(dir.c_str(), &v) == 0) {
      return bytes{static_cast<std::uint64_t>(v.f_bavail) * static_cast<std::uint64_t>(v.f_frsize)};
    }
    if (errno != ENOENT) return std::nullopt;
    const auto slash = dir.find_last_of('/', dir.size() > 1 ? dir.size() - 2 : 0);
    // assign(1, c), not `= "/"`: GCC 12 warns falsely (-Wrestrict) about the literal's copy.
    if (slash == std::string::npos) {
      dir.assign(1, '.');
    } else if (slash == 0) {
      dir.assign(1, '/');
    } else {
      dir.resize(slash);
    }
  }
  return std::nullopt;
}

}  // namespace shardfit::detail
