// The bodies of the formats/ wing's non-template functions, compiled once into shardfit::compiled
// (SHARDFIT_COMPILED_LIB; see <shardfit/core/compiled.hpp>).

#include "unit.hpp"

#include <shardfit/formats/gguf-inl.hpp>
#include <shardfit/formats/gguf_set-inl.hpp>
#include <shardfit/formats/gguf_writer-inl.hpp>
#include <shardfit/formats/hf_config-inl.hpp>
#include <shardfit/formats/read_hf_config-inl.hpp>
#include <shardfit/formats/safetensors-inl.hpp>
#include <shardfit/formats/verify-inl.hpp>
