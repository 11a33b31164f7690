#!/usr/bin/env bash
# A picture of our runs in TensorBoard, as the README shows it (docs/tensorboard.png): starts
# TensorBoard on LOGDIR on a local port and photographs its scalars dashboard (loss, zero-shot
# and images/s tags, no smoothing) with headless Chromium. (The HPARAMS table is not
# photographed: it shows its columns in name order, and with the 23 hparams of a run the ones
# that differ between runs — signature, rounds, seed — are off the right edge.)
#
#   pip install tensorboard; apt-get install -y chromium
#   evals/tensorboard/screenshot.sh LOGDIR [OUT_DIR]        (OUT_DIR default: docs)
#
# The runs in the committed picture: evals/tensorboard/README.md.
set -euo pipefail
LOGDIR="${1:?usage: screenshot.sh LOGDIR [OUT_DIR]}"
OUT="${2:-docs}"
PORT="${PORT:-6117}"
mkdir -p "$OUT"
python3 -m tensorboard.main --logdir "$LOGDIR" --port "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 120); do
    curl -sf "http://localhost:$PORT/data/runs" | grep -q '"' && break
    sleep 1
done
sleep 5   # the loader's first pass over every file
shot() {
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size="$2" \
        --virtual-time-budget=20000 --screenshot="$OUT/$1" "http://localhost:$PORT/$3" 2>/dev/null
}
shot tensorboard.png 1600,1060 '#scalars&tagFilter=train%2Floss%7Czeroshot%7Cimages_per_s&_smoothingWeight=0'
ls -l "$OUT/tensorboard.png"
