#!/usr/bin/env bash
# Captures the explorer as a sixel terminal shows it, for the README: the real program in
# `xterm -ti vt340` (built-in 6×13 font) on a virtual X display, `--graphics auto`, the window read
# back with xwd. The same view and size as Tools/screenshots.sh's half-block panoptic.png.
#   Tools/sixel-screenshot.sh [OUT_PNG] [IMAGE]   (default Docs/screenshots/panoptic-sixel.png, sample-000015)
# Needs xvfb, xterm, x11-apps, x11-utils (Tools/install-deps.sh) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-Docs/screenshots/panoptic-sixel.png}
IMAGE=${2:-SampleImages/shapes/sample-000015.png}
BIN=$PWD/.build/release/maskscope
COLS=150 ROWS=46
[ -x "$BIN" ] || swift build -c release --product maskscope

exec 3< <(Xvfb -displayfd 1 -screen 0 1400x900x24 -nolisten tcp 2>/dev/null)
XVFB=$!
read -r -u 3 NUMBER
export DISPLAY=:$NUMBER
# Light on black and 24-bit colour, like the half-block captures.
env -u TMUX -u MASKSCOPE_GRAPHICS -u KITTY_WINDOW_ID -u TERM_PROGRAM LC_ALL=C.UTF-8 COLORTERM=truecolor \
    xterm -ti vt340 -fn fixed -tn xterm-256color -bg black -fg grey90 -geometry ${COLS}x${ROWS}+0+0 \
    -e "$BIN" explore "$IMAGE" --graphics auto 2>/dev/null &
XTERM=$!
trap 'kill -KILL $XTERM 2>/dev/null; kill $XVFB 2>/dev/null || true' EXIT

# Done when the screen stops changing (the model has run and the picture is drawn).
previous="" stable=0
for _ in $(seq 1 120); do
    sleep 0.5
    now=$(xwd -root -silent | md5sum)
    if [ "$now" = "$previous" ]; then stable=$((stable + 1)); else stable=0; fi
    previous=$now
    [ $stable -ge 4 ] && break
done
# The text area: xwininfo's child window of the xterm (inside its 1-pixel border).
geometry=$(xwininfo -root -tree | grep -A3 '("xterm" "XTerm")' | sed -n 3p | awk '{print $(NF-1), $NF}')
size=${geometry%% *} place=${geometry##* }
width=${size%%x*} rest=${size#*x} height=${rest%%+*}
x=$(echo "$place" | cut -d+ -f2) y=$(echo "$place" | cut -d+ -f3)
xwd -root -silent | python3 Tools/xwd_to_png.py - "$OUT" "$x,$y,$width,$height"
echo "$OUT"
