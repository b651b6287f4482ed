"""A frame-conditioned video DiT (Peebles & Xie, facebookresearch/DiT) as a diffusers model.

Input: the noisy video, the conditioning video (the given frames, zeros elsewhere as in the PhyWorld paper, or with
``cond_fill="last"`` the last given frame repeated) and a binary mask video (1 on the given frames), concatenated on
channels. The video is cut
into spatio-temporal patches, every token attends to every other (full space-time attention), each
block is modulated by the diffusion time through adaLN-Zero, and a linear head maps tokens back to
patches.

The head predicts the clean video (``prediction_type="sample"``, x-prediction) rather than the
flow velocity (noise - data): a 4x8x8x3 = 768-value patch does not fit through a 192-wide token,
so a model asked for the velocity cannot reproduce the per-pixel noise and leaves it in every sample,
while clean videos of a ball lie on a low-dimensional manifold that does fit (Li & He, 2025,
"Back to Basics: Let Denoising Generative Models Denoise"). The pipeline turns the prediction into
the velocity the flow-matching scheduler expects: v = (x_t - x0_hat) / sigma.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention
from diffusers.models.embeddings import TimestepEmbedding, Timesteps, get_3d_sincos_pos_embed
from diffusers.models.modeling_utils import ModelMixin

# Named model sizes for training configs (configs/*.yaml: ``model: pixel-32``).
MODEL_PRESETS = {
    # the shipped 32 px models: 4x8x8 patches (128 tokens), width 192, depth 8, 3 heads; 4.4 M parameters
    "pixel-32": {"patch_size": 8, "patch_size_t": 4, "hidden_size": 192, "depth": 8, "num_heads": 3},
    # on the 16x16x4 latents of the 128 px autoencoder: 4x4x4 patches, the same 128 tokens
    "latent-128": {"patch_size": 4, "patch_size_t": 4, "hidden_size": 192, "depth": 8, "num_heads": 3},
    # the same token grid at 64 px (16x16 patches), the collision-64 experiment (docs/experiments.md)
    "pixel-64": {"patch_size": 16, "patch_size_t": 4, "hidden_size": 192, "depth": 8, "num_heads": 3},
}


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    """Pre-norm transformer block with adaLN-Zero conditioning on the diffusion time.

    The six modulation vectors are a shared projection of the time embedding (computed once per
    forward, ``t6``) plus this block's own learned table: PixArt-alpha's "adaLN-single", which keeps
    DiT's adaLN-Zero behaviour (zero-initialised, so every block starts as the identity) at a
    fraction of the parameters, what lets the shipped checkpoint stay under 10 MB.
    """

    def __init__(self, hidden_size: int, num_heads: int, mlp_ratio: float = 4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(hidden_size, heads=num_heads, dim_head=hidden_size // num_heads, bias=True)
        self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.mlp = FeedForward(hidden_size, mult=mlp_ratio, activation_fn="gelu-approximate")
        self.scale_shift_table = nn.Parameter(torch.zeros(6, hidden_size))

    def forward(self, x: torch.Tensor, t6: torch.Tensor) -> torch.Tensor:
        mod = self.scale_shift_table[None] + t6.unflatten(1, (6, -1))
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mod.unbind(dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
        return x


class FinalLayer(nn.Module):
    """adaLN-modulated norm and a linear map from a token to its patch of pixels."""

    def __init__(self, hidden_size: int, patch_volume: int, out_channels: int):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, patch_volume * out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 2 * hidden_size))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class VideoDiT(ModelMixin, ConfigMixin):
    """Frame-conditioned video DiT over (B, C, T, H, W) pixel videos in [-1, 1]."""

    @register_to_config
    def __init__(
        self,
        num_frames: int = 32,
        sample_size: int = 32,
        in_channels: int = 3,
        patch_size: int = 8,
        patch_size_t: int = 4,
        hidden_size: int = 192,
        depth: int = 8,
        num_heads: int = 3,
        mlp_ratio: float = 4.0,
        prediction_type: str = "sample",
        num_cond_frames: int = 3,  # the given frames (the ball scenes' 3; the PHYRE-like scenes give 1)
        cond_fill: str = "zeros",  # the conditioning video after the given frames: zeros, or the last one repeated
    ):
        super().__init__()
        if prediction_type not in ("sample", "flow"):
            raise ValueError(f"prediction_type must be 'sample' or 'flow', got {prediction_type!r}")
        if cond_fill not in ("zeros", "last"):
            raise ValueError(f"cond_fill must be 'zeros' or 'last', got {cond_fill!r}")
        if not isinstance(num_cond_frames, int) or not 1 <= num_cond_frames < num_frames:
            raise ValueError(f"num_cond_frames must be a whole number in [1, {num_frames - 1}], got {num_cond_frames!r}")
        if sample_size % patch_size or num_frames % patch_size_t or hidden_size % num_heads:
            raise ValueError("sample_size, num_frames and hidden_size must be divisible by their patch / head sizes")
        self.grid = (num_frames // patch_size_t, sample_size // patch_size, sample_size // patch_size)
        patch = (patch_size_t, patch_size, patch_size)
        # noise + conditioning frames + mask, concatenated on channels
        self.x_embedder = nn.Conv3d(2 * in_channels + 1, hidden_size, kernel_size=patch, stride=patch)
        self.time_proj = Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.t_embedder = TimestepEmbedding(256, hidden_size)
        self.t_block = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 6 * hidden_size))
        pos = get_3d_sincos_pos_embed(hidden_size, (self.grid[2], self.grid[1]), self.grid[0], output_type="pt")
        self.register_buffer("pos_embed", pos.reshape(1, -1, hidden_size).float(), persistent=False)
        self.blocks = nn.ModuleList([DiTBlock(hidden_size, num_heads, mlp_ratio) for _ in range(depth)])
        self.final_layer = FinalLayer(hidden_size, patch_size_t * patch_size * patch_size, in_channels)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        def _basic_init(module: nn.Module) -> None:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

        self.apply(_basic_init)
        w = self.x_embedder.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.x_embedder.bias)
        nn.init.normal_(self.t_embedder.linear_1.weight, std=0.02)
        nn.init.normal_(self.t_embedder.linear_2.weight, std=0.02)
        # adaLN-Zero: all modulations (tables are zeros already) start at zero, so blocks start as the identity
        nn.init.zeros_(self.t_block[-1].weight)
        nn.init.zeros_(self.t_block[-1].bias)
        nn.init.zeros_(self.final_layer.adaLN_modulation[-1].weight)
        nn.init.zeros_(self.final_layer.adaLN_modulation[-1].bias)
        nn.init.zeros_(self.final_layer.linear.weight)
        nn.init.zeros_(self.final_layer.linear.bias)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, pt * p * p * C) tokens -> (B, C, T, H, W) video."""
        cfg = self.config
        t, h, w = self.grid
        pt, p, c = cfg.patch_size_t, cfg.patch_size, cfg.in_channels
        x = x.reshape(x.shape[0], t, h, w, pt, p, p, c)
        x = torch.einsum("bthwqpsc->bctqhpws", x)
        return x.reshape(x.shape[0], c, t * pt, h * p, w * p)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, cond: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """sample, cond: (B, C, T, H, W); mask: (B, 1, T, H, W); timestep: (B,) in [0, 1000]."""
        expected = (self.config.in_channels, self.config.num_frames, self.config.sample_size, self.config.sample_size)
        if tuple(sample.shape[1:]) != expected or cond.shape != sample.shape or mask.shape[2:] != sample.shape[2:]:
            raise ValueError(f"expected sample and cond of shape (B, {', '.join(map(str, expected))}) and a "
                             f"(B, 1, T, H, W) mask; got {tuple(sample.shape)}, {tuple(cond.shape)}, {tuple(mask.shape)}")
        x = self.x_embedder(torch.cat([sample, cond, mask.to(sample.dtype)], dim=1))
        x = x.flatten(2).transpose(1, 2) + self.pos_embed.to(x.dtype)
        timestep = timestep.expand(sample.shape[0]) if timestep.ndim == 0 else timestep
        c = self.t_embedder(self.time_proj(timestep).to(x.dtype))
        t6 = self.t_block(c)
        for block in self.blocks:
            x = block(x, t6)
        return self.unpatchify(self.final_layer(x, c))
