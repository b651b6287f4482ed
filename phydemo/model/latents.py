"""Training in the frozen autoencoder's latent space: the data set encoded once and cached, and where the balls are.

Rendering and encoding 30,000 videos at 128 px costs about 0.15 s a video on 2 CPU cores, so a training set is encoded
once, chunk by chunk (the same chunks and seeds as the pixel data set), into one fp16 ``.npy`` of normalised latents
(N, C, T, h, w) beside the pixel data sets: 30,000 videos of 32 frames at 16x16x4 take 1.9 GB, against 47 GB as pixels.
Building it survives being stopped (rerunning continues after the last chunk written) and starts from a cache of the
same set at another size: chunk ``i`` has the same seed in a set of any size, and a smaller set is the first videos
of a larger one.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from phydemo.atomic import write_json
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.pipeline import to_model_space
from phydemo.protocol import NUM_FRAMES
from phydemo.world.dataset import CHUNK, generate_chunks
from phydemo.world.phyre_sets import template_count, train_chunks

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


def load_or_build_latents(path: Path, vae: FrameAutoencoder, scenario: str, n: int, seed: int, chunk: int = CHUNK,
                          **kwargs) -> np.ndarray:
    """The cached latents of the training set at ``path`` (memory-mapped), encoding it first if missing.

    Until it is complete the cache is ``<name>.partial.npy`` with ``<name>.partial.json`` counting the chunks written,
    so a stopped build continues where it stopped; the finished file appears at ``path`` in one rename."""
    if path.is_file():
        return np.load(path, mmap_mode="r")
    partial, progress = path.with_suffix(".partial.npy"), path.with_suffix(".partial.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (n, vae.config.latent_channels, NUM_FRAMES, vae.latent_size, vae.latent_size)
    done = json.loads(progress.read_text())["chunks"] if progress.is_file() and partial.is_file() else 0
    out = np.lib.format.open_memmap(partial, mode="r+" if done else "w+", dtype=np.float16, shape=shape)
    if out.shape != shape:
        raise ValueError(f"{partial}: shape {out.shape}, expected {shape}; delete it to rebuild")
    if not done and scenario != "phyre":  # a PHYRE-like set of another size is not a prefix of this one
        done = _start_from_other_size(path, n, chunk, out)
        _write_progress(progress, done)
    bar = tqdm(total=n, initial=min(done * chunk, n), desc=f"{scenario}/train latents", unit="video")
    for i, frames in enumerate(_frame_chunks(scenario, n, seed, vae.config.sample_size, chunk, done, kwargs), start=done):
        out[i * chunk:i * chunk + len(frames)] = encode_videos(vae, frames)
        out.flush()
        _write_progress(progress, i + 1)
        bar.update(len(frames))
    bar.close()
    del out
    partial.replace(path)
    progress.unlink()
    return np.load(path, mmap_mode="r")


def _frame_chunks(scenario: str, n: int, seed: int, resolution: int, chunk: int, first_chunk: int, kwargs: dict):
    """The uint8 videos of the training set chunk by chunk from ``first_chunk`` on: the balls of ``generate_chunks``,
    or the PHYRE-like scenes of ``phyre_sets.train_chunks`` (``kwargs``: ``templates``; their seeds are fixed)."""
    if scenario == "phyre":
        yield from train_chunks(template_count(kwargs), n, resolution, chunk, first_chunk)
        return
    for videos in generate_chunks(scenario, "train", n, seed, resolution, chunk=chunk, first_chunk=first_chunk, **kwargs):
        yield videos.frames


def _write_progress(progress: Path, chunks: int) -> None:
    write_json(progress, {"chunks": chunks}, indent=None)


def _start_from_other_size(path: Path, n: int, chunk: int, out: np.ndarray) -> int:
    """Start from a finished cache of the same set and another size: a larger one holds all ``n`` videos (its first
    ``n``), a smaller one its whole chunks. Return the number of chunks copied."""
    pattern = re.compile(re.escape(path.name).replace(re.escape(f"-n{n}-"), r"-n(\d+)-") + "$")
    sizes = {int(m.group(1)): f for f in path.parent.glob("*.npy") if (m := pattern.match(f.name))}
    larger, smaller = [m for m in sizes if m > n], [m for m in sizes if m < n]
    if larger:
        m, videos, chunks = min(larger), n, -(-n // chunk)
    elif smaller and max(smaller) >= chunk:
        m = max(smaller)
        chunks = m // chunk
        videos = chunks * chunk
    else:
        return 0
    out[:videos] = np.load(sizes[m], mmap_mode="r")[:videos]
    out.flush()
    print(f"latents: {videos} videos from {sizes[m].name}", flush=True)
    return chunks
