// The bodies of the estimate/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/estimate/default_estimator-inl.hpp>
#include <shardfit/estimate/detail/graph_sim-inl.hpp>
#include <shardfit/estimate/detail/llama_graph-inl.hpp>
#include <shardfit/estimate/llama-inl.hpp>
#include <shardfit/estimate/parallelism-inl.hpp>
#include <shardfit/estimate/settings-inl.hpp>
#include <shardfit/estimate/vllm-inl.hpp>
