// The bodies of the core/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/core/error-inl.hpp>
#include <shardfit/core/path-inl.hpp>
#include <shardfit/core/units-inl.hpp>
