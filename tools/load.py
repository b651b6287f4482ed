"""Load a running app the way a busy Space is loaded: N clients at once, each asking for one rollout through the API,
optionally while a sweep runs; prints latency percentiles, throughput and failures (not a timed test).

Two kinds of client (``--client``). ``browser`` (the default) does what a visitor's browser does: it loads the page
(the app's config comes with it: the connection), asks ``/run`` through Gradio's HTTP API, reads the answer from its
event stream and fetches the video and the strip it names, all 50 visitors on one asyncio loop. ``gradio`` is one
``gradio_client.Client`` per visitor, as measured before 2026-12-04: each also asks the server for its API
description (``/info``), keeps heartbeat and executor threads, and downloads every output file, so on a 2-core
machine the load generator's own work competes with the server's.

    python app.py &                                   # or the README's app command
    python -m tools.load http://127.0.0.1:7860/ --clients 50
    python -m tools.load http://127.0.0.1:7860/ --clients 50 --same   # a lecture hall on one permalink
    python -m tools.load http://127.0.0.1:7860/ --clients 1 --during-sweep
"""

import argparse
import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import numpy as np
from gradio_client import Client

from phydemo.protocol import DEFAULT_STEPS


def check_answer(video, report: str, link: str, speed: float, seed: int, checkpoint: str) -> None:
    """The answer is this ball's: the report states a velocity error, and the permalink names this checkpoint, speed
    and seed."""
    query = parse_qs(urlparse(link).query)
    assert "velocity error" in report and video, report[:200]
    assert query["checkpoint"] == [checkpoint] and float(query["speed"][0]) == speed and int(query["seed"][0]) == seed, link


def rollout_inputs(speed: float, seed: int, checkpoint: str) -> list:
    return [checkpoint, speed, speed, 1.0, 1.0, "red", "circle", seed, DEFAULT_STEPS]


def one_rollout(url: str, speed: float, seed: int, checkpoint: str = "uniform") -> tuple[float, float]:
    """``gradio`` client: (seconds after connecting, seconds including the connection) for one rollout, checked."""
    start = time.perf_counter()
    client = Client(url, verbose=False)
    connected = time.perf_counter()
    video, _, _, report, _, _, link = client.predict(*rollout_inputs(speed, seed, checkpoint), api_name="/run")
    done = time.perf_counter()
    check_answer(video, report, link, speed, seed, checkpoint)
    return done - connected, done - start


async def browser_rollout(http: httpx.AsyncClient, url: str, speed: float, seed: int,
                          checkpoint: str = "uniform") -> tuple[float, float]:
    """``browser`` client: the page, then ``/run`` through Gradio's HTTP API and the files its answer names; (seconds
    after connecting, seconds including the connection), the answer checked."""
    start = time.perf_counter()
    (await http.get(url)).raise_for_status()
    connected = time.perf_counter()
    call = urljoin(url, "gradio_api/call/run")
    posted = await http.post(call, json={"data": rollout_inputs(speed, seed, checkpoint)})
    posted.raise_for_status()
    event, data = None, None
    async with http.stream("GET", f"{call}/{posted.json()['event_id']}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = line.split(":", 1)[1].strip()
                break
    if event != "complete":
        raise RuntimeError(f"/run answered {event}: {data}")
    video, strip, _, report, _, _, link = json.loads(data)
    for file in (video["video"] if "video" in video else video, strip):  # a browser fetches what it shows
        (await http.get(file["url"])).raise_for_status()
    done = time.perf_counter()
    check_answer(video, report, link, speed, seed, checkpoint)
    return done - connected, done - start


async def browser_load(url: str, speeds, seeds, checkpoint: str) -> list:
    """Every visitor at once on one loop; each result a latency pair or the exception it raised."""
    limits = httpx.Limits(max_connections=len(speeds) * 2)
    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        return await asyncio.gather(*(browser_rollout(http, url, v, s, checkpoint) for v, s in zip(speeds, seeds)),
                                    return_exceptions=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--checkpoint", default="uniform", help="the shipped checkpoint every client asks")
    ap.add_argument("--during-sweep", action="store_true", help="start a 32-speed sweep at 10 steps first")
    ap.add_argument("--same", action="store_true", help="every client asks for the same ball, speed and seed")
    ap.add_argument("--client", choices=("browser", "gradio"), default="browser",
                    help="browser: the page, the HTTP API and the files, all visitors on one loop; gradio: one "
                    "gradio_client.Client per visitor (the measurements before 2026-12-04)")
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
    speeds, seeds = [float(v) for v in speeds], [int(s) for s in seeds]
    start = time.perf_counter()
    if args.client == "browser":
        answers = asyncio.run(browser_load(args.url, speeds, seeds, args.checkpoint))
    else:
        with ThreadPoolExecutor(args.clients) as pool:
            futures = [pool.submit(one_rollout, args.url, v, s, args.checkpoint) for v, s in zip(speeds, seeds)]
            answers = []
            for f in futures:
                try:
                    answers.append(f.result())
                except Exception as e:
                    answers.append(e)
    wall = time.perf_counter() - start
    latencies = [a for a in answers if not isinstance(a, BaseException)]
    failed = [a for a in answers if isinstance(a, BaseException)]
    for e in failed[:3]:  # counted, and the first few printed
        print("failed:", type(e).__name__, str(e)[:200])
    failures = len(failed)
    if sweep:
        sweep.join()
    what = f"{args.clients} {args.client} clients{', the same ball' if args.same else ''}{' during a sweep' if sweep else ''}"
    print(f"{what}: {len(latencies)} served and checked, {failures} failed, {len(latencies) / wall:.2f} requests/s "
          f"over {wall:.1f} s")
    for label, lat in (("after connecting", [a for a, _ in latencies]), ("with the connection", [b for _, b in latencies])):
        lat = np.array(lat)
        print(f"  {label}: p50 {np.percentile(lat, 50):.2f} s, p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s")


if __name__ == "__main__":
    main()
