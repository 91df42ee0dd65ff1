#!/usr/bin/env bash
# Pixels in a real terminal, under Xvfb: the learner presses Down (conv1 of AlexNet, 55×55) and a
# screenshot is compared with what convscope sent and with the map `convscope export` writes.
#
# - sixel: xterm -ti vt340 with --graphics auto (xterm answers DA1 with sixel, the kernel knows
#   its cell size). The map must be k×k blocks of one colour each, as sent.
# - kitty: kitty (software OpenGL), TERM=xterm-kitty. Each neuron's centre on screen must be its
#   sent colour.
# Both: brightness in the order of the exported values (viridis is monotonic).
#
# Needs (Debian): xvfb imagemagick, and xterm (x11-apps) or kitty; python3 with numpy and pillow.
# Usage: tests/xterm/screenshot_check.sh sixel|kitty [path/to/convscope]   (default: target/release/convscope)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:?sixel or kitty}
BIN=$(realpath "${2:-target/release/convscope}")
PY=${PYTHON:-python3}
OUT=$(mktemp -d)
trap 'kill $XVFB 2>/dev/null || true; rm -rf "$OUT"' EXIT
DISP=:$((90 + RANDOM % 100))
Xvfb "$DISP" -screen 0 1400x900x24 >/dev/null 2>&1 &
XVFB=$!
sleep 1
"$BIN" export -m alexnet --layer conv1 --out "$OUT/conv1.npy" >/dev/null
RUN=("$PY" tests/xterm/screenshot_check.py inner "$OUT/log" -- "$BIN" -m alexnet --colormap viridis)
case $MODE in
sixel) DISPLAY=$DISP xterm -ti vt340 -tn xterm-256color -xrm 'XTerm*numColorRegisters: 256' \
         -xrm 'XTerm*internalBorder: 0' -geometry 160x50+0+0 -fn fixed -e "${RUN[@]}" & ;;
kitty) DISPLAY=$DISP kitty -o initial_window_width=960 -o initial_window_height=650 \
         -o remember_window_size=no "${RUN[@]}" & ;;
*) echo "screenshot_check.sh: mode '$MODE' is not sixel or kitty" >&2; exit 2 ;;
esac
TERMPID=$!
for _ in $(seq 200); do [ -e "$OUT/log.pressed" ] && break; sleep 0.1; done
sleep 2
DISPLAY=$DISP import -window root "$OUT/shot.png"
cp "$OUT/shot.png" "${SHOT:-/tmp/convscope-$MODE.png}"
touch "$OUT/log.quit"
wait $TERMPID || true
"$PY" tests/xterm/screenshot_check.py check "$OUT/shot.png" "$OUT/log" "$OUT/conv1.npy"
