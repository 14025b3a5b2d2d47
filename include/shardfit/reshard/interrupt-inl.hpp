#pragma once

// The bodies of <shardfit/reshard/interrupt.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/reshard/interrupt.hpp>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE void on_interrupt(int sig) {
  interrupt_signal = sig;
}

}  // namespace detail

SHARDFIT_INLINE interrupt_guard::interrupt_guard() {
  detail::interrupt_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = detail::on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = static_cast<int>(SA_RESETHAND);  // the second signal acts as usual
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
}

SHARDFIT_INLINE interrupt_guard::~interrupt_guard() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
}

}  // namespace shardfit
