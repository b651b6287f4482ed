"""The autoencoder's floor: the paper's parser on decode(encode(ground truth)), next to the pixel parse floor.

A latent DiT can be no better than its autoencoder lets it be: this is the error of a perfect latent model. Measured
per scenario on the ID scenes and on each OOD level (the same fixed scenes ``evaluate`` uses), with the share of
reconstructed videos that stay clean (every ball one blob of the right size in every scored frame).
"""

from __future__ import annotations

import numpy as np
import torch

from phydemo.eval.clean import is_clean
from phydemo.eval.metrics import velocity_error
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.pipeline import from_model_space, to_model_space
from phydemo.protocol import EVAL_SEED
from phydemo.world.dataset import generate
from phydemo.world.physics import simulate
from phydemo.world.sampling import OOD_LEVELS
from phydemo.world.scenes import SCENARIOS


@torch.no_grad()
def reconstruct(autoencoder: FrameAutoencoder, frames: np.ndarray, batch: int = 4) -> np.ndarray:
    """uint8 videos (N, T, H, W, 3) through encode and decode, ``batch`` videos at a time."""
    out = [from_model_space(autoencoder.decode_video(autoencoder.encode_video(to_model_space(frames[i:i + batch]))))
           for i in range(0, len(frames), batch)]
    return np.concatenate(out)


def floor_of_set(autoencoder: FrameAutoencoder, scenario: str, n: int, seed: int, level: str | None) -> dict:
    videos = generate(scenario, "id_eval" if level is None else "ood_eval", n, seed, autoencoder.config.sample_size,
                      level=level, progress=False)
    recon = reconstruct(autoencoder, videos.frames)
    pixel, through, clean = [], [], []
    for gt, rec, p in zip(videos.frames, recon, videos.params):
        traj = simulate(p)
        pixel.append(velocity_error(scenario, gt, traj).error)
        through.append(velocity_error(scenario, rec, traj).error)
        clean.append(is_clean(rec, gt, traj))
    pixel, through = np.array(pixel), np.array(through)
    scored = np.isfinite(pixel)  # a scene without a scored frame (no frame after a collision in view) is left out
    lost = int(np.sum(scored & ~np.isfinite(through)))  # can only be NaN where the ground truth is scored
    err = through[scored]
    return {"n": n, "n_scored": int(scored.sum()), "pixel_floor": float(pixel[scored].mean()),
            "autoencoder_floor": float(err.mean()), "autoencoder_se": float(err.std(ddof=1) / np.sqrt(len(err))),
            "ratio": float(err.mean() / pixel[scored].mean()), "clean_fraction": float(np.mean(clean)), "lost": lost}


def autoencoder_floor(autoencoder: FrameAutoencoder, n: int = 256, seed: int = EVAL_SEED, scenarios=SCENARIOS,
                      levels=OOD_LEVELS) -> dict:
    """{scenario: {"ID": row, "OOD v": row, ...}} for the fixed evaluation scenes of ``seed``."""
    autoencoder = autoencoder.eval()
    return {scenario: {("ID" if level is None else f"OOD {level}"): floor_of_set(autoencoder, scenario, n, seed, level)
                       for level in (None, *levels)} for scenario in scenarios}
