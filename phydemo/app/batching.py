"""Cross-visitor batching: concurrent requests that sample with the same model and settings share one call.

Every request is validated before it is queued, so one visitor's bad input never fails another's request (Gradio's
own ``batch=True`` fails the whole batch when one item raises). One worker thread runs all sampling: requests of higher
priority go first, and long jobs (sweeps, lab batches) are submitted in chunks, so a single rollout waits for at most
one chunk, not for a whole sweep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from itertools import count

ROLLOUT, LONG = 1, 0  # priorities: single rollouts before chunks of long jobs


@dataclass(order=True)
class _Job:
    rank: tuple
    key: Hashable = field(compare=False)
    items: list = field(compare=False)
    fn: Callable[[list], list] = field(compare=False)
    future: Future = field(compare=False, default_factory=Future)


class SamplingQueue:
    """``run(key, items, fn)`` blocks until ``fn`` has run on ``items``, possibly together with the items of other
    waiting jobs of the same key (``fn(all items)`` must return one result per item, in order)."""

    def __init__(self, max_batch: int = 16, gather_s: float = 0.005):
        self.max_batch, self.gather_s = max_batch, gather_s
        self._jobs: list[_Job] = []
        self._cv = threading.Condition()
        self._order = count()
        self.calls = 0  # sampling calls made, for tests and the load script
        threading.Thread(target=self._work, name="sampling", daemon=True).start()

    def run(self, key: Hashable, items: list, fn: Callable[[list], list], priority: int = ROLLOUT) -> list:
        job = _Job((-priority, next(self._order)), key, list(items), fn)
        with self._cv:
            self._jobs.append(job)
            self._cv.notify()
        return job.future.result()

    def _take(self) -> list[_Job]:
        """The first job by priority and arrival, and the waiting jobs of its key that fit in one batch."""
        self._jobs.sort()
        first = self._jobs[0]
        taken, size = [first], len(first.items)
        for job in self._jobs[1:]:
            if job.key == first.key and job.rank[0] == first.rank[0] and size + len(job.items) <= self.max_batch:
                taken.append(job)
                size += len(job.items)
        self._jobs = [j for j in self._jobs if j not in taken]
        return taken

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._jobs:
                    self._cv.wait()
            time.sleep(self.gather_s)  # let requests that arrive together be batched together
            with self._cv:
                jobs = self._take()
            items = [item for job in jobs for item in job.items]
            try:
                results = jobs[0].fn(items)
                self.calls += 1
            except BaseException as e:  # every waiting request gets the error, the worker lives on
                for job in jobs:
                    job.future.set_exception(e)
                continue
            start = 0
            for job in jobs:
                job.future.set_result(results[start:start + len(job.items)])
                start += len(job.items)
