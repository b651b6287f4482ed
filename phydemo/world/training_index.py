"""A compact index of a model's training cases: each training video's speed, radius, colour, shape and direction, per
ball, so the app can show the few training videos nearest to a request (the case an OOD rollout imitates).

The videos themselves are not stored: a case is re-simulated from the data set's seed on demand (``scene``). The
index is ``training_index.npz`` in the checkpoint folder (about 0.2 MB for 30,000 one-ball videos), built at export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from phydemo.atomic import atomic_path
from phydemo.world.dataset import chunk_scene_params, scene_params
from phydemo.world.sampling import RANGES
from phydemo.world.scenes import COLORS, SHAPES, SceneParams

INDEX_FILE = "training_index.npz"
COLOR_CODES, SHAPE_CODES = list(COLORS), list(SHAPES)


@dataclass
class TrainingIndex:
    scenario: str
    train_size: int
    data_seed: int
    data_kwargs: dict
    speed: np.ndarray  # (N, balls) float16, |vx|
    radius: np.ndarray  # (N, balls) float16
    color: np.ndarray  # (N, balls) uint8, index into COLORS
    shape: np.ndarray  # (N, balls) uint8, index into SHAPES
    direction: np.ndarray  # (N,) int8, +1 right, -1 left (ball 1)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, scenario: str, train_size: int, data_seed: int, data_kwargs: dict) -> "TrainingIndex":
        """Index the training set ``dataset.generate(scenario, "train", train_size, data_seed, **data_kwargs)``."""
        balls = [p.balls() for p in scene_params(scenario, "train", train_size, data_seed, **data_kwargs)]
        return cls(scenario, train_size, data_seed, dict(data_kwargs),
                   np.array([[abs(b.vx) for b in bs] for bs in balls], np.float16),
                   np.array([[b.radius for b in bs] for bs in balls], np.float16),
                   np.array([[COLOR_CODES.index(b.color) for b in bs] for bs in balls], np.uint8),
                   np.array([[SHAPE_CODES.index(b.shape) for b in bs] for bs in balls], np.uint8),
                   np.array([1 if bs[0].vx >= 0 else -1 for bs in balls], np.int8))

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / INDEX_FILE
        meta = {"scenario": self.scenario, "train_size": self.train_size, "data_seed": self.data_seed,
                "data_kwargs": self.data_kwargs}
        with atomic_path(path, ".npz") as tmp:
            np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), speed=self.speed, radius=self.radius,
                                color=self.color, shape=self.shape, direction=self.direction)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> "TrainingIndex | None":
        """The folder's index, or None where it has none (no pickle is ever read)."""
        path = Path(folder) / INDEX_FILE
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return cls(meta["scenario"], meta["train_size"], meta["data_seed"], meta["data_kwargs"],
                       z["speed"], z["radius"], z["color"], z["shape"], z["direction"])

    def distances(self, params: SceneParams) -> np.ndarray:
        """How far each training case is from ``params``: speed and radius in units of the ID ranges' widths, plus
        one for every differing colour, shape or direction, summed over the balls."""
        r = RANGES[self.scenario]
        dv, dr = r.speed_id[1] - r.speed_id[0], r.radius_id[1] - r.radius_id[0]
        d = np.zeros(len(self.speed))
        for i, ball in enumerate(params.balls()):
            d += np.abs(self.speed[:, i].astype(float) - abs(ball.vx)) / dv
            d += np.abs(self.radius[:, i].astype(float) - ball.radius) / dr
            d += self.color[:, i] != COLOR_CODES.index(ball.color)
            d += self.shape[:, i] != SHAPE_CODES.index(ball.shape)
        return d + (self.direction != (1 if params.balls()[0].vx >= 0 else -1))

    def nearest(self, params: SceneParams, k: int = 3) -> list[int]:
        """The indices of the ``k`` training cases nearest to ``params``, nearest first."""
        d = self.distances(params)
        idx = np.argpartition(d, min(k, len(d) - 1))[:k]
        return [int(i) for i in idx[np.argsort(d[idx], kind="stable")]]

    def scene(self, i: int) -> SceneParams:
        """Training case ``i``, re-simulated from the data set's seed (its whole chunk is drawn and kept at once)."""
        if i not in self._cache:
            start, params = chunk_scene_params(self.scenario, "train", self.train_size, self.data_seed, int(i),
                                               **self.data_kwargs)
            self._cache.update(enumerate(params, start))
        return self._cache[i]

    def describe(self, i: int) -> str:
        """``v 3.98, r 1.02`` (both balls for a collision)."""
        parts = [f"v {self.speed[i, b]:.2f}, r {self.radius[i, b]:.2f}" for b in range(self.speed.shape[1])]
        return " | ".join(parts) + (", moving left" if self.direction[i] < 0 else "")
