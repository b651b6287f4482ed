"""The ball-region loss the pixel DiTs and the frame autoencoder share: squared error with the pixels (or latent
cells) on and near a ball weighted up. A ball of 1.6 px radius is 0.8% of a 32x32 frame; weighing only the ball's own
pixels biases the optimum toward drawing balls too large (docs/training.md), so the region is grown by ``dilate``."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

# how far (on [-1, 1]) a pixel must differ from the last given frame to count as moved (the latent cells use
# latents.BALL_TOLERANCE)
PIXEL_TOLERANCE = 0.02


def pixel_ball_mask(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, ...) float: the pixels of a [-1, 1] image or video (B, 3, ...) that are not white background."""
    return (x < 0.99).any(dim=1, keepdim=True).float()


def motion_mask(future: torch.Tensor, reference: torch.Tensor, tolerance: float) -> torch.Tensor:
    """(B, 1, T, H, W) float: the pixels or latent cells of ``future`` (B, C, T, H, W) that differ from ``reference``
    by more than ``tolerance`` in some channel, where something moved: ``reference`` is the last given frame
    (B, C, 1, H, W) or the frames aligned with ``future`` (B, C, T, H, W), e.g. each one's previous frame."""
    return ((future - reference).abs() > tolerance).any(dim=1, keepdim=True).float()


def grow(region: torch.Tensor, dilate: int) -> torch.Tensor:
    """A (B, 1, [T,] H, W) region grown by ``dilate`` pixels (or cells) in space."""
    if not dilate:
        return region
    k = 2 * dilate + 1
    return F.max_pool3d(region, (1, k, k), stride=1, padding=(0, dilate, dilate)) if region.ndim == 5 else \
        F.max_pool2d(region, k, stride=1, padding=dilate)


def piece_sizes(region: torch.Tensor) -> torch.Tensor:
    """For each cell of a 0/1 ``region`` (B, 1, [T,] H, W): the number of cells in its connected piece (8-connected,
    within its own frame), 0 outside it."""
    h, w = region.shape[-2:]
    frames = region.detach().reshape(-1, h, w).cpu().numpy() > 0
    within_a_frame = np.zeros((3, 3, 3), dtype=bool)
    within_a_frame[1] = True
    labels, _ = ndimage.label(frames, structure=within_a_frame)
    sizes = np.bincount(labels.ravel())[labels] * frames
    return torch.from_numpy(sizes.astype(np.float32)).to(region.device).view_as(region)


def ball_weighted_error(err: torch.Tensor, ball: torch.Tensor, weight: float, dilate: int = 0,
                        moving: torch.Tensor | None = None, moving_weight: float = 0.0,
                        equal_area: int = 0) -> torch.Tensor:
    """Mean of ``err`` (B, C, [T,] H, W) with the ``ball`` region (B, 1, [T,] H, W), grown by ``dilate`` in space,
    counting ``1 + weight`` times; with a ``moving`` region (grown alike), its cells count ``moving_weight`` more.

    With ``equal_area`` > 0, each piece of the grown region (a ball, or two that touch) smaller than that many cells
    has its cells' extra weight scaled by ``equal_area`` / its size, so a small ball weighs as much as one of that
    area: by cell count alone the smallest ball weighs least, and it is the one a model smears (docs/training.md)."""
    region = grow(ball, dilate)
    if equal_area:
        region = region * (equal_area / piece_sizes(region).clamp(min=1)).clamp(min=1)
    w = 1.0 + weight * region
    if moving is not None:
        w = w + moving_weight * grow(moving, dilate)
    return (err * w).sum() / (w.sum() * err.shape[1])
