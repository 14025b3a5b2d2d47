#!/usr/bin/env bash
# Measures llama.cpp's own buffer sizes for the models behind the truth tables in
# tests/estimate_llama_test.cpp. Needs the llama-truth harness installed:
#   (cd ../shared/tools/llama-truth && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install)
# Usage: tests/tools/measure_truth.sh BUILD_DIR [HARNESS_DIR] > truth.jsonl
# BUILD_DIR holds bin/make_test_gguf (built with the tests). Prints one JSON object per run.
# On a CPU with AMX, llama.cpp's sapphirerapids variant adds a repacked copy of the weights (an
# "AMX" model buffer) and cannot multiply the 3-D f16 attn_k_b of deepseek2 (ggml-backend.cpp
# assert); move node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-sapphirerapids.so
# aside so that an AVX-512 variant runs, as on the machines the tables were measured on.
set -euo pipefail
build=${1:?usage: measure_truth.sh BUILD_DIR [HARNESS_DIR]}
harness=${2:-$(dirname "$0")/../../../shared/tools/llama-truth}
maker="$build/bin/make_test_gguf"
models=$(mktemp -d)
trap 'rm -rf "$models"' EXIT

run() {  # model-file ctx ubatch fa seq label
  local r
  r=$(node "$harness/llama_truth.mjs" "$1" "$2" --batch "$3" --fa "$4" --seq "$5")
  printf '{"model":"%s","ctx":%s,"ubatch":%s,"fa":"%s","seq":%s,"r":%s}\n' "$6" "$2" "$3" "$4" "$5" "$r"
}

# The llama grid: layers x width x type, each across context, ubatch, flash attention, sequences.
for L in 4 8 32; do for E in 256 1024 4096; do for T in f32 f16 q8_0; do
  case $E in
    256) dims="--heads 8 --kv-heads 4 --ff 512 --vocab 1000" ;;
    1024) dims="--heads 16 --kv-heads 4 --ff 2816 --vocab 32000" ;;
    4096) dims="--heads 32 --kv-heads 8 --ff 11008 --vocab 32000" ;;
  esac
  f="$models/L${L}_E${E}_${T}.gguf"
  # shellcheck disable=SC2086
  "$maker" "$f" --layers "$L" --embd "$E" $dims --type "$T" --ctx-train 32768 >/dev/null
  for combo in "512 512 on 1" "4096 512 on 1" "32768 512 on 1" "512 512 off 1" "4096 512 off 1" \
               "4096 128 on 1" "4096 128 off 1" "32768 128 on 1" "2048 512 on 2" "2048 512 off 2" \
               "32768 512 off 1" "512 128 off 1"; do
    # shellcheck disable=SC2086
    run "$f" $combo "L${L}_E${E}_${T}"
  done
  rm -f "$f"
done; done; done

# Other architectures: 6 layers of 512, f16, context 4096.
for spec in "llama" "llama --experts 8 --experts-used 2" "qwen2" "qwen3" "gemma3 --swa 256 --tied"; do
  f="$models/arch.gguf"
  # shellcheck disable=SC2086
  "$maker" "$f" --arch $spec --layers 6 --embd 512 --heads 8 --kv-heads 4 --ff 1024 --vocab 2000 \
    --type f16 --ctx-train 8192 >/dev/null
  for fa in on off; do run "$f" 4096 512 "$fa" 1 "$spec"; done
done

# deepseek2 in both layouts (MLA: attn_k_b/attn_v_b and the *_mla keys; expanded: attn_kv_b),
# two shapes: "v3" (4 layers, q_lora 96, sigmoid gating with exp_probs_b, one shared expert)
# and "v2" (27 layers, one attn_q, softmax gating, two shared experts).
for shape in v3 v2; do for layout in mla old; do
  f="$models/ds.gguf"
  extra="--q-lora 96"
  [ "$shape" = v2 ] && extra="--layers 27 --gating 1 --shared-experts 2"
  [ "$layout" = old ] && extra="$extra --old-layout"
  # shellcheck disable=SC2086
  "$maker" "$f" --arch deepseek2 --layers 4 --embd 256 --heads 8 --ff 512 --vocab 1000 \
    --experts 8 --experts-used 2 --ctx-train 8192 $extra >/dev/null
  for combo in "512 512 on 1" "4096 512 on 1" "512 512 off 1" "4096 512 off 1" "4096 128 on 1" \
               "4096 128 off 1" "2048 512 on 2" "2048 512 off 2"; do
    # shellcheck disable=SC2086
    run "$f" $combo "${shape}_${layout}"
  done
done; done

# mamba (recurrent state; the harness reads "KV buffer size", so take "RS buffer size" from
# --raw): 4 layers of 256 and 6 of 512.
for E in 256 512; do
  f="$models/mamba.gguf"
  L=4 V=1000
  [ "$E" = 512 ] && L=6 V=2000
  "$maker" "$f" --arch mamba --layers "$L" --embd "$E" --heads 0 --ff 0 --vocab "$V" \
    --ctx-train 8192 >/dev/null
  for combo in "4096 512 1" "4096 128 1" "2048 512 2" "512 512 1" "4096 256 4"; do
    # shellcheck disable=SC2086
    set -- $combo
    r=$(node "$harness/llama_truth.mjs" "$f" "$1" --batch "$2" --seq "$3" --fa off --raw)
    printf '{"model":"mamba_E%s","ctx":%s,"ubatch":%s,"seq":%s,"r":%s}\n' "$E" "$1" "$2" "$3" "$r"
  done
done
