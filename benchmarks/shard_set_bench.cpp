// Discovery of 1,000 sets of 100 shards (100,000 files in one directory) against a bare walk
// that does the same system calls (readdir + stat of every entry) and nothing else, and cached
// re-discovery. Run: build/bench/bin/shard_set_bench
#include <shardfit/files/discover.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr int kSets = 1000;
constexpr int kShards = 100;

// Creates the tree once per process and removes it at exit.
const std::string& tree() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/shardfit-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    const std::string d = tmpl;
    for (int s = 0; s < kSets; ++s) {
      for (int k = 1; k <= kShards; ++k) {
        const std::string name = shardfit::make_shard_name(
            "model-" + std::to_string(s), static_cast<std::uint32_t>(k), kShards, "gguf");
        const int fd = ::open((d + "/" + name).c_str(), O_CREAT | O_WRONLY, 0644);
        if (fd < 0 || ::ftruncate(fd, 1 << 20) != 0) std::abort();
        ::close(fd);
      }
    }
    // Age the directory past the cache's racy window.
    const timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
    ::utimensat(AT_FDCWD, d.c_str(), times, 0);
    std::atexit([] { std::filesystem::remove_all(tree()); });
    return d;
  }();
  return dir;
}

// The baseline: every entry read and stat'ed, sizes summed, nothing grouped.
void BM_BareWalkWithStat(benchmark::State& state) {
  const std::string& d = tree();
  for (auto _ : state) {
    const int dfd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = ::fdopendir(dfd);
    std::uint64_t total = 0;
    std::size_t files = 0;
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      struct stat st {};
      if (::fstatat(dfd, e->d_name, &st, 0) == 0) {
        total += static_cast<std::uint64_t>(st.st_size);
        ++files;
      }
    }
    ::closedir(dir);
    benchmark::DoNotOptimize(total);
    if (files != kSets * kShards) state.SkipWithError("wrong file count");
  }
  state.counters["files"] = kSets * kShards;
}
BENCHMARK(BM_BareWalkWithStat)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Discover(benchmark::State& state) {
  const std::string& d = tree();
  for (auto _ : state) {
    const auto r = shardfit::discover(d);
    if (r.sets.size() != kSets || !r.all_complete()) state.SkipWithError("wrong sets");
    benchmark::DoNotOptimize(r);
  }
  state.counters["files"] = kSets * kShards;
}
BENCHMARK(BM_Discover)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DiscoverCached(benchmark::State& state) {
  const std::string& d = tree();
  shardfit::discovery_cache cache;
  (void)shardfit::discover(d, {}, shardfit::posix_filesystem{}, &cache);  // warm
  for (auto _ : state) {
    const auto r = shardfit::discover(d, {}, shardfit::posix_filesystem{}, &cache);
    if (r.sets.size() != kSets) state.SkipWithError("wrong sets");
    benchmark::DoNotOptimize(r);
  }
  if (cache.misses() != 1) state.SkipWithError("the cache missed");
  state.counters["files"] = kSets * kShards;
}
BENCHMARK(BM_DiscoverCached)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
