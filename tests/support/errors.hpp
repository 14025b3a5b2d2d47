#pragma once

// The message of the shardfit::error a call throws, or "(no error)".

#include <shardfit/core/error.hpp>

#include <string>

namespace shardfit::test {

template <class F>
std::string error_of(const F& f) {
  try {
    f();
  } catch (const shardfit::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace shardfit::test
