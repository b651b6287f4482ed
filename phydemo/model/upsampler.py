"""A learned 4x frame upsampler as a diffusers model: the second stage of a cascade (a 32 px pixel DiT, then this).

Each generated low-resolution frame is upsampled on its own: bicubic interpolation plus a learned residual computed at
the low resolution (residual blocks, then pixel-shuffle to the full size), so that an untrained upsampler is plain
bicubic. The residual blocks are modulated (FiLM) by one vector pooled from a given full-resolution frame of the same
video: the balls' colours, sizes and shapes, which a 2-3 px ball at 32 px does not show, come from there.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin

from phydemo.model.autoencoder import ResBlock
from phydemo.model.bf16 import Bf16Inference


class ModulatedResBlock(nn.Module):
    """x + conv(silu(FiLM(conv(silu(x)), c))): a residual block whose inner features are scaled and shifted by ``c``
    (zero-initialised, so that it starts as a plain residual block)."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.film = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(c)[..., None, None].chunk(2, dim=1)
        h = self.conv1(F.silu(x)) * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


class ReferenceEncoder(nn.Module):
    """A full-resolution frame -> one vector: what the balls look like, wherever they are."""

    def __init__(self, channels: int, width: int, scale: int):
        super().__init__()
        self.net = nn.Sequential(nn.PixelUnshuffle(scale), nn.Conv2d(channels * scale**2, width, 3, padding=1),
                                 ResBlock(width), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        return self.net(frame)


class FrameUpsampler(ModelMixin, ConfigMixin, Bf16Inference):
    """Frames in [-1, 1]: low (N, 3, h, w) and a reference (N, 3, h * scale, w * scale) -> (N, 3, h * scale, w * scale)."""

    @register_to_config
    def __init__(self, sample_size: int = 128, scale: int = 4, channels: int = 3, width: int = 64, depth: int = 4):
        super().__init__()
        if sample_size % scale:
            raise ValueError(f"sample_size {sample_size} is not a multiple of scale {scale}")
        self.reference = ReferenceEncoder(channels, width, scale)
        self.stem = nn.Conv2d(channels, width, 3, padding=1)
        self.blocks = nn.ModuleList(ModulatedResBlock(width, width) for _ in range(depth))
        self.head = nn.Conv2d(width, channels * scale**2, 3, padding=1)
        nn.init.zeros_(self.head.weight)  # untrained: bicubic
        nn.init.zeros_(self.head.bias)

    @property
    def low_size(self) -> int:
        """The side of the frames it takes (the base model's), in pixels."""
        return self.config.sample_size // self.config.scale

    def forward(self, low: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        s = self.config.scale
        if low.ndim != 4 or reference.shape != (low.shape[0], low.shape[1], low.shape[2] * s, low.shape[3] * s):
            raise ValueError(f"expected low (N, C, h, w) and reference (N, C, {s}h, {s}w), got {tuple(low.shape)} "
                             f"and {tuple(reference.shape)}")
        return self.upsample(low, self.reference(reference))

    def upsample(self, low: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Low-resolution frames (N, C, h, w) and their reference vectors (N, width) -> (N, C, H, W)."""
        s = self.config.scale
        h = self.stem(low)
        for block in self.blocks:
            h = block(h, c)
        residual = F.pixel_shuffle(self.head(F.silu(h)), s)
        return F.interpolate(low, scale_factor=s, mode="bicubic", align_corners=False) + residual

    def downsample_video(self, video: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, C, T, H / scale, W / scale) by area: full-resolution given frames as the base sees
        them (the renderer's anti-aliasing is area coverage too)."""
        s = self.config.scale
        return F.avg_pool3d(video, kernel_size=(1, s, s))

    def upsample_video(self, low: torch.Tensor, reference: torch.Tensor, chunk: int = 64) -> torch.Tensor:
        """Low-resolution frames (B, C, T, h, w) and one full-resolution frame per video (B, C, H, W) -> (B, C, T, H, W),
        ``chunk`` frames at a time (not clamped)."""
        b, c, t, h, w = low.shape
        frames = low.transpose(1, 2).reshape(b * t, c, h, w)
        with self.bf16_autocast(low.device):  # off unless enabled (the app, where bf16_is_fast)
            refs = self.reference(reference).repeat_interleave(t, dim=0)  # once per video
            out = torch.cat([self.upsample(frames[i:i + chunk], refs[i:i + chunk])
                             for i in range(0, len(frames), chunk)]).to(low.dtype)
        return out.reshape(b, t, *out.shape[1:]).transpose(1, 2)
