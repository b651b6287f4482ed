#!/usr/bin/env bash
# Where a load's time goes: start this checkout's app on port 7872, warm it, run one `tools/load.py --clients N`
# load, and print the server's CPU-seconds over it (from /proc/<pid>/stat) beside the load generator's own
# (/usr/bin/time); a training run of this checkout is paused meanwhile. Usage: bash tools/servercpu.sh [N]
set -u
cd "$(dirname "$0")/.."
. .venv/bin/activate
n=${1:-50}
pkill -STOP -f "phydemo train"
(GRADIO_SERVER_PORT=7872 HF_HUB_OFFLINE=1 python app.py > /tmp/servercpu-app.log 2>&1 &)
for _ in $(seq 120); do curl -s -o /dev/null http://127.0.0.1:7872/ && break; sleep 1; done
pid=$(pgrep -f "python app.py" | head -1)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat"; }
python -m tools.load http://127.0.0.1:7872/ --clients 2 --seed 5000 > /dev/null  # warm: models loaded, code paths run
a=$(cpu); t0=$(date +%s.%N)
/usr/bin/time -f "load generator: %U s user, %S s system, %e s wall" \
  python -m tools.load http://127.0.0.1:7872/ --clients "$n" --seed 6000
b=$(cpu); t1=$(date +%s.%N)
python3 -c "a, b, w, n = $a, $b, $t1 - $t0, $n; print(f'server: {b - a:.1f} CPU-s for {n} requests ({(b - a) / n:.2f} core-s each) over {w:.1f} s wall ({(b - a) / w:.2f} cores busy)')"
pkill -f "python app.py"; sleep 2
pkill -CONT -f "phydemo train"
