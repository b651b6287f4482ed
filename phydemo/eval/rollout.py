"""Ground truth vs generated rollouts for given scene parameters: the logic behind CLI and app."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from phydemo.eval.metrics import VelocityReport, after_contact, fully_visible, parse, velocity_error
from phydemo.protocol import DEFAULT_STEPS, FRAME_DT, NUM_COND_FRAMES
from phydemo.world.physics import Trajectory, simulate
from phydemo.world.render import render
from phydemo.world.sampling import describe_combination, in_ranges
from phydemo.world.scenes import SceneParams


def ood_labels(dist: dict, params: SceneParams) -> dict[str, str]:
    """Which attributes of ``params`` lie outside a checkpoint's training distribution, and by how much."""
    out: dict[str, str] = {}
    balls = params.balls()
    names = [""] if len(balls) == 1 else ["1", "2"]
    for suffix, ball in zip(names, balls):
        for attr, value, intervals in (("speed", abs(ball.vx), dist["speed"]), ("radius", ball.radius, dist["radius"])):
            if not in_ranges(value, intervals):
                gap = min(min(abs(value - lo), abs(value - hi)) for lo, hi in intervals)
                where = "below" if value < min(lo for lo, _ in intervals) else "above"
                span = ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in intervals)
                out[attr + suffix] = f"{attr}{suffix}={value:g} is {gap:.2g} {where} the training range {span}"
        if ball.color not in dist["colors"]:
            out["color" + suffix] = f"color{suffix}={ball.color} was never seen in training (seen: {', '.join(dist['colors'])})"
        direction = 1 if ball.vx >= 0 else -1
        if len(balls) == 1 and ball.vx != 0 and direction not in dist.get("directions", [1]):
            out["direction" + suffix] = f"direction{suffix}={'right' if direction > 0 else 'left'} was never seen in training"
        if ball.shape not in dist["shapes"]:
            out["shape" + suffix] = f"shape{suffix}={ball.shape} was never seen in training (seen: {', '.join(dist['shapes'])})"
        combos = dist.get("combos")
        if combos and not any(_in_combo(c, ball) for c in combos):
            out["combination" + suffix] = (f"ball{suffix} ({_describe_ball(ball)}) is a combination never seen in training "
                                           f"(seen: {'; '.join(describe_combination(c) for c in combos)})")
    return out


def _in_combo(combo: dict, ball) -> bool:
    """Whether a ball falls in one training combination (a mechanism-lab preset: colour with shape, size or speed)."""
    return (combo.get("color", ball.color) == ball.color and combo.get("shape", ball.shape) == ball.shape
            and in_ranges(ball.radius, combo.get("radius_range", [[0, float("inf")]]))
            and in_ranges(abs(ball.vx), combo.get("speed_range", [[0, float("inf")]])))


def _describe_ball(ball) -> str:
    return f"{ball.color} {ball.shape}, r={ball.radius:g}, v={abs(ball.vx):g}"


def per_frame_velocity(frames: np.ndarray, traj: Trajectory) -> np.ndarray:
    """(T-1, n, 2) forward-difference velocity of the parsed balls; NaN where a ball is missing or
    (in the ground truth) partly out of view in either frame."""
    out = np.full((len(frames) - 1, len(traj.balls), 2), np.nan)
    for i, ball in enumerate(traj.balls):
        pos = parse(frames, ball.color).positions
        ok = fully_visible(traj, i)
        pos[~ok] = np.nan
        out[:, i] = np.diff(pos, axis=0) / FRAME_DT
    return out


@dataclass
class Rollout:
    params: SceneParams
    traj: Trajectory
    gt_frames: np.ndarray
    generated: np.ndarray
    gt_report: VelocityReport  # the parse floor of this scene
    report: VelocityReport  # the generated video's error

    def to_json(self) -> dict:
        true_v = self.traj.velocities
        return {
            "params": asdict(self.params),
            "error": _num(self.report.error),
            "parse_floor": _num(self.gt_report.error),
            "cond_frames": NUM_COND_FRAMES,
            "true_velocity": true_v.round(6).tolist(),
            "gt_parsed_velocity": nan_to_none(per_frame_velocity(self.gt_frames, self.traj)),
            "generated_velocity": nan_to_none(per_frame_velocity(self.generated, self.traj)),
        }


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def nan_to_none(a: np.ndarray) -> list:
    """Nested list for JSON: NaN (missing / not scored) becomes null."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a.round(6), None).tolist()


def check_compatible(dist: dict, params: SceneParams) -> None:
    """Colours, shapes and ranges are validated by the parameter objects; the scenario must match."""
    if params.scenario != dist["scenario"]:
        raise ValueError(f"this checkpoint generates {dist['scenario']!r} scenes, not {params.scenario!r}")


def run_rollouts(pipe, params_list: list[SceneParams], seed: int = 0, steps: int = DEFAULT_STEPS,
                 batch_size: int = 16) -> list[Rollout]:
    """Simulate, render and generate a batch of scenes with one seeded sampling call."""
    dist = pipe.training_distribution
    for p in params_list:
        check_compatible(dist, p)
    res = pipe.transformer.config.sample_size
    trajs = [simulate(p) for p in params_list]
    gts = np.stack([render(t, res) for t in trajs])
    gen = pipe(gts[:, :NUM_COND_FRAMES], num_inference_steps=steps, batch_size=batch_size,
               generator=torch.Generator().manual_seed(int(seed)))
    return [Rollout(p, t, g, x, velocity_error(p.scenario, g, t), velocity_error(p.scenario, x, t))
            for p, t, g, x in zip(params_list, trajs, gts, gen)]


def run_rollout(pipe, params: SceneParams, seed: int = 0, steps: int = DEFAULT_STEPS) -> Rollout:
    return run_rollouts(pipe, [params], seed, steps)[0]


def generated_speed(r: Rollout) -> float:
    """Mean parsed x-velocity of ball 1 over the scored frames, signed along its true motion there (NaN if never
    scored): the input speed where the law holds, for collisions too (the sweep's equal balls swap velocities, so
    ball 1 leaves at its input speed, moving left); negative where the generated ball goes the wrong way."""
    v, true = r.report.parsed_velocity, r.report.true_velocity
    if r.params.scenario == "collision":  # after the contact, as the metric
        post = after_contact(true)
        v, true = v[post], true[post]
    if not len(v):
        return float("nan")
    direction = np.sign(np.nanmean(true[:, 0, 0])) or 1.0
    return float(np.nanmean(v[:, 0, 0]) * direction)
