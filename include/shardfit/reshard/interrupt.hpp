#pragma once

/// @file
/// @brief Stopping a long run cleanly on Ctrl-C or SIGTERM: while an `interrupt_guard` lives,
/// the first SIGINT or SIGTERM only sets a flag (a second one ends the process as usual). Pass
/// `interrupt_guard::requested` as `reshard_options::cancelled`: the resharder then stops at the
/// next chunk, removes its working directory and throws `errc::interrupted`; exit with
/// `128 + interrupt_guard::signal()`, as a shell expects of a process a signal stopped.
///
/// Example:
/// @code
///   shardfit::interrupt_guard guard;
///   options.cancelled = shardfit::interrupt_guard::requested;
///   try { shardfit::write_reshard(plan, options); }
///   catch (const shardfit::error& e) {
///     if (e.code() == shardfit::errc::interrupted) return 128 + guard.signal();
///     throw;
///   }
/// @endcode

#include <csignal>
#include <shardfit/core/compiled.hpp>

namespace shardfit {

namespace detail {
// The signal that asked to stop, 0 when none (written only by the handler and the guard).
inline volatile std::sig_atomic_t interrupt_signal = 0;
SHARDFIT_INLINE void on_interrupt(int sig);
}  // namespace detail

/// @brief Turns SIGINT and SIGTERM into a request to stop while it lives; restores the
/// previous handlers when it goes. One guard at a time per process.
class interrupt_guard {
 public:
  interrupt_guard();
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;
  ~interrupt_guard();
  /// @brief A stop was asked for.
  [[nodiscard]] static bool requested() noexcept { return detail::interrupt_signal != 0; }
  /// @brief The signal that asked (SIGINT, SIGTERM), 0 when none.
  [[nodiscard]] static int signal() noexcept { return detail::interrupt_signal; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/reshard/interrupt-inl.hpp>
#endif
