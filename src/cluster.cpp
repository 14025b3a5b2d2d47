// The bodies of the cluster/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/cluster/cluster-inl.hpp>
#include <shardfit/cluster/detail/run_command-inl.hpp>
#include <shardfit/cluster/inventory-inl.hpp>
#include <shardfit/cluster/inventory_sources-inl.hpp>
#include <shardfit/cluster/local-inl.hpp>
#include <shardfit/cluster/validate-inl.hpp>
