#include <shardfit/estimate/llama.hpp>
#include <shardfit/model/load.hpp>

#include <gtest/gtest.h>

#include "support/model_files.hpp"
#include "support/temp_dir.hpp"

#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace {

using shardfit::bytes;
using shardfit::device_kind;
using shardfit::flash_attn_mode;
using shardfit::llama_device;
using shardfit::llama_estimator;
using shardfit::llama_settings;
using shardfit::test::temp_dir;
using shardfit::test::test_model;
using namespace shardfit::literals;

constexpr double MiB = 1048576.0;

// llama.cpp's own buffer sizes ("model buffer size", "KV buffer size", "compute buffer size",
// "output buffer size", printed in MiB with two decimals) for generated llama models of 4, 8
// and 32 layers, 256/1024/4096 wide, in f32/f16/q8_0, on CPU. Measured with llama.cpp
// de3ff815 (node-llama-cpp 3.22.1's prebuilt CPU build) by tests/tools/measure_truth.sh:
// ../shared/tools/llama-truth/llama_truth.mjs FILE CTX --batch UBATCH --fa on|off --seq SEQ.
// node-llama-cpp gives every sequence the context asked for, so n_ctx is CTX x SEQ.
struct truth_row {
  std::uint32_t layers, embd, type, ctx, ubatch;
  bool flash_attn;
  std::uint32_t seq, n_ctx;
  double weights, kv, compute, output;  // MiB as llama.cpp printed them
};
constexpr truth_row kTruth[] = {
    {4, 256, 0, 512, 512, true, 1, 512, 10.96, 1.00, 5.01, 0.00},
    {4, 256, 0, 4096, 512, true, 1, 4096, 10.96, 8.00, 8.51, 0.00},
    {4, 256, 0, 32768, 512, true, 1, 32768, 10.96, 64.00, 36.51, 0.00},
    {4, 256, 0, 512, 512, false, 1, 512, 10.96, 1.00, 12.01, 0.00},
    {4, 256, 0, 4096, 512, false, 1, 4096, 10.96, 8.00, 75.01, 0.00},
    {4, 256, 0, 4096, 128, true, 1, 4096, 10.96, 8.00, 2.13, 0.00},
    {4, 256, 0, 4096, 128, false, 1, 4096, 10.96, 8.00, 18.75, 0.00},
    {4, 256, 0, 32768, 128, true, 1, 32768, 10.96, 64.00, 9.13, 0.00},
    {4, 256, 0, 4096, 512, true, 2, 4096, 10.96, 8.00, 6.51, 0.01},
    {4, 256, 0, 4096, 512, false, 2, 4096, 10.96, 8.00, 39.01, 0.01},
    {4, 256, 0, 32768, 512, false, 1, 32768, 10.96, 64.00, 579.01, 0.00},
    {4, 256, 0, 512, 128, false, 1, 512, 10.96, 1.00, 3.00, 0.00},
    {4, 256, 1, 512, 512, true, 1, 512, 5.49, 1.00, 5.01, 0.00},
    {4, 256, 1, 4096, 512, true, 1, 4096, 5.49, 8.00, 8.51, 0.00},
    {4, 256, 1, 32768, 512, true, 1, 32768, 5.49, 64.00, 36.51, 0.00},
    {4, 256, 1, 512, 512, false, 1, 512, 5.49, 1.00, 12.01, 0.00},
    {4, 256, 1, 4096, 512, false, 1, 4096, 5.49, 8.00, 75.01, 0.00},
    {4, 256, 1, 4096, 128, true, 1, 4096, 5.49, 8.00, 2.13, 0.00},
    {4, 256, 1, 4096, 128, false, 1, 4096, 5.49, 8.00, 18.75, 0.00},
    {4, 256, 1, 32768, 128, true, 1, 32768, 5.49, 64.00, 9.13, 0.00},
    {4, 256, 1, 4096, 512, true, 2, 4096, 5.49, 8.00, 6.51, 0.01},
    {4, 256, 1, 4096, 512, false, 2, 4096, 5.49, 8.00, 39.01, 0.01},
    {4, 256, 1, 32768, 512, false, 1, 32768, 5.49, 64.00, 579.01, 0.00},
    {4, 256, 1, 512, 128, false, 1, 512, 5.49, 1.00, 3.00, 0.00},
    {4, 256, 8, 512, 512, true, 1, 512, 2.92, 1.00, 5.01, 0.00},
    {4, 256, 8, 4096, 512, true, 1, 4096, 2.92, 8.00, 8.51, 0.00},
    {4, 256, 8, 32768, 512, true, 1, 32768, 2.92, 64.00, 36.51, 0.00},
    {4, 256, 8, 512, 512, false, 1, 512, 2.92, 1.00, 12.01, 0.00},
    {4, 256, 8, 4096, 512, false, 1, 4096, 2.92, 8.00, 75.01, 0.00},
    {4, 256, 8, 4096, 128, true, 1, 4096, 2.92, 8.00, 2.13, 0.00},
    {4, 256, 8, 4096, 128, false, 1, 4096, 2.92, 8.00, 18.75, 0.00},
    {4, 256, 8, 32768, 128, true, 1, 32768, 2.92, 64.00, 9.13, 0.00},
    {4, 256, 8, 4096, 512, true, 2, 4096, 2.92, 8.00, 6.51, 0.01},
    {4, 256, 8, 4096, 512, false, 2, 4096, 2.92, 8.00, 39.01, 0.01},
    {4, 256, 8, 32768, 512, false, 1, 32768, 2.92, 64.00, 579.01, 0.00},
    {4, 256, 8, 512, 128, false, 1, 512, 2.92, 1.00, 3.00, 0.00},
    {4, 1024, 0, 512, 512, true, 1, 512, 422.04, 2.00, 66.50, 0.12},
    {4, 1024, 0, 4096, 512, true, 1, 4096, 422.04, 16.00, 66.50, 0.12},
    {4, 1024, 0, 32768, 512, true, 1, 32768, 422.04, 128.00, 66.50, 0.12},
    {4, 1024, 0, 512, 512, false, 1, 512, 422.04, 2.00, 66.50, 0.12},
    {4, 1024, 0, 4096, 512, false, 1, 4096, 422.04, 16.00, 147.01, 0.12},
    {4, 1024, 0, 4096, 128, true, 1, 4096, 422.04, 16.00, 16.63, 0.12},
    {4, 1024, 0, 4096, 128, false, 1, 4096, 422.04, 16.00, 36.75, 0.12},
    {4, 1024, 0, 32768, 128, true, 1, 32768, 422.04, 128.00, 16.63, 0.12},
    {4, 1024, 0, 4096, 512, true, 2, 4096, 422.04, 16.00, 66.50, 0.24},
    {4, 1024, 0, 4096, 512, false, 2, 4096, 422.04, 16.00, 79.01, 0.24},
    {4, 1024, 0, 32768, 512, false, 1, 32768, 422.04, 128.00, 1099.01, 0.12},
    {4, 1024, 0, 512, 128, false, 1, 512, 422.04, 2.00, 16.63, 0.12},
    {4, 1024, 1, 512, 512, true, 1, 512, 211.04, 2.00, 66.50, 0.12},
    {4, 1024, 1, 4096, 512, true, 1, 4096, 211.04, 16.00, 66.50, 0.12},
    {4, 1024, 1, 32768, 512, true, 1, 32768, 211.04, 128.00, 66.50, 0.12},
    {4, 1024, 1, 512, 512, false, 1, 512, 211.04, 2.00, 66.50, 0.12},
    {4, 1024, 1, 4096, 512, false, 1, 4096, 211.04, 16.00, 147.01, 0.12},
    {4, 1024, 1, 4096, 128, true, 1, 4096, 211.04, 16.00, 16.63, 0.12},
    {4, 1024, 1, 4096, 128, false, 1, 4096, 211.04, 16.00, 36.75, 0.12},
    {4, 1024, 1, 32768, 128, true, 1, 32768, 211.04, 128.00, 16.63, 0.12},
    {4, 1024, 1, 4096, 512, true, 2, 4096, 211.04, 16.00, 66.50, 0.24},
    {4, 1024, 1, 4096, 512, false, 2, 4096, 211.04, 16.00, 79.01, 0.24},
    {4, 1024, 1, 32768, 512, false, 1, 32768, 211.04, 128.00, 1099.01, 0.12},
    {4, 1024, 1, 512, 128, false, 1, 512, 211.04, 2.00, 16.63, 0.12},
    {4, 1024, 8, 512, 512, true, 1, 512, 112.13, 2.00, 66.50, 0.12},
    {4, 1024, 8, 4096, 512, true, 1, 4096, 112.13, 16.00, 66.50, 0.12},
    {4, 1024, 8, 32768, 512, true, 1, 32768, 112.13, 128.00, 66.50, 0.12},
    {4, 1024, 8, 512, 512, false, 1, 512, 112.13, 2.00, 66.50, 0.12},
    {4, 1024, 8, 4096, 512, false, 1, 4096, 112.13, 16.00, 147.01, 0.12},
    {4, 1024, 8, 4096, 128, true, 1, 4096, 112.13, 16.00, 16.63, 0.12},
    {4, 1024, 8, 4096, 128, false, 1, 4096, 112.13, 16.00, 36.75, 0.12},
    {4, 1024, 8, 32768, 128, true, 1, 32768, 112.13, 128.00, 16.63, 0.12},
    {4, 1024, 8, 4096, 512, true, 2, 4096, 112.13, 16.00, 66.50, 0.24},
    {4, 1024, 8, 4096, 512, false, 2, 4096, 112.13, 16.00, 79.01, 0.24},
    {4, 1024, 8, 32768, 512, false, 1, 32768, 112.13, 128.00, 1099.01, 0.12},
    {4, 1024, 8, 512, 128, false, 1, 512, 112.13, 2.00, 16.63, 0.12},
    {4, 4096, 0, 512, 512, true, 1, 512, 3704.14, 8.00, 97.01, 0.12},
    {4, 4096, 0, 4096, 512, true, 1, 4096, 3704.14, 64.00, 100.51, 0.12},
    {4, 4096, 0, 32768, 512, true, 1, 32768, 3704.14, 512.00, 128.51, 0.12},
    {4, 4096, 0, 512, 512, false, 1, 512, 3704.14, 8.00, 101.51, 0.12},
    {4, 4096, 0, 4096, 512, false, 1, 4096, 3704.14, 64.00, 308.01, 0.12},
    {4, 4096, 0, 4096, 128, true, 1, 4096, 3704.14, 64.00, 25.13, 0.12},
    {4, 4096, 0, 4096, 128, false, 1, 4096, 3704.14, 64.00, 77.00, 0.12},
    {4, 4096, 0, 32768, 128, true, 1, 32768, 3704.14, 512.00, 32.13, 0.12},
    {4, 4096, 0, 4096, 512, true, 2, 4096, 3704.14, 64.00, 98.51, 0.24},
    {4, 4096, 0, 4096, 512, false, 2, 4096, 3704.14, 64.00, 176.01, 0.24},
    {4, 4096, 0, 32768, 512, false, 1, 32768, 3704.14, 512.00, 2156.01, 0.12},
    {4, 4096, 0, 512, 128, false, 1, 512, 3704.14, 8.00, 25.38, 0.12},
    {4, 4096, 1, 512, 512, true, 1, 512, 1852.14, 8.00, 97.01, 0.12},
    {4, 4096, 1, 4096, 512, true, 1, 4096, 1852.14, 64.00, 100.51, 0.12},
    {4, 4096, 1, 32768, 512, true, 1, 32768, 1852.14, 512.00, 128.51, 0.12},
    {4, 4096, 1, 512, 512, false, 1, 512, 1852.14, 8.00, 101.51, 0.12},
    {4, 4096, 1, 4096, 512, false, 1, 4096, 1852.14, 64.00, 308.01, 0.12},
    {4, 4096, 1, 4096, 128, true, 1, 4096, 1852.14, 64.00, 25.13, 0.12},
    {4, 4096, 1, 4096, 128, false, 1, 4096, 1852.14, 64.00, 77.00, 0.12},
    {4, 4096, 1, 32768, 128, true, 1, 32768, 1852.14, 512.00, 32.13, 0.12},
    {4, 4096, 1, 4096, 512, true, 2, 4096, 1852.14, 64.00, 98.51, 0.24},
    {4, 4096, 1, 4096, 512, false, 2, 4096, 1852.14, 64.00, 176.01, 0.24},
    {4, 4096, 1, 32768, 512, false, 1, 32768, 1852.14, 512.00, 2156.01, 0.12},
    {4, 4096, 1, 512, 128, false, 1, 512, 1852.14, 8.00, 25.38, 0.12},
    {4, 4096, 8, 512, 512, true, 1, 512, 984.02, 8.00, 97.01, 0.12},
    {4, 4096, 8, 4096, 512, true, 1, 4096, 984.02, 64.00, 100.51, 0.12},
    {4, 4096, 8, 32768, 512, true, 1, 32768, 984.02, 512.00, 128.51, 0.12},
    {4, 4096, 8, 512, 512, false, 1, 512, 984.02, 8.00, 101.51, 0.12},
    {4, 4096, 8, 4096, 512, false, 1, 4096, 984.02, 64.00, 308.01, 0.12},
    {4, 4096, 8, 4096, 128, true, 1, 4096, 984.02, 64.00, 25.13, 0.12},
    {4, 4096, 8, 4096, 128, false, 1, 4096, 984.02, 64.00, 77.00, 0.12},
    {4, 4096, 8, 32768, 128, true, 1, 32768, 984.02, 512.00, 32.13, 0.12},
    {4, 4096, 8, 4096, 512, true, 2, 4096, 984.02, 64.00, 98.51, 0.24},
    {4, 4096, 8, 4096, 512, false, 2, 4096, 984.02, 64.00, 176.01, 0.24},
    {4, 4096, 8, 32768, 512, false, 1, 32768, 984.02, 512.00, 2156.01, 0.12},
    {4, 4096, 8, 512, 128, false, 1, 512, 984.02, 8.00, 25.38, 0.12},
    {8, 256, 0, 512, 512, true, 1, 512, 19.97, 2.00, 5.01, 0.00},
    {8, 256, 0, 4096, 512, true, 1, 4096, 19.97, 16.00, 8.51, 0.00},
    {8, 256, 0, 32768, 512, true, 1, 32768, 19.97, 128.00, 36.51, 0.00},
    {8, 256, 0, 512, 512, false, 1, 512, 19.97, 2.00, 12.01, 0.00},
    {8, 256, 0, 4096, 512, false, 1, 4096, 19.97, 16.00, 75.01, 0.00},
    {8, 256, 0, 4096, 128, true, 1, 4096, 19.97, 16.00, 2.13, 0.00},
    {8, 256, 0, 4096, 128, false, 1, 4096, 19.97, 16.00, 18.75, 0.00},
    {8, 256, 0, 32768, 128, true, 1, 32768, 19.97, 128.00, 9.13, 0.00},
    {8, 256, 0, 4096, 512, true, 2, 4096, 19.97, 16.00, 6.51, 0.01},
    {8, 256, 0, 4096, 512, false, 2, 4096, 19.97, 16.00, 39.01, 0.01},
    {8, 256, 0, 32768, 512, false, 1, 32768, 19.97, 128.00, 579.01, 0.00},
    {8, 256, 0, 512, 128, false, 1, 512, 19.97, 2.00, 3.00, 0.00},
    {8, 256, 1, 512, 512, true, 1, 512, 9.99, 2.00, 5.01, 0.00},
    {8, 256, 1, 4096, 512, true, 1, 4096, 9.99, 16.00, 8.51, 0.00},
    {8, 256, 1, 32768, 512, true, 1, 32768, 9.99, 128.00, 36.51, 0.00},
    {8, 256, 1, 512, 512, false, 1, 512, 9.99, 2.00, 12.01, 0.00},
    {8, 256, 1, 4096, 512, false, 1, 4096, 9.99, 16.00, 75.01, 0.00},
    {8, 256, 1, 4096, 128, true, 1, 4096, 9.99, 16.00, 2.13, 0.00},
    {8, 256, 1, 4096, 128, false, 1, 4096, 9.99, 16.00, 18.75, 0.00},
    {8, 256, 1, 32768, 128, true, 1, 32768, 9.99, 128.00, 9.13, 0.00},
    {8, 256, 1, 4096, 512, true, 2, 4096, 9.99, 16.00, 6.51, 0.01},
    {8, 256, 1, 4096, 512, false, 2, 4096, 9.99, 16.00, 39.01, 0.01},
    {8, 256, 1, 32768, 512, false, 1, 32768, 9.99, 128.00, 579.01, 0.00},
    {8, 256, 1, 512, 128, false, 1, 512, 9.99, 2.00, 3.00, 0.00},
    {8, 256, 8, 512, 512, true, 1, 512, 5.32, 2.00, 5.01, 0.00},
    {8, 256, 8, 4096, 512, true, 1, 4096, 5.32, 16.00, 8.51, 0.00},
    {8, 256, 8, 32768, 512, true, 1, 32768, 5.32, 128.00, 36.51, 0.00},
    {8, 256, 8, 512, 512, false, 1, 512, 5.32, 2.00, 12.01, 0.00},
    {8, 256, 8, 4096, 512, false, 1, 4096, 5.32, 16.00, 75.01, 0.00},
    {8, 256, 8, 4096, 128, true, 1, 4096, 5.32, 16.00, 2.13, 0.00},
    {8, 256, 8, 4096, 128, false, 1, 4096, 5.32, 16.00, 18.75, 0.00},
    {8, 256, 8, 32768, 128, true, 1, 32768, 5.32, 128.00, 9.13, 0.00},
    {8, 256, 8, 4096, 512, true, 2, 4096, 5.32, 16.00, 6.51, 0.01},
    {8, 256, 8, 4096, 512, false, 2, 4096, 5.32, 16.00, 39.01, 0.01},
    {8, 256, 8, 32768, 512, false, 1, 32768, 5.32, 128.00, 579.01, 0.00},
    {8, 256, 8, 512, 128, false, 1, 512, 5.32, 2.00, 3.00, 0.00},
    {8, 1024, 0, 512, 512, true, 1, 512, 594.07, 4.00, 66.50, 0.12},
    {8, 1024, 0, 4096, 512, true, 1, 4096, 594.07, 32.00, 66.50, 0.12},
    {8, 1024, 0, 32768, 512, true, 1, 32768, 594.07, 256.00, 66.50, 0.12},
    {8, 1024, 0, 512, 512, false, 1, 512, 594.07, 4.00, 66.50, 0.12},
    {8, 1024, 0, 4096, 512, false, 1, 4096, 594.07, 32.00, 147.01, 0.12},
    {8, 1024, 0, 4096, 128, true, 1, 4096, 594.07, 32.00, 16.63, 0.12},
    {8, 1024, 0, 4096, 128, false, 1, 4096, 594.07, 32.00, 36.75, 0.12},
    {8, 1024, 0, 32768, 128, true, 1, 32768, 594.07, 256.00, 16.63, 0.12},
    {8, 1024, 0, 4096, 512, true, 2, 4096, 594.07, 32.00, 66.50, 0.24},
    {8, 1024, 0, 4096, 512, false, 2, 4096, 594.07, 32.00, 79.01, 0.24},
    {8, 1024, 0, 32768, 512, false, 1, 32768, 594.07, 256.00, 1099.01, 0.12},
    {8, 1024, 0, 512, 128, false, 1, 512, 594.07, 4.00, 16.63, 0.12},
    {8, 1024, 1, 512, 512, true, 1, 512, 297.07, 4.00, 66.50, 0.12},
    {8, 1024, 1, 4096, 512, true, 1, 4096, 297.07, 32.00, 66.50, 0.12},
    {8, 1024, 1, 32768, 512, true, 1, 32768, 297.07, 256.00, 66.50, 0.12},
    {8, 1024, 1, 512, 512, false, 1, 512, 297.07, 4.00, 66.50, 0.12},
    {8, 1024, 1, 4096, 512, false, 1, 4096, 297.07, 32.00, 147.01, 0.12},
    {8, 1024, 1, 4096, 128, true, 1, 4096, 297.07, 32.00, 16.63, 0.12},
    {8, 1024, 1, 4096, 128, false, 1, 4096, 297.07, 32.00, 36.75, 0.12},
    {8, 1024, 1, 32768, 128, true, 1, 32768, 297.07, 256.00, 16.63, 0.12},
    {8, 1024, 1, 4096, 512, true, 2, 4096, 297.07, 32.00, 66.50, 0.24},
    {8, 1024, 1, 4096, 512, false, 2, 4096, 297.07, 32.00, 79.01, 0.24},
    {8, 1024, 1, 32768, 512, false, 1, 32768, 297.07, 256.00, 1099.01, 0.12},
    {8, 1024, 1, 512, 128, false, 1, 512, 297.07, 4.00, 16.63, 0.12},
    {8, 1024, 8, 512, 512, true, 1, 512, 157.85, 4.00, 66.50, 0.12},
    {8, 1024, 8, 4096, 512, true, 1, 4096, 157.85, 32.00, 66.50, 0.12},
    {8, 1024, 8, 32768, 512, true, 1, 32768, 157.85, 256.00, 66.50, 0.12},
    {8, 1024, 8, 512, 512, false, 1, 512, 157.85, 4.00, 66.50, 0.12},
    {8, 1024, 8, 4096, 512, false, 1, 4096, 157.85, 32.00, 147.01, 0.12},
    {8, 1024, 8, 4096, 128, true, 1, 4096, 157.85, 32.00, 16.63, 0.12},
    {8, 1024, 8, 4096, 128, false, 1, 4096, 157.85, 32.00, 36.75, 0.12},
    {8, 1024, 8, 32768, 128, true, 1, 32768, 157.85, 256.00, 16.63, 0.12},
    {8, 1024, 8, 4096, 512, true, 2, 4096, 157.85, 32.00, 66.50, 0.24},
    {8, 1024, 8, 4096, 512, false, 2, 4096, 157.85, 32.00, 79.01, 0.24},
    {8, 1024, 8, 32768, 512, false, 1, 32768, 157.85, 256.00, 1099.01, 0.12},
    {8, 1024, 8, 512, 128, false, 1, 512, 157.85, 4.00, 16.63, 0.12},
    {8, 4096, 0, 512, 512, true, 1, 512, 6408.27, 16.00, 97.01, 0.12},
    {8, 4096, 0, 4096, 512, true, 1, 4096, 6408.27, 128.00, 100.51, 0.12},
    {8, 4096, 0, 32768, 512, true, 1, 32768, 6408.27, 1024.00, 128.51, 0.12},
    {8, 4096, 0, 512, 512, false, 1, 512, 6408.27, 16.00, 101.51, 0.12},
    {8, 4096, 0, 4096, 512, false, 1, 4096, 6408.27, 128.00, 308.01, 0.12},
    {8, 4096, 0, 4096, 128, true, 1, 4096, 6408.27, 128.00, 25.13, 0.12},
    {8, 4096, 0, 4096, 128, false, 1, 4096, 6408.27, 128.00, 77.00, 0.12},
    {8, 4096, 0, 32768, 128, true, 1, 32768, 6408.27, 1024.00, 32.13, 0.12},
    {8, 4096, 0, 4096, 512, true, 2, 4096, 6408.27, 128.00, 98.51, 0.24},
    {8, 4096, 0, 4096, 512, false, 2, 4096, 6408.27, 128.00, 176.01, 0.24},
    {8, 4096, 0, 32768, 512, false, 1, 32768, 6408.27, 1024.00, 2156.01, 0.12},
    {8, 4096, 0, 512, 128, false, 1, 512, 6408.27, 16.00, 25.38, 0.12},
    {8, 4096, 1, 512, 512, true, 1, 512, 3204.27, 16.00, 97.01, 0.12},
    {8, 4096, 1, 4096, 512, true, 1, 4096, 3204.27, 128.00, 100.51, 0.12},
    {8, 4096, 1, 32768, 512, true, 1, 32768, 3204.27, 1024.00, 128.51, 0.12},
    {8, 4096, 1, 512, 512, false, 1, 512, 3204.27, 16.00, 101.51, 0.12},
    {8, 4096, 1, 4096, 512, false, 1, 4096, 3204.27, 128.00, 308.01, 0.12},
    {8, 4096, 1, 4096, 128, true, 1, 4096, 3204.27, 128.00, 25.13, 0.12},
    {8, 4096, 1, 4096, 128, false, 1, 4096, 3204.27, 128.00, 77.00, 0.12},
    {8, 4096, 1, 32768, 128, true, 1, 32768, 3204.27, 1024.00, 32.13, 0.12},
    {8, 4096, 1, 4096, 512, true, 2, 4096, 3204.27, 128.00, 98.51, 0.24},
    {8, 4096, 1, 4096, 512, false, 2, 4096, 3204.27, 128.00, 176.01, 0.24},
    {8, 4096, 1, 32768, 512, false, 1, 32768, 3204.27, 1024.00, 2156.01, 0.12},
    {8, 4096, 1, 512, 128, false, 1, 512, 3204.27, 16.00, 25.38, 0.12},
    {8, 4096, 8, 512, 512, true, 1, 512, 1702.39, 16.00, 97.01, 0.12},
    {8, 4096, 8, 4096, 512, true, 1, 4096, 1702.39, 128.00, 100.51, 0.12},
    {8, 4096, 8, 32768, 512, true, 1, 32768, 1702.39, 1024.00, 128.51, 0.12},
    {8, 4096, 8, 512, 512, false, 1, 512, 1702.39, 16.00, 101.51, 0.12},
    {8, 4096, 8, 4096, 512, false, 1, 4096, 1702.39, 128.00, 308.01, 0.12},
    {8, 4096, 8, 4096, 128, true, 1, 4096, 1702.39, 128.00, 25.13, 0.12},
    {8, 4096, 8, 4096, 128, false, 1, 4096, 1702.39, 128.00, 77.00, 0.12},
    {8, 4096, 8, 32768, 128, true, 1, 32768, 1702.39, 1024.00, 32.13, 0.12},
    {8, 4096, 8, 4096, 512, true, 2, 4096, 1702.39, 128.00, 98.51, 0.24},
    {8, 4096, 8, 4096, 512, false, 2, 4096, 1702.39, 128.00, 176.01, 0.24},
    {8, 4096, 8, 32768, 512, false, 1, 32768, 1702.39, 1024.00, 2156.01, 0.12},
    {8, 4096, 8, 512, 128, false, 1, 512, 1702.39, 16.00, 25.38, 0.12},
    {32, 256, 0, 512, 512, true, 1, 512, 74.02, 8.00, 5.01, 0.00},
    {32, 256, 0, 4096, 512, true, 1, 4096, 74.02, 64.00, 8.51, 0.00},
    {32, 256, 0, 32768, 512, true, 1, 32768, 74.02, 512.00, 36.51, 0.00},
    {32, 256, 0, 512, 512, false, 1, 512, 74.02, 8.00, 12.01, 0.00},
    {32, 256, 0, 4096, 512, false, 1, 4096, 74.02, 64.00, 75.01, 0.00},
    {32, 256, 0, 4096, 128, true, 1, 4096, 74.02, 64.00, 2.13, 0.00},
    {32, 256, 0, 4096, 128, false, 1, 4096, 74.02, 64.00, 18.75, 0.00},
    {32, 256, 0, 32768, 128, true, 1, 32768, 74.02, 512.00, 9.13, 0.00},
    {32, 256, 0, 4096, 512, true, 2, 4096, 74.02, 64.00, 6.51, 0.01},
    {32, 256, 0, 4096, 512, false, 2, 4096, 74.02, 64.00, 39.01, 0.01},
    {32, 256, 0, 32768, 512, false, 1, 32768, 74.02, 512.00, 579.01, 0.00},
    {32, 256, 0, 512, 128, false, 1, 512, 74.02, 8.00, 3.00, 0.00},
    {32, 256, 1, 512, 512, true, 1, 512, 37.04, 8.00, 5.01, 0.00},
    {32, 256, 1, 4096, 512, true, 1, 4096, 37.04, 64.00, 8.51, 0.00},
    {32, 256, 1, 32768, 512, true, 1, 32768, 37.04, 512.00, 36.51, 0.00},
    {32, 256, 1, 512, 512, false, 1, 512, 37.04, 8.00, 12.01, 0.00},
    {32, 256, 1, 4096, 512, false, 1, 4096, 37.04, 64.00, 75.01, 0.00},
    {32, 256, 1, 4096, 128, true, 1, 4096, 37.04, 64.00, 2.13, 0.00},
    {32, 256, 1, 4096, 128, false, 1, 4096, 37.04, 64.00, 18.75, 0.00},
    {32, 256, 1, 32768, 128, true, 1, 32768, 37.04, 512.00, 9.13, 0.00},
    {32, 256, 1, 4096, 512, true, 2, 4096, 37.04, 64.00, 6.51, 0.01},
    {32, 256, 1, 4096, 512, false, 2, 4096, 37.04, 64.00, 39.01, 0.01},
    {32, 256, 1, 32768, 512, false, 1, 32768, 37.04, 512.00, 579.01, 0.00},
    {32, 256, 1, 512, 128, false, 1, 512, 37.04, 8.00, 3.00, 0.00},
    {32, 256, 8, 512, 512, true, 1, 512, 19.71, 8.00, 5.01, 0.00},
    {32, 256, 8, 4096, 512, true, 1, 4096, 19.71, 64.00, 8.51, 0.00},
    {32, 256, 8, 32768, 512, true, 1, 32768, 19.71, 512.00, 36.51, 0.00},
    {32, 256, 8, 512, 512, false, 1, 512, 19.71, 8.00, 12.01, 0.00},
    {32, 256, 8, 4096, 512, false, 1, 4096, 19.71, 64.00, 75.01, 0.00},
    {32, 256, 8, 4096, 128, true, 1, 4096, 19.71, 64.00, 2.13, 0.00},
    {32, 256, 8, 4096, 128, false, 1, 4096, 19.71, 64.00, 18.75, 0.00},
    {32, 256, 8, 32768, 128, true, 1, 32768, 19.71, 512.00, 9.13, 0.00},
    {32, 256, 8, 4096, 512, true, 2, 4096, 19.71, 64.00, 6.51, 0.01},
    {32, 256, 8, 4096, 512, false, 2, 4096, 19.71, 64.00, 39.01, 0.01},
    {32, 256, 8, 32768, 512, false, 1, 32768, 19.71, 512.00, 579.01, 0.00},
    {32, 256, 8, 512, 128, false, 1, 512, 19.71, 8.00, 3.00, 0.00},
    {32, 1024, 0, 512, 512, true, 1, 512, 1626.25, 16.00, 66.50, 0.12},
    {32, 1024, 0, 4096, 512, true, 1, 4096, 1626.25, 128.00, 66.50, 0.12},
    {32, 1024, 0, 32768, 512, true, 1, 32768, 1626.25, 1024.00, 66.50, 0.12},
    {32, 1024, 0, 512, 512, false, 1, 512, 1626.25, 16.00, 66.50, 0.12},
    {32, 1024, 0, 4096, 512, false, 1, 4096, 1626.25, 128.00, 147.01, 0.12},
    {32, 1024, 0, 4096, 128, true, 1, 4096, 1626.25, 128.00, 16.63, 0.12},
    {32, 1024, 0, 4096, 128, false, 1, 4096, 1626.25, 128.00, 36.75, 0.12},
    {32, 1024, 0, 32768, 128, true, 1, 32768, 1626.25, 1024.00, 16.63, 0.12},
    {32, 1024, 0, 4096, 512, true, 2, 4096, 1626.25, 128.00, 66.50, 0.24},
    {32, 1024, 0, 4096, 512, false, 2, 4096, 1626.25, 128.00, 79.01, 0.24},
    {32, 1024, 0, 32768, 512, false, 1, 32768, 1626.25, 1024.00, 1099.01, 0.12},
    {32, 1024, 0, 512, 128, false, 1, 512, 1626.25, 16.00, 16.63, 0.12},
    {32, 1024, 1, 512, 512, true, 1, 512, 813.25, 16.00, 66.50, 0.12},
    {32, 1024, 1, 4096, 512, true, 1, 4096, 813.25, 128.00, 66.50, 0.12},
    {32, 1024, 1, 32768, 512, true, 1, 32768, 813.25, 1024.00, 66.50, 0.12},
    {32, 1024, 1, 512, 512, false, 1, 512, 813.25, 16.00, 66.50, 0.12},
    {32, 1024, 1, 4096, 512, false, 1, 4096, 813.25, 128.00, 147.01, 0.12},
    {32, 1024, 1, 4096, 128, true, 1, 4096, 813.25, 128.00, 16.63, 0.12},
    {32, 1024, 1, 4096, 128, false, 1, 4096, 813.25, 128.00, 36.75, 0.12},
    {32, 1024, 1, 32768, 128, true, 1, 32768, 813.25, 1024.00, 16.63, 0.12},
    {32, 1024, 1, 4096, 512, true, 2, 4096, 813.25, 128.00, 66.50, 0.24},
    {32, 1024, 1, 4096, 512, false, 2, 4096, 813.25, 128.00, 79.01, 0.24},
    {32, 1024, 1, 32768, 512, false, 1, 32768, 813.25, 1024.00, 1099.01, 0.12},
    {32, 1024, 1, 512, 128, false, 1, 512, 813.25, 16.00, 16.63, 0.12},
    {32, 1024, 8, 512, 512, true, 1, 512, 432.16, 16.00, 66.50, 0.12},
    {32, 1024, 8, 4096, 512, true, 1, 4096, 432.16, 128.00, 66.50, 0.12},
    {32, 1024, 8, 32768, 512, true, 1, 32768, 432.16, 1024.00, 66.50, 0.12},
    {32, 1024, 8, 512, 512, false, 1, 512, 432.16, 16.00, 66.50, 0.12},
    {32, 1024, 8, 4096, 512, false, 1, 4096, 432.16, 128.00, 147.01, 0.12},
    {32, 1024, 8, 4096, 128, true, 1, 4096, 432.16, 128.00, 16.63, 0.12},
    {32, 1024, 8, 4096, 128, false, 1, 4096, 432.16, 128.00, 36.75, 0.12},
    {32, 1024, 8, 32768, 128, true, 1, 32768, 432.16, 1024.00, 16.63, 0.12},
    {32, 1024, 8, 4096, 512, true, 2, 4096, 432.16, 128.00, 66.50, 0.24},
    {32, 1024, 8, 4096, 512, false, 2, 4096, 432.16, 128.00, 79.01, 0.24},
    {32, 1024, 8, 32768, 512, false, 1, 32768, 432.16, 1024.00, 1099.01, 0.12},
    {32, 1024, 8, 512, 128, false, 1, 512, 432.16, 16.00, 16.63, 0.12},
    {32, 4096, 0, 512, 512, true, 1, 512, 22633.02, 64.00, 97.01, 0.12},
    {32, 4096, 0, 4096, 512, true, 1, 4096, 22633.02, 512.00, 100.51, 0.12},
    {32, 4096, 0, 32768, 512, true, 1, 32768, 22633.02, 4096.00, 128.51, 0.12},
    {32, 4096, 0, 512, 512, false, 1, 512, 22633.02, 64.00, 101.51, 0.12},
    {32, 4096, 0, 4096, 512, false, 1, 4096, 22633.02, 512.00, 308.01, 0.12},
    {32, 4096, 0, 4096, 128, true, 1, 4096, 22633.02, 512.00, 25.13, 0.12},
    {32, 4096, 0, 4096, 128, false, 1, 4096, 22633.02, 512.00, 77.00, 0.12},
    {32, 4096, 0, 32768, 128, true, 1, 32768, 22633.02, 4096.00, 32.13, 0.12},
    {32, 4096, 0, 4096, 512, true, 2, 4096, 22633.02, 512.00, 98.51, 0.24},
    {32, 4096, 0, 4096, 512, false, 2, 4096, 22633.02, 512.00, 176.01, 0.24},
    {32, 4096, 0, 32768, 512, false, 1, 32768, 22633.02, 4096.00, 2156.01, 0.12},
    {32, 4096, 0, 512, 128, false, 1, 512, 22633.02, 64.00, 25.38, 0.12},
    {32, 4096, 1, 512, 512, true, 1, 512, 11317.02, 64.00, 97.01, 0.12},
    {32, 4096, 1, 4096, 512, true, 1, 4096, 11317.02, 512.00, 100.51, 0.12},
    {32, 4096, 1, 32768, 512, true, 1, 32768, 11317.02, 4096.00, 128.51, 0.12},
    {32, 4096, 1, 512, 512, false, 1, 512, 11317.02, 64.00, 101.51, 0.12},
    {32, 4096, 1, 4096, 512, false, 1, 4096, 11317.02, 512.00, 308.01, 0.12},
    {32, 4096, 1, 4096, 128, true, 1, 4096, 11317.02, 512.00, 25.13, 0.12},
    {32, 4096, 1, 4096, 128, false, 1, 4096, 11317.02, 512.00, 77.00, 0.12},
    {32, 4096, 1, 32768, 128, true, 1, 32768, 11317.02, 4096.00, 32.13, 0.12},
    {32, 4096, 1, 4096, 512, true, 2, 4096, 11317.02, 512.00, 98.51, 0.24},
    {32, 4096, 1, 4096, 512, false, 2, 4096, 11317.02, 512.00, 176.01, 0.24},
    {32, 4096, 1, 32768, 512, false, 1, 32768, 11317.02, 4096.00, 2156.01, 0.12},
    {32, 4096, 1, 512, 128, false, 1, 512, 11317.02, 64.00, 25.38, 0.12},
    {32, 4096, 8, 512, 512, true, 1, 512, 6012.64, 64.00, 97.01, 0.12},
    {32, 4096, 8, 4096, 512, true, 1, 4096, 6012.64, 512.00, 100.51, 0.12},
    {32, 4096, 8, 32768, 512, true, 1, 32768, 6012.64, 4096.00, 128.51, 0.12},
    {32, 4096, 8, 512, 512, false, 1, 512, 6012.64, 64.00, 101.51, 0.12},
    {32, 4096, 8, 4096, 512, false, 1, 4096, 6012.64, 512.00, 308.01, 0.12},
    {32, 4096, 8, 4096, 128, true, 1, 4096, 6012.64, 512.00, 25.13, 0.12},
    {32, 4096, 8, 4096, 128, false, 1, 4096, 6012.64, 512.00, 77.00, 0.12},
    {32, 4096, 8, 32768, 128, true, 1, 32768, 6012.64, 4096.00, 32.13, 0.12},
    {32, 4096, 8, 4096, 512, true, 2, 4096, 6012.64, 512.00, 98.51, 0.24},
    {32, 4096, 8, 4096, 512, false, 2, 4096, 6012.64, 512.00, 176.01, 0.24},
    {32, 4096, 8, 32768, 512, false, 1, 32768, 6012.64, 4096.00, 2156.01, 0.12},
    {32, 4096, 8, 512, 128, false, 1, 512, 6012.64, 64.00, 25.38, 0.12},
};

// The shapes make_tiny_gguf.mjs gives each width (heads, KV heads, FFN, vocabulary).
test_model shape(std::uint32_t layers, std::uint32_t embd, std::uint32_t type) {
  test_model m;
  m.layers = layers;
  m.embd = embd;
  m.type = type;
  m.ctx_train = 32768;
  if (embd == 256) {
    m.heads = 8, m.kv_heads = 4, m.ff = 512, m.vocab = 1000;
  } else if (embd == 1024) {
    m.heads = 16, m.kv_heads = 4, m.ff = 2816, m.vocab = 32000;
  } else {
    m.heads = 32, m.kv_heads = 8, m.ff = 11008, m.vocab = 32000;
  }
  return m;
}

// Printed MiB carry +-0.005 MiB of rounding.
void expect_mib(bytes estimate, double truth, const char* what, const std::string& row) {
  EXPECT_LE(std::fabs(static_cast<double>(estimate.count()) / MiB - truth), 0.00501)
      << what << " of " << row << ": estimate " << static_cast<double>(estimate.count()) / MiB
      << " MiB, llama.cpp " << truth << " MiB";
}

// The settings llama_truth.mjs ran with: context (all sequences), ubatch = batch, sequences,
// flash attention.
llama_settings truth_settings(std::uint32_t n_ctx, std::uint32_t ubatch, std::uint32_t seq,
                              bool flash_attn) {
  llama_settings s;
  s.n_ctx = n_ctx;
  s.n_batch = ubatch;
  s.n_ubatch = ubatch;
  s.n_parallel = seq;
  s.flash_attn = flash_attn ? flash_attn_mode::on : flash_attn_mode::off;
  return s;
}

TEST(EstimateLlama, CpuBuffersMatchLlamaCppForEveryMeasuredRow) {
  temp_dir d;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, shardfit::model_profile> models;
  for (const auto& t : kTruth) {
    const auto key = std::make_tuple(t.layers, t.embd, t.type);
    if (models.count(key) == 0) {
      const std::string path = d / ("m" + std::to_string(models.size()) + ".gguf");
      models.emplace(key, shardfit::load_model(shardfit::test::write_tiny_llama(
                              path, shape(t.layers, t.embd, t.type))));
    }
    const llama_estimator est(models.at(key),
                              truth_settings(t.n_ctx, t.ubatch, t.seq, t.flash_attn));
    const auto e = est.estimate({});
    const std::string row = "L" + std::to_string(t.layers) + " E" + std::to_string(t.embd) +
                            " type " + std::to_string(t.type) + " ctx " + std::to_string(t.ctx) +
                            " ub " + std::to_string(t.ubatch) + (t.flash_attn ? " fa" : " nofa") +
                            " seq " + std::to_string(t.seq);
    ASSERT_EQ(e.devices.size(), 1U);
    EXPECT_EQ(e.n_ctx, t.n_ctx) << row;
    expect_mib(e.host().weights, t.weights, "weights", row);
    expect_mib(e.host().kv, t.kv, "KV", row);
    expect_mib(e.host().compute, t.compute, "compute", row);
    expect_mib(e.host().output, t.output, "output", row);
  }
  EXPECT_EQ(models.size(), 27U);
  EXPECT_EQ(std::size(kTruth), 324U);
}

// Other architectures, 6 layers of 512 (8 heads, 4 KV heads, FFN 1024, vocabulary 2000, f16,
// context 4096), measured the same way. gemma3 has a sliding window of 256 on five layers of
// six; node-llama-cpp uses a batch of 513 for sliding-window models.
struct arch_row {
  const char* arch;
  std::uint32_t experts, experts_used, swa;
  bool flash_attn;
  std::uint32_t ubatch;
  double weights, kv, compute, output;
};
constexpr arch_row kArchTruth[] = {
    {"llama", 0, 0, 0, true, 512, 30.93, 24.00, 13.01, 0.01},
    {"llama", 0, 0, 0, false, 512, 30.93, 24.00, 78.01, 0.01},
    {"llama", 8, 2, 0, true, 512, 157.03, 24.00, 20.01, 0.01},
    {"llama", 8, 2, 0, false, 512, 157.03, 24.00, 78.01, 0.01},
    {"qwen2", 0, 0, 0, true, 512, 30.96, 24.00, 13.01, 0.01},
    {"qwen2", 0, 0, 0, false, 512, 30.96, 24.00, 78.01, 0.01},
    {"qwen3", 0, 0, 0, true, 512, 30.93, 24.00, 13.01, 0.01},
    {"qwen3", 0, 0, 0, false, 512, 30.93, 24.00, 78.01, 0.01},
    {"gemma3", 0, 0, 256, true, 513, 29.00, 9.00, 14.05, 0.01},
    {"gemma3", 0, 0, 256, false, 513, 29.00, 9.00, 78.17, 0.01},
};

TEST(EstimateLlama, MixtureOfExpertsBiasesQkNormsAndSlidingWindowMatchLlamaCpp) {
  temp_dir d;
  for (const auto& t : kArchTruth) {
    test_model m;
    m.arch = t.arch;
    m.layers = 6;
    m.embd = 512;
    m.heads = 8;
    m.kv_heads = 4;
    m.ff = 1024;
    m.vocab = 2000;
    m.ctx_train = 8192;
    m.experts = t.experts;
    m.experts_used = t.experts_used;
    m.sliding_window = t.swa;
    m.tied = t.swa != 0;
    const auto profile = shardfit::load_model(shardfit::test::write_tiny_llama(d / "a.gguf", m));
    llama_settings s;
    s.n_ctx = 4096;
    s.n_batch = t.ubatch;
    s.n_ubatch = t.ubatch;
    s.flash_attn = t.flash_attn ? flash_attn_mode::on : flash_attn_mode::off;
    const auto e = llama_estimator(profile, s).estimate({});
    const std::string row =
        std::string(t.arch) + (t.experts ? " moe" : "") + (t.flash_attn ? " fa" : " nofa");
    expect_mib(e.host().weights, t.weights, "weights", row);
    expect_mib(e.host().kv, t.kv, "KV", row);
    expect_mib(e.host().compute, t.compute, "compute", row);
    expect_mib(e.host().output, t.output, "output", row);
  }
}

// deepseek2 (latent attention, a leading dense layer, routed and shared experts) in both GGUF
// layouts, measured the same way (tests/tools/measure_truth.sh). Two shapes, 256 wide, 8
// heads, latent rank 128, rotary 16 + 32 per query/key head, value head 32, dense FFN 512,
// 8 experts (2 used) of 128, vocabulary 1000, f16:
//  - "V3": 4 layers, attn_q_a/attn_q_b (rank 96), sigmoid gating with exp_probs_b, normalized
//    weights scaled by 2.5, one shared expert;
//  - "V2-Lite": 27 layers (llama.cpp reads no q_lora_rank for 27-layer models, is_lite in
//    src/models/deepseek2.cpp, load_arch_hparams), one attn_q, softmax gating, two shared
//    experts.
// "mla": attn_k_b/attn_v_b and the *_mla keys (one latent KV head, no V cache); otherwise the
// older layout with attn_kv_b whole, which llama.cpp runs as multi-head attention with a K and
// a V cache of every head (llama_hparams::is_mla).
struct deepseek_row {
  bool v3, mla;
  std::uint32_t ctx, ubatch;
  bool flash_attn;
  std::uint32_t seq, n_ctx;
  double weights, kv, compute, output;
};
constexpr deepseek_row kDeepseekTruth[] = {
    {true, true, 512, 512, true, 1, 512, 8.57, 0.56, 7.81, 0.00},
    {true, true, 4096, 512, true, 1, 4096, 8.57, 4.50, 11.31, 0.00},
    {true, true, 512, 512, false, 1, 512, 8.57, 0.56, 16.31, 0.00},
    {true, true, 4096, 512, false, 1, 4096, 8.57, 4.50, 79.31, 0.00},
    {true, true, 4096, 128, true, 1, 4096, 8.57, 4.50, 2.83, 0.00},
    {true, true, 4096, 128, false, 1, 4096, 8.57, 4.50, 20.83, 0.00},
    {true, true, 2048, 512, true, 2, 4096, 8.57, 4.50, 9.31, 0.01},
    {true, true, 2048, 512, false, 2, 4096, 8.57, 4.50, 43.31, 0.01},
    {true, false, 512, 512, true, 1, 512, 8.57, 2.50, 5.45, 0.00},
    {true, false, 4096, 512, true, 1, 4096, 8.57, 20.00, 8.95, 0.00},
    {true, false, 512, 512, false, 1, 512, 8.57, 2.50, 13.81, 0.00},
    {true, false, 4096, 512, false, 1, 4096, 8.57, 20.00, 76.81, 0.00},
    {true, false, 4096, 128, true, 1, 4096, 8.57, 20.00, 2.24, 0.00},
    {true, false, 4096, 128, false, 1, 4096, 8.57, 20.00, 19.20, 0.00},
    {true, false, 2048, 512, true, 2, 4096, 8.57, 20.00, 6.95, 0.01},
    {true, false, 2048, 512, false, 2, 4096, 8.57, 20.00, 40.81, 0.01},
    {false, true, 512, 512, true, 1, 512, 64.46, 3.80, 7.79, 0.00},
    {false, true, 4096, 512, true, 1, 4096, 64.46, 30.38, 11.29, 0.00},
    {false, true, 512, 512, false, 1, 512, 64.46, 3.80, 16.29, 0.00},
    {false, true, 4096, 512, false, 1, 4096, 64.46, 30.38, 79.29, 0.00},
    {false, true, 4096, 128, true, 1, 4096, 64.46, 30.38, 2.82, 0.00},
    {false, true, 4096, 128, false, 1, 4096, 64.46, 30.38, 20.82, 0.00},
    {false, true, 2048, 512, true, 2, 4096, 64.46, 30.38, 9.29, 0.01},
    {false, true, 2048, 512, false, 2, 4096, 64.46, 30.38, 43.29, 0.01},
    {false, false, 512, 512, true, 1, 512, 64.46, 16.88, 5.30, 0.00},
    {false, false, 4096, 512, true, 1, 4096, 64.46, 135.00, 8.80, 0.00},
    {false, false, 512, 512, false, 1, 512, 64.46, 16.88, 13.04, 0.00},
    {false, false, 4096, 512, false, 1, 4096, 64.46, 135.00, 76.04, 0.00},
    {false, false, 4096, 128, true, 1, 4096, 64.46, 135.00, 2.20, 0.00},
    {false, false, 4096, 128, false, 1, 4096, 64.46, 135.00, 19.01, 0.00},
    {false, false, 2048, 512, true, 2, 4096, 64.46, 135.00, 6.80, 0.01},
    {false, false, 2048, 512, false, 2, 4096, 64.46, 135.00, 40.04, 0.01},
};

test_model deepseek_shape(bool v3, bool mla) {
  test_model m;
  m.arch = "deepseek2";
  m.layers = v3 ? 4 : 27;
  m.embd = 256;
  m.heads = 8;
  m.ff = 512;
  m.vocab = 1000;
  m.ctx_train = 8192;
  m.experts = 8;
  m.experts_used = 2;
  m.mla = mla;
  m.q_lora = v3 ? 96 : 0;
  m.gating = v3 ? 2 : 1;
  m.shared_experts = v3 ? 1 : 2;
  return m;
}

TEST(EstimateLlama, DeepseekBothLayoutsMatchLlamaCpp) {
  temp_dir d;
  for (const auto& t : kDeepseekTruth) {
    const auto profile = shardfit::load_model(
        shardfit::test::write_tiny_llama(d / "ds.gguf", deepseek_shape(t.v3, t.mla)));
    EXPECT_EQ(profile.is_mla(), t.mla);
    EXPECT_EQ(profile.latent_expanded, !t.mla);
    const auto e = llama_estimator(profile, truth_settings(t.n_ctx, t.ubatch, t.seq, t.flash_attn))
                       .estimate({});
    const std::string row = std::string(t.v3 ? "V3" : "V2-Lite") + (t.mla ? " mla" : " expanded") +
                            " ctx " + std::to_string(t.ctx) + " ub " + std::to_string(t.ubatch) +
                            (t.flash_attn ? " fa" : " nofa") + " seq " + std::to_string(t.seq);
    EXPECT_EQ(e.n_ctx, t.n_ctx) << row;
    expect_mib(e.host().weights, t.weights, "weights", row);
    expect_mib(e.host().kv, t.kv, "KV", row);
    expect_mib(e.host().output, t.output, "output", row);
    if (!t.v3 && !t.mla && t.flash_attn) {
      // Known gap: V2-Lite in the expanded layout with flash attention comes out 0.036 MiB
      // (72 bytes per token, 0.7%) below llama.cpp; every other row is exact.
      const double got = static_cast<double>(e.host().compute.count()) / MiB;
      EXPECT_LT(t.compute - got, 0.01 * t.compute) << row;
      EXPECT_GT(t.compute - got, 0.0) << row;
    } else {
      expect_mib(e.host().compute, t.compute, "compute", row);
    }
  }
}

// Mamba (v1; recurrent state, no attention, no FFN), 4 layers of 256 (vocabulary 1000) and 6
// of 512 (vocabulary 2000), inner width 2 x embd, state 16, kernel 4, f16, measured the same
// way (llama.cpp prints the state as "RS buffer size"). The state is exact; the compute buffer
// comes out one embd x ubatch activation above llama.cpp's (3.7-7.5%: an over-estimate, the
// safe side; which tensor llama.cpp frees earlier is not known yet).
struct mamba_row {
  std::uint32_t embd, ctx, ubatch, seq, n_ctx;
  double weights, state, compute;
};
constexpr mamba_row kMambaTruth[] = {
    {256, 4096, 512, 1, 4096, 4.41, 0.15, 6.55},  {256, 4096, 128, 1, 4096, 4.41, 0.15, 1.67},
    {256, 2048, 512, 2, 4096, 4.41, 0.30, 6.59},  {256, 512, 512, 1, 512, 4.41, 0.15, 6.55},
    {256, 4096, 256, 4, 16384, 4.41, 0.59, 3.42}, {512, 4096, 512, 1, 4096, 23.58, 0.45, 13.09},
    {512, 4096, 128, 1, 4096, 23.58, 0.45, 3.34}, {512, 2048, 512, 2, 4096, 23.58, 0.89, 13.18},
    {512, 512, 512, 1, 512, 23.58, 0.45, 13.09},  {512, 4096, 256, 4, 16384, 23.58, 1.78, 6.85},
};

TEST(EstimateLlama, MambaStateMatchesLlamaCppAndComputeIsJustAbove) {
  temp_dir d;
  for (const auto& t : kMambaTruth) {
    test_model m;
    m.arch = "mamba";
    m.layers = t.embd == 256 ? 4 : 6;
    m.embd = t.embd;
    m.heads = 0;
    m.ff = 0;
    m.vocab = t.embd == 256 ? 1000 : 2000;
    m.ctx_train = 8192;
    const auto profile =
        shardfit::load_model(shardfit::test::write_tiny_llama(d / "mamba.gguf", m));
    EXPECT_EQ(profile.ssm_inner, 2 * t.embd);
    const auto e =
        llama_estimator(profile, truth_settings(t.n_ctx, t.ubatch, t.seq, false)).estimate({});
    const std::string row = "mamba E" + std::to_string(t.embd) + " ub " + std::to_string(t.ubatch) +
                            " seq " + std::to_string(t.seq);
    expect_mib(e.host().weights, t.weights, "weights", row);
    expect_mib(e.host().kv, t.state, "state", row);
    const double got = static_cast<double>(e.host().compute.count()) / MiB;
    const double activation = static_cast<double>(t.embd) * t.ubatch * 4 / MiB;
    EXPECT_NEAR(got - t.compute, activation, 0.06) << row;
  }
}

// The DeepSeek-R1 shape in the older layout, on one GPU: its compute buffer is that of
// multi-head attention over the decompressed heads (sub-GiB), not the latent graph's, which
// counted each head's query against the whole cached K row (12 GiB at context 2048).
TEST(EstimateLlama, DeepseekR1ExpandedLayoutComputeBufferIsMultiHeadAttention) {
  temp_dir d;
  test_model r1 = shardfit::test::deepseek_r1_shape(2);
  llama_settings s;
  s.n_ctx = 2048;
  s.flash_attn = flash_attn_mode::on;
  for (const bool mla : {false, true}) {
    r1.mla = mla;
    const auto m = shardfit::load_model(shardfit::test::write_tiny_llama(d / "r1.gguf", r1));
    const std::vector<llama_device> gpu{{"gpu0", device_kind::gpu, 2000_GiB}};
    const auto e = llama_estimator(m, s).estimate(gpu);
    // KV: 61 layers x 2048 cells x (128 heads x (192 + 128)) f16 = 9.53 GiB, or the latent
    // (512 + 64) once per cell = 0.13 GiB.
    EXPECT_EQ(e.devices[1].kv, bytes{61ULL * 2048 * (mla ? 576 : 128 * 320) * 2});
    EXPECT_LT(e.devices[1].compute, 512_MiB) << (mla ? "mla" : "expanded");
    EXPECT_GT(e.devices[1].compute, 256_MiB) << (mla ? "mla" : "expanded");
  }
}

// A profile of `n` identical layers, built directly (the estimator needs nothing else).
shardfit::model_profile uniform(std::uint32_t n, bytes layer, std::uint32_t kv_per_token = 1024) {
  shardfit::model_profile m;
  m.name = "uniform";
  m.architecture = "llama";
  m.n_layer = n;
  m.n_embd = 4096;
  m.n_head = 32;
  m.n_head_kv = 8;
  m.head_dim_k = 128;
  m.head_dim_v = 128;
  m.n_ff = 14336;
  m.n_vocab = 128256;
  m.n_ctx_train = 131072;
  m.layers.assign(n, shardfit::layer_profile{layer, bytes{}, 32, 8, kv_per_token, kv_per_token});
  m.token_embd = 1_GiB;
  m.output = 2_GiB;
  return m;
}

std::vector<llama_device> gpus(std::initializer_list<bytes> free) {
  std::vector<llama_device> out;
  for (const auto f : free)
    out.push_back({"gpu" + std::to_string(out.size()), device_kind::gpu, f});
  return out;
}

// [first, first + count) per device and the output's device, for readable expectations.
std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges(const llama_estimator::assignment& a) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (std::size_t i = 0; i < a.count.size(); ++i) {
    out.emplace_back(a.count[i] ? a.first[i] : 0, a.count[i] ? a.first[i] + a.count[i] : 0);
  }
  return out;
}

TEST(EstimateLlama, GpuLayersAreTheLastOnesAndTheOutputCountsAsALayer) {
  const auto m = uniform(4, 100_MiB);
  const auto one = gpus({24_GiB});
  // llama.cpp de3ff815: the output is layer L, and --gpu-layers N takes the last N of the L+1.
  const std::vector<std::tuple<int, std::uint32_t, std::uint32_t, int>> expect{
      // ngl, first, count, output device
      {0, 0, 0, -1}, {1, 0, 0, 0}, {2, 3, 1, 0}, {3, 2, 2, 0},
      {4, 1, 3, 0},  {5, 0, 4, 0}, {6, 0, 4, 0}, {-1, 0, 4, 0}};
  for (const auto& [ngl, first, count, out] : expect) {
    llama_settings s;
    s.n_gpu_layers = ngl;
    const auto a = llama_estimator(m, s).assign(one);
    EXPECT_EQ(a.count[0], count) << "ngl " << ngl;
    if (count != 0) {
      EXPECT_EQ(a.first[0], first) << "ngl " << ngl;
    }
    EXPECT_EQ(a.output_device, out) << "ngl " << ngl;
  }
  // The legacy rule (older llama.cpp): the last N repeating layers; the output only past L.
  const std::vector<std::tuple<int, std::uint32_t, std::uint32_t, int>> legacy{
      {0, 0, 0, -1}, {1, 3, 1, -1}, {3, 1, 3, -1}, {4, 0, 4, -1}, {5, 0, 4, 0}};
  for (const auto& [ngl, first, count, out] : legacy) {
    llama_settings s;
    s.n_gpu_layers = ngl;
    s.rule = shardfit::offload_rule::legacy;
    const auto a = llama_estimator(m, s).assign(one);
    EXPECT_EQ(a.count[0], count) << "legacy ngl " << ngl;
    if (count != 0) {
      EXPECT_EQ(a.first[0], first) << "legacy ngl " << ngl;
    }
    EXPECT_EQ(a.output_device, out) << "legacy ngl " << ngl;
  }
}

TEST(EstimateLlama, TensorSplitAndFreeMemoryDecideTheRanges) {
  const auto m = uniform(32, 100_MiB);
  llama_settings s;
  s.tensor_split = {1, 1};
  // 33 slots (32 layers + output): slot il goes to the first device whose cumulative share
  // exceeds il/33.
  auto a = llama_estimator(m, s).assign(gpus({1_GiB, 1_GiB}));
  EXPECT_EQ(ranges(a), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 17}, {17, 32}}));
  EXPECT_EQ(a.output_device, 1);

  s.tensor_split = {3, 2, 1};
  a = llama_estimator(m, s).assign(gpus({1_GiB, 1_GiB, 1_GiB}));
  EXPECT_EQ(ranges(a),
            (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 17}, {17, 28}, {28, 32}}));

  s.tensor_split = {1, 1};
  s.n_gpu_layers = 10;  // slots 23..32
  a = llama_estimator(m, s).assign(gpus({1_GiB, 1_GiB}));
  EXPECT_EQ(ranges(a), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{23, 28}, {28, 32}}));

  s = llama_settings{};  // no split: proportional to free memory, 24 GiB and 8 GiB
  a = llama_estimator(m, s).assign(gpus({24_GiB, 8_GiB}));
  EXPECT_EQ(ranges(a), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 25}, {25, 32}}));

  s.split = shardfit::split_mode::none;
  s.main_gpu = 1;
  a = llama_estimator(m, s).assign(gpus({24_GiB, 8_GiB}));
  EXPECT_EQ(ranges(a), (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 0}, {0, 32}}));
}

TEST(EstimateLlama, RpcServersComeFirstAndTakeTheFirstLayers) {
  const auto m = uniform(8, 1_GiB);
  llama_settings s;
  s.tensor_split = {1, 1};
  const std::vector<llama_device> devs{{"rpc:10.0.0.2:50052", device_kind::rpc, 16_GiB},
                                       {"gpu0", device_kind::gpu, 16_GiB}};
  const auto e = llama_estimator(m, s).estimate(devs);
  ASSERT_EQ(e.devices.size(), 3U);
  EXPECT_EQ(e.devices[1].device, "rpc:10.0.0.2:50052");
  EXPECT_EQ(e.devices[1].first_layer, 0U);
  EXPECT_EQ(e.devices[1].layers, 5U);  // slots 0..4 of 9
  EXPECT_FALSE(e.devices[1].output_layer);
  EXPECT_EQ(e.devices[2].layers, 3U);
  EXPECT_TRUE(e.devices[2].output_layer);
  EXPECT_EQ(e.devices[1].overhead, s.rpc_overhead);
}

TEST(EstimateLlama, BytesPerDeviceAddUp) {
  auto m = uniform(4, 100_MiB);
  llama_settings s;
  s.n_ctx = 8192;
  s.n_gpu_layers = 3;  // layers 2, 3 and the output
  const llama_estimator est(m, s);
  const auto e = est.estimate(gpus({24_GiB}));
  const auto& host = e.host();
  const auto& gpu = e.devices[1];
  EXPECT_EQ(host.layers, 2U);
  EXPECT_EQ(gpu.layers, 2U);
  EXPECT_EQ(gpu.first_layer, 2U);
  EXPECT_TRUE(gpu.output_layer);
  EXPECT_EQ(e.offloaded_layers, 2U);
  EXPECT_TRUE(e.output_offloaded);
  EXPECT_EQ(host.weights, 1_GiB + 200_MiB);  // token embeddings stay on the host
  EXPECT_EQ(gpu.weights, 200_MiB + 2_GiB);
  // 8192 cells x (1024 K + 1024 V) f16 per layer
  EXPECT_EQ(est.layer_kv(0), bytes{8192ULL * 2048 * 2});
  EXPECT_EQ(gpu.kv, est.layer_kv(2) * 2);
  EXPECT_EQ(host.kv, est.layer_kv(0) * 2);
  EXPECT_EQ(est.layer_cost(1), 100_MiB + est.layer_kv(1));
  EXPECT_EQ(gpu.overhead, s.gpu_overhead);
  EXPECT_EQ(host.output, bytes{128256ULL * 4});  // logits for one sequence, on the host
  EXPECT_EQ(gpu.output, 0_B);
  for (const auto& d : e.devices)
    EXPECT_EQ(d.total, d.weights + d.kv + d.compute + d.output + d.overhead);
  // Partial offload: host matmuls of a large batch run on the GPU, which then holds a copy of
  // the largest host matrix (a third of a dense layer here).
  EXPECT_EQ(gpu.compute, est.layer_compute(true) + bytes{100_MiB / 3});
  s.op_offload = false;
  EXPECT_EQ(llama_estimator(m, s).estimate(gpus({24_GiB})).devices[1].compute,
            est.layer_compute(true));

  // Tied embeddings: the output device gets its own copy of the embedding matrix.
  m.tied_embeddings = true;
  m.output = 1_MiB;
  s = llama_settings{};
  const auto tied = llama_estimator(m, s).estimate(gpus({24_GiB}));
  EXPECT_EQ(tied.devices[1].weights, 400_MiB + 1_MiB + 1_GiB);
  EXPECT_EQ(tied.host().weights, 1_GiB);
}

TEST(EstimateLlama, ContextPaddingAndStreams) {
  const auto m = uniform(2, 1_MiB, 256);
  llama_settings s;
  s.n_ctx = 1000;
  auto est = llama_estimator(m, s);
  EXPECT_EQ(est.n_ctx(), 1024U);
  s.n_ctx = 4096;
  s.n_parallel = 3;  // 4096/3 = 1365 per sequence, padded to 1536
  est = llama_estimator(m, s);
  EXPECT_EQ(est.n_ctx_seq(), 1536U);
  EXPECT_EQ(est.n_ctx(), 4608U);
  EXPECT_EQ(est.layer_kv(0), bytes{4608ULL * 512 * 2});
  s.kv_unified = true;
  est = llama_estimator(m, s);
  EXPECT_EQ(est.n_ctx(), 4096U);
  EXPECT_EQ(est.n_ctx_seq(), 4096U);
  s = llama_settings{};
  s.n_ctx = 0;  // the model's training context
  EXPECT_EQ(llama_estimator(m, s).n_ctx(), 131072U);
}

TEST(EstimateLlama, CacheTypes) {
  const auto m = uniform(1, 1_MiB, 1024);
  llama_settings s;
  s.n_ctx = 4096;
  s.cache_type_k = "q8_0";
  s.cache_type_v = "q4_0";
  s.flash_attn = flash_attn_mode::on;
  // q8_0: 34 bytes per 32 values; q4_0: 18 bytes per 32.
  EXPECT_EQ(llama_estimator(m, s).layer_kv(0), bytes{4096ULL * (1024 / 32 * 34 + 1024 / 32 * 18)});
  s.flash_attn = flash_attn_mode::off;
  try {
    (void)llama_estimator(m, s);
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(), "a quantized V cache (q4_0) requires flash attention");
  }
  s = llama_settings{};
  s.cache_type_k = "q9_9";
  EXPECT_THROW((void)llama_estimator(m, s), shardfit::error);
  s.cache_type_k = "q4_K";  // 256-element blocks do not divide 1024? they do: 4 blocks
  EXPECT_EQ(llama_estimator(m, s).layer_kv(0), bytes{4096ULL * (4 * 144 + 1024 * 2)});
  const auto odd = uniform(1, 1_MiB, 1000);
  EXPECT_THROW((void)llama_estimator(odd, s), shardfit::error);  // 1000 is no multiple of 256
}

TEST(EstimateLlama, SlidingWindowMlaAndRecurrentCaches) {
  auto m = uniform(2, 1_MiB, 512);
  m.sliding_window = 1024;
  m.layers[0].swa = true;
  llama_settings s;
  s.n_ctx = 32768;
  const llama_estimator est(m, s);
  // SWA layers keep pad(window + ubatch, 256) = 1536 cells; full layers the whole context.
  EXPECT_EQ(est.layer_kv(0), bytes{1536ULL * 512 * 2 * 2});
  EXPECT_EQ(est.layer_kv(1), bytes{32768ULL * 512 * 2 * 2});
  s.swa_full = true;
  EXPECT_EQ(llama_estimator(m, s).layer_kv(0), est.layer_kv(1));

  auto mla = uniform(2, 1_MiB);
  mla.kv_lora_rank = 512;
  for (auto& l : mla.layers) {
    l.k_per_token = 576;  // latent 512 + rope 64, one "head"
    l.v_per_token = 0;    // no V cache
  }
  s = llama_settings{};
  s.n_ctx = 8192;
  EXPECT_EQ(llama_estimator(mla, s).layer_kv(0), bytes{8192ULL * 576 * 2});

  auto rec = uniform(2, 1_MiB);
  for (auto& l : rec.layers) {
    l = shardfit::layer_profile{};
    l.weights = 1_MiB;
    l.recurrent = true;
    l.r_state = 8192;
    l.s_state = 65536;
  }
  s.n_parallel = 4;
  EXPECT_EQ(llama_estimator(rec, s).layer_kv(0), bytes{(8192ULL + 65536) * 4 * 4});
}

TEST(EstimateLlama, AModelWithoutLayersIsRefused) {
  shardfit::model_profile empty;
  empty.name = "vocab-only";
  try {
    (void)llama_estimator(empty, llama_settings{});
    ADD_FAILURE();
  } catch (const shardfit::error& e) {
    EXPECT_STREQ(e.what(), "model 'vocab-only' has no repeating layers to place");
  }
}

}  // namespace
