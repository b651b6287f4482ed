"""Seeded sampling of scenes: the protocol's training (ID) and held-out (OOD) ranges, and draws from them.

Ranges follow the PhyWorld protocol (docs/protocol.md). ``sample_params`` draws one scene of a split; its
optional arguments narrow the distribution for the mechanism-lab presets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phydemo.errors import InputError, check_choice
from phydemo.protocol import FRAME_DT, NUM_FRAMES, WORLD_SIZE
from phydemo.world.scenes import (
    CollisionParams,
    Interval,
    ParabolaParams,
    SceneParams,
    UniformParams,
    collision_start_xs,
    uniform_x_range,
)


@dataclass(frozen=True)
class Ranges:
    """Training (ID) and held-out (OOD) ranges of one scenario; OOD is a union of intervals."""

    speed_id: Interval
    radius_id: Interval
    speed_ood: tuple[Interval, ...]
    radius_ood: tuple[Interval, ...]


RANGES: dict[str, Ranges] = {
    "uniform": Ranges((1.0, 4.0), (0.7, 1.4), ((0.0, 0.8), (4.5, 6.0)), ((0.3, 0.6), (1.5, 2.0))),
    "collision": Ranges((1.0, 4.0), (0.5, 1.5), ((0.0, 0.8), (4.5, 6.0)), ((0.3, 0.4), (1.7, 2.0))),
    "parabola": Ranges((1.0, 4.0), (0.7, 1.4), ((0.0, 0.8), (4.5, 6.0)), ((0.3, 0.6), (1.5, 2.0))),
}
OOD_LEVELS = ("v", "r", "vr")  # speed only, radius only, both


def in_ranges(value: float, intervals) -> bool:
    return any(lo <= value <= hi for lo, hi in intervals)


def describe_combination(combo: dict) -> str:
    """An attribute combination in words (``red square``, ``blue r in [0.7, 1.05]``, ``v in [1, 2.5] U [3, 4]``);
    a range is one interval [lo, hi] or a list of them. Serves the lab's test cases and the OOD label."""
    parts = [combo.get("color", ""), combo.get("shape", "")]
    for key, name in (("speed_range", "v"), ("radius_range", "r")):
        if key in combo:
            intervals = combo[key] if isinstance(combo[key][0], (list, tuple)) else [combo[key]]
            parts.append(f"{name} in " + " U ".join(f"[{lo:g}, {hi:g}]" for lo, hi in intervals))
    return " ".join(p for p in parts if p)


def _uniform_in(rng: np.random.Generator, intervals) -> float:
    lengths = np.array([hi - lo for lo, hi in intervals], dtype=float)
    i = rng.choice(len(intervals), p=lengths / lengths.sum())
    lo, hi = intervals[i]
    return float(rng.uniform(lo, hi))


def _speed_radius_sets(r: Ranges, split: str, level: str | None):
    if split in ("train", "id_eval"):
        return (r.speed_id,), (r.radius_id,)
    check_choice("level", level, OOD_LEVELS)
    speeds = r.speed_ood if "v" in level else (r.speed_id,)
    radii = r.radius_ood if "r" in level else (r.radius_id,)
    return speeds, radii


def sample_params(scenario: str, split: str, rng: np.random.Generator, level: str | None = None,
                  color: str | None = None, shape: str = "circle",
                  speed_range: tuple[Interval, ...] | None = None,
                  radius_range: tuple[Interval, ...] | None = None,
                  directions: tuple[int, ...] = (1,), combos: tuple[dict, ...] | None = None) -> SceneParams:
    """Draw one scene of ``split`` in {train, id_eval, ood_eval} (OOD needs a ``level``).

    ``speed_range`` / ``radius_range`` replace the scenario's ranges; ``directions`` (uniform and
    parabola) lists the allowed directions of motion, (1, -1) adds mirrored scenes; ``combos`` is a
    list of attribute combinations (keys: color, shape, speed_range, radius_range), one drawn per scene.
    """
    check_choice("split", split, ("train", "id_eval", "ood_eval"))
    if combos:
        combo = dict(combos[int(rng.integers(len(combos)))])
        color = combo.pop("color", color)
        shape = combo.pop("shape", shape)
        speed_range = combo.pop("speed_range", speed_range)
        radius_range = combo.pop("radius_range", radius_range)
        if combo:
            raise InputError("combos", sorted(combo), "keys among color, shape, speed_range, radius_range")
    speeds, radii = _speed_radius_sets(RANGES[scenario], split, level)
    speeds = speed_range or speeds
    radii = radius_range or radii
    if scenario == "collision":
        v1, v2 = _uniform_in(rng, speeds), _uniform_in(rng, speeds)
        r1, r2 = _uniform_in(rng, radii), _uniform_in(rng, radii)
        # meet after >= 8 frames, leave >= 8 frames before the end
        t_contact = float(rng.uniform(0.8, (NUM_FRAMES - 8) * FRAME_DT))
        t_contact = min(t_contact, max(0.8, (WORLD_SIZE - 2 * r1 - 2 * r2) / max(v1 + v2, 1e-6)))
        x1, x2 = collision_start_xs(v1, v2, r1, r2, t_contact, centre=float(rng.uniform(4.0, 6.0)))
        x1, x2 = max(x1, r1), min(x2, WORLD_SIZE - r2)
        if x2 - x1 < r1 + r2:  # both fast and large: let them start touching the edges
            x1, x2 = r1, WORLD_SIZE - r2
        y = float(rng.uniform(max(r1, r2) + 0.5, WORLD_SIZE - 0.5 - max(r1, r2)))
        return CollisionParams(v1, v2, r1, r2, x1, x2, y, color or "red", "blue" if (color or "red") != "blue" else "red",
                               shape, shape).validate()
    v, rad = _uniform_in(rng, speeds), _uniform_in(rng, radii)
    lo, hi = uniform_x_range(v, rad)
    x = float(rng.uniform(lo, hi))
    direction = int(directions[int(rng.integers(len(directions)))]) if len(directions) > 1 else int(directions[0])
    if direction < 0:
        x = WORLD_SIZE - x  # the mirrored scene
    cls = UniformParams if scenario == "uniform" else ParabolaParams
    if scenario == "uniform":
        y = float(rng.uniform(rad + 0.5, WORLD_SIZE - 0.5 - rad))
    else:
        y = float(rng.uniform(8.5 - rad, 9.5 - rad))
    return cls(v, rad, x, y, color or "red", shape, direction).validate()
