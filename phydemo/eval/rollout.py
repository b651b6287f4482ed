"""Ground truth vs generated rollouts for given scene parameters: the logic behind CLI and app."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from phydemo.errors import InputError
from phydemo.eval.metrics import VelocityReport, fully_visible, parse, signed_speed, velocity_error
from phydemo.protocol import DEFAULT_STEPS, FRAME_DT, NUM_COND_FRAMES
from phydemo.world.physics import Trajectory, simulate
from phydemo.world.render import render
from phydemo.world.scenes import SceneParams


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


def run_rollouts(pipe, params_list: list[SceneParams], seed: int | list[int] = 0, steps: int = DEFAULT_STEPS,
                 batch_size: int = 16, callback_on_step_end=None) -> list[Rollout]:
    """Simulate, render and generate a batch of scenes in one sampling call: ``seed`` seeds the batch's noise, or, as
    a list of one seed per scene, each scene's own (so a scene batched with others gets what it gets alone)."""
    scenario = pipe.training_distribution.scenario
    for p in params_list:
        if p.scenario != scenario:
            raise InputError("scenario", p.scenario, f"{scenario!r}: the scenario this checkpoint generates")
    res = pipe.frame_size
    trajs = [simulate(p) for p in params_list]
    gts = np.stack([render(t, res) for t in trajs])
    generator = [torch.Generator().manual_seed(int(s)) for s in seed] if isinstance(seed, (list, tuple)) \
        else torch.Generator().manual_seed(int(seed))
    gen = pipe(gts[:, :NUM_COND_FRAMES], num_inference_steps=steps, batch_size=batch_size, generator=generator,
               callback_on_step_end=callback_on_step_end).frames
    return [Rollout(p, t, g, x, velocity_error(p.scenario, g, t), velocity_error(p.scenario, x, t))
            for p, t, g, x in zip(params_list, trajs, gts, gen)]


def scene_seeds(seed: int, n: int) -> list[int]:
    """One noise seed per scene derived from ``seed``, for jobs sampled in chunks (the chunking then changes nothing)."""
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(n)]


def run_rollout(pipe, params: SceneParams, seed: int = 0, steps: int = DEFAULT_STEPS) -> Rollout:
    return run_rollouts(pipe, [params], seed, steps)[0]


def generated_speed(r: Rollout) -> float:
    """The generated ball's speed along its true motion (``metrics.signed_speed``; NaN if never scored)."""
    return signed_speed(r.report, r.params.scenario)


def guess_errors(r: Rollout, guess: tuple[float, float], frame: int) -> dict:
    """Where ball 1 is at ``frame`` under the law, in the generated video (parsed; None if the model shows no ball)
    and in a guess, and how far the model and the guess are from the law (world units)."""
    truth = r.traj.positions[frame, 0]
    model = parse(r.generated[frame:frame + 1], r.traj.balls[0].color).positions[0]
    found = bool(np.isfinite(model).all())
    return {"frame": frame, "truth": truth.round(3).tolist(), "model": model.round(3).tolist() if found else None,
            "guess": [round(float(g), 3) for g in guess],
            "model_error": round(float(np.linalg.norm(model - truth)), 3) if found else None,
            "guess_error": round(float(np.linalg.norm(np.asarray(guess, float) - truth)), 3)}
