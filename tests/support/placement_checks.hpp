#pragma once

// Checks shared by the planner tests.

#include <shardfit/estimate/llama.hpp>
#include <shardfit/plan/placement.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace shardfit::test {

// A llama.cpp placement's bytes are the estimator's own for its split, devices in llama.cpp's
// order (the RPC workers' GPUs, then the main's), and no GPU holds more than it had free.
inline void expect_llama_bytes_match(const placement& p, const llama_estimator& est) {
  std::vector<llama_device> devs;
  std::vector<const placed_gpu*> order;
  const auto add = [&](const placed_worker& w, device_kind kind) {
    for (const auto& g : w.gpus) {
      devs.push_back({"", kind, g.allocatable});
      order.push_back(&g);
    }
  };
  for (std::size_t w = 1; w < p.workers.size(); ++w) add(p.workers[w], device_kind::rpc);
  add(p.workers.front(), device_kind::gpu);
  const std::vector<double> split(p.tensor_split.begin(), p.tensor_split.end());
  const auto e = est.estimate(devs, {static_cast<std::int32_t>(p.offloaded_layers), split});
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(order[i]->vram, e.devices[i + 1].total) << "device " << i;
    EXPECT_EQ(order[i]->repeating_layers, e.devices[i + 1].layers) << "device " << i;
    EXPECT_LE(order[i]->vram, order[i]->allocatable) << "device " << i;
  }
  EXPECT_EQ(p.workers.front().ram, e.host().total);
}

}  // namespace shardfit::test
