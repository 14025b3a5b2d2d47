// Storage-aware placement: who reads which weight files, from where, and what fits on disk.
#include <shardfit/json.hpp>
#include <shardfit/model/load.hpp>
#include <shardfit/plan/planner.hpp>
#include <shardfit/plan/storage.hpp>

#include <gtest/gtest.h>

#include "support/clusters.hpp"
#include "support/configs.hpp"

#include <string>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::gpus;
using shardfit::test::worker;

const model_profile& llama70b() {  // the example directory: config.json and the index only
  static const auto m =
      load_model(std::string(SHARDFIT_EXAMPLES_DATA) + "/models/Llama-3.1-70B-Instruct");
  return m;
}

plan_request vllm() {
  plan_request rq;
  rq.engine = backend::vllm;
  rq.vllm.max_model_len = 8192;
  // 8192 tokens per step (an A100's default is 2048): 70B's activation then keeps it off 4 x
  // 40 GiB, so these clusters need the layouts the tests are about.
  rq.vllm.max_num_batched_tokens = 8192;
  return rq;
}

const rejection* find(const plan_result& r, const std::string& candidate, const std::string& rule) {
  for (const auto& x : r.rejected) {
    if (x.candidate == candidate && to_string(x.rule) == rule) return &x;
  }
  return nullptr;
}

TEST(Storage, TheIndexMapsEveryLayerToItsFiles) {
  const auto& m = llama70b();
  ASSERT_EQ(m.weight_files.size(), 30U);
  bytes sum{};
  for (const auto& f : m.weight_files) {
    EXPECT_TRUE(f.estimated);  // not downloaded: sized from their tensors
    sum += f.size;
  }
  EXPECT_EQ(sum, bytes{141107412992});  // the index's total_size, exactly
  EXPECT_EQ(m.disk_bytes(), bytes{141107412992});
  const auto& first = m.weight_files.front();
  EXPECT_EQ(first.name, "model-00001-of-00030.safetensors");
  EXPECT_TRUE(first.input);
  EXPECT_EQ(first.first_layer, 0U);
  EXPECT_EQ(first.layer_count, 2U);
  EXPECT_TRUE(m.weight_files.back().output);  // lm_head lives in the last file
  // The two halves of a two-stage pipeline share the file that holds layers 38-40.
  const bytes a = m.disk_bytes_for(0, 40, true, false);
  const bytes b = m.disk_bytes_for(40, 40, false, true);
  EXPECT_LT(a, m.disk_bytes());
  EXPECT_LT(b, m.disk_bytes());
  EXPECT_GT(a + b, m.disk_bytes());
}

TEST(Storage, SharedVolumeWorkersDownloadNothingAndSmallDisksAreRejected) {
  // Four workers of 8 x A100-40GB; a and b mount the NFS volume that holds the model, c and d
  // have 100 GB free for a 141 GB model.
  cluster c;
  c.volumes.push_back({"nfs", true, 4_TB, {{"", "Llama-3.1-70B-Instruct", bytes{}}}, ""});
  for (const std::string n : {"a", "b", "c", "d"}) {
    auto w = worker(n, 512_GiB, gpus(8, "A100-40GB", 40_GiB));
    if (n == "a" || n == "b") {
      w.mounts.push_back({n == "a" ? "/mnt/models" : "/data/nfs", "nfs", true});
    } else {
      w.disk_free = 100_GB;
    }
    c.workers.push_back(w);
  }
  const auto r = plan(c, llama70b(), vllm());
  ASSERT_EQ(r.status, plan_status::planned);
  const placement& p = *r.chosen;
  EXPECT_EQ(p.tensor_parallel, 8U);
  ASSERT_EQ(p.workers.size(), 1U);
  EXPECT_EQ(p.workers[0].name, "a");
  EXPECT_EQ(p.workers[0].source, storage_source::shared);
  EXPECT_EQ(p.workers[0].volume, "nfs");
  EXPECT_EQ(p.storage.download, bytes{});
  EXPECT_EQ(p.storage.copies, 1U);
  const auto* small = find(r, "worker 'c' (and 1 identical worker)", "disk.space");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->reason,
            "cannot hold the whole model: needs 141.11 GB of weights on disk (148.16 GB with the "
            "5% margin) but has 100.00 GB free and no copy on its disk or on a shared volume it "
            "mounts");
  // The JSON shape of the issue.
  const nlohmann::ordered_json j = p;
  EXPECT_EQ(j["storage"]["copies"], 1);
  EXPECT_EQ(j["storage"]["download_bytes"], 0);
  EXPECT_EQ(j["storage"]["workers"][0]["source"], "shared:nfs");
  EXPECT_EQ(j["storage"]["workers"][0]["bytes"], 141107412992ULL);
}

TEST(Storage, APipelineStageDownloadsOnlyItsShards) {
  // Two workers of 4 x A100-40GB need tp 4 x pp 2; 100 GB of disk holds a stage, not the model.
  cluster c;
  for (const std::string n : {"a", "b"}) {
    auto w = worker(n, 512_GiB, gpus(4, "A100-40GB", 40_GiB));
    w.disk_free = 100_GB;
    c.workers.push_back(w);
  }
  const auto r = plan(c, llama70b(), vllm());
  ASSERT_EQ(r.status, plan_status::planned);
  const placement& p = *r.chosen;
  EXPECT_EQ(p.tensor_parallel, 4U);
  EXPECT_EQ(p.pipeline_parallel, 2U);
  ASSERT_EQ(p.workers.size(), 2U);
  const auto& m = llama70b();
  EXPECT_EQ(p.workers[0].source, storage_source::download);
  EXPECT_TRUE(p.workers[0].partial);
  EXPECT_EQ(p.workers[0].weights, m.disk_bytes_for(0, 40, true, false));
  EXPECT_EQ(p.workers[1].weights, m.disk_bytes_for(40, 40, false, true));
  EXPECT_EQ(p.storage.download, p.workers[0].weights + p.workers[1].weights);
  EXPECT_EQ(p.storage.copies, 2U);
  EXPECT_TRUE(find(r, "worker 'a' (and 1 identical worker)", "disk.space"));  // no single worker
  // With 60 GB disks neither stage fits: rejected per stage, with the numbers.
  for (auto& w : c.workers) w.disk_free = 60_GB;
  const auto none = plan(c, llama70b(), vllm());
  EXPECT_EQ(none.status, plan_status::no_fit);
  bool stage_rejected = false;
  for (const auto& x : none.rejected) {
    stage_rejected = stage_rejected ||
                     (x.candidate == "worker 'b'" && x.rule == shardfit::rule_id::disk_space &&
                      x.reason.rfind("cannot be a stage of tp 4 x pp 2: needs 73.79 GB of weights "
                                     "on disk (77.48 GB with the 5% margin) but has 60.00 GB free",
                                     0) == 0);
  }
  EXPECT_TRUE(stage_rejected);
}

TEST(Storage, AnRpcServerNeedsNoDisk) {
  cluster c;
  c.reserved.vram = 512_MiB;
  auto main = worker("main", 256_GiB, gpus(2, "L40S", 48_GiB));
  main.disk_free = 2_TB;
  auto tiny = worker("tiny-disk", 128_GiB, gpus(2, "L40S", 48_GiB));
  tiny.disk_free = 1_GB;
  c.workers = {tiny, main};
  const auto r = plan(c, llama70b(), {});
  ASSERT_EQ(r.status, plan_status::planned);
  const placement& p = *r.chosen;
  EXPECT_EQ(p.stage, plan_stage::multi_worker);
  ASSERT_EQ(p.workers.size(), 2U);
  EXPECT_EQ(p.workers[0].name, "main");
  EXPECT_EQ(p.workers[0].source, storage_source::download);
  EXPECT_EQ(p.workers[0].weights, bytes{141107412992});
  EXPECT_EQ(p.workers[1].name, "tiny-disk");
  EXPECT_EQ(p.workers[1].role, worker_role::rpc);
  EXPECT_EQ(p.workers[1].source, storage_source::none);
  EXPECT_EQ(p.workers[1].weights, bytes{});
  EXPECT_EQ(p.storage.download, bytes{141107412992});
  // It could not have been the main worker.
  EXPECT_TRUE(find(r, "worker 'tiny-disk'", "disk.space"));
}

TEST(Storage, ACopyOnDiskNeedsNoSpaceAndTheMarginIsConfigurable) {
  cluster c;
  auto w = worker("w", 512_GiB, gpus(8, "A100-40GB", 40_GiB));
  w.disk_free = 0_GB;
  w.models.push_back({"/data/llama70", "Llama-3.1-70B-Instruct", bytes{}});
  c.workers.push_back(w);
  auto r = plan(c, llama70b(), vllm());
  ASSERT_EQ(r.status, plan_status::planned);
  EXPECT_EQ(r.chosen->workers[0].source, storage_source::present);
  EXPECT_EQ(r.chosen->storage.download, bytes{});

  c.workers[0].models.clear();
  c.workers[0].disk_free = 150_GB;  // 141.11 GB + 5% = 148.16 GB fits
  EXPECT_EQ(plan(c, llama70b(), vllm()).status, plan_status::planned);
  auto rq = vllm();
  rq.storage.disk_margin = 0.10;  // 155.22 GB does not
  EXPECT_EQ(plan(c, llama70b(), rq).status, plan_status::no_fit);
  rq.storage.check_disk = false;
  EXPECT_EQ(plan(c, llama70b(), rq).status, plan_status::planned);
  c.workers[0].disk_free.reset();  // unknown: never rejected
  EXPECT_EQ(plan(c, llama70b(), vllm()).status, plan_status::planned);
}

TEST(Storage, SuggestsOneCopyOnASharedVolumeWhenItSavesDownloads) {
  // A model without an index (config.json only): every pipeline stage downloads all of it.
  auto m =
      profile_from_config(parse_hf_config(shardfit::test::configs::llama_3_1_70b, "config.json"));
  m.name = "Llama-3.1-70B";
  cluster c;
  c.volumes.push_back({"scratch", true, 2_TB, {}, ""});
  for (const std::string n : {"a", "b", "c"}) {
    auto w = worker(n, 512_GiB, gpus(4, "A100-40GB", 40_GiB));
    w.mounts.push_back({"/scratch", "scratch", true});
    c.workers.push_back(w);
  }
  const auto r = plan(c, m, vllm());
  ASSERT_EQ(r.status, plan_status::planned);
  ASSERT_EQ(r.chosen->pipeline_parallel, 2U);
  EXPECT_EQ(r.chosen->storage.download, m.weights() * 2);
  ASSERT_EQ(r.chosen->storage.suggestions.size(), 1U);
  EXPECT_EQ(r.chosen->storage.suggestions[0],
            "put one copy on volume scratch, mounted by 2 of 2 placed workers: saves 141.11 GB of "
            "downloads");
  EXPECT_EQ(r.messages.back(), r.chosen->storage.suggestions[0]);
}

TEST(Storage, DiskProblemNamesTheNumbers) {
  const model_location nowhere;
  storage_settings s;
  EXPECT_FALSE(disk_problem(nowhere, std::nullopt, 100_GB, s));
  EXPECT_FALSE(disk_problem(nowhere, 105_GB, 100_GB, s));
  EXPECT_EQ(*disk_problem(nowhere, 104_GB, 100_GB, s),
            "needs 100.00 GB of weights on disk (105.00 GB with the 5% margin) but has 104.00 GB "
            "free and no copy on its disk or on a shared volume it mounts");
  const model_location shared{storage_source::shared, "nfs", "/m"};
  EXPECT_FALSE(disk_problem(shared, 1_GB, 100_GB, s));
}

}  // namespace
