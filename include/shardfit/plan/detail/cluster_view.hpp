#pragma once

// The cluster as the planner sees it: allocatable memory in whole planning units, and
// equivalence classes of interchangeable workers. Internal to candidates.hpp.

#include <shardfit/cluster/cluster.hpp>
#include <shardfit/core/compiled.hpp>
#include <shardfit/core/units.hpp>
#include <shardfit/plan/placement.hpp>
#include <shardfit/plan/storage.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shardfit {

namespace detail {

SHARDFIT_INLINE bytes plan_floor(bytes b);

// One GPU as the planner sees it.
struct gpu_view {
  std::uint32_t slot = 0;
  std::uint32_t index = 0;
  bytes total;
  bytes allocatable;  // exact, after use, reservations and claims
  bytes free;  // allocatable, rounded down to plan_granularity (UMA: at most the worker's RAM)
};

// One worker as the planner sees it.
struct worker_view {
  std::uint32_t worker = 0;
  bytes ram_allocatable;  // exact
  bytes ram;              // allocatable, rounded down
  bool uma = false;
  model_location location;                // where it finds the model
  std::optional<bytes> disk_free;         // free disk for downloads (unknown: never checked)
  std::optional<std::string> disk_short;  // why it cannot read the whole model, if it cannot
  std::vector<gpu_view> gpus;             // by device index
  std::uint32_t cls = 0;                  // equivalence class
  std::uint32_t class_size = 1;
  bool representative = true;  // first of its class in inventory order
  bool excluded = false;       // a filter refused it: no GPUs, no RAM, never a representative
};

// What a filter policy decides, as callbacks over positions in the cluster, with the labels
// the policies read (label keys; "*": every label).
struct view_policies {
  std::function<filter_verdict(std::size_t worker)> worker;
  std::function<filter_verdict(std::size_t worker, std::size_t slot)> gpu;
  std::vector<std::string> label_keys;
  std::vector<rejection>* rejected = nullptr;
};

// The cluster reduced to what planning needs, with equivalence classes.
struct cluster_view {
  std::vector<worker_view> workers;
  static constexpr std::uint32_t none = 0xffffffffU;
  std::vector<std::uint32_t> class_head;     // per class: its first worker
  std::vector<std::uint32_t> next_in_class;  // per worker: the next of its class, or `none`

  storage_settings storage;

  // `whole`: the bytes a worker reading the whole model needs on disk.
  cluster_view(const cluster& c, const model_ref& model, bytes whole, const storage_settings& s,
               const view_policies* policies = nullptr);

  // Why worker view `w` cannot read `need` bytes of weights (nothing when it can).
  [[nodiscard]] std::optional<std::string> disk_short_for(const worker_view& w, bytes need) const;
};

// Fills the worker and GPU names of a placement that is reported.
SHARDFIT_INLINE void name_placement(placement& p, const cluster& c);

// "worker 'a'" or "worker 'a' (and 11 identical workers)".
SHARDFIT_INLINE std::string worker_label(const cluster& c, const worker_view& v);

// A manual selection ("a:0,a:1,b:0") grouped by worker, in order of first mention: each
// worker's view index with the view positions of its GPUs.
// Throws invalid_argument for a worker or GPU that does not exist.
SHARDFIT_INLINE std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> group_selection(
    const cluster& c, const cluster_view& v, const std::vector<gpu_ref>& gpus);

// Whether two sets of GPUs of one worker are alike GPU for GPU (model, size, free memory): the
// same candidate as far as planning and scoring can tell.
SHARDFIT_INLINE bool alike_gpus(const cluster& c, const worker_view& w,
                                const std::vector<std::uint32_t>& a,
                                const std::vector<std::uint32_t>& b);

}  // namespace detail

}  // namespace shardfit

#ifndef SHARDFIT_COMPILED_LIB
#include <shardfit/plan/detail/cluster_view-inl.hpp>
#endif
