"""Training in the frozen autoencoder's latent space: the data set encoded once and cached, and where the balls are.

Rendering and encoding 30,000 videos at 128 px costs about 0.2 s a video on 2 CPU cores, so a training set is encoded
once, chunk by chunk (the same chunks and seeds as the pixel data set), into one fp16 ``.npy`` of normalised latents
(N, C, T, h, w) beside the pixel data sets: 30,000 videos of 32 frames at 16x16x4 take 1.9 GB, against 47 GB as pixels.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from phydemo.atomic import atomic_path
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.pipeline import to_model_space
from phydemo.world.dataset import generate_chunks

# A latent cell is "near a ball" where a channel differs from an empty frame's latent by more than this. The encoder's
# receptive field spreads a ball over its neighbours: at 0.3, 38 of 256 cells a frame for balls of r 0.7-1.24 (at 0.1,
# 59); the region the loss weighs up, as the pixel models weigh pixels within 2 px of a ball.
BALL_TOLERANCE = 0.3


@lru_cache(maxsize=4)
def load_autoencoder(folder: str) -> FrameAutoencoder:
    return FrameAutoencoder.from_pretrained(folder).eval()


def autoencoder_digest(folder: str) -> str:
    """8 hex digits of the autoencoder's weights: a cache of latents is only reused with the same autoencoder."""
    return hashlib.sha256((Path(folder) / "diffusion_pytorch_model.safetensors").read_bytes()).hexdigest()[:8]


@torch.no_grad()
def background_latent(vae: FrameAutoencoder) -> torch.Tensor:
    """(C, h, w) the normalised latents of an empty (white) frame (they differ along the border: zero padding)."""
    white = torch.ones(1, 3, 1, vae.config.sample_size, vae.config.sample_size)
    return vae.encode_video(white)[0, :, 0]


def latent_ball_mask(x0: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """(B, 1, T, h, w) float: the latent cells that are not empty background."""
    diff = (x0 - background[None, :, None].to(x0)).abs()
    return (diff > BALL_TOLERANCE).any(dim=1, keepdim=True).float()


@torch.no_grad()
def encode_videos(vae: FrameAutoencoder, frames: np.ndarray, batch: int = 8) -> np.ndarray:
    """uint8 videos (N, T, H, W, 3) -> fp16 normalised latents (N, C, T, h, w)."""
    return np.concatenate([vae.encode_video(to_model_space(frames[i:i + batch])).half().numpy()
                           for i in range(0, len(frames), batch)])


def load_or_build_latents(path: Path, vae: FrameAutoencoder, scenario: str, n: int, seed: int, **kwargs) -> np.ndarray:
    """The cached latents of the training set at ``path`` (memory-mapped), encoding it first if missing."""
    if not path.is_file():
        shape = (n, vae.config.latent_channels, 32, vae.latent_size, vae.latent_size)
        with atomic_path(path, ".npy") as tmp:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=shape)
            start = 0
            bar = tqdm(total=n, desc=f"{scenario}/train latents", unit="video")
            for chunk in generate_chunks(scenario, "train", n, seed, vae.config.sample_size, **kwargs):
                out[start:start + len(chunk)] = encode_videos(vae, chunk.frames)
                start += len(chunk)
                bar.update(len(chunk))
            bar.close()
            out.flush()
            del out
    return np.load(path, mmap_mode="r")
