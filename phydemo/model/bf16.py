"""bfloat16 inference for the frame models (the autoencoder's decoder, the cascade's upsampler), for serving.

On a CPU with AMX tiles, bfloat16 convolutions run about 4x faster than float32 ones (decoding 28 frames: 19 against
84 ms on 2 cores); a CPU without them emulates bfloat16 and is many times slower, and a GPU decodes fast enough in
float32. The frames differ from float32's by a few of 255 levels (docs/serving.md), so every measurement keeps float32
and only the app switches this on, as diffusers switches a vae's slicing (``enable_slicing``).
"""

from __future__ import annotations

import torch


def bf16_is_fast(device: str | torch.device) -> bool:
    """Whether bfloat16 convolutions beat float32 on ``device``: a CPU with AMX tiles."""
    return torch.device(device).type == "cpu" and torch.cpu._is_amx_tile_supported()


class Bf16Inference:
    """Mixed into a frame model: its video pass (``decode_video``, ``upsample_video``) runs under bfloat16 autocast
    once ``enable_bf16()`` is called (the weights stay float32; the output is cast back)."""

    use_bf16 = False

    def enable_bf16(self) -> None:
        self.use_bf16 = True

    def disable_bf16(self) -> None:
        self.use_bf16 = False

    def bf16_autocast(self, device: torch.device):
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.use_bf16)
