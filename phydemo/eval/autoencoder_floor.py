"""The floor of a frame stage: the paper's parser on ground truth passed through the stage, next to the pixel parse
floor. For the autoencoder, decode(encode(ground truth)); for a cascade's upsampler, upsample(the ground truth rendered
at the base model's resolution), the given frames as they are.

A latent DiT can be no better than its autoencoder lets it be, a cascade no better than its upsampler: this is the
error of a perfect DiT. Measured per scenario on the ID scenes and on each OOD level (the same fixed scenes
``evaluate`` uses), with the share of passed-through videos that stay clean (every ball one blob of the right size in
every scored frame).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from phydemo.eval.clean import is_clean
from phydemo.eval.metrics import velocity_error
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.pipeline import from_model_space, to_model_space
from phydemo.model.upsampler import FrameUpsampler
from phydemo.protocol import EVAL_SEED, NUM_COND_FRAMES
from phydemo.world.dataset import VideoSet, generate
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.sampling import OOD_LEVELS
from phydemo.world.scenes import SCENARIOS


@torch.no_grad()
def reconstruct(autoencoder: FrameAutoencoder, frames: np.ndarray, batch: int = 4) -> np.ndarray:
    """uint8 videos (N, T, H, W, 3) through encode and decode, ``batch`` videos at a time."""
    out = [from_model_space(autoencoder.decode_video(autoencoder.encode_video(to_model_space(frames[i:i + batch]))))
           for i in range(0, len(frames), batch)]
    return np.concatenate(out)


@torch.no_grad()
def upsample_renders(upsampler: FrameUpsampler, videos: VideoSet, trajs: list, batch: int = 4) -> np.ndarray:
    """Each video (its trajectory in ``trajs``) rendered at the upsampler's input size and upsampled, conditioned on
    its last given frame; the given frames are the full-resolution ones, as in the cascade's output."""
    low = np.stack([render(traj, upsampler.low_size) for traj in trajs])
    out = []
    for i in range(0, len(low), batch):
        given = to_model_space(videos.frames[i:i + batch, :NUM_COND_FRAMES])
        rest = upsampler.upsample_video(to_model_space(low[i:i + batch, NUM_COND_FRAMES:]), given[:, :, -1])
        out.append(from_model_space(torch.cat([given, rest], dim=2)))
    return np.concatenate(out)


def floor_of_set(through: Callable[[VideoSet, list], np.ndarray], resolution: int, scenario: str, n: int, seed: int,
                 level: str | None) -> dict:
    videos = generate(scenario, "id_eval" if level is None else "ood_eval", n, seed, resolution, level=level,
                      progress=False)
    trajs = [simulate(p) for p in videos.params]
    recon = through(videos, trajs)
    pixel, through, clean = [], [], []
    for gt, rec, traj in zip(videos.frames, recon, trajs):
        pixel.append(velocity_error(scenario, gt, traj).error)
        through.append(velocity_error(scenario, rec, traj).error)
        clean.append(is_clean(rec, gt, traj))
    pixel, through = np.array(pixel), np.array(through)
    scored = np.isfinite(pixel)  # a scene without a scored frame (no frame after a collision in view) is left out
    lost = int(np.sum(scored & ~np.isfinite(through)))  # can only be NaN where the ground truth is scored
    err = through[scored]
    return {"n": n, "n_scored": int(scored.sum()), "pixel_floor": float(pixel[scored].mean()),
            "through": float(err.mean()), "through_se": float(err.std(ddof=1) / np.sqrt(len(err))),
            "ratio": float(err.mean() / pixel[scored].mean()), "clean_fraction": float(np.mean(clean)), "lost": lost}


def autoencoder_floor(autoencoder: FrameAutoencoder, n: int = 256, seed: int = EVAL_SEED, scenarios=SCENARIOS,
                      levels=OOD_LEVELS) -> dict:
    """{scenario: {"ID": row, "OOD v": row, ...}} for the fixed evaluation scenes of ``seed``."""
    autoencoder = autoencoder.eval()
    return _floors(lambda videos, _: reconstruct(autoencoder, videos.frames), autoencoder.config.sample_size, n, seed,
                   scenarios, levels)


def upsampler_floor(upsampler: FrameUpsampler, n: int = 256, seed: int = EVAL_SEED, scenarios=("collision",),
                    levels=OOD_LEVELS) -> dict:
    """{scenario: {"ID": row, "OOD v": row, ...}}: the parser on upsampled low-resolution renders."""
    upsampler = upsampler.eval()
    return _floors(lambda videos, trajs: upsample_renders(upsampler, videos, trajs), upsampler.config.sample_size, n, seed,
                   scenarios, levels)


def _floors(through, resolution: int, n: int, seed: int, scenarios, levels) -> dict:
    return {scenario: {("ID" if level is None else f"OOD {level}"): floor_of_set(through, resolution, scenario, n,
                                                                                   seed, level)
                       for level in (None, *levels)} for scenario in scenarios}
