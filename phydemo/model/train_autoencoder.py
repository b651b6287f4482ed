"""Training the frame autoencoder once, on a broad set of ground-truth renders, so that it can then stay frozen.

The frames come from scenes of all three scenarios with every colour and shape, ID and OOD speeds and radii and both
directions: a later OOD failure of a latent DiT then belongs to the DiT, not to the autoencoder. Training reads
crops (most of them centred on a ball, where the error matters); the network is convolutional, so it applies to
whole frames. ``python -m phydemo train-autoencoder --config configs/autoencoder.yaml``; rerunning the command
resumes from ``runs/<name>/state.pt``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml

from phydemo.atomic import atomic_path
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.ball_loss import ball_weighted_error, pixel_ball_mask
from phydemo.model.frame_training import FrameTrainingConfig, fit
from phydemo.model.pipeline import to_model_space
from phydemo.model.train_config import check_numbers
from phydemo.protocol import NUM_FRAMES, WORLD_SIZE
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.sampling import OOD_LEVELS, sample_params
from phydemo.world.scenes import COLORS, SCENARIOS, SHAPES


@dataclass
class AutoencoderConfig(FrameTrainingConfig):
    resolution: int = 128
    model: dict = field(default_factory=dict)  # FrameAutoencoder config overrides
    scenes: int = 2000  # training scenes; frames_per_scene frames are drawn from each
    frames_per_scene: int = 6
    ood_fraction: float = 0.5  # share of scenes drawn from the OOD ranges (speed, radius or both)
    crop: int = 64
    ball_crop_fraction: float = 0.85  # share of crops centred near a ball (the rest anywhere)
    ball_weight: float = 4.0  # pixels within ball_dilate px of a ball count 1 + ball_weight times
    ball_dilate: int = 2
    # PHYRE-like scenes (phydemo/world/phyre.py) added to the frame set, round-robin over the 60 training templates
    # (a multiple of 60; the 10 out-of-template ones are never seen); crops centre near one of their drawn pixels
    phyre_scenes: int = 0

    def __post_init__(self):
        check_numbers(self)
        if not isinstance(self.phyre_scenes, int) or self.phyre_scenes < 0 or self.phyre_scenes % 60:
            raise ValueError(f"phyre_scenes={self.phyre_scenes!r}: expected a multiple of 60 (the training templates)")


def broad_scenes(n: int, seed: int, ood_fraction: float = 0.5, scenarios: tuple[str, ...] = SCENARIOS) -> list:
    """``n`` scenes over ``scenarios`` (all three by default), every colour, shape and direction, ID and OOD ranges
    (seeded)."""
    rng = np.random.default_rng(seed)
    colors, scenes = list(COLORS), []
    for _ in range(n):
        scenario = scenarios[int(rng.integers(len(scenarios)))]
        ood = rng.random() < ood_fraction
        level = OOD_LEVELS[int(rng.integers(len(OOD_LEVELS)))] if ood else None
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        c1, c2 = rng.choice(len(colors), 2, replace=False)
        p = sample_params(scenario, "ood_eval" if ood else "train", rng, level=level, color=colors[c1], shape=shape,
                          directions=(1, -1))
        if scenario == "collision":  # both colours drawn freely, and the second ball's shape too
            p = dataclasses.replace(p, color2=colors[c2], shape2=SHAPES[int(rng.integers(len(SHAPES)))]).validate()
        scenes.append(p)
    return scenes


def build_frame_set(n_scenes: int, frames_per_scene: int, resolution: int, seed: int, ood_fraction: float = 0.5):
    """uint8 frames (N, H, W, 3) and each frame's ball centres in pixels (N, 2, 2; NaN where a scene has one ball)."""
    rng = np.random.default_rng([seed, 1])
    frames, centres = [], []
    for p in broad_scenes(n_scenes, seed, ood_fraction):
        traj = simulate(p)
        idx = np.sort(rng.choice(NUM_FRAMES, frames_per_scene, replace=False))
        frames.append(render(traj, resolution)[idx])
        c = np.full((frames_per_scene, 2, 2), np.nan)
        pos = traj.positions[idx]
        c[:, :pos.shape[1], 0] = pos[..., 0] / WORLD_SIZE * resolution  # column
        c[:, :pos.shape[1], 1] = (WORLD_SIZE - pos[..., 1]) / WORLD_SIZE * resolution  # row
        centres.append(c)
    return np.concatenate(frames), np.concatenate(centres).astype(np.float32)


def build_phyre_frame_set(n_scenes: int, frames_per_scene: int, resolution: int, seed: int):
    """``build_frame_set`` for PHYRE-like scenes of the 60 training templates: frames, and per frame two drawn
    (not white) pixels, as (column, row), for the crops to centre on."""
    from phydemo.world.phyre import NUM_FRAMES as PHYRE_FRAMES
    from phydemo.world.phyre_sets import render_pairs, split_pairs

    rng = np.random.default_rng([seed, 2])
    frames, centres = [], []
    for pair in split_pairs("train", 60, n_scenes):
        video = render_pairs([pair], resolution)[0]
        for f in video[np.sort(rng.choice(PHYRE_FRAMES, frames_per_scene, replace=False))]:
            rows, cols = np.nonzero((f < 250).any(axis=-1))
            pick = rng.integers(len(rows), size=2) if len(rows) else None
            frames.append(f)
            centres.append(np.full((2, 2), np.nan) if pick is None else np.stack([cols[pick], rows[pick]], axis=1))
    return np.stack(frames), np.stack(centres).astype(np.float32)


def sample_crops(frames: np.ndarray, centres: np.ndarray, rng: np.random.Generator, batch: int, crop: int,
                 ball_fraction: float) -> np.ndarray:
    """A batch of crops: most centred (with jitter) on a ball inside the frame, the rest at random places."""
    n, size = len(frames), frames.shape[1]
    out = np.empty((batch, crop, crop, 3), np.uint8)
    for b in range(batch):
        i = int(rng.integers(n))
        inside = [c for c in centres[i] if np.isfinite(c).all() and 0 <= c[0] < size and 0 <= c[1] < size]
        if inside and rng.random() < ball_fraction:
            cx, cy = inside[int(rng.integers(len(inside)))] + rng.uniform(-crop / 4, crop / 4, 2)
            x0, y0 = int(np.clip(cx - crop / 2, 0, size - crop)), int(np.clip(cy - crop / 2, 0, size - crop))
        else:
            x0, y0 = (int(v) for v in rng.integers(0, size - crop + 1, 2))
        out[b] = frames[i, y0:y0 + crop, x0:x0 + crop]
    return out


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor, ball_weight: float, dilate: int) -> torch.Tensor:
    """Squared error with the pixels near a ball (not white in the target, grown by ``dilate`` px) weighted up."""
    return ball_weighted_error((recon - target) ** 2, pixel_ball_mask(target), ball_weight, dilate)


def frames_to_model(frames: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> (N, 3, H, W) in [-1, 1]."""
    return to_model_space(frames[:, None])[:, :, 0]


@torch.no_grad()
def latent_statistics(model: FrameAutoencoder, frames: np.ndarray, count: int = 2048, seed: int = 0):
    """Per-channel mean and std of the latents of ``count`` frames (for normalising the DiT's inputs)."""
    idx = np.random.default_rng(seed).choice(len(frames), min(count, len(frames)), replace=False)
    z = torch.cat([model.encode(frames_to_model(frames[idx[i:i + 64]])) for i in range(0, len(idx), 64)])
    return z.mean(dim=(0, 2, 3)).tolist(), z.std(dim=(0, 2, 3)).tolist()


def train_autoencoder(cfg: AutoencoderConfig) -> Path:
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    model = FrameAutoencoder(sample_size=cfg.resolution, **cfg.model)
    data_path = cfg.run_dir / "frames.npz"
    if data_path.exists():
        with np.load(data_path) as z:
            frames, centres = z["frames"], z["centres"]
    else:
        frames, centres = build_frame_set(cfg.scenes, cfg.frames_per_scene, cfg.resolution, cfg.seed, cfg.ood_fraction)
        if cfg.phyre_scenes:
            more = build_phyre_frame_set(cfg.phyre_scenes, cfg.frames_per_scene, cfg.resolution, cfg.seed)
            frames, centres = np.concatenate([frames, more[0]]), np.concatenate([centres, more[1]])
        with atomic_path(data_path, ".npz") as tmp:
            np.savez(tmp, frames=frames, centres=centres)

    def batch_loss(rng: np.random.Generator) -> torch.Tensor:
        x = frames_to_model(sample_crops(frames, centres, rng, cfg.batch_size, cfg.crop, cfg.ball_crop_fraction))
        return reconstruction_loss(model(x), x, cfg.ball_weight, cfg.ball_dilate)

    step, elapsed_s = fit(model, cfg, batch_loss)
    return export_autoencoder(model, frames, cfg, step, elapsed_s)


def export_autoencoder(model: FrameAutoencoder, frames: np.ndarray, cfg: AutoencoderConfig, step: int,
                       elapsed_s: float) -> Path:
    """``runs/<name>/checkpoint``: the weights with the latent statistics in their config, the training config and state."""
    folder = cfg.run_dir / "checkpoint"
    model = model.eval()
    mean, std = latent_statistics(model, frames)
    model.register_to_config(latents_mean=[round(v, 5) for v in mean], latents_std=[round(v, 5) for v in std])
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "train_config.yaml").write_text(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False))
    (folder / "train_state.json").write_text(json.dumps({"step": step, "elapsed_min": round(elapsed_s / 60, 1)}, indent=2))
    return folder
