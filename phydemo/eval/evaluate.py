"""The paper's table for a checkpoint: ID error, OOD error per level, parse floor, clean-ball rate."""

from __future__ import annotations

import math

import numpy as np
import torch

from phydemo.eval.clean import is_clean
from phydemo.eval.metrics import velocity_error
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED, NUM_COND_FRAMES
from phydemo.world import dataset as datamod
from phydemo.world.physics import simulate
from phydemo.world.sampling import OOD_LEVELS


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
           "error_se": standard_error(scored),
           "parse_floor": float(np.nanmean(floors)), "clean_fraction": float(np.mean(clean)),
           "n": int(len(errors)), "n_scored": len(scored)}
    if speeds:
        out["bias_by_speed"] = bias_by_speed(np.array(speeds), np.array(signed))
    out["error_by_radius"] = error_by_radius(np.array(radii), errors, np.array(clean))
    return out


def standard_error(values: np.ndarray) -> float:
    """The standard error of the mean of ``values`` (NaN with fewer than two)."""
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def error_by_radius(radii: np.ndarray, errors: np.ndarray, clean: np.ndarray, width: float = 0.25) -> list[dict]:
    """Mean error and clean share per bin of the scene's smallest radius (``width`` wide): where small balls,
    a few pixels across, are drawn worse (empty bins and unscored videos are left out)."""
    return [{"radius": edges, "n": int(m.sum()), "error": round(float(errors[m].mean()), 4),
             "clean": round(float(clean[m].mean()), 3)} for edges, m, _ in bins(radii, errors, width)]


def bias_by_speed(speeds: np.ndarray, signed: np.ndarray, width: float = 0.5) -> list[dict]:
    """Mean signed speed error (generated - true, along the motion) per true-speed bin of ``width``: > 0 where the
    model speeds balls up, < 0 where it slows them down (empty bins are left out)."""
    return [{"speed": edges, "n": int(m.sum()), "bias": round(float(signed[m].mean()), 4)}
            for edges, m, _ in bins(speeds, signed, width)]


def bins(keys: np.ndarray, values: np.ndarray, width: float):
    """(edges, read, unread) per ``width``-wide bin of ``keys`` that holds a finite value: the masks of the bin's
    entries whose value is finite and of those whose value is not."""
    which = np.floor(keys / width + 1e-9).astype(int)
    for b in np.unique(which):
        m = (which == b) & np.isfinite(values)
        if m.any():
            yield [round(b * width, 3), round((b + 1) * width, 3)], m, (which == b) & ~m


def evaluate_pipeline(pipe, scenario: str, n: int = 256, steps: int = DEFAULT_STEPS, levels=OOD_LEVELS, seed: int = EVAL_SEED,
                      batch_size: int = 16, progress: bool = True, data_kwargs: dict | None = None) -> dict:
    """Generate ``n`` ID videos and ``n`` per OOD level from fixed scenes and score them."""
    res = pipe.frame_size
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
    videos = datamod.generate(scenario, split, n, seed, pipe.frame_size, level=level,
                              progress=progress, **(data_kwargs or {}))
    gen = pipe(videos.frames[:, :NUM_COND_FRAMES], num_inference_steps=steps, batch_size=batch_size,
               generator=torch.Generator().manual_seed(seed if noise_seed is None else noise_seed)).frames
    return videos, gen


def quick_eval(pipe, cfg) -> dict:
    """What a training run logs: ID and OOD (speed) error and the clean share on ``cfg.eval_n`` fixed scenes (for a
    PHYRE-like model, ``combinatorial.quick_eval``: its abnormal rate and PSNR)."""
    if cfg.scenario == "phyre":
        from phydemo.eval.combinatorial import quick_eval as phyre_quick_eval  # loads the judge only where needed

        return phyre_quick_eval(pipe, cfg)
    pipe.set_progress_bar_config(disable=True)
    res = evaluate_pipeline(pipe, cfg.scenario, n=cfg.eval_n, steps=cfg.eval_steps, levels=("v",), progress=False,
                            data_kwargs=cfg.data_kwargs)
    out = {"id_error": res["id"]["error"], "ood_v_error": res["ood"]["v"]["error"], "id_clean": res["id"]["clean_fraction"]}
    return {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in out.items()}
