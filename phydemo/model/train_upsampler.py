"""Training the cascade's 4x upsampler on ground truth: each frame rendered at 32 px (what a perfect base model
generates) -> the same frame rendered at 128 px, with the video's last given frame at 128 px as the reference.

The base model's frames are not clean renders: faint speckle over the background (99% of its pixels within 22 of
white) and a stronger halo on and around each ball (the 90th percentile of its deviation from the truth 29-60, of 255;
measured on the 32 px collision model's rollouts). So the low-resolution inputs get Gaussian noise of a random
strength up to ``noise_max`` everywhere, and up to ``ball_noise_max`` on the balls and within ``ball_noise_dilate`` px
of them; the targets are clean, so the upsampler learns to draw clean balls from such frames. Scenes are drawn as for the
autoencoder (every colour, shape and direction, ID and OOD ranges) from the config's scenarios. ``python -m phydemo
train-upsampler --config configs/upsampler-collision.yaml``; rerunning the command resumes from
``runs/<name>/state.pt``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from phydemo.atomic import atomic_path
from phydemo.model.ball_loss import pixel_ball_mask
from phydemo.model.frame_training import FrameTrainingConfig, fit
from phydemo.model.train_autoencoder import broad_scenes, frames_to_model, reconstruction_loss
from phydemo.model.train_config import check_numbers
from phydemo.model.upsampler import FrameUpsampler
from phydemo.protocol import NUM_COND_FRAMES, NUM_FRAMES
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.scenes import SCENARIOS


@dataclass
class UpsamplerConfig(FrameTrainingConfig):
    resolution: int = 128  # the frames it returns; it takes resolution / scale
    scale: int = 4
    model: dict = field(default_factory=dict)  # FrameUpsampler config overrides
    scenarios: list[str] = field(default_factory=lambda: ["collision"])
    scenes: int = 1500  # training scenes; frames_per_scene generated frames are drawn from each
    frames_per_scene: int = 8
    ood_fraction: float = 0.5
    noise_max: float = 0.1  # std of the noise on the inputs, drawn per frame in [0, noise_max] (the [-1, 1] scale)
    ball_noise_max: float = 0.35  # std of the extra noise on and near the balls, drawn per frame in [0, ball_noise_max]
    ball_noise_dilate: int = 1  # px around a ball (at the low resolution) that get it too
    ball_weight: float = 4.0  # pixels within ball_dilate px of a ball count 1 + ball_weight times
    ball_dilate: int = 2
    max_steps: int = 3000

    def __post_init__(self):
        check_numbers(self)
        unknown = sorted(set(self.scenarios) - set(SCENARIOS))
        if unknown or not self.scenarios:
            raise ValueError(f"scenarios={self.scenarios!r}: allowed a non-empty list of {', '.join(SCENARIOS)}")
        if self.scale < 2 or self.resolution % self.scale:
            raise ValueError(f"resolution={self.resolution}, scale={self.scale}: the scale must be >= 2 and divide the "
                             "resolution")


def build_pairs(cfg: UpsamplerConfig) -> dict[str, np.ndarray]:
    """uint8 training triples: ``low`` (N, h, w, 3), ``high`` (N, H, W, 3) and ``reference`` (N, H, W, 3), the last
    given frame of each frame's video."""
    rng = np.random.default_rng([cfg.seed, 2])
    low, high, ref = [], [], []
    for p in broad_scenes(cfg.scenes, cfg.seed, cfg.ood_fraction, tuple(cfg.scenarios)):
        traj = simulate(p)
        idx = np.sort(rng.choice(np.arange(NUM_COND_FRAMES, NUM_FRAMES), cfg.frames_per_scene, replace=False))
        low.append(render(traj, cfg.resolution // cfg.scale, idx))
        high.append(render(traj, cfg.resolution, idx))
        ref.append(np.repeat(render(traj, cfg.resolution, np.array([NUM_COND_FRAMES - 1])), len(idx), axis=0))
    return {"low": np.concatenate(low), "high": np.concatenate(high), "reference": np.concatenate(ref)}


def degrade(low: torch.Tensor, rng: np.random.Generator, cfg: UpsamplerConfig) -> torch.Tensor:
    """Clean low-resolution frames (N, 3, h, w) in [-1, 1] made to look like a base model's: noise everywhere, and
    more on and near the balls."""
    n = len(low)
    sigma = torch.from_numpy(rng.uniform(0, cfg.noise_max, (n, 1, 1, 1))).float()
    sigma_ball = torch.from_numpy(rng.uniform(0, cfg.ball_noise_max, (n, 1, 1, 1))).float()
    k = 2 * cfg.ball_noise_dilate + 1
    near = F.max_pool2d(pixel_ball_mask(low), k, stride=1, padding=cfg.ball_noise_dilate)
    noise = torch.from_numpy(rng.standard_normal((2, *low.shape))).float()
    return (low + sigma * noise[0] + sigma_ball * near * noise[1]).clamp(-1, 1)  # as the base's frames are


def train_upsampler(cfg: UpsamplerConfig) -> Path:
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    model = FrameUpsampler(sample_size=cfg.resolution, scale=cfg.scale, **cfg.model)
    data_path = cfg.run_dir / "pairs.npz"
    if data_path.exists():
        with np.load(data_path) as z:
            data = {k: z[k] for k in z.files}
    else:
        data = build_pairs(cfg)
        with atomic_path(data_path, ".npz") as tmp:
            np.savez(tmp, **data)

    def batch_loss(rng: np.random.Generator) -> torch.Tensor:
        i = rng.integers(len(data["low"]), size=cfg.batch_size)
        low, high, ref = (frames_to_model(data[k][i]) for k in ("low", "high", "reference"))
        return reconstruction_loss(model(degrade(low, rng, cfg), ref), high, cfg.ball_weight, cfg.ball_dilate)

    step, elapsed_s = fit(model, cfg, batch_loss)
    folder = cfg.run_dir / "checkpoint"
    model.eval().save_pretrained(folder, safe_serialization=True)
    (folder / "train_config.yaml").write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False))
    (folder / "train_state.json").write_text(json.dumps({"step": step, "elapsed_min": round(elapsed_s / 60, 1)}, indent=2))
    return folder
