#pragma once

/// @file
/// @brief Configuration macros. Every macro is SHARDFIT_-prefixed.

#include <cstdio>
#include <cstdlib>

/// @brief Checks an internal invariant (never user input). Active unless NDEBUG or
/// SHARDFIT_DISABLE_ASSERT is defined; define SHARDFIT_ASSERT yourself to route it elsewhere.
#ifndef SHARDFIT_ASSERT
#if defined(NDEBUG) || defined(SHARDFIT_DISABLE_ASSERT)
#define SHARDFIT_ASSERT(cond, msg) static_cast<void>(0)
#else
#define SHARDFIT_ASSERT(cond, msg)                                                                \
  ((cond) ? static_cast<void>(0)                                                                  \
          : (std::fprintf(stderr, "shardfit: internal assertion failed: %s (%s) at %s:%d\n", msg, \
                          #cond, __FILE__, __LINE__),                                             \
             std::abort()))
#endif
#endif
