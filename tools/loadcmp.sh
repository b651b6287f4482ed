#!/usr/bin/env bash
# The load comparison of docs/serving.md: for each source tree given (e.g. a worktree of main, then this checkout),
# start its app on port 7871 and run tools/load.py's four loads, each with its own seed; a training run of this
# checkout is paused meanwhile. Usage: bash tools/loadcmp.sh TREE [TREE ...]
set -u
cd "$(dirname "$0")/.."
. .venv/bin/activate
here=$PWD
pkill -STOP -f "phydemo train"
for tree in "$@"; do
  echo "=== $tree ($(git -C "$tree" log -1 --format=%h))"
  (cd "$tree" && GRADIO_SERVER_PORT=7871 HF_HUB_OFFLINE=1 python app.py > /tmp/loadcmp-app.log 2>&1 &)
  for _ in $(seq 120); do curl -s -o /dev/null http://127.0.0.1:7871/ && break; sleep 1; done
  (cd "$here" && python -m tools.load http://127.0.0.1:7871/ --clients 1 --seed 1000
   python -m tools.load http://127.0.0.1:7871/ --clients 50 --seed 2000
   python -m tools.load http://127.0.0.1:7871/ --clients 50 --same --seed 3000
   python -m tools.load http://127.0.0.1:7871/ --clients 1 --during-sweep --seed 4000)
  pkill -f "python app.py"; sleep 3
done
pkill -CONT -f "phydemo train"
