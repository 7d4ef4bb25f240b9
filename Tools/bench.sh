#!/usr/bin/env bash
# Maskscope against transformers on PyTorch CPU, measured alternately in one session on the same
# checkpoint and input sizes; prints the ratio table the README quotes.
#
#   Tools/bench.sh MODEL_DIR [HxW ...]          (default sizes: 384x384 800x1088)
#   ROUNDS=3 RUNS=5 REF_VENV=../maskscope-ref-venv Tools/bench.sh /work/models/m2f-swin-tiny-random
#
# Each round runs `maskscope bench --size` (RUNS timed forwards after a warm-up), then PyTorch with
# default glibc malloc, then PyTorch with malloc tuned to keep freed memory (as maskscope does).
# A figure is the median over rounds of each round's median. Needs a release build and the venv
# from Tools/reference/setup-venv.sh.
#
# Then the whole process, as a user runs it (start, load, decode, preprocess, forward, panoptic
# post-processing), alternately, ROUNDS times each: `maskscope segment E2E_IMAGE --task panoptic`
# (which also writes its PNG and JSON results) against `python -c` running transformers'
# image-segmentation pipeline (subtask panoptic) on the same image (default SampleImages/photos/coffee.png).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: Tools/bench.sh MODEL_DIR [HxW ...]}"; shift
sizes=("${@:-384x384 800x1088}"); [ $# -eq 0 ] && sizes=(384x384 800x1088)
rounds="${ROUNDS:-3}"; runs="${RUNS:-5}"
venv="${REF_VENV:-../maskscope-ref-venv}"
python="$venv/bin/python"
[ -x "$python" ] || { echo "bench.sh: no reference venv at $venv (Tools/reference/setup-venv.sh)" >&2; exit 1; }
maskscope=.build/release/maskscope
[ -x "$maskscope" ] || swift build -c release >/dev/null

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
tuned="glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824"

printf '%-10s %12s %12s %7s %14s %7s %8s %9s %9s %9s\n' size maskscope PyTorch ratio "PyTorch tuned" ratio GFLOP "GFLOP/s" "of limit" "peak RSS"
for size in "${sizes[@]}"; do
    ours=(); torch=(); torch_tuned=(); gflop=0; rss=0; limit=0
    for ((r = 0; r < rounds; r++)); do
        line=$("$maskscope" bench --model "$model" --size "$size" --runs "$runs" | grep '^forward_ms')
        ours+=("$(echo "$line" | field median)"); gflop=$(echo "$line" | field gflop)
        rss=$(echo "$line" | field peak_rss_mb); limit=$(echo "$line" | field gemm_limit)
        torch+=("$("$python" Tools/reference/bench_torch.py --model "$model" --size "$size" --repeat "$runs" | field median)")
        torch_tuned+=("$(GLIBC_TUNABLES=$tuned "$python" Tools/reference/bench_torch.py --model "$model" --size "$size" --repeat "$runs" | field median)")
    done
    o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${torch[@]}" | median); tt=$(printf '%s\n' "${torch_tuned[@]}" | median)
    awk -v s="$size" -v o="$o" -v t="$t" -v tt="$tt" -v g="$gflop" -v l="$limit" -v m="$rss" 'BEGIN {
        printf "%-10s %9.0f ms %9.0f ms %6.2fx %11.0f ms %6.2fx %8.1f %9.0f %8.0f%% %6.0f MB\n",
               s, o, t, t / o, tt, tt / o, g, g / (o / 1000), 100 * g / (o / 1000) / l, m }'
done

image="${E2E_IMAGE:-SampleImages/photos/coffee.png}"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
pipeline='import sys, torch
from transformers import pipeline
torch.set_num_threads(2)
segment = pipeline("image-segmentation", model=sys.argv[1], device="cpu")
segment(sys.argv[2], subtask="panoptic")'
milliseconds() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
ours=(); torch=()
for ((r = 0; r < rounds; r++)); do
    ours+=("$(milliseconds "$maskscope" segment "$image" --model "$model" --task panoptic --out "$scratch/round$r")")
    torch+=("$(milliseconds "$python" -c "$pipeline" "$model" "$image")")
done
o=$(printf '%s\n' "${ours[@]}" | median); t=$(printf '%s\n' "${torch[@]}" | median)
awk -v i="$image" -v o="$o" -v t="$t" 'BEGIN {
    printf "\nwhole process on %s (panoptic): maskscope segment %.0f ms, transformers pipeline %.0f ms, ratio %.2fx\n", i, o, t, t / o }'
