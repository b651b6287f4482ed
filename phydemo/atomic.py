"""Atomic file writing: write to a temporary file beside the target, then move it into place."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, suffix: str) -> Iterator[str]:
    """Yield a temporary path to write; on success it replaces ``path``, on any error it is removed,
    so a partial file is never left at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp" + suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data, indent: int | None = 2) -> Path:
    """Write ``data`` as JSON at ``path`` atomically."""
    with atomic_path(path, ".json") as tmp:
        Path(tmp).write_text(json.dumps(data, indent=indent))
    return Path(path)
