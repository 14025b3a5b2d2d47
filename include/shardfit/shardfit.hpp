#pragma once

/// @file
/// @brief Umbrella header: every core component. The opt-in adapters <shardfit/json.hpp> and
/// <shardfit/format.hpp> are not included; they need nlohmann-json and fmt.

#include <shardfit/byte_source.hpp>
#include <shardfit/candidates.hpp>
#include <shardfit/concepts.hpp>
#include <shardfit/config.hpp>
#include <shardfit/error.hpp>
#include <shardfit/estimate_llama.hpp>
#include <shardfit/estimate_vllm.hpp>
#include <shardfit/filesystem.hpp>
#include <shardfit/fwd.hpp>
#include <shardfit/ggml_types.hpp>
#include <shardfit/gguf.hpp>
#include <shardfit/gguf_set.hpp>
#include <shardfit/gguf_writer.hpp>
#include <shardfit/hf_config.hpp>
#include <shardfit/index_file.hpp>
#include <shardfit/inventory.hpp>
#include <shardfit/inventory_sources.hpp>
#include <shardfit/model.hpp>
#include <shardfit/parallelism.hpp>
#include <shardfit/placement.hpp>
#include <shardfit/planner.hpp>
#include <shardfit/reshard.hpp>
#include <shardfit/safetensors.hpp>
#include <shardfit/scoring.hpp>
#include <shardfit/shard_name.hpp>
#include <shardfit/shard_set.hpp>
#include <shardfit/storage.hpp>
#include <shardfit/units.hpp>
#include <shardfit/version.hpp>
