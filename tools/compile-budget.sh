#!/usr/bin/env bash
# Compile budget: compiles each public header alone (g++ -std=c++20 -fsyntax-only) and prints
# the user+sys seconds next to nlohmann's json.hpp measured in the same run, with the ratio, twice:
# header-only (the default) and compiled (-DSHARDFIT_COMPILED_LIB, what a user of
# shardfit::compiled compiles: declarations instead of the non-template bodies).
# Targets (issue 15): data headers <= 0.4x json.hpp, other headers <= 1.2x, shardfit.hpp <= 1.8x.
# Verdict: "ok" when header-only meets the target, "compiled" when only the compiled mode does,
# "OVER" when neither does.
#
#   tools/compile-budget.sh [--check] [--runs N] [HEADER...]
#
# HEADER is a path below include/ (shardfit/model/profile.hpp); default: every public header
# outside detail/, the -inl.hpp bodies and the forwarding headers. --check exits 1 when a header
# is over its target in both modes.
# Data headers are the ones listed in tools/data-headers.txt. Only reports unless --check.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX:-g++}
check=0
runs=1
headers=()
while (($#)); do
  case $1 in
    --check) check=1 ;;
    --runs) runs=$2; shift ;;
    *) headers+=("$1") ;;
  esac
  shift
done
if ((${#headers[@]} == 0)); then
  while IFS= read -r h; do headers+=("${h#include/}"); done < <(
    find include/shardfit -name '*.hpp' -not -path '*/detail/*' -not -name '*-inl.hpp' | sort |
      while read -r f; do grep -q 'shardfit: forwarding header' "$f" || echo "$f"; done)
fi
mapfile -t data_headers < <(grep -v '^#' tools/data-headers.txt 2>/dev/null || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Best of N runs of user+sys CPU seconds for one include (extra compiler flags after it).
seconds() {
  local best=""
  local h=$1
  shift
  printf '#include <%s>\n' "$h" >"$tmp/tu.cpp"
  for ((i = 0; i < runs; i++)); do
    local t
    t=$( { /usr/bin/time -f '%U %S' "$cxx" -std=c++20 -fsyntax-only -Iinclude "$@" "$tmp/tu.cpp" \
           2>&1 >/dev/null; } | tail -n1 | awk '{printf "%.2f", $1 + $2}')
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$t; fi
  done
  echo "$best"
}

base=$(seconds nlohmann/json.hpp)
printf '%-44s %7s %6s %9s %6s %7s %s\n' header seconds ratio compiled ratio target verdict
printf '%-44s %7s %6s %9s %6s %7s\n' nlohmann/json.hpp "$base" 1.00 - - -
over=0
above() { awk -v r="$1" -v t="$2" 'BEGIN{exit !(r > t)}'; }
for h in "${headers[@]}"; do
  s=$(seconds "$h")
  c=$(seconds "$h" -DSHARDFIT_COMPILED_LIB)
  target=1.2
  for d in "${data_headers[@]}"; do [[ $d == "$h" ]] && target=0.4; done
  [[ $h == shardfit/shardfit.hpp ]] && target=1.8
  ratio=$(awk -v s="$s" -v b="$base" 'BEGIN{printf "%.2f", s / b}')
  cratio=$(awk -v s="$c" -v b="$base" 'BEGIN{printf "%.2f", s / b}')
  verdict=ok
  if above "$ratio" "$target"; then
    verdict=compiled
    if above "$cratio" "$target"; then verdict=OVER; over=1; fi
  fi
  printf '%-44s %7s %6s %9s %6s %7s %s\n' "$h" "$s" "$ratio" "$c" "$cratio" "$target" "$verdict"
done
# The machine's speed drifts over a run: json.hpp measured again at the end, for comparison.
printf '%-44s %7s (again, at the end)\n' nlohmann/json.hpp "$(seconds nlohmann/json.hpp)"
if ((check && over)); then exit 1; fi
