// The bodies of the io/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/io/byte_source-inl.hpp>
#include <shardfit/io/filesystem-inl.hpp>
#include <shardfit/io/json_cursor-inl.hpp>
#include <shardfit/io/json_value-inl.hpp>
