"""Frame-conditioned sampling as a diffusers ``DiffusionPipeline`` (rectified flow, Euler steps), and the conversions
between uint8 frames and the model's [-1, 1] tensors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import DiffusionPipeline, FlowMatchEulerDiscreteScheduler
from diffusers.utils import BaseOutput

from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.dit import VideoDiT
from phydemo.model.upsampler import FrameUpsampler
from phydemo.protocol import DEFAULT_STEPS, MAX_STEPS
from phydemo.world.distribution import PhyreDistribution, TrainingDistribution, distribution_from_dict


def to_model_space(frames: np.ndarray):
    """uint8 (N, T, H, W, 3) -> float tensor (N, 3, T, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 4, 1, 2, 3).float()
    return x / 127.5 - 1.0


def from_model_space(x) -> np.ndarray:
    """float tensor (N, 3, T, H, W) in [-1, 1] -> uint8 (N, T, H, W, 3)."""
    x = ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(dtype=torch.uint8)
    return x.permute(0, 2, 3, 4, 1).cpu().numpy()


def condition_inputs(given: torch.Tensor, num_frames: int, num_cond: int, fill: str = "zeros"):
    """The conditioning video and the binary mask video (1 on the given frames) from the given frames (B, C, k, H, W):
    the given frames, then zeros (``fill="zeros"``, the paper's), or the last given frame repeated to the end
    (``"last"``, as image-to-video models such as Stable Video Diffusion give every frame the conditioning image), so
    that every token sees the scene as it was given where it lies."""
    b, c, _, h, w = given.shape
    cond = given.new_zeros(b, c, num_frames, h, w)
    cond[:, :, :num_cond] = given[:, :, :num_cond]
    if fill == "last":
        cond[:, :, num_cond:] = given[:, :, num_cond - 1:num_cond]
    elif fill != "zeros":
        raise ValueError(f"fill={fill!r}; allowed: zeros, last")
    mask = given.new_zeros(b, 1, num_frames, h, w)
    mask[:, :, :num_cond] = 1
    return cond, mask


@dataclass
class PhyDiTPipelineOutput(BaseOutput):
    """frames: uint8 (B, T, H, W, 3), or a [-1, 1] tensor (B, 3, T, H, W) for ``output_type="pt"``."""

    frames: np.ndarray | torch.Tensor


def check_latent_shape(transformer: VideoDiT, vae: FrameAutoencoder | None,
                       upsampler: FrameUpsampler | None = None) -> None:
    """The transformer must work on the autoencoder's latents (or on RGB pixels without one, at the upsampler's input
    size where there is one)."""
    t = transformer.config
    if upsampler is not None:
        if vae is not None:
            raise ValueError("a pipeline has a vae (a latent DiT) or an upsampler (a cascade of a pixel DiT), not both")
        if (t.in_channels, t.sample_size) != (3, upsampler.low_size):
            raise ValueError(f"the transformer works on {t.in_channels} x {t.sample_size} x {t.sample_size} inputs, but "
                             f"the upsampler takes 3 x {upsampler.low_size} x {upsampler.low_size} frames")
        return
    want = (vae.config.latent_channels, vae.latent_size) if vae is not None else (3, t.sample_size)
    if (t.in_channels, t.sample_size) != want:
        what = f"the vae's latents ({want[0]} x {want[1]} x {want[1]})" if vae is not None else "RGB frames (no vae)"
        raise ValueError(f"the transformer works on {t.in_channels} x {t.sample_size} x {t.sample_size} inputs, "
                         f"but this pipeline gives it {what}")


class PhyDiTPipeline(DiffusionPipeline):
    """Generate the rest of a video from its first frames (the transformer's ``num_cond_frames``): in pixel space; with a ``vae``, in its
    latent space (the given frames encoded, the generated latents decoded), as diffusers' video pipelines do; or, with
    an ``upsampler``, as a cascade: in pixel space at the upsampler's low resolution (the given frames reduced by
    area), each generated frame then upsampled, conditioned on the last given full-resolution frame."""

    model_cpu_offload_seq = "transformer->vae->upsampler"
    _optional_components = ["vae", "upsampler"]

    def __init__(self, transformer: VideoDiT, scheduler: FlowMatchEulerDiscreteScheduler,
                 vae: FrameAutoencoder | None = None, upsampler: FrameUpsampler | None = None,
                 training_distribution: dict | None = None):
        super().__init__()
        check_latent_shape(transformer, vae, upsampler)
        self.register_modules(transformer=transformer, scheduler=scheduler, vae=vae, upsampler=upsampler)
        # what the transformer saw in training: in model_index.json, so save_pretrained / from_pretrained keep it
        self.register_to_config(training_distribution=training_distribution)

    @property
    def frame_size(self) -> int:
        """The side of the frames the pipeline takes and returns, in pixels."""
        if self.upsampler is not None:
            return self.upsampler.config.sample_size
        return self.vae.config.sample_size if self.vae is not None else self.transformer.config.sample_size

    @property
    def num_cond_frames(self) -> int:
        """How many frames the pipeline is given (the transformer's; 3 for checkpoints saved before it was recorded)."""
        return self.transformer.config.num_cond_frames

    @property
    def training_distribution(self) -> TrainingDistribution | PhyreDistribution:
        if self.config.training_distribution is None:
            raise ValueError("this pipeline was built without a training_distribution")
        return distribution_from_dict(self.config.training_distribution)

    @torch.no_grad()
    def __call__(self, cond_frames: np.ndarray, num_inference_steps: int = DEFAULT_STEPS,
                 generator: torch.Generator | list[torch.Generator] | None = None, batch_size: int = 16,
                 output_type: str = "np", return_dict: bool = True,
                 callback_on_step_end: Callable[[DiffusionPipeline, int, torch.Tensor, dict], dict] | None = None):
        """Generate the videos that continue ``cond_frames``, uint8 (B, k >= num_cond_frames, H, W, 3).

        ``generator``: one for the whole batch, or a list of one per video, so that a video's noise depends on its own
        generator only (requests batched together get what each would get alone). ``callback_on_step_end(pipe, step,
        timestep, {"latents": x})`` is called after every denoising step of every chunk of ``batch_size`` videos.
        Returns ``PhyDiTPipelineOutput(frames)``: uint8 (B, T, H, W, 3), or a [-1, 1] tensor (B, 3, T, H, W) with
        ``output_type="pt"``; the conditioning frames are copied through exactly.
        """
        cfg = self.transformer.config
        k = self.num_cond_frames
        cond_frames = np.asarray(cond_frames)
        expected = (self.frame_size, self.frame_size, 3)
        if cond_frames.ndim != 5 or cond_frames.shape[1] < k or cond_frames.shape[2:] != expected:
            raise ValueError(f"cond_frames must have shape (B, >= {k}, {', '.join(map(str, expected))}), "
                             f"got {cond_frames.shape}")
        if cond_frames.dtype != np.uint8:
            raise ValueError(f"cond_frames must be uint8, got {cond_frames.dtype}")
        if not isinstance(num_inference_steps, int) or not 1 <= num_inference_steps <= MAX_STEPS:
            raise ValueError(f"num_inference_steps must be an integer in [1, {MAX_STEPS}], got {num_inference_steps!r}")
        if isinstance(generator, list) and len(generator) != len(cond_frames):
            raise ValueError(f"got {len(generator)} generators for {len(cond_frames)} videos")
        device, dtype = self.transformer.device, self.transformer.dtype
        given_pixels = to_model_space(cond_frames[:, :k]).to(device)
        given = self._transformer_space(given_pixels).to(dtype)
        n = given.shape[0]
        shape = (cfg.in_channels, cfg.num_frames, cfg.sample_size, cfg.sample_size)
        # noise is drawn before chunking, so results do not depend on ``batch_size``
        if isinstance(generator, list):
            noise = torch.stack([torch.randn(shape, generator=g, dtype=torch.float32) for g in generator])
        else:
            noise = torch.randn((n, *shape), generator=generator, dtype=torch.float32)
        noise = noise.to(device, dtype)
        outputs = []
        starts = range(0, n, batch_size)
        with self.progress_bar(total=len(starts) * num_inference_steps) as bar:
            for chunk, s in enumerate(starts):
                x = noise[s:s + batch_size]
                cond, mask = condition_inputs(given[s:s + batch_size], cfg.num_frames, k, cfg.cond_fill)
                self.scheduler.set_timesteps(num_inference_steps, device=device)
                for i, t in enumerate(self.scheduler.timesteps):
                    out = self.transformer(x, t.expand(x.shape[0]).to(dtype), cond, mask)
                    if cfg.prediction_type == "sample":  # x-prediction -> flow velocity
                        out = (x - out) / self.scheduler.sigmas[i].to(device, dtype)
                    x = self.scheduler.step(out, t, x, return_dict=False)[0]
                    if callback_on_step_end is not None:
                        x = callback_on_step_end(self, chunk * num_inference_steps + i, t, {"latents": x}).get("latents", x)
                    bar.update()
                x[:, :, :k] = cond[:, :, :k]
                outputs.append(x)
        video = self._pixel_space(torch.cat(outputs), given_pixels, batch_size)
        frames = video if output_type == "pt" else from_model_space(video)
        return PhyDiTPipelineOutput(frames=frames) if return_dict else (frames,)

    def _transformer_space(self, given_pixels: torch.Tensor) -> torch.Tensor:
        """The given frames as the transformer takes them: encoded by the vae, reduced by area to the upsampler's low
        resolution, or (a pixel model) as they are."""
        if self.vae is not None:
            return self.vae.encode_video(given_pixels.to(self.vae.dtype))
        if self.upsampler is not None:
            return self.upsampler.downsample_video(given_pixels)
        return given_pixels

    def _pixel_space(self, video: torch.Tensor, given_pixels: torch.Tensor, batch_size: int) -> torch.Tensor:
        """The full-resolution video: the given frames exactly as given, then the generated ones decoded by the vae or
        upsampled (conditioned on the last given frame), in chunks of ``batch_size``; a pixel model's video as it is."""
        if self.vae is None and self.upsampler is None:
            return video
        rest, chunks = video[:, :, self.num_cond_frames:], range(0, len(video), batch_size)
        if self.vae is not None:
            rest = rest.to(self.vae.dtype)
            rest = torch.cat([self.vae.decode_video(rest[i:i + batch_size]) for i in chunks])
        else:
            rest, last = rest.clamp(-1, 1).to(self.upsampler.dtype), given_pixels[:, :, -1].to(self.upsampler.dtype)
            rest = torch.cat([self.upsampler.upsample_video(rest[i:i + batch_size], last[i:i + batch_size])
                              for i in chunks])
        return torch.cat([given_pixels.to(rest.dtype), rest], dim=2)
