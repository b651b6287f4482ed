"""Datasets of simulated videos: building (seeded, both cores), a compact on-disk format, reading.

On disk a split is one ``.npz`` (zip-deflated; white backgrounds compress ~20x) holding
``frames`` (N, T, H, W, 3) uint8, ``positions`` (N, T, n, 2), ``velocities`` (N, T, n, 2) and
``params`` (JSON of each scene's parameter object, so every video can be re-simulated).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from phydemo.atomic import atomic_path
from phydemo.protocol import NUM_FRAMES
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.sampling import sample_params
from phydemo.world.scenes import PARAMS_BY_SCENARIO, SceneParams

CHUNK = 256  # videos per chunk of a data set, each chunk seeded on its own


@dataclass
class VideoSet:
    frames: np.ndarray
    positions: np.ndarray
    velocities: np.ndarray
    params: list[SceneParams]

    def __len__(self) -> int:
        return len(self.frames)


def params_from_dict(d: dict) -> SceneParams:
    d = dict(d)
    return PARAMS_BY_SCENARIO[d.pop("scenario")](**d)


def _chunk_seeds(split: str, n: int, seed: int, level: str | None, chunk: int) -> list:
    """The seed of each chunk of ``chunk`` videos, derived from ``seed`` (the result does not depend on workers)."""
    root = np.random.SeedSequence([seed, sum(map(ord, split)), sum(map(ord, level or ""))])
    return root.spawn((n + chunk - 1) // chunk)


def _jobs(scenario: str, split: str, n: int, seed: int, resolution: int, level: str | None, chunk: int,
          kwargs: dict) -> list[tuple]:
    """One ``_sample_chunk`` job per chunk of the data set, each with its own seed."""
    return [(scenario, split, level, s, min(chunk, n - i * chunk), resolution, kwargs)
            for i, s in enumerate(_chunk_seeds(split, n, seed, level, chunk))]


def _chunk_params(scenario: str, split: str, level: str | None, seed, count: int, kwargs: dict) -> list[SceneParams]:
    rng = np.random.default_rng(seed)
    return [sample_params(scenario, split, rng, level=level, **kwargs) for _ in range(count)]


def _sample_chunk(args) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray]:
    scenario, split, level, seed, count, resolution, kwargs = args
    params, frames, pos, vel = [], [], [], []
    for p in _chunk_params(scenario, split, level, seed, count, kwargs):
        traj = simulate(p, NUM_FRAMES)
        params.append(asdict(p))
        frames.append(render(traj, resolution))
        pos.append(traj.positions)
        vel.append(traj.velocities)
    return params, np.stack(frames), np.stack(pos).astype(np.float32), np.stack(vel).astype(np.float32)


def scene_params(scenario: str, split: str, n: int, seed: int, level: str | None = None, chunk: int = CHUNK,
                 **kwargs) -> list[SceneParams]:
    """The parameters of the ``n`` scenes ``generate`` would simulate with these arguments, without simulating or
    rendering them."""
    seeds = _chunk_seeds(split, n, seed, level, chunk)
    return [p for i, s in enumerate(seeds) for p in _chunk_params(scenario, split, level, s, min(chunk, n - i * chunk), kwargs)]


def chunk_scene_params(scenario: str, split: str, n: int, seed: int, index: int, level: str | None = None,
                       chunk: int = CHUNK, **kwargs) -> tuple[int, list[SceneParams]]:
    """``(start, params)``: the parameters of every scene in the chunk that holds scene ``index`` of the data set
    ``scene_params`` describes, the first of them scene ``start``. Drawing one scene of a chunk draws those before it
    from the chunk's seed anyway, so a caller that keeps them all pays once per chunk, not once per scene."""
    if not 0 <= index < n:
        raise IndexError(f"scene {index} of a data set of {n}")
    c = index // chunk
    seeds = _chunk_seeds(split, n, seed, level, chunk)
    return c * chunk, _chunk_params(scenario, split, level, seeds[c], min(chunk, n - c * chunk), kwargs)


def generate(scenario: str, split: str, n: int, seed: int, resolution: int, level: str | None = None,
             workers: int | None = None, progress: bool = True, chunk: int = CHUNK, **kwargs) -> VideoSet:
    """Simulate and render ``n`` videos; chunks get seeds derived from ``seed`` so the result does
    not depend on the number of workers."""
    jobs = _jobs(scenario, split, n, seed, resolution, level, chunk, kwargs)
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    frames = positions = velocities = None  # filled chunk by chunk: peak memory is one copy of the set
    params: list[SceneParams] = []
    bar = tqdm(total=n, desc=f"{scenario}/{split}{'/' + level if level else ''}", disable=not progress, unit="video")
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        results = pool.map(_sample_chunk, jobs) if pool else map(_sample_chunk, jobs)
        for i, (part_params, f, pos, vel) in enumerate(results):
            if frames is None:
                frames = np.empty((n,) + f.shape[1:], f.dtype)
                positions = np.empty((n,) + pos.shape[1:], pos.dtype)
                velocities = np.empty((n,) + vel.shape[1:], vel.dtype)
            lo = i * chunk
            frames[lo:lo + len(f)], positions[lo:lo + len(f)], velocities[lo:lo + len(f)] = f, pos, vel
            params += [params_from_dict(d) for d in part_params]
            bar.update(len(f))
    bar.close()
    return VideoSet(frames, positions, velocities, params)


def generate_chunks(scenario: str, split: str, n: int, seed: int, resolution: int, level: str | None = None,
                    chunk: int = CHUNK, first_chunk: int = 0, **kwargs):
    """The videos of ``generate`` chunk by chunk (the same chunks and seeds), for sets too large to hold at once;
    from chunk ``first_chunk`` on (the earlier ones are skipped, not simulated)."""
    for job in _jobs(scenario, split, n, seed, resolution, level, chunk, kwargs)[first_chunk:]:
        params, frames, pos, vel = _sample_chunk(job)
        yield VideoSet(frames, pos, vel, [params_from_dict(d) for d in params])


def save(videos: VideoSet, path: str | Path) -> Path:
    """Write atomically: a partial file is never left at ``path``."""
    with atomic_path(path, ".npz") as tmp:
        np.savez_compressed(tmp, frames=videos.frames, positions=videos.positions, velocities=videos.velocities,
                            params=np.array(json.dumps([asdict(p) for p in videos.params])))
    return Path(path)


def load(path: str | Path) -> VideoSet:
    with np.load(path, allow_pickle=False) as z:
        params = [params_from_dict(d) for d in json.loads(str(z["params"]))]
        return VideoSet(z["frames"], z["positions"], z["velocities"], params)


