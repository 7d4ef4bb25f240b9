#!/usr/bin/env bash
# Maskscope against transformers on PyTorch CPU, measured alternately in one session on the same
# checkpoints and input sizes; prints the one ratio table the README quotes.
#
#   Tools/bench.sh MODEL_DIR[:HxW,HxW...] ...      (sizes default to 384x384,800x1088)
#   ROUNDS=3 RUNS=5 REF_VENV=/work/ref-venv Tools/bench.sh \
#       /work/models/m2f-swin-tiny-random:384x384,800x1088 /work/models/m2f-swin-large-random:384x384
#
# Runs in the default environment (OPENBLAS_CORETYPE unset: maskscope picks its kernels itself).
# Each round goes through every (model, size) case and runs, back to back, `maskscope bench --size`
# (RUNS timed forwards after a warm-up) and Tools/reference/bench_torch.py (the same). A time is the
# median over ROUNDS of each round's median; peak RSS is each process's ru_maxrss (largest over rounds).
# Progress goes to stderr, one line per case and round. With TUNED=1, PyTorch also runs with glibc
# malloc told to keep freed memory (as maskscope does).
# Needs the venv from Tools/reference/setup-venv.sh; builds maskscope in release mode if needed.
#
# Then, unless E2E=0, the whole process as a user runs it (start, load, decode, preprocess, forward,
# panoptic post-processing), alternately, ROUNDS times each, with the first model: `maskscope segment
# E2E_IMAGE --task panoptic` (which also writes its PNG and JSON) against `python -c` running
# transformers' image-segmentation pipeline (subtask panoptic) on the same image.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: Tools/bench.sh MODEL_DIR[:HxW,HxW...] ..." >&2; exit 2; }
rounds="${ROUNDS:-3}"; runs="${RUNS:-5}"
venv="${REF_VENV:-../maskscope-ref-venv}"
python="$venv/bin/python"
[ -x "$python" ] || { echo "bench.sh: no reference venv at $venv (Tools/reference/setup-venv.sh)" >&2; exit 1; }
maskscope=.build/release/maskscope
[ -x "$maskscope" ] || swift build -c release --product maskscope >/dev/null
unset OPENBLAS_CORETYPE

# The cases, in order: "model size" pairs.
models=(); sizes=()
for argument in "$@"; do
    model="${argument%%:*}"; list="384x384,800x1088"
    [[ "$argument" == *:* ]] && list="${argument#*:}"
    [ -f "$model/config.json" ] || { echo "bench.sh: $model has no config.json (Tools/reference/build_full_swin_t.py builds one)" >&2; exit 1; }
    IFS=, read -ra list <<<"$list"
    for size in "${list[@]}"; do
        [[ "$size" =~ ^[0-9]+x[0-9]+$ ]] || { echo "bench.sh: '$size' is not HxW" >&2; exit 2; }
        models+=("$model"); sizes+=("$size")
    done
done

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
largest() { sort -n | tail -1; }
tuned="glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824"
declare -A ours torch torch_tuned ours_rss torch_rss gflop limit

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), family $(lscpu | sed -n 's/^CPU family: *//p' | head -1)" \
     "model $(lscpu | sed -n 's/^Model: *//p' | head -1), $(nproc) cores; Linux $(uname -r)"
echo "kernel: $("$maskscope" bench --kernel)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s)
for ((r = 0; r < rounds; r++)); do
    for i in "${!models[@]}"; do
        model="${models[$i]}"; size="${sizes[$i]}"
        line=$("$maskscope" bench --model "$model" --size "$size" --runs "$runs" | grep '^forward_ms')
        ours[$i]+="$(echo "$line" | field median) "; ours_rss[$i]+="$(echo "$line" | field peak_rss_mb) "
        gflop[$i]=$(echo "$line" | field gflop); limit[$i]=$(echo "$line" | field gemm_limit)
        line=$("$python" Tools/reference/bench_torch.py --model "$model" --size "$size" --repeat "$runs" | grep '^forward_ms')
        torch[$i]+="$(echo "$line" | field median) "; torch_rss[$i]+="$(echo "$line" | field peak_rss_mb) "
        echo "round $((r + 1))/$rounds $(basename "$model") $size: maskscope $(tr ' ' '\n' <<<"${ours[$i]}" | grep . | tail -1) ms," \
             "PyTorch $(tr ' ' '\n' <<<"${torch[$i]}" | grep . | tail -1) ms ($(( $(date +%s) - started )) s)" >&2
        if [ "${TUNED:-0}" = 1 ]; then
            torch_tuned[$i]+="$(GLIBC_TUNABLES=$tuned "$python" Tools/reference/bench_torch.py --model "$model" --size "$size" --repeat "$runs" | field median) "
        fi
    done
done

printf '\n%-24s %-9s %11s %11s %7s %9s %9s %7s %8s %9s\n' model size maskscope PyTorch ratio "RSS ours" "RSS torch" GFLOP "GFLOP/s" "of limit"
for i in "${!models[@]}"; do
    o=$(tr ' ' '\n' <<<"${ours[$i]}" | grep . | median); t=$(tr ' ' '\n' <<<"${torch[$i]}" | grep . | median)
    om=$(tr ' ' '\n' <<<"${ours_rss[$i]}" | grep . | largest); tm=$(tr ' ' '\n' <<<"${torch_rss[$i]}" | grep . | largest)
    awk -v n="$(basename "${models[$i]}")" -v s="${sizes[$i]}" -v o="$o" -v t="$t" -v om="$om" -v tm="$tm" \
        -v g="${gflop[$i]}" -v l="${limit[$i]}" 'BEGIN {
        printf "%-24s %-9s %8.0f ms %8.0f ms %6.2fx %6.0f MB %6.0f MB %7.1f %8.0f %8.0f%%\n",
               n, s, o, t, t / o, om, tm, g, g / (o / 1000), 100 * g / (o / 1000) / l }'
    if [ "${TUNED:-0}" = 1 ]; then
        tt=$(tr ' ' '\n' <<<"${torch_tuned[$i]}" | grep . | median)
        awk -v o="$o" -v tt="$tt" 'BEGIN { printf "%36s PyTorch with tuned malloc %.0f ms, ratio %.2fx\n", "", tt, tt / o }'
    fi
done

if [ "${E2E:-1}" != 0 ]; then
    model="${models[0]}"
    image="${E2E_IMAGE:-SampleImages/photos/coffee.png}"
    scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
    pipeline='import sys, torch
from transformers import pipeline
torch.set_num_threads(2)
segment = pipeline("image-segmentation", model=sys.argv[1], device="cpu")
segment(sys.argv[2], subtask="panoptic")'
    milliseconds() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo $(((end - start) / 1000000)); }
    e2e_ours=(); e2e_torch=()
    for ((r = 0; r < rounds; r++)); do
        e2e_ours+=("$(milliseconds "$maskscope" segment "$image" --model "$model" --task panoptic --out "$scratch/round$r")")
        e2e_torch+=("$(milliseconds "$python" -c "$pipeline" "$model" "$image")")
    done
    o=$(printf '%s\n' "${e2e_ours[@]}" | median); t=$(printf '%s\n' "${e2e_torch[@]}" | median)
    awk -v i="$image" -v m="$(basename "$model")" -v o="$o" -v t="$t" 'BEGIN {
        printf "\nwhole process, %s on %s (panoptic): maskscope segment %.0f ms, transformers pipeline %.0f ms, ratio %.2fx\n", m, i, o, t, t / o }'
fi
echo "rounds: $rounds × $runs runs; took $(( $(date +%s) - started )) s; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
