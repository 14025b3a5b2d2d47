// The flat include paths of 0.1 forward to the wings for one release: code written against them
// still compiles and names the same entities.
#include <shardfit/byte_source.hpp>
#include <shardfit/candidates.hpp>
#include <shardfit/concepts.hpp>
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
#include <shardfit/launch.hpp>
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

#include <gtest/gtest.h>

#include <type_traits>

namespace {

// The old names of the merged enums are the new ones.
static_assert(std::is_same_v<shardfit::backend, shardfit::serving_engine>);
static_assert(std::is_same_v<shardfit::reshard_format, shardfit::model_format>);

TEST(OldIncludePaths, ForwardToTheWings) {
  // One entity from each old header, used as 0.1 code used it.
  EXPECT_EQ(shardfit::parse_bytes("1KiB"), shardfit::bytes{1024});
  EXPECT_EQ(shardfit::to_string(shardfit::backend::vllm), "vllm");
  EXPECT_EQ(shardfit::to_string(shardfit::serving_engine::sglang), "sglang");
  EXPECT_EQ(shardfit::parse_backend("llama.cpp"), shardfit::backend::llama_cpp);
  EXPECT_EQ(shardfit::to_string(shardfit::reshard_format::gguf), "gguf");
  EXPECT_EQ(shardfit::parse_shard_name("m-00001-of-00002.gguf")->count, 2U);
  EXPECT_EQ(shardfit::join_path("a/", "b"), "a/b");
  EXPECT_EQ(shardfit::join_path(".", "b"), "b");
  const shardfit::cluster c;
  EXPECT_THROW((void)shardfit::plan(c, shardfit::model_profile{}, {}), shardfit::error);
  static_assert(shardfit::memory_estimator<shardfit::default_estimator>);
  static_assert(std::is_class_v<shardfit::planner>);
}

}  // namespace
