"""The paper's table for a checkpoint: ID error, OOD error per level, parse floor, clean-ball rate."""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from . import data as datamod
from .defaults import DEFAULT_STEPS, EVAL_SEED
from .metrics import color_mask, evaluation_frames, fully_visible, velocity_error
from .physics import simulate
from .scenes import OOD_LEVELS


def is_clean(frames: np.ndarray, gt_frames: np.ndarray, traj) -> bool:
    """One clean object per ball in every scored frame: a single connected blob of its colour whose
    area is within 35% of the ground truth's (no smear, no duplicate, no vanishing). Scored frames are those
    where the true ball lies wholly inside the view, on both axes: a thrown ball that has fallen out of the
    bottom is not asked to be there."""
    for g, r in scored_ball_masks(frames, gt_frames, traj):
        area, want = g.sum(), r.sum()
        if blob_count(g) != 1 or abs(area - want) > 0.35 * max(want, 1):
            return False
    return True


def scored_ball_masks(frames: np.ndarray, gt_frames: np.ndarray, traj):
    """(generated, true) colour masks of each ball in each frame where the true ball lies wholly in view."""
    for i, ball in enumerate(traj.balls):
        idx = evaluation_frames(fully_visible(traj, i))
        yield from zip(color_mask(frames[idx], ball.color), color_mask(gt_frames[idx], ball.color))


def blob_count(mask: np.ndarray) -> int:
    """Connected blobs in a 2-D mask (8-connected)."""
    return ndimage.label(mask, structure=np.ones((3, 3)))[1]


def score_videos(scenario: str, generated: np.ndarray, videos: datamod.VideoSet):
    """Per video: (velocity report of the generated frames, trajectory, clean or not), in scene order."""
    for gen, gt, p in zip(generated, videos.frames, videos.params):
        traj = simulate(p)
        yield velocity_error(scenario, gen, traj), traj, is_clean(gen, gt, traj)


def score(scenario: str, generated: np.ndarray, videos: datamod.VideoSet) -> dict:
    """Per-video errors of generated frames against the ground truth, and of the GT renders (floor)."""
    errors, floors, clean, speeds, signed, radii = [], [], [], [], [], []
    for (report, traj, ok), gt, p in zip(score_videos(scenario, generated, videos), videos.frames, videos.params):
        radii.append(min(b.radius for b in traj.balls))
        errors.append(report.error)
        floors.append(velocity_error(scenario, gt, traj).error)
        clean.append(ok)
        if scenario != "collision" and len(report.frames):
            speeds.append(p.speed)
            true_vx = np.nanmean(report.true_velocity[:, 0, 0])  # signed along the direction of motion
            signed.append((np.nanmean(report.parsed_velocity[:, 0, 0]) - true_vx) * np.sign(true_vx or 1.0))
    errors, floors = np.array(errors), np.array(floors)
    scored = errors[np.isfinite(errors)]
    out = {"error": float(np.nanmean(errors)), "error_median": float(np.nanmedian(errors)),
           "error_se": float(scored.std(ddof=1) / np.sqrt(len(scored))) if len(scored) > 1 else float("nan"),
           "parse_floor": float(np.nanmean(floors)), "clean_fraction": float(np.mean(clean)),
           "n": int(len(errors)), "n_scored": len(scored)}
    if speeds:
        out["bias_by_speed"] = bias_by_speed(np.array(speeds), np.array(signed))
    out["error_by_radius"] = error_by_radius(np.array(radii), errors, np.array(clean))
    return out


def error_by_radius(radii: np.ndarray, errors: np.ndarray, clean: np.ndarray, width: float = 0.25) -> list[dict]:
    """Mean error and clean share per bin of the scene's smallest radius (``width`` wide): where small balls,
    a few pixels across, are drawn worse (empty bins and unscored videos are left out)."""
    return [{"radius": edges, "n": int(m.sum()), "error": round(float(errors[m].mean()), 4),
             "clean": round(float(clean[m].mean()), 3)} for edges, m in _bins(radii, errors, width)]


def format_by_radius(rows: list[dict]) -> str:
    """``[0.5, 0.75] 1.310 (21% clean), ...``: an error_by_radius list on one line."""
    return ", ".join(f"[{r['radius'][0]:g}, {r['radius'][1]:g}] {r['error']:.3f} ({r['clean']:.0%} clean)"
                     for r in rows)


def bias_by_speed(speeds: np.ndarray, signed: np.ndarray, width: float = 0.5) -> list[dict]:
    """Mean signed speed error (generated - true, along the motion) per true-speed bin of ``width``: > 0 where the
    model speeds balls up, < 0 where it slows them down (empty bins are left out)."""
    return [{"speed": edges, "n": int(m.sum()), "bias": round(float(signed[m].mean()), 4)}
            for edges, m in _bins(speeds, signed, width)]


def _bins(keys: np.ndarray, values: np.ndarray, width: float):
    """(edges, mask) per ``width``-wide bin of ``keys`` that holds a finite value."""
    which = np.floor(keys / width + 1e-9).astype(int)
    for b in np.unique(which):
        m = (which == b) & np.isfinite(values)
        if m.any():
            yield [round(b * width, 3), round((b + 1) * width, 3)], m


def format_bias(rows: list[dict]) -> str:
    """``[1, 1.5] +0.046, [1.5, 2] +0.003, ...``: a bias_by_speed list on one line."""
    return ", ".join(f"[{b['speed'][0]:g}, {b['speed'][1]:g}] {b['bias']:+.3f}" for b in rows)


def evaluate_pipeline(pipe, scenario: str, n: int = 256, steps: int = DEFAULT_STEPS, levels=OOD_LEVELS, seed: int = EVAL_SEED,
                      batch_size: int = 16, progress: bool = True, data_kwargs: dict | None = None) -> dict:
    """Generate ``n`` ID videos and ``n`` per OOD level from fixed scenes and score them."""
    res = pipe.transformer.config.sample_size
    kw = dict(data_kwargs or {})
    out: dict = {"scenario": scenario, "n": n, "steps": steps, "resolution": res, "seed": seed}
    sets = [("id", None)] + [("ood", lvl) for lvl in levels]
    for split, level in sets:
        videos, gen = sample_scenes(pipe, scenario, n, steps, level, seed, batch_size, progress,
                                    data_kwargs=None if split == "ood" else kw)
        result = score(scenario, gen, videos)
        if split == "id":
            out["id"] = result
        else:
            out.setdefault("ood", {})[level] = result
    return out


def sample_scenes(pipe, scenario: str, n: int, steps: int = DEFAULT_STEPS, level: str | None = None,
                  seed: int = EVAL_SEED, batch_size: int = 16, progress: bool = False, data_kwargs: dict | None = None,
                  noise_seed: int | None = None):
    """The fixed evaluation scenes for ``seed`` (ID, or OOD at ``level``) and the pipeline's rollouts of them, drawn
    from noise seeded with ``noise_seed`` (``seed`` when None, as ``evaluate`` does)."""
    split = "id_eval" if level is None else "ood_eval"
    videos = datamod.generate(scenario, split, n, seed, pipe.transformer.config.sample_size, level=level,
                              progress=progress, **(data_kwargs or {}))
    gen = pipe(videos.frames[:, :3], num_inference_steps=steps, batch_size=batch_size,
               generator=torch.Generator().manual_seed(seed if noise_seed is None else noise_seed))
    return videos, gen
