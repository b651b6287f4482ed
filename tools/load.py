"""Load a running app the way a busy Space is loaded: N clients at once, each asking for one rollout through the API,
optionally while a sweep runs; prints latency percentiles, throughput and failures (not a timed test).

    python app.py &                                   # or the README's app command
    python -m tools.load http://127.0.0.1:7860/ --clients 50
    python -m tools.load http://127.0.0.1:7860/ --clients 50 --same   # a lecture hall on one permalink
    python -m tools.load http://127.0.0.1:7860/ --clients 1 --during-sweep
"""

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from urllib.parse import parse_qs, urlparse

import numpy as np
from gradio_client import Client

from phydemo.protocol import DEFAULT_STEPS


def one_rollout(url: str, speed: float, seed: int, checkpoint: str = "uniform") -> tuple[float, float]:
    """(seconds after connecting, seconds including the connection) for one rollout, its answer checked: the
    report states a velocity error, and the permalink names this checkpoint, speed and seed."""
    start = time.perf_counter()
    client = Client(url, verbose=False)
    connected = time.perf_counter()
    video, _, _, report, _, _, link = client.predict(checkpoint, speed, speed, 1.0, 1.0, "red", "circle", seed,
                                                     DEFAULT_STEPS, api_name="/run")
    done = time.perf_counter()
    query = parse_qs(urlparse(link).query)
    assert "velocity error" in report and video, report[:200]
    assert query["checkpoint"] == [checkpoint] and float(query["speed"][0]) == speed and int(query["seed"][0]) == seed, link
    return done - connected, done - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--checkpoint", default="uniform", help="the shipped checkpoint every client asks")
    ap.add_argument("--during-sweep", action="store_true", help="start a 32-speed sweep at 10 steps first")
    ap.add_argument("--same", action="store_true", help="every client asks for the same ball, speed and seed")
    ap.add_argument("--seed", type=int, default=0, help="the first client's noise seed (the next ones count up): a "
                    "new seed per run keeps a run from being answered by the app's cache of an earlier one")
    args = ap.parse_args()
    sweep = None
    if args.during_sweep:
        sweep = threading.Thread(target=lambda: Client(args.url, verbose=False).predict(
            "uniform", 0.2, 6.0, 32, 1.0, "red", "circle", 0, 10, api_name="/sweep"))
        sweep.start()
        time.sleep(0.3)
    speeds = np.full(args.clients, 2.5) if args.same else np.round(np.linspace(1.0, 4.0, args.clients), 4)
    seeds = args.seed + (np.zeros(args.clients, int) if args.same else np.arange(args.clients))
    failures, start = 0, time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        futures = [pool.submit(one_rollout, args.url, float(v), int(s), args.checkpoint) for v, s in zip(speeds, seeds)]
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
    what = f"{args.clients} clients{', the same ball' if args.same else ''}{' during a sweep' if sweep else ''}"
    print(f"{what}: {len(latencies)} served and checked, {failures} failed, {len(latencies) / wall:.2f} requests/s "
          f"over {wall:.1f} s")
    for label, lat in (("after connecting", [a for a, _ in latencies]), ("with the connection", [b for _, b in latencies])):
        lat = np.array(lat)
        print(f"  {label}: p50 {np.percentile(lat, 50):.2f} s, p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s")


if __name__ == "__main__":
    main()
