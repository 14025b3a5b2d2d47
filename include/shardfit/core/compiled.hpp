#pragma once

/// @file
/// @brief `SHARDFIT_INLINE`: how the bodies of shardfit's non-template functions are compiled.
///
/// Header-only (the default): every header includes its `-inl.hpp` file at its end, and the
/// bodies there are `inline`. Compiled (`SHARDFIT_COMPILED_LIB` defined, as the
/// `shardfit::compiled` target does for its users): the headers hold declarations only, and the
/// bodies are compiled once into the library (src/), the way spdlog and fmt offer it. Templates
/// (the policies an embedder supplies) stay in the headers in both modes.

#ifdef SHARDFIT_COMPILED_LIB
#define SHARDFIT_INLINE
#else
#define SHARDFIT_INLINE inline
#endif
