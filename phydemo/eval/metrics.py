"""The PhyWorld parser and velocity errors (``id_ood_data/evaluate.py`` of phyworld/phyworld).

Parser: a ball is the centroid of its colour mask (per channel: > 127 where the colour has 255, < 127
where it has 0; for red and blue exactly the paper's masks), in world units; radius = sqrt(area / pi).
A ball that is not found is put where the paper's code puts it: on the edge it leaves by (x = 10 for
the ball moving right, x = 0 for the left-moving one), at the last parsed height.
Frames before ``NUM_COND_FRAMES`` and frames where the ground-truth ball is partly out of view are
excluded; velocities are forward differences over the kept frames divided by 0.1 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phydemo.protocol import FRAME_DT, NUM_COND_FRAMES, WORLD_SIZE
from phydemo.world.physics import Trajectory
from phydemo.world.scenes import COLORS


def color_mask(frames: np.ndarray, color: str) -> np.ndarray:
    """Boolean (..., H, W) mask of the pixels of ``color``."""
    c = COLORS[color]
    frames = np.asarray(frames)
    mask = np.ones(frames.shape[:-1], dtype=bool)
    for ch, value in enumerate(c):
        mask &= (frames[..., ch] > 127) if value >= 128 else (frames[..., ch] < 127)
    return mask


@dataclass
class Parsed:
    """Per-frame parse of one coloured object: world (x, y) (NaN when absent) and radius."""

    positions: np.ndarray  # (T, 2)
    radii: np.ndarray  # (T,)

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.positions[:, 0])


def parse(frames: np.ndarray, color: str) -> Parsed:
    """Centroid and radius of the ``color`` mask in each frame (T, H, W, 3)."""
    mask = color_mask(frames, color)
    T, H, W = mask.shape
    area = mask.sum(axis=(1, 2)).astype(np.float64)
    rows = (np.arange(H) + 0.5)[None, :, None]
    cols = (np.arange(W) + 0.5)[None, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = (mask * cols).sum(axis=(1, 2)) / area
        cy = (mask * rows).sum(axis=(1, 2)) / area
    scale = WORLD_SIZE / W
    pos = np.stack([cx * scale, WORLD_SIZE - cy * scale], axis=-1)
    pos[area == 0] = np.nan
    return Parsed(pos, np.sqrt(area / np.pi) * scale)


def _fill_missing(pos: np.ndarray, edge_x: float, last_y: float = np.nan) -> np.ndarray:
    """The paper's convention for a ball not found: on the exit edge at the last parsed height (``last_y`` before
    the first frame, so a ball that vanishes for good still has a position and its error counts)."""
    pos = pos.copy()
    for k in range(len(pos)):
        if np.isnan(pos[k, 0]):
            pos[k] = (edge_x, last_y)
        else:
            last_y = pos[k, 1]
    return pos


def fully_visible(traj: Trajectory, ball: int, axes: str = "xy") -> np.ndarray:
    """(T,) mask of frames where the ground-truth body lies wholly inside the view."""
    p, r = traj.positions[:, ball], traj.balls[ball].radius
    ok = (p[:, 0] - r >= 0) & (p[:, 0] + r <= WORLD_SIZE)
    if "y" in axes:
        ok &= (p[:, 1] - r >= 0) & (p[:, 1] + r <= WORLD_SIZE)
    return ok


def evaluation_frames(mask: np.ndarray) -> np.ndarray:
    """Indices of the frames scored: after the conditioning frames and inside ``mask``."""
    idx = np.flatnonzero(mask)
    return idx[idx >= NUM_COND_FRAMES]


@dataclass
class VelocityReport:
    """The error (world units / s) and the per-frame velocities behind it, for plots and JSON."""

    error: float
    frames: np.ndarray  # (K,) frame index at the start of each forward difference
    true_velocity: np.ndarray  # (K, n, 2)
    parsed_velocity: np.ndarray  # (K, n, 2)


def _velocities(frames: np.ndarray, traj: Trajectory, idx: np.ndarray):
    n = len(traj.balls)
    parsed = np.empty((len(idx), n, 2))
    for i, ball in enumerate(traj.balls):
        pos = parse(frames[idx], ball.color).positions
        edge = WORLD_SIZE if ball.vx >= 0 else 0.0
        before = parse(frames[:idx[0]], ball.color).positions[:, 1]  # the given frames show it
        seen = before[np.isfinite(before)]
        parsed[:, i] = _fill_missing(pos, edge, seen[-1] if len(seen) else np.nan)
    true_pos = traj.positions[idx]
    dv = np.diff(parsed, axis=0) / FRAME_DT
    tv = np.diff(true_pos, axis=0) / FRAME_DT
    return idx[:-1], tv, dv


def uniform_error(frames: np.ndarray, traj: Trajectory) -> VelocityReport:
    """|mean parsed x-velocity - true initial speed| over the scored frames."""
    idx = evaluation_frames(fully_visible(traj, 0))
    if len(idx) < 2:
        return VelocityReport(float("nan"), idx[:0], np.zeros((0, 1, 2)), np.zeros((0, 1, 2)))
    f, tv, dv = _velocities(frames, traj, idx)
    err = abs(np.nanmean(dv[:, 0, 0]) - traj.balls[0].vx)
    return VelocityReport(float(err), f, tv, dv)


def parabola_error(frames: np.ndarray, traj: Trajectory) -> VelocityReport:
    """|mean parsed velocity - mean true velocity| (2-D norm) over the scored frames.

    The uniform-motion error extended to both axes (the paper's code scores the parabola's x
    velocity this way): the vertical term checks the ball fell as far as gravity says.
    """
    idx = evaluation_frames(fully_visible(traj, 0))
    if len(idx) < 2:
        return VelocityReport(float("nan"), idx[:0], np.zeros((0, 1, 2)), np.zeros((0, 1, 2)))
    f, tv, dv = _velocities(frames, traj, idx)
    err = np.linalg.norm(np.nanmean(dv[:, 0], axis=0) - tv[:, 0].mean(axis=0))
    return VelocityReport(float(err), f, tv, dv)


def collision_index(true_velocity: np.ndarray) -> int:
    """First forward difference whose x-velocity changed by > 0.1 from the one before (the paper's rule)."""
    vx = true_velocity[..., 0]
    jumps = np.flatnonzero(np.any(np.abs(np.diff(vx, axis=0)) > 0.1, axis=1))
    return int(jumps[0]) + 1 if len(jumps) else len(vx) - 1


def after_contact(true_velocity: np.ndarray) -> slice:
    """The forward differences after the contact; the one spanning it is skipped, as in the paper's code."""
    return slice(collision_index(true_velocity) + 1, None)


def signed_speed(report: VelocityReport, scenario: str) -> float:
    """Mean parsed x-velocity of ball 1 over the scored frames (for a collision, after the contact, as the metric),
    signed along its true motion there (NaN if never scored): the input speed where the law holds (the sweep's equal
    collision balls swap velocities, so ball 1 leaves at its input speed, moving left); negative where the generated
    ball goes the wrong way."""
    v, true = report.parsed_velocity, report.true_velocity
    if scenario == "collision":
        post = after_contact(true)
        v, true = v[post], true[post]
    if not len(v):
        return float("nan")
    direction = np.sign(np.nanmean(true[:, 0, 0])) or 1.0
    return float(np.nanmean(v[:, 0, 0]) * direction)


def collision_error(frames: np.ndarray, traj: Trajectory) -> VelocityReport:
    """Mean over both balls of |mean post-collision parsed x-velocity - true post-collision x-velocity|."""
    p, r1, r2 = traj.positions, traj.balls[0].radius, traj.balls[1].radius
    visible = (p[:, 0, 0] - r1 >= 0) & (p[:, 1, 0] + r2 <= WORLD_SIZE)
    idx = evaluation_frames(visible)
    if len(idx) < 2:
        return VelocityReport(float("nan"), idx[:0], np.zeros((0, 2, 2)), np.zeros((0, 2, 2)))
    f, tv, dv = _velocities(frames, traj, idx)
    post = after_contact(tv)
    if len(dv[post]) == 0:
        return VelocityReport(float("nan"), f, tv, dv)
    err = np.mean(np.abs(np.nanmean(dv[post, :, 0], axis=0) - tv[post, :, 0].mean(axis=0)))
    return VelocityReport(float(err), f, tv, dv)


ERROR_FUNCTIONS = {"uniform": uniform_error, "parabola": parabola_error, "collision": collision_error}


def velocity_error(scenario: str, frames: np.ndarray, traj: Trajectory) -> VelocityReport:
    """The paper's error of ``scenario`` for generated ``frames`` against the ground truth ``traj``."""
    return ERROR_FUNCTIONS[scenario](frames, traj)
