"""Where a collision rollout stops being clean: for each ball, the first scored frame whose colour mask is not one blob
of the true ball's area (the rule of ``clean.is_clean``), what went wrong there (the ball vanished, split in two, or
changed size), and how far that frame is from the true contact. Tallied against the contact frame, the balls' speeds
and radii, it says whether smears happen at the contact or elsewhere, and for which scenes."""

from __future__ import annotations

from collections import Counter

import numpy as np

from phydemo.eval.clean import frame_fault
from phydemo.eval.evaluate import sample_scenes, standard_error
from phydemo.eval.metrics import collision_index, color_mask, evaluation_frames, fully_visible
from phydemo.protocol import DEFAULT_STEPS, FRAME_DT, TUNE_SEED
from phydemo.world.physics import simulate


def first_faults(generated: np.ndarray, truth: np.ndarray, traj) -> list[dict]:
    """Each ball's first faulty scored frame, its fault, and its offset from the true contact frame."""
    contact = collision_index(np.diff(traj.positions, axis=0) / FRAME_DT)
    out = []
    for i, ball in enumerate(traj.balls):
        idx = evaluation_frames(fully_visible(traj, i))
        for t, g, r in zip(idx, color_mask(generated[idx], ball.color), color_mask(truth[idx], ball.color)):
            kind = frame_fault(g, r)
            if kind:
                out.append({"ball": i, "frame": int(t), "kind": kind, "from_contact": int(t) - contact,
                            "radius": float(ball.radius), "smaller": _is_smaller(traj.balls, i)})
                break
    return out


def _is_smaller(balls, i: int) -> bool | None:
    """Whether ball ``i`` is the smaller of two (None when their radii are equal)."""
    other = balls[1 - i].radius
    return None if balls[i].radius == other else bool(balls[i].radius < other)


def _rate_by(values: np.ndarray, faulty: np.ndarray, edges: list[float]) -> list[dict]:
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (values >= lo) & (values < hi)
        if m.any():
            rows.append({"range": [lo, hi], "n": int(m.sum()), "faulty": int(faulty[m].sum()),
                         "rate": float(faulty[m].mean()), "se": standard_error(faulty[m].astype(float))})
    return rows


def contact_faults(pipe, n: int = 256, seed: int = TUNE_SEED, steps: int = DEFAULT_STEPS, batch_size: int = 16) -> dict:
    """The first faults of ``n`` in-distribution collision rollouts (every rollout counted; a rollout without one is
    clean), tallied by offset from the contact, by kind, by ball (0 starts on the left), by whether the faulty ball is the
    smaller one, by closing speed and by the smaller radius."""
    videos, gen = sample_scenes(pipe, "collision", n, steps, None, seed, batch_size)
    faults, closing, small = [], [], []
    for g, truth, p in zip(gen, videos.frames, videos.params):
        traj = simulate(p)
        faults.append(first_faults(g, truth, traj))
        closing.append(p.speed1 + p.speed2)
        small.append(min(p.radius1, p.radius2))
    faulty = np.array([bool(f) for f in faults])
    firsts = [min(f, key=lambda x: x["frame"]) for f in faults if f]
    offsets = Counter(min(max(x["from_contact"], -4), 4) for x in firsts)  # clipped: <= -4 and >= 4 pooled
    return {"n": n, "seed": seed, "steps": steps, "faulty": int(faulty.sum()), "rate": float(faulty.mean()),
            "by_offset": {str(k): offsets[k] for k in sorted(offsets)},
            "by_kind": dict(Counter(x["kind"] for x in firsts)),
            "by_ball": dict(Counter(str(x["ball"]) for x in firsts)),
            "by_size": dict(Counter({True: "smaller", False: "larger", None: "equal"}[x["smaller"]] for x in firsts)),
            "by_closing_speed": _rate_by(np.array(closing), faulty, [2.0, 3.5, 4.5, 5.5, 8.01]),
            "by_smaller_radius": _rate_by(np.array(small), faulty, [0.5, 0.75, 1.0, 1.25, 1.51]),
            "cases": [{"scene": i, **x} for i, f in enumerate(faults) for x in f]}
