// One planner shared by 8 threads: every result equals the single-threaded one, byte for byte.
// Built into its own binary so that the ThreadSanitizer preset (`tsan`) builds only this.
//
// What is safe to share (the README's "Threads" section): a `basic_planner` and its inventory,
// estimator and scorer policies as shipped (plan() is const and keeps its working state on the
// stack), a `llama_estimator` after construction, loaded `model_profile`s, and a
// `discovery_cache` (internally locked).

#include <shardfit/files/discover.hpp>
#include <shardfit/json.hpp>
#include <shardfit/plan/claims.hpp>
#include <shardfit/plan/planner.hpp>

#include <gtest/gtest.h>

#include "support/configs.hpp"
#include "support/models.hpp"
#include "support/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <utime.h>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
namespace cfg = shardfit::test::configs;

cluster shared_cluster() {
  cluster c;
  c.reserved.vram = 512_MiB;
  c.reserved.ram = 2_GiB;
  const std::uint64_t sizes[] = {16, 24, 24, 48, 80, 80, 141};
  for (std::uint32_t w = 0; w < 40; ++w) {
    worker_info wk;
    wk.name = "w" + std::to_string(w);
    wk.address = wk.name;
    wk.ram = bytes{std::uint64_t{64 + 64 * (w % 8)} << 30U};
    const std::uint32_t n = 1 + w % 8;
    for (std::uint32_t g = 0; g < n; ++g) {
      gpu_info gi;
      gi.index = g;
      const std::uint64_t gib = sizes[(w + g / 4) % 7];
      gi.name = "GPU-" + std::to_string(gib);
      gi.vram = bytes{gib << 30U};
      gi.vram_used = bytes{(std::uint64_t{(w * 7 + g) % 5}) << 30U};
      wk.gpus.push_back(gi);
    }
    c.workers.push_back(std::move(wk));
  }
  return c;
}

struct plan_case {
  const model_profile* model;
  plan_request request;
};

std::vector<plan_case> cases(const std::vector<model_profile>& models) {
  std::vector<plan_case> out;
  for (const auto& m : models) {
    for (const auto engine : {backend::llama_cpp, backend::vllm}) {
      for (const auto policy : {scoring_policy::binpack, scoring_policy::spread}) {
        plan_request rq;
        rq.engine = engine;
        rq.policy = policy;
        rq.llama.n_ctx = 8192;
        rq.vllm.max_model_len = 8192;
        out.push_back({&m, rq});
        rq.cpu_offload = false;
        rq.all_stages = true;
        out.push_back({&m, rq});
      }
    }
  }
  return out;
}

TEST(Threads, PlansOnASharedPlannerEqualTheSingleThreadedOnes) {
  const std::vector<model_profile> models{
      test::llama8b(), test::llama70b(),
      profile_from_config(parse_hf_config(cfg::deepseek_v3, "config.json")),
      profile_from_config(parse_hf_config(cfg::qwen3_30b_a3b, "config.json"))};
  const auto all = cases(models);
  const basic_planner<static_inventory> planner{static_inventory{shared_cluster()}};
  std::vector<std::string> expected;
  for (const auto& c : all) {
    expected.push_back(nlohmann::ordered_json(planner.plan(*c.model, c.request)).dump());
  }
  constexpr int threads = 8;
  constexpr int rounds = 3;
  std::atomic<int> mismatches{0};
  std::atomic<int> planned{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) {
        for (std::size_t k = 0; k < all.size(); ++k) {
          const std::size_t i = (k + static_cast<std::size_t>(t) * 3) % all.size();  // staggered
          const auto got = planner.plan(*all[i].model, all[i].request);
          if (nlohmann::ordered_json(got).dump() != expected[i]) ++mismatches;
          ++planned;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(planned.load(), threads * rounds * static_cast<int>(all.size()));
  EXPECT_EQ(all.size(), 32U);
}

TEST(Threads, OneEstimatorAnswersEveryThread) {
  const llama_estimator est(test::llama70b(), llama_settings{});
  const std::vector<llama_device> d{{"gpu0", device_kind::gpu, 24_GiB, false},
                                    {"gpu1", device_kind::gpu, 48_GiB, false}};
  const nlohmann::ordered_json one = est.estimate(d);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const nlohmann::ordered_json e = est.estimate(d, {40 + t, {}});
        const nlohmann::ordered_json same = est.estimate(d);
        if (same != one || e.is_null()) ++mismatches;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Threads, ADiscoveryCacheSharedByThreads) {
  const test::temp_dir d;
  for (int s = 0; s < 6; ++s) {
    for (int k = 1; k <= 3; ++k) {
      d.sparse("m" + std::to_string(s) + "/x-0000" + std::to_string(k) + "-of-00003.gguf",
               static_cast<std::uint64_t>(s * 10 + k));
    }
  }
  // Old enough that the cache trusts the directories (not racy).
  for (int s = 0; s <= 6; ++s) {
    const std::string p = s == 6 ? d.path() : d / ("m" + std::to_string(s));
    const struct utimbuf old { 1000000000, 1000000000 };
    ASSERT_EQ(::utime(p.c_str(), &old), 0);
  }
  discovery_options o;
  o.recursive = true;
  const auto reference = discover(d.path(), o);
  ASSERT_EQ(reference.sets.size(), 6U);
  discovery_cache cache;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        const auto r = discover(d.path(), o, posix_filesystem{}, &cache);
        if (r.sets.size() != reference.sets.size()) {
          ++mismatches;
          continue;
        }
        for (std::size_t k = 0; k < r.sets.size(); ++k) {
          if (r.sets[k].name != reference.sets[k].name ||
              r.sets[k].total_bytes != reference.sets[k].total_bytes) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(cache.hits() + cache.misses(), 8U * 20U * 7U);  // 7 directories a pass
  EXPECT_EQ(cache.size(), 7U);
}

// Issue 22.3: 8 threads plan and commit against one locked in-memory inventory. A commit is
// refused when the cluster moved on since the snapshot its plan was made on (the version check);
// the thread then plans again. No GPU ends up promised more than it has.
class locked_inventory {
 public:
  explicit locked_inventory(cluster c) : c_(std::move(c)) {}
  [[nodiscard]] cluster snapshot() const {
    const std::lock_guard<std::mutex> lock(m_);
    return c_;
  }
  // Adds the claims if the cluster is still at `version`.
  bool commit_if(std::uint64_t version, const std::vector<claim>& claims) {
    const std::lock_guard<std::mutex> lock(m_);
    if (c_.version != version) return false;
    commit(c_, claims);
    return true;
  }

 private:
  mutable std::mutex m_;
  cluster c_;
};

TEST(PlannerThreads, EightSchedulersCommitWithVersionChecks) {
  cluster start;
  start.reserved.vram = 512_MiB;
  for (int w = 0; w < 6; ++w) {
    worker_info wk;
    wk.name = "n" + std::to_string(w);
    wk.address = wk.name;
    wk.ram = 256_GiB;
    for (std::uint32_t g = 0; g < 4; ++g) {
      gpu_info gi;
      gi.index = g;
      gi.name = "L40S";
      gi.vendor = "nvidia";
      gi.vram = 48_GiB;
      wk.gpus.push_back(gi);
    }
    start.workers.push_back(std::move(wk));
  }
  locked_inventory inventory(start);
  const basic_planner<const locked_inventory&> planner{inventory};
  const model_profile model = shardfit::test::llama8b();
  std::atomic<int> placed{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        plan_request rq;
        rq.engine = backend::vllm;
        rq.vllm.max_model_len = 8192;
        for (int attempt = 0; attempt < 100; ++attempt) {
          const plan_result r = planner.plan(model, rq);
          if (!r.chosen) return;  // the cluster is full
          const auto claims =
              to_claims(*r.chosen, "t" + std::to_string(t) + "-" + std::to_string(i));
          if (inventory.commit_if(r.cluster_version, claims)) {
            ++placed;
            break;
          }
          ++conflicts;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const cluster end = inventory.snapshot();
  EXPECT_EQ(placed.load(), 24);  // 24 GPUs, one 8B instance each at 0.9 utilization
  EXPECT_EQ(end.version, 24U);
  // No GPU is promised more than it has.
  for (std::size_t w = 0; w < end.workers.size(); ++w) {
    for (std::size_t g = 0; g < end.workers[w].gpus.size(); ++g) {
      bytes claimed{};
      for (const auto& cl : end.claims) {
        if (cl.worker == end.workers[w].name && cl.gpu == end.workers[w].gpus[g].index) {
          claimed += cl.vram;
        }
      }
      EXPECT_LE(claimed + end.reserved.vram, end.workers[w].gpus[g].vram)
          << end.workers[w].name << ":" << g;
    }
  }
  std::cout << "[ committed 24 plans from 8 threads; " << conflicts.load()
            << " stale plans refused and planned again ]\n";
}

}  // namespace
