#!/usr/bin/env bash
# Retrain configs on issue 37's recipe (overriding the old recipe their yaml still pins until they are shipped),
# each rerun until its run has reached max_steps (max_minutes stops a run; a rerun resumes from runs/<name>/state.pt).
# Usage: bash tools/retrain.sh THREADS NAME... (e.g. two queues side by side, one thread each)
cd "$(dirname "$0")/.."
. .venv/bin/activate
threads=$1; shift
for name in "$@"; do
  for attempt in 1 2 3 4 5 6; do
    python -m phydemo train --config configs/$name.yaml --set high_noise_fraction=0.8 --set high_noise_from_step=0 \
      --set eval_steps=1 --set torch_threads=$threads
    python - "$name" <<'PY' && break
import sys, json, pathlib, yaml
name = sys.argv[1]
steps = yaml.safe_load(open(f"configs/{name}.yaml"))["max_steps"]
st = pathlib.Path(f"runs/{name}/checkpoint/train_state.json")
sys.exit(0 if st.is_file() and json.loads(st.read_text()).get("step", 0) >= steps else 1)
PY
  done
done
