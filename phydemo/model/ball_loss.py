"""The ball-region loss the pixel DiTs and the frame autoencoder share: squared error with the pixels (or latent
cells) on and near a ball weighted up. A ball of 1.6 px radius is 0.8% of a 32x32 frame; weighing only the ball's own
pixels biases the optimum toward drawing balls too large (docs/training.md), so the region is grown by ``dilate``."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pixel_ball_mask(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, ...) float: the pixels of a [-1, 1] image or video (B, 3, ...) that are not white background."""
    return (x < 0.99).any(dim=1, keepdim=True).float()


def ball_weighted_error(err: torch.Tensor, ball: torch.Tensor, weight: float, dilate: int = 0) -> torch.Tensor:
    """Mean of ``err`` (B, C, [T,] H, W) with the ``ball`` region (B, 1, [T,] H, W), grown by ``dilate`` in space,
    counting ``1 + weight`` times."""
    if dilate:
        k = 2 * dilate + 1
        ball = F.max_pool3d(ball, (1, k, k), stride=1, padding=(0, dilate, dilate)) if ball.ndim == 5 else \
            F.max_pool2d(ball, k, stride=1, padding=dilate)
    w = 1.0 + weight * ball
    return (err * w).sum() / (w.sum() * err.shape[1])
