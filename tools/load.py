"""Load a running app the way a busy Space is loaded: N clients at once, each asking for one rollout through the API,
optionally while a sweep runs; prints latency percentiles, throughput and failures (not a timed test).

    python app.py &                                   # or the README's app command
    python -m tools.load http://127.0.0.1:7860/ --clients 50
    python -m tools.load http://127.0.0.1:7860/ --clients 1 --during-sweep
"""

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from gradio_client import Client

from phydemo.protocol import DEFAULT_STEPS


def one_rollout(url: str, speed: float, seed: int, checkpoint: str = "uniform") -> float:
    client = Client(url, verbose=False)
    start = time.perf_counter()
    video, _, _, report, *_ = client.predict(checkpoint, speed, speed, 1.0, 1.0, "red", "circle", seed, DEFAULT_STEPS,
                                             api_name="/run")
    assert "velocity error" in report and video
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--checkpoint", default="uniform", help="the shipped checkpoint every client asks")
    ap.add_argument("--during-sweep", action="store_true", help="start a 32-speed sweep at 10 steps first")
    args = ap.parse_args()
    sweep = None
    if args.during_sweep:
        sweep = threading.Thread(target=lambda: Client(args.url, verbose=False).predict(
            "uniform", 0.2, 6.0, 32, 1.0, "red", "circle", 0, 10, api_name="/sweep"))
        sweep.start()
        time.sleep(0.3)
    speeds = np.linspace(1.0, 4.0, args.clients)
    failures, start = 0, time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        futures = [pool.submit(one_rollout, args.url, float(v), i, args.checkpoint) for i, v in enumerate(speeds)]
        latencies = []
        for f in futures:
            try:
                latencies.append(f.result())
            except Exception as e:  # counted, and the first few printed
                failures += 1
                if failures <= 3:
                    print("failed:", type(e).__name__, str(e)[:200])
    wall = time.perf_counter() - start
    if sweep:
        sweep.join()
    lat = np.array(latencies)
    print(f"{args.clients} clients{' during a sweep' if sweep else ''}: {len(lat)} served, {failures} failed, "
          f"p50 {np.percentile(lat, 50):.2f} s, p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s, "
          f"{len(lat) / wall:.2f} requests/s over {wall:.1f} s")


if __name__ == "__main__":
    main()
