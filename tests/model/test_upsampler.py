"""The cascade's second stage: a learned 4x frame upsampler after a pixel DiT. Shapes, an untrained upsampler is
bicubic, save/load, determinism; the cascade pipeline returns full-resolution frames with the given ones unchanged;
training runs and resumes; ``phydemo cascade`` ships a folder that loads, and refuses parts that do not fit."""

import dataclasses
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from phydemo.errors import CheckpointError
from phydemo.model.checkpoint import load_pipeline, resolve_checkpoint
from phydemo.model.dit import VideoDiT
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.model.train import make_scheduler, train
from phydemo.model.train_config import TrainConfig
from phydemo.model.train_upsampler import UpsamplerConfig, build_pairs, train_upsampler
from phydemo.model.upsampler import FrameUpsampler
from phydemo.release.export import export_cascade, export_run
from phydemo.world.dataset import generate
from phydemo.world.distribution import TrainingDistribution

PIXEL = dict(num_frames=32, sample_size=16, in_channels=3, patch_size=8, patch_size_t=4, hidden_size=32, depth=1,
             num_heads=2)
PIXEL_RUN = {"patch_size": 8, "patch_size_t": 4, "hidden_size": 32, "depth": 1, "num_heads": 2}
SMALL = dict(sample_size=64, scale=4, width=8, depth=1)


def randomised(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    for p in module.parameters():
        torch.nn.init.normal_(p, std=0.05)
    return module.eval()


def cascade(upsampler: FrameUpsampler | None = None) -> PhyDiTPipeline:
    dist = TrainingDistribution.from_data("uniform", {}, 100, 16)
    pipe = PhyDiTPipeline(transformer=randomised(VideoDiT(**PIXEL)), scheduler=make_scheduler(),
                          upsampler=upsampler or randomised(FrameUpsampler(**SMALL), 1),
                          training_distribution=dist.to_dict())
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_upsampler_shapes_and_an_untrained_one_is_bicubic():
    up = FrameUpsampler(**SMALL).eval()
    low, ref = torch.rand(3, 3, 16, 16) * 2 - 1, torch.rand(3, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        out = up(low, ref)
        assert out.shape == (3, 3, 64, 64) and up.low_size == 16
        assert torch.allclose(out, F.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False))
        video = up.upsample_video(torch.rand(2, 3, 5, 16, 16), torch.rand(2, 3, 64, 64), chunk=3)
    assert video.shape == (2, 3, 5, 64, 64)
    assert up.downsample_video(torch.ones(1, 3, 2, 64, 64)).shape == (1, 3, 2, 16, 16)
    with pytest.raises(ValueError, match="reference"):
        up(low, torch.rand(3, 3, 32, 32))
    with pytest.raises(ValueError, match="multiple of scale"):
        FrameUpsampler(sample_size=66, scale=4)


def test_upsampler_save_load_round_trip_and_determinism(tmp_path):
    up = randomised(FrameUpsampler(**SMALL))
    up.save_pretrained(tmp_path / "up", safe_serialization=True)
    loaded = FrameUpsampler.from_pretrained(tmp_path / "up", use_safetensors=True).eval()
    low, ref = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(up(low, ref), loaded(low, ref)) and torch.equal(up(low, ref), up(low, ref))


def test_cascade_returns_full_resolution_frames_and_the_given_ones_unchanged():
    pipe = cascade()
    assert pipe.frame_size == 64
    cond = generate("uniform", "id_eval", 2, 0, 64, workers=1, progress=False).frames
    out = pipe(cond[:, :3], num_inference_steps=1, generator=torch.Generator().manual_seed(0)).frames
    again = pipe(cond[:, :3], num_inference_steps=1, generator=torch.Generator().manual_seed(0)).frames
    assert out.shape == (2, 32, 64, 64, 3) and out.dtype == np.uint8
    assert np.array_equal(out[:, :3], cond[:, :3]) and np.array_equal(out, again)
    with pytest.raises(ValueError, match=r"\(B, >= 3, 64, 64, 3\)"):
        pipe(cond[:, :3, :16, :16])


def test_the_shipped_cascade_in_bf16_draws_its_float32_rollout_within_a_few_levels():
    """The app's upsampling (bfloat16 autocast where the CPU has AMX) on the shipped collision cascade: the same
    rollout within a few of 255 levels, a velocity error that moves by less than the parser's own floor (a level or
    two shifts its sub-pixel centroids: 0.0028 on this scene with the fifth-cycle first stage), and float32 again once
    disabled."""
    from phydemo.eval.rollout import run_rollouts
    from phydemo.world.scenes import make_params

    pipe = load_pipeline("collision")
    pipe.set_progress_bar_config(disable=True)
    scene = make_params("collision", speed1=3.0, speed2=2.0, radius1=1.0, radius2=0.8, color1="red", color2="blue")
    (full,) = run_rollouts(pipe, [scene], seed=[1], steps=1)
    pipe.upsampler.enable_bf16()
    (half,) = run_rollouts(pipe, [scene], seed=[1], steps=1)
    pipe.upsampler.disable_bf16()
    (again,) = run_rollouts(pipe, [scene], seed=[1], steps=1)
    diff = np.abs(full.generated.astype(int) - half.generated.astype(int))
    assert 0 < diff.max() <= 8 and diff.mean() < 0.5
    floor = json.loads((resolve_checkpoint("collision") / "eval.json").read_text())["id"]["parse_floor"]
    assert abs(full.report.error - half.report.error) < floor  # 0.0084 at 128 px
    assert np.array_equal(again.generated, full.generated)


def test_cascade_parts_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="upsampler takes 3 x 32 x 32"):
        cascade(FrameUpsampler(sample_size=128, scale=4, width=8, depth=1))


def test_train_upsampler_resumes_and_phydemo_cascade_ships_a_folder_that_loads(tmp_path):
    cfg = UpsamplerConfig(name="up", resolution=64, model={"width": 8, "depth": 1}, scenarios=["uniform"], scenes=4,
                          frames_per_scene=2, batch_size=4, max_steps=4, log_every=2, ckpt_every=2,
                          output_dir=str(tmp_path / "runs"))
    pairs = build_pairs(cfg)
    assert pairs["low"].shape == (8, 16, 16, 3) and pairs["high"].shape == pairs["reference"].shape == (8, 64, 64, 3)
    train_upsampler(cfg)
    up = train_upsampler(dataclasses.replace(cfg, max_steps=6))  # resumes at step 4
    assert json.loads((up / "train_state.json").read_text())["step"] == 6
    assert [json.loads(line)["step"] for line in (tmp_path / "runs/up/log.jsonl").read_text().splitlines()] == [2, 4, 6]

    run = TrainConfig(name="base", train_size=8, resolution=16, autoencoder="", batch_size=4, warmup_steps=1,
                      max_steps=2, model=PIXEL_RUN, log_every=1, ckpt_every=2, output_dir=str(tmp_path / "runs"),
                      data_dir=str(tmp_path / "data"))
    train(run)
    base = export_run(tmp_path / "runs/base", tmp_path / "checkpoints/base")
    dest = export_cascade(base, up, tmp_path / "checkpoints/base-cascade")
    pipe = load_pipeline(dest, device="cpu")
    assert pipe.upsampler is not None and pipe.frame_size == 64 and pipe.training_distribution.resolution == 16
    assert (dest / "train_log.jsonl").read_text() == (base / "train_log.jsonl").read_text()
    assert (dest / "transformer/diffusion_pytorch_model.safetensors").read_bytes() == \
        (base / "transformer/diffusion_pytorch_model.safetensors").read_bytes()  # the base's weights as shipped
    card = (dest / "README.md").read_text()
    assert "upsampled 4x to 64 px" in card and "configs/up.yaml" in card
    with pytest.raises(CheckpointError, match="a cascade starts from a pixel DiT"):
        export_cascade(dest, up, tmp_path / "checkpoints/twice")
    big = tmp_path / "big"
    FrameUpsampler(sample_size=128, width=8, depth=1).save_pretrained(big)
    for name in ("train_config.yaml", "train_state.json"):
        (big / name).write_bytes((up / name).read_bytes())
    with pytest.raises(CheckpointError, match="upsampler takes 3 x 32 x 32"):
        export_cascade(base, big, tmp_path / "checkpoints/big")
    (up / "train_state.json").unlink()
    with pytest.raises(CheckpointError, match="train_state.json: missing"):
        export_cascade(base, up, tmp_path / "checkpoints/other")
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["base", "base-cascade"]
    config = dest / "upsampler" / "config.json"
    good = config.read_text()
    config.write_text(good.replace('"sample_size": 64', '"sample_size": 256'))
    with pytest.raises(CheckpointError, match=r"upsampler/config.json: the transformer works on 3 x 16 x 16 inputs, "
                                              r"but the upsampler takes 3 x 64 x 64"):
        load_pipeline(dest, device="cpu")
    config.write_text(good.replace('"FrameUpsampler"', '"FrameAutoencoder"'))
    with pytest.raises(CheckpointError, match="upsampler/config.json: describes 'FrameAutoencoder'"):
        load_pipeline(dest, device="cpu")
    with pytest.raises(ValueError, match="scenarios"):
        UpsamplerConfig(name="x", scenarios=["orbit"])


def test_upsampler_config_file_is_checked(tmp_path):
    path = tmp_path / "up.yaml"
    path.write_text("name: up\nscenes: 10\nwidth: 3\n")
    with pytest.raises(ValueError, match="unknown option"):
        UpsamplerConfig.from_yaml(path)
    path.write_text("name: up\nscenarios: [collision, orbit]\n")
    with pytest.raises(ValueError, match="up.yaml: scenarios="):
        UpsamplerConfig.from_yaml(path)


def test_training_inputs_are_degraded_like_a_base_models_frames_more_near_the_balls():
    from phydemo.model.train_autoencoder import frames_to_model
    from phydemo.model.train_upsampler import degrade

    cfg = UpsamplerConfig(name="x", scenes=6, frames_per_scene=4)
    low = frames_to_model(build_pairs(cfg)["low"])
    out = degrade(low, np.random.default_rng(0), cfg)
    assert out.shape == low.shape and out.min() >= -1 and out.max() <= 1
    change = (out - low).abs().amax(1)
    far = F.max_pool2d((low < 0.99).any(1, keepdim=True).float(), 7, stride=1, padding=3)[:, 0] == 0
    assert change[~far].mean() > 2 * change[far].mean() > 0
