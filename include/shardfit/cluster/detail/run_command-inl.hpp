#pragma once

// The bodies of <shardfit/cluster/detail/run_command.hpp>: included by it (header-only, the
// default) or compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/cluster/detail/run_command.hpp>

namespace shardfit::detail {

SHARDFIT_INLINE command_result run_command(const std::vector<std::string>& argv,
                                           std::chrono::milliseconds timeout,
                                           std::size_t max_bytes) {
  command_result r;
  int out_pipe[2];
  int err_pipe[2];  // carries errno when exec fails (closed on exec)
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return r;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return r;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    return r;
  }
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      ::dup2(devnull, STDERR_FILENO);
      ::dup2(devnull, STDIN_FILENO);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    const int e = errno;
    (void)!::write(err_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  int exec_errno = 0;
  r.found = ::read(err_pipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno;
  ::close(err_pipe[0]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p{out_pipe[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      r.timed_out = ready == 0;
      break;
    }
    const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    if (r.out.size() < max_bytes) r.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  if (r.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!r.timed_out && WIFEXITED(status)) r.status = WEXITSTATUS(status);
  return r;
}

}  // namespace shardfit::detail
