// Issue 22.8: plans, requests, clusters and claims read back what they write, and a request or
// claim that is wrong says which key.

#include <shardfit/json.hpp>
#include <shardfit/plan/claims.hpp>
#include <shardfit/plan/launch.hpp>
#include <shardfit/plan/planner.hpp>

#include <gtest/gtest.h>

#include "support/clusters.hpp"
#include "support/models.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace {

using namespace shardfit;
using namespace shardfit::literals;
using shardfit::test::gpus;
using shardfit::test::llama70b;
using shardfit::test::llama8b;
using shardfit::test::worker;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const shardfit::error& e) {
    return e.what();
  }
  return "no error";
}

cluster mixed_cluster() {
  cluster c;
  c.version = 7;
  c.reserved.ram = 2_GiB;
  c.workers.push_back(worker("a", 256_GiB, gpus(2, "RTX 4090", 24_GiB)));
  c.workers.push_back(worker("b", 128_GiB, gpus(2, "RTX 3090", 24_GiB)));
  c.workers[0].labels = {{"zone", "a"}};
  c.workers[1].gpus[1].labels = {{"maintenance", "true"}};
  c.workers[1].ram_used = bytes{1000};  // under 1 MiB: written with its unit
  c.claims.push_back({"chat-1", "a", 0, bytes{}, 4_GiB});
  return c;
}

TEST(JsonRoundTrip, PlanResultsReadBackWhatTheyWrite) {
  const cluster c = mixed_cluster();
  plan_request rq;
  rq.context = 8192;
  for (const auto engine : {backend::llama_cpp, backend::vllm}) {
    rq.engine = engine;
    const auto r = plan(c, llama70b(), rq);  // 140 GB: several workers or partial offload
    const nlohmann::ordered_json j = r;
    const auto back = j.get<plan_result>();
    const nlohmann::ordered_json again = back;
    EXPECT_EQ(again.dump(), j.dump());
    ASSERT_EQ(back.chosen.has_value(), r.chosen.has_value());
    EXPECT_EQ(back.rejected.size(), r.rejected.size());
    EXPECT_EQ(back.cluster_version, 7U);
    if (back.chosen) {
      EXPECT_EQ(back.chosen->engine, engine);
      EXPECT_EQ(back.chosen->context, 8192U);
      // A plan read back launches like the original: workers are found by name.
      const auto ls = launch_settings_for(llama70b(), rq, "/m");
      const auto a = launch_commands(*r.chosen, c, ls);
      const auto b = launch_commands(*back.chosen, c, ls);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].argv, b[i].argv);
      EXPECT_EQ(to_claims(*back.chosen, "x").size(), to_claims(*r.chosen, "x").size());
    }
  }
  // A no-fit result too, with its rejections' workers and rules.
  cluster tiny;
  tiny.workers.push_back(worker("t", 8_GiB, gpus(1, "T4", 1_GiB)));
  const auto none = plan(tiny, llama70b(), {});
  const nlohmann::json nj = none;
  const auto nb = nj.get<plan_result>();
  EXPECT_EQ(nb.status, plan_status::no_fit);
  ASSERT_EQ(nb.rejected.size(), none.rejected.size());
  for (std::size_t i = 0; i < nb.rejected.size(); ++i) {
    EXPECT_EQ(nb.rejected[i].rule, none.rejected[i].rule);
    EXPECT_EQ(nb.rejected[i].workers, none.rejected[i].workers);
  }
  EXPECT_EQ(nlohmann::json(nb), nj);
}

TEST(JsonRoundTrip, RequestsKeepEveryFieldAndRefuseUnknownKeys) {
  plan_request rq;
  rq.engine = backend::vllm;
  rq.context = 0;
  rq.llama.cache_type_k = "q8_0";
  rq.llama.flash_attn = flash_attn_mode::off;
  rq.llama.tensor_split = {3.0, 1.0};
  rq.llama.split = split_mode::row;
  rq.llama.n_gpu_layers = -1;
  rq.vllm.gpu_memory_utilization = 0.85;
  rq.vllm.kv_cache_dtype = "fp8";
  rq.vllm.non_torch = 300_MiB;
  rq.tp = 2;
  rq.gpus = parse_gpu_list("a:0,a:1");
  rq.gpu_layers = 40;
  rq.policy = scoring_policy::spread;
  rq.storage.disk_margin = 0.1;
  const nlohmann::json j = rq;
  const auto back = j.get<plan_request>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.gpus, rq.gpus);
  EXPECT_EQ(back.llama.split, split_mode::row);
  // Enum values are written with the enums' own to_string names.
  EXPECT_EQ(j["llama"]["split_mode"], "row");
  EXPECT_EQ(j["llama"]["flash_attn"], "off");
  EXPECT_EQ(j["llama"]["offload_rule"], "current");
  EXPECT_EQ(j["policy"], "spread");
  EXPECT_EQ(back.vllm.non_torch, 300_MiB);

  // A partial request is a whole one: the rest keeps the defaults.
  const auto partial = nlohmann::json::parse(R"({"backend": "vllm", "context": 8192,
      "vllm": {"gpu_memory_utilization": 0.8, "non_torch": "1GiB"}})")
                           .get<plan_request>();
  EXPECT_EQ(partial.engine, backend::vllm);
  EXPECT_EQ(partial.context, 8192U);
  EXPECT_EQ(partial.vllm.non_torch, 1_GiB);
  EXPECT_EQ(partial.llama.n_ctx, 4096U);
  EXPECT_EQ(partial.max_alternatives, 5U);

  const auto bad = [](const char* text) {
    return message_of([&] { (void)nlohmann::json::parse(text).get<plan_request>(); });
  };
  EXPECT_EQ(bad(R"({"contxt": 8192})"), "plan request key 'contxt': is not a known key");
  EXPECT_EQ(bad(R"({"context": -1})"),
            "plan request key 'context': must be a non-negative integer, not -1");
  EXPECT_EQ(bad(R"({"tp": 99999999999})"), "plan request key 'tp': 99999999999 is out of range");
  EXPECT_EQ(bad(R"({"backend": "tgi"})"),
            "plan request key 'backend': unknown value 'tgi' (one of llama.cpp, vllm)");
  EXPECT_EQ(bad(R"({"llama": {"n_ctx": "big"}})"),
            "llama settings key 'n_ctx': must be a non-negative integer, not \"big\"");
  EXPECT_EQ(bad(R"({"gpus": ["a"]})"),
            "plan request key 'gpus': GPU 'a' must be written worker:index, e.g. host4080:0");
  EXPECT_EQ(bad(R"([1, 2])"), "plan request: must be a JSON object, not array");
  EXPECT_EQ(bad(R"({"vllm": {"non_torch": -5}})"),
            "vllm settings key 'non_torch': a size cannot be negative: -5");
}

TEST(JsonRoundTrip, ClustersAndClaimsReadBackWhatTheyWrite) {
  const cluster c = mixed_cluster();
  const nlohmann::ordered_json j = c;
  const auto back = j.get<cluster>();
  EXPECT_EQ(nlohmann::ordered_json(back).dump(), j.dump());
  EXPECT_EQ(back.version, 7U);
  EXPECT_EQ(back.workers[1].ram_used, bytes{1000});
  EXPECT_EQ(back.workers[1].gpus[1].labels, c.workers[1].gpus[1].labels);
  ASSERT_EQ(back.claims.size(), 1U);
  EXPECT_EQ(back.claims[0].vram, 4_GiB);

  const claim cl{"chat-2", "b", 1, 1_GiB, 20_GiB};
  const nlohmann::json cj = cl;
  EXPECT_EQ(cj.dump(),
            R"({"gpu":1,"instance":"chat-2","ram":1073741824,"vram":21474836480,"worker":"b"})");
  const auto cb = cj.get<claim>();
  EXPECT_EQ(cb.instance, "chat-2");
  EXPECT_EQ(cb.gpu, std::optional<std::uint32_t>(1));
  EXPECT_EQ(cb.vram, 20_GiB);
  EXPECT_EQ(message_of([] { (void)nlohmann::json::parse(R"({"worker": "b"})").get<claim>(); }),
            "claim key 'instance': is missing");
  // A cluster read from JSON gets the file reader's checks and messages.
  auto broken = nlohmann::json(c);
  broken["claims"][0]["worker"] = "nobody";
  EXPECT_EQ(message_of([&] { (void)broken.get<cluster>(); }),
            "cluster JSON: claim 0 key 'worker': no worker is named 'nobody'");
}

}  // namespace
