"""The error map of a checkpoint: the paper's velocity error over a grid of (speed, radius) that covers the training
box and the held-out ranges around it, a few fixed scenes per cell; shipped as ``error_map.json`` so the app shows it
at once (``phydemo evaluate --checkpoint <name> --error-map``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from phydemo.atomic import write_json
from phydemo.eval.clean import is_clean
from phydemo.eval.rollout import run_rollouts
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED, WORLD_SIZE
from phydemo.world.distribution import TrainingDistribution
from phydemo.world.sampling import RANGES
from phydemo.world.scenes import SceneParams, make_params

MAP_FILE = "error_map.json"
SPEEDS = tuple(round(0.25 + 0.5 * i, 2) for i in range(12))  # cell centres: 0.25 ... 5.75 (ID is [1, 4])


def map_radii(scenario: str, cells: int = 8) -> tuple[float, ...]:
    """Cell centres spanning the scenario's smallest to largest radius, ID and OOD."""
    r = RANGES[scenario]
    lo, hi = min(a for a, _ in r.radius_ood), max(b for _, b in r.radius_ood)
    width = (hi - lo) / cells
    return tuple(round(lo + width * (i + 0.5), 3) for i in range(cells))


def cell_scene(dist: TrainingDistribution, speed: float, radius: float, y: float) -> SceneParams:
    """One scene of a cell: the checkpoint's own training colour and shape (a lab model's first combination), both
    balls of a collision at the cell's speed and radius."""
    color, shape, _, _ = dist.first_case()
    if dist.scenario == "collision":
        return make_params("collision", speed1=speed, speed2=speed, radius1=radius, radius2=radius, y=y,
                           color1=color, color2=dist.colors[1][0], shape1=shape, shape2=shape)
    return make_params(dist.scenario, speed=speed, radius=radius, color=color, shape=shape,
                       **({"y": y} if dist.scenario == "uniform" else {}))


def error_map(pipe, per_cell: int = 4, steps: int = DEFAULT_STEPS, seed: int = EVAL_SEED) -> dict:
    """Mean error and clean share per cell, ``per_cell`` scenes each (heights drawn with ``seed``)."""
    dist = pipe.training_distribution
    radii, rng = map_radii(dist.scenario), np.random.default_rng(seed)
    cells = [(i, j) for i in range(len(radii)) for j in range(len(SPEEDS))]
    scenes = []
    for i, j in cells:
        r = radii[i]
        for _ in range(per_cell):
            scenes.append(cell_scene(dist, SPEEDS[j], r, float(rng.uniform(r + 0.5, WORLD_SIZE - 0.5 - r))))
    rollouts = run_rollouts(pipe, scenes, seed=seed, steps=steps)
    error = np.full((len(radii), len(SPEEDS)), np.nan)
    clean = np.full_like(error, np.nan)
    for c, (i, j) in enumerate(cells):
        rs = rollouts[c * per_cell:(c + 1) * per_cell]
        errors = [r.report.error for r in rs if np.isfinite(r.report.error)]
        error[i, j] = np.mean(errors) if errors else np.nan
        clean[i, j] = np.mean([is_clean(r.generated, r.gt_frames, r.traj) for r in rs])
    as_list = lambda a: [[None if not np.isfinite(v) else round(float(v), 4) for v in row] for row in a]  # noqa: E731
    return {"scenario": dist.scenario, "speeds": list(SPEEDS), "radii": list(radii), "per_cell": per_cell,
            "steps": steps, "seed": seed, "error": as_list(error), "clean": as_list(clean)}


def save_error_map(folder: str | Path, result: dict) -> Path:
    return write_json(Path(folder) / MAP_FILE, result, indent=None)


def load_error_map(folder: str | Path) -> dict | None:
    path = Path(folder) / MAP_FILE
    return json.loads(path.read_text()) if path.is_file() else None
