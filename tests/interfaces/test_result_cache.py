"""The shared result cache: identical requests are computed once, and a cached answer is the answer computed afresh."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from phydemo.app.demo import Demo
from phydemo.app.result_cache import ResultCache


def test_concurrent_identical_requests_share_one_computation():
    cache, calls = ResultCache(4), []

    def compute():
        calls.append(1)
        time.sleep(0.2)  # long enough that every request arrives while it runs
        return object()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: cache.get("ball", compute), range(16)))
    assert len(calls) == 1 and all(r is results[0] for r in results)
    assert cache.computed == 1 and cache.shared + cache.hits == 15


def test_a_failure_reaches_every_waiter_and_is_not_kept():
    cache, started = ResultCache(4), threading.Event()

    def fail():
        started.set()
        time.sleep(0.1)
        raise RuntimeError("sampler died")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get, "k", fail)
        started.wait()
        second = pool.submit(cache.get, "k", lambda: "never")
        for f in (first, second):
            with pytest.raises(RuntimeError, match="sampler died"):
                f.result()
    assert len(cache) == 0 and cache.get("k", lambda: "ok") == "ok"


def test_the_cache_is_bounded_and_keeps_the_most_recently_used():
    cache = ResultCache(2)
    for k in "abc":
        cache.get(k, lambda k=k: k.upper())
    assert len(cache) == 2
    cache.get("b", lambda: "recomputed")  # a hit: b is now the most recent
    cache.get("d", lambda: "D")
    assert cache.get("b", lambda: "recomputed") == "B" and cache.get("c", lambda: "new c") == "new c"
    with pytest.raises(ValueError, match="max_entries"):
        ResultCache(-1)


def test_an_entry_whose_files_are_gone_is_computed_again():
    gone = set()
    cache = ResultCache(4, valid=lambda r: r not in gone)
    assert cache.get("k", lambda: "v1") == "v1"
    gone.add("v1")
    assert cache.get("k", lambda: "v2") == "v2"


@pytest.fixture(scope="module")
def demo():
    return Demo()


def _answer(res) -> tuple:
    """Everything a visitor gets: the video and strip bytes, the generated frames, the figures and the text."""
    return (Path(res.video_path).read_bytes(), Path(res.strip_path).read_bytes(), res.strip.tobytes(), res.strip.shape,
            res.rollout.generated.tobytes(), res.figure.to_json(),
            res.report, res.law.to_json(), res.nearest)


def test_a_cached_rollout_is_the_one_computed_afresh(demo):
    args = ("uniform", 2.1, 2.1, 1.1, 1.1, "red", "circle", 5, 1)
    first = demo.run(*args)
    calls = demo.queue.calls
    again = demo.run(*args)
    assert again is first and demo.queue.calls == calls  # answered from the cache: no sampling
    demo.results.clear()
    fresh = demo.run(*args)
    assert fresh is not first and demo.queue.calls == calls + 1
    assert fresh.video_path != first.video_path and _answer(fresh) == _answer(first)


def test_a_lecture_hall_asking_for_one_ball_costs_one_rollout(demo):
    demo.results.clear()
    calls = demo.queue.calls
    args = ("uniform", 3.3, 3.3, 1.0, 1.0, "red", "circle", 7, 1)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: demo.run(*args), range(20)))
    assert demo.queue.calls == calls + 1 and all(r is results[0] for r in results)
    assert "velocity error" in results[0].report
    # another seed, steps or ball is another request
    other = demo.run("uniform", 3.3, 3.3, 1.0, 1.0, "red", "circle", 8, 1)
    assert other is not results[0] and demo.queue.calls == calls + 2


def test_a_cached_result_whose_video_was_pruned_is_computed_again(demo):
    args = ("uniform", 1.7, 1.7, 1.0, 1.0, "red", "circle", 3, 1)
    first = demo.run(*args)
    Path(first.video_path).unlink()
    again = demo.run(*args)
    assert again is not first and Path(again.video_path).is_file()
    Path(again.strip_path).unlink()  # the strip too
    third = demo.run(*args)
    assert third is not again and Path(third.strip_path).is_file()


def test_identical_sweeps_and_lab_runs_share_one_result(demo):
    sweep = ("uniform", 1.0, 3.0, 3, 1.0, "red", "circle", 0, 1)
    fig = demo.sweep(*sweep)
    calls = demo.queue.calls
    assert demo.sweep(*sweep) is fig and demo.queue.calls == calls
    assert np.allclose(fig.data[0].x, [1.0, 2.0, 3.0])
    if demo.lab_experiments:
        exp = demo.lab_experiments[0]
        grid, tally = demo.lab(exp, 2, 0, 1)
        calls = demo.queue.calls
        grid2, tally2 = demo.lab(exp, 2, 0, 1)
        assert grid2 is grid and tally2 == tally and demo.queue.calls == calls
