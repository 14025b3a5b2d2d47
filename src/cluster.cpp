// The bodies of the cluster/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#ifndef SHARDFIT_COMPILED_LIB
#error "src/ builds shardfit::compiled: define SHARDFIT_COMPILED_LIB"
#endif

#include <shardfit/cluster/cluster-inl.hpp>
#include <shardfit/cluster/detail/run_command-inl.hpp>
#include <shardfit/cluster/inventory-inl.hpp>
#include <shardfit/cluster/inventory_sources-inl.hpp>
#include <shardfit/cluster/local-inl.hpp>
#include <shardfit/cluster/validate-inl.hpp>
