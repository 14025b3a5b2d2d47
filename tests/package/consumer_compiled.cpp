// A consumer of shardfit::compiled: the umbrella header declares, the library defines. It plans
// the quick start (Llama-3.1-70B-Instruct on the lab cluster, vLLM): tensor parallel 2 on
// lab-a100, as the header-only tool does.
#include <shardfit/shardfit.hpp>

#include <cstdio>

#ifndef SHARDFIT_COMPILED_LIB
#error "shardfit::compiled did not give its users SHARDFIT_COMPILED_LIB"
#endif
#if defined(FMT_SHARED) || defined(FMT_VERSION) || defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "shardfit::compiled brought fmt or nlohmann-json"
#endif

int main() {
  using namespace shardfit::literals;
  const shardfit::bytes size = shardfit::parse_bytes("46GiB");
  if (size != 46_GiB) return 1;
  const auto model = shardfit::load_model(SHARDFIT_EXAMPLES_DATA "/models/Llama-3.1-70B-Instruct");
  const shardfit::planner planner(
      shardfit::cluster_json_inventory(SHARDFIT_EXAMPLES_DATA "/clusters/lab.json"));
  shardfit::plan_request request;
  request.engine = shardfit::backend::vllm;
  const auto result = planner.plan(model, request);
  if (!result.chosen || result.chosen->workers.size() != 1 ||
      result.chosen->workers.front().gpus.size() != 2 || result.chosen->tensor_parallel != 2) {
    std::printf("unexpected plan\n");
    return 2;
  }
  std::printf("consumer ok: %.2f GiB; %s: tp %u on %s\n",
              static_cast<double>(size.count()) / (1U << 30U), model.name.c_str(),
              result.chosen->tensor_parallel, result.chosen->workers.front().name.c_str());
  return 0;
}
