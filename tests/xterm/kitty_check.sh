#!/usr/bin/env bash
# Kitty in a real terminal: kitty (software OpenGL) under Xvfb runs convscope (TERM=xterm-kitty:
# the kitty protocol), the learner presses Down (conv1 of AlexNet, 55×55), and a screenshot is
# compared with the image sent: each neuron's centre on screen is its sent colour, and their
# brightness is in the order of the values `convscope export` writes.
#
# Needs (Debian): xvfb kitty imagemagick, and python3 with numpy and pillow.
# Usage: tests/xterm/kitty_check.sh [path/to/convscope]   (default: target/release/convscope)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/release/convscope}")
PY=${PYTHON:-python3}
OUT=$(mktemp -d)
trap 'kill $XVFB 2>/dev/null || true; rm -rf "$OUT"' EXIT
DISP=:$((90 + RANDOM % 100))
Xvfb "$DISP" -screen 0 1400x900x24 >/dev/null 2>&1 &
XVFB=$!
sleep 1
"$BIN" export -m alexnet --layer conv1 --out "$OUT/conv1.npy" >/dev/null
DISPLAY=$DISP kitty -o initial_window_width=960 -o initial_window_height=650 -o remember_window_size=no \
  "$PY" tests/xterm/sixel_check.py inner "$OUT/log" -- "$BIN" -m alexnet --colormap viridis &
KITTY=$!
for _ in $(seq 200); do [ -e "$OUT/log.pressed" ] && break; sleep 0.1; done
sleep 2
DISPLAY=$DISP import -window root "$OUT/shot.png"
cp "$OUT/shot.png" "${SHOT:-/tmp/convscope-kitty.png}"
touch "$OUT/log.quit"
wait $KITTY || true
"$PY" tests/xterm/sixel_check.py check "$OUT/shot.png" "$OUT/log" "$OUT/conv1.npy"
