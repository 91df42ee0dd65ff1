#!/usr/bin/env bash
# Sixel in a real terminal: xterm -ti vt340 under Xvfb runs convscope with --graphics auto (xterm
# answers DA1 with sixel, and the kernel knows its cell size), the learner presses Down (conv1 of
# AlexNet, 55×55), and a screenshot is compared with the map `convscope export` writes.
#
# Needs (Debian): xvfb xterm x11-apps imagemagick, and python3 with numpy and pillow.
# Usage: tests/xterm/sixel_check.sh [path/to/convscope]   (default: target/release/convscope)
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
DISPLAY=$DISP xterm -ti vt340 -tn xterm-256color -xrm 'XTerm*numColorRegisters: 256' -xrm 'XTerm*internalBorder: 0' \
  -geometry 160x50+0+0 -fn fixed -e "$PY" tests/xterm/sixel_check.py inner "$OUT/log" -- \
  "$BIN" -m alexnet --colormap viridis &
XTERM=$!
for _ in $(seq 200); do [ -e "$OUT/log.pressed" ] && break; sleep 0.1; done
sleep 2
DISPLAY=$DISP import -window root "$OUT/shot.png"
cp "$OUT/shot.png" "${SHOT:-/tmp/convscope-sixel.png}"
touch "$OUT/log.quit"
wait $XTERM || true
"$PY" tests/xterm/sixel_check.py check "$OUT/shot.png" "$OUT/log" "$OUT/conv1.npy"
