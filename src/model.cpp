// The bodies of the model/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#ifndef SHARDFIT_COMPILED_LIB
#error "src/ builds shardfit::compiled: define SHARDFIT_COMPILED_LIB"
#endif

#include <shardfit/model/detail/gguf_profile-inl.hpp>
#include <shardfit/model/detail/hf_profile-inl.hpp>
#include <shardfit/model/load-inl.hpp>
#include <shardfit/model/profile-inl.hpp>
#include <shardfit/model/tensor_names-inl.hpp>
