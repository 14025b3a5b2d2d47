#!/usr/bin/env bash
# Runs every fuzzer for a short while from the seed corpora: `fuzz/smoke.sh [SECONDS] [RUNS]`.
# With RUNS (e.g. 1000000) each fuzzer stops after that many executions instead.
# Needs the fuzz preset built: cmake --preset fuzz && cmake --build --preset fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
runs=${2:-}
bin=build/fuzz/bin
work=build/fuzz/work
rm -rf "$work/seeds"
mkdir -p "$work"
"$bin/fuzz_seeds" "$work/seeds" >/dev/null
for f in gguf gguf_set safetensors index hf_config cluster inventory shard_name bytes; do
  mkdir -p "$work/corpus/$f" "$work/seeds/$f"
  limit=(-max_total_time="$seconds")
  [[ -n "$runs" ]] && limit=(-runs="$runs")
  if ! "$bin/fuzz_$f" "$work/corpus/$f" "$work/seeds/$f" "${limit[@]}" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 >"$work/$f.log" 2>&1; then
    tail -40 "$work/$f.log"
    echo "fuzz_$f: FAILED (log: $work/$f.log)"
    exit 1
  fi
  printf 'fuzz_%-12s %s\n' "$f" "$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$work/$f.log" | tail -1 | cut -c1-90)"
done
