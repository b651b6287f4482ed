"""Finished results shared across visitors: a request is deterministic given what it asks (checkpoint, ball, seed,
steps), so the same request is answered once.

``ResultCache.get(key, compute)`` returns the stored result of ``key``, or computes it; concurrent requests for a key
that is being computed wait for that one computation instead of starting their own (a lecture hall pressing Run on
the same permalink is one rollout). Failures are not stored: the next request tries again. The cache keeps the
``max_entries`` most recently used results; ``valid(result)`` lets the owner drop an entry whose files are gone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any


class ResultCache:
    def __init__(self, max_entries: int = 128, valid: Callable[[Any], bool] | None = None):
        if max_entries < 0:
            raise ValueError(f"max_entries={max_entries}: expected 0 (no caching) or more")
        self.max_entries = max_entries
        self.valid = valid or (lambda result: True)
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self.hits = self.shared = self.computed = 0  # answered from the cache / by another's computation / afresh

    def __len__(self) -> int:
        return len(self._done)

    def clear(self) -> None:
        with self._lock:
            self._done.clear()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._done:
                result = self._done[key]
                if self.valid(result):
                    self._done.move_to_end(key)
                    self.hits += 1
                    return result
                del self._done[key]
            future = self._running.get(key)
            owner = future is None
            if owner:
                future = self._running[key] = Future()
            else:
                self.shared += 1
        if not owner:
            return future.result()
        try:
            result = compute()
        except BaseException as e:
            with self._lock:
                del self._running[key]
            future.set_exception(e)
            raise
        with self._lock:
            del self._running[key]
            self.computed += 1
            if self.max_entries:
                self._done[key] = result
                while len(self._done) > self.max_entries:
                    self._done.popitem(last=False)
        future.set_result(result)
        return result
