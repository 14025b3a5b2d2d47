#pragma once

/// @file
/// @brief Umbrella header: every core component. The opt-in adapters <shardfit/json.hpp> and
/// <shardfit/format.hpp> are not included; they need nlohmann-json and fmt.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/cluster/inventory.hpp>
#include <shardfit/cluster/inventory_sources.hpp>
#include <shardfit/config.hpp>
#include <shardfit/core/checked.hpp>
#include <shardfit/core/concepts.hpp>
#include <shardfit/core/error.hpp>
#include <shardfit/core/fwd.hpp>
#include <shardfit/core/path.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/estimate/default_estimator.hpp>
#include <shardfit/estimate/llama.hpp>
#include <shardfit/estimate/parallelism.hpp>
#include <shardfit/estimate/settings.hpp>
#include <shardfit/estimate/vllm.hpp>
#include <shardfit/files/discover.hpp>
#include <shardfit/files/index_file.hpp>
#include <shardfit/files/model_format.hpp>
#include <shardfit/files/shard_name.hpp>
#include <shardfit/files/shard_set.hpp>
#include <shardfit/formats/ggml_types.hpp>
#include <shardfit/formats/gguf.hpp>
#include <shardfit/formats/gguf_set.hpp>
#include <shardfit/formats/gguf_writer.hpp>
#include <shardfit/formats/hf_config.hpp>
#include <shardfit/formats/read_hf_config.hpp>
#include <shardfit/formats/safetensors.hpp>
#include <shardfit/io/byte_source.hpp>
#include <shardfit/io/filesystem.hpp>
#include <shardfit/io/json_cursor.hpp>
#include <shardfit/io/json_value.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/model/profile.hpp>
#include <shardfit/model/tensor_names.hpp>
#include <shardfit/plan/candidates.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/placement.hpp>
#include <shardfit/plan/planner.hpp>
#include <shardfit/plan/scoring.hpp>
#include <shardfit/plan/storage.hpp>
#include <shardfit/reshard/reshard.hpp>
#include <shardfit/version.hpp>
