#pragma once

// The bodies of <shardfit/plan/placement.hpp>: included by it (header-only, the default) or
// compiled once into shardfit::compiled (SHARDFIT_COMPILED_LIB).

#include <shardfit/plan/placement.hpp>

namespace shardfit {

SHARDFIT_INLINE std::vector<gpu_ref> parse_gpu_list(std::string_view text) {
  std::vector<gpu_ref> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const auto colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size()) {
      throw error::invalid_argument("GPU '" + std::string(item) +
                                    "' must be written worker:index, e.g. host4080:0");
    }
    std::uint64_t idx = 0;
    for (const char ch : item.substr(colon + 1)) {
      if (ch < '0' || ch > '9' || idx > 0xFFFFFFFULL) {
        throw error::invalid_argument("GPU '" + std::string(item) +
                                      "': the index must be a small non-negative integer");
      }
      idx = idx * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    gpu_ref g{std::string(item.substr(0, colon)), static_cast<std::uint32_t>(idx)};
    for (const auto& o : out) {
      if (o == g) throw error::invalid_argument("GPU '" + std::string(item) + "' is listed twice");
    }
    out.push_back(std::move(g));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

SHARDFIT_INLINE plan_request resolved_request(plan_request rq) {
  if (rq.llama.n_ctx == llama_settings{}.n_ctx) {
    if (rq.context > 0xFFFFFFFFULL) {
      throw error::invalid_argument("context " + std::to_string(rq.context) +
                                    " is more tokens than llama.cpp takes (2^32 - 1)");
    }
    rq.llama.n_ctx = static_cast<std::uint32_t>(rq.context);
  }
  if (rq.vllm.max_model_len == 0) rq.vllm.max_model_len = rq.context;
  return rq;
}

SHARDFIT_INLINE std::string placed_worker::source_text() const {
  return source == storage_source::shared ? "shared:" + volume : std::string(to_string(source));
}

SHARDFIT_INLINE std::size_t placement::gpu_count() const noexcept {
  std::size_t n = 0;
  for (const auto& w : workers) n += w.gpus.size();
  return n;
}

SHARDFIT_INLINE layers_read layers_read_by(const placement& p, std::size_t i) {
  layers_read r;
  if (p.engine != backend::vllm || p.pipeline_parallel <= 1) return r;
  for (std::size_t j = 0; j <= i && j < p.workers.size(); ++j) {
    const placed_worker& w = p.workers[j];
    if (w.gpus.empty()) continue;
    // The layers of every stage the worker holds (one GPU of each stage tells).
    std::uint32_t count = 0;
    std::uint32_t last_stage = w.stage;
    for (std::size_t g = 0; g < w.gpus.size(); ++g) {
      if (g == 0 || w.gpus[g].stage != w.gpus[g - 1].stage) count += w.gpus[g].layers;
      last_stage = std::max(last_stage, w.gpus[g].stage);
    }
    if (j < i) {
      r.first += count;
      continue;
    }
    r.count = count;
    r.input = w.stage == 0;
    r.output = last_stage + 1 == p.pipeline_parallel;
    r.whole = r.input && r.output;
  }
  return r;
}

namespace detail {

SHARDFIT_INLINE std::string gib(bytes b) {
  return fixed2(static_cast<double>(b.count()) / static_cast<double>(std::uint64_t{1} << 30U)) +
         " GiB";
}

}  // namespace detail

}  // namespace shardfit
