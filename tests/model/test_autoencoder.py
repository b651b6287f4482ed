"""The frame autoencoder: shapes, save/load, determinism, normalised latents, its training run."""

import json

import numpy as np
import pytest
import torch

from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.train_autoencoder import (
    AutoencoderConfig,
    broad_scenes,
    build_frame_set,
    reconstruction_loss,
    sample_crops,
    train_autoencoder,
)
from phydemo.world.sampling import RANGES
from phydemo.world.scenes import COLORS, SHAPES


def test_shapes_and_compression():
    model = FrameAutoencoder()
    assert model.spatial_compression == 8 and model.latent_size == 16
    z = model.encode(torch.randn(2, 3, 128, 128))
    assert z.shape == (2, 4, 16, 16) and model.decode(z).shape == (2, 3, 128, 128)
    assert model.encode(torch.randn(1, 3, 64, 64)).shape == (1, 4, 8, 8)  # crops, as in training
    with pytest.raises(ValueError, match="multiples of 8"):
        model.encode(torch.randn(1, 3, 60, 64))
    video = torch.randn(2, 3, 5, 128, 128)
    latents = model.encode_video(video, chunk=3)
    assert latents.shape == (2, 4, 5, 16, 16)
    assert model.decode_video(latents, chunk=4).shape == video.shape


def test_bf16_decoding_draws_the_float32_frames_within_a_few_levels():
    """The app's decoding (bfloat16 autocast where the CPU has AMX) on the shipped autoencoder and a real video: the
    same frames within a few of 255 levels, deterministic, and off unless asked for."""
    from phydemo.model.bf16 import bf16_is_fast
    from phydemo.model.checkpoint import CHECKPOINT_ROOT
    from phydemo.model.pipeline import from_model_space, to_model_space
    from phydemo.world.physics import simulate
    from phydemo.world.render import render
    from phydemo.world.scenes import UniformParams

    vae = FrameAutoencoder.from_pretrained(CHECKPOINT_ROOT / "autoencoder").eval()
    assert not vae.use_bf16
    frames = render(simulate(UniformParams(3.0, 0.9).validate()), 128)[None, :8]
    with torch.no_grad():
        z = vae.encode_video(to_model_space(frames))
        full = from_model_space(vae.decode_video(z))
        vae.enable_bf16()
        half, again = from_model_space(vae.decode_video(z)), from_model_space(vae.decode_video(z))
        vae.disable_bf16()
        assert np.array_equal(from_model_space(vae.decode_video(z)), full)
    diff = np.abs(full.astype(int) - half.astype(int))
    assert half.dtype == np.uint8 and half.shape == full.shape and np.array_equal(half, again)
    assert 0 < diff.max() <= 8 and diff.mean() < 0.5
    assert not bf16_is_fast("cuda") and bf16_is_fast("cpu") == torch.cpu._is_amx_tile_supported()


def test_save_load_round_trip_keeps_weights_and_latent_statistics(tmp_path):
    torch.manual_seed(0)
    model = FrameAutoencoder(block_out_channels=(8, 16), latents_mean=[0.5, 0, 0, 0], latents_std=[2.0, 1, 1, 1]).eval()
    model.save_pretrained(tmp_path, safe_serialization=True)
    assert (tmp_path / "diffusion_pytorch_model.safetensors").is_file()
    loaded = FrameAutoencoder.from_pretrained(tmp_path).eval()
    x = torch.randn(1, 3, 2, 128, 128)
    assert torch.equal(model.encode_video(x), loaded.encode_video(x))
    assert loaded.config.latents_std == [2.0, 1, 1, 1]
    raw = model.encode(x[:, :, 0])
    assert torch.allclose(model.encode_video(x)[:, :, 0], (raw - torch.tensor([0.5, 0, 0, 0]).view(1, 4, 1, 1)) /
                          torch.tensor([2.0, 1, 1, 1]).view(1, 4, 1, 1), atol=1e-5)
    assert torch.allclose(model.decode_video(model.encode_video(x)), model.decode_video(model.encode_video(x)))


def test_training_frames_cover_every_scenario_colour_shape_and_ood():
    scenes = broad_scenes(300, seed=0)
    assert {p.scenario for p in scenes} == {"uniform", "collision", "parabola"}
    colors = {b.color for p in scenes for b in p.balls()}
    assert colors == set(COLORS) and {b.shape for p in scenes for b in p.balls()} == set(SHAPES)
    speeds = [abs(b.vx) for p in scenes for b in p.balls()]
    assert min(speeds) < RANGES["uniform"].speed_id[0] and max(speeds) > RANGES["uniform"].speed_id[1]
    assert {np.sign(p.balls()[0].vx) for p in scenes if p.scenario == "uniform"} == {-1.0, 1.0}
    frames, centres = build_frame_set(4, 3, 128, seed=0)
    assert frames.shape == (12, 128, 128, 3) and centres.shape == (12, 2, 2)
    crops = sample_crops(frames, centres, np.random.default_rng(0), 8, 64, 1.0)
    assert crops.shape == (8, 64, 64, 3) and (crops < 250).any(axis=(1, 2, 3)).mean() > 0.5  # most show a ball


def test_loss_weighs_pixels_near_a_ball():
    target = torch.ones(1, 3, 16, 16)
    target[:, :, 8, 8] = -1.0  # one ball pixel
    far, near = target.clone(), target.clone()
    far[:, :, 0, 0] -= 1.0
    near[:, :, 8, 9] -= 1.0
    assert reconstruction_loss(near, target, 4.0, 2) > reconstruction_loss(far, target, 4.0, 2)


def test_training_run_resumes_and_exports_with_latent_statistics(tmp_path):
    cfg = AutoencoderConfig(name="ae", scenes=4, frames_per_scene=2, batch_size=2, crop=32, max_steps=2, ckpt_every=1,
                            log_every=1, model={"block_out_channels": [8, 16]}, output_dir=str(tmp_path))
    folder = train_autoencoder(cfg)
    assert json.loads((folder / "train_state.json").read_text())["step"] == 2
    cfg.max_steps = 3
    folder = train_autoencoder(cfg)  # resumes from runs/ae/state.pt
    assert [json.loads(line)["step"] for line in (tmp_path / "ae/log.jsonl").read_text().splitlines()] == [1, 2, 3]
    model = FrameAutoencoder.from_pretrained(folder)
    assert len(model.config.latents_mean) == 4 and all(s > 0 for s in model.config.latents_std)


def test_export_ships_an_autoencoder_run_with_its_card(tmp_path):
    from huggingface_hub import ModelCard

    from phydemo.release.export import export_run

    cfg = AutoencoderConfig(name="ae", scenes=4, frames_per_scene=2, batch_size=2, crop=32, max_steps=1, log_every=1,
                            model={"block_out_channels": [8, 16]}, output_dir=str(tmp_path / "runs"))
    train_autoencoder(cfg)
    dest = export_run(tmp_path / "runs/ae", tmp_path / "checkpoints/autoencoder")
    assert {p.name for p in dest.iterdir()} == {"README.md", "config.json", "diffusion_pytorch_model.safetensors",
                                                "train_config.yaml", "train_log.jsonl", "train_state.json"}
    card = ModelCard.load(dest / "README.md")
    assert card.data.library_name == "diffusers" and "# autoencoder:" in card.text
    assert "phydemo export runs/ae checkpoints/autoencoder" in card.text
    assert FrameAutoencoder.from_pretrained(dest).config.latents_std is not None
