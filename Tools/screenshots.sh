#!/usr/bin/env bash
# Captures what each explorer view looks like, from the real program in tmux, as PNGs for the README:
#   Tools/screenshots.sh [OUT_DIR] [IMAGE]      (default Docs/screenshots, SampleImages/shapes/sample-000015.png)
# Needs tmux, a release build, and Python with Pillow (PY=…/bin/python; the reference venv has it).
# The sample scenes open with their ground truth (views 6 and 7); GT_JSON/GT_DIR name another one.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-Docs/screenshots}
IMAGE=${2:-SampleImages/shapes/sample-000015.png}
PY=${PY:-python3}
BIN=.build/release/maskscope
SESSION=maskscope-shots-$$
COLS=150 ROWS=46
GT_JSON=${GT_JSON:-SampleImages/shapes/panoptic.json}
GT_DIR=${GT_DIR:-SampleImages/shapes/panoptic}
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release

tmux new-session -d -s "$SESSION" -x $COLS -y $ROWS \
    "env COLORTERM=truecolor TERM=xterm-256color LANG=C.UTF-8 $BIN explore $IMAGE --panoptic-json $GT_JSON --panoptic-dir $GT_DIR"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true' EXIT

# Waits until the screen shows the results (the status line stops saying "running the model").
for _ in $(seq 1 100); do
    tmux capture-pane -p -t "$SESSION" | grep -q "running the model" || break
    sleep 0.2
done
sleep 0.3

shot() {  # shot NAME KEYS...
    local name=$1; shift
    for key in "$@"; do tmux send-keys -t "$SESSION" "$key"; sleep 0.15; done
    sleep 0.4
    tmux capture-pane -p -e -N -t "$SESSION" > "$OUT/$name.txt"
    "$PY" Tools/capture_to_png.py "$OUT/$name.txt" "$OUT/$name.png"
    rm "$OUT/$name.txt"
    echo "$OUT/$name.png"
}

shot panoptic 2
shot panoptic-selected Down Down
shot semantic 3
shot instance 4 Down
shot queries 5
shot queries-layer-2 '[' '[' '[' '[' '[' '[' '['
shot truth 6
shot errors 7
shot layers 8 Down Left Left
shot help '?'
tmux send-keys -t "$SESSION" Escape q
