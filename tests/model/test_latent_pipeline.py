"""A DiT in the autoencoder's latent space: the pipeline encodes the given frames, samples latents, decodes 128 px
frames; save and load keep the vae; a folder whose parts do not fit is refused with the files named."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from phydemo.errors import CheckpointError
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.checkpoint import load_pipeline
from phydemo.model.dit import VideoDiT
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.model.train import make_scheduler
from phydemo.world.dataset import generate
from phydemo.world.distribution import TrainingDistribution

ROOT = Path(__file__).resolve().parents[2]
LATENT = dict(num_frames=32, sample_size=16, in_channels=4, patch_size=4, patch_size_t=4, hidden_size=32, depth=1,
              num_heads=2)


@pytest.fixture(scope="module")
def vae():
    return FrameAutoencoder.from_pretrained(ROOT / "checkpoints/autoencoder").eval()


def latent_pipeline(vae, seed=0):
    torch.manual_seed(seed)
    model = VideoDiT(**LATENT)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.05)
    dist = TrainingDistribution.from_data("uniform", {}, 100, 128)
    return PhyDiTPipeline(transformer=model.eval(), scheduler=make_scheduler(), vae=vae,
                          training_distribution=dist.to_dict())


def test_latent_pipeline_returns_128px_frames_and_the_given_frames_unchanged(vae):
    pipe = latent_pipeline(vae)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.frame_size == 128
    cond = generate("uniform", "id_eval", 2, 0, 128, workers=1, progress=False).frames
    out = pipe(cond[:, :3], num_inference_steps=2, generator=torch.Generator().manual_seed(0)).frames
    assert out.shape == (2, 32, 128, 128, 3) and out.dtype == np.uint8
    assert np.array_equal(out[:, :3], cond[:, :3])


def test_save_and_load_keep_the_vae_and_bad_folders_are_named(vae, tmp_path):
    pipe = latent_pipeline(vae)
    folder = tmp_path / "latent"
    pipe.save_pretrained(folder, safe_serialization=True)
    assert (folder / "vae" / "diffusion_pytorch_model.safetensors").is_file()
    loaded = load_pipeline(folder, device="cpu")
    assert loaded.vae is not None and loaded.frame_size == 128
    x = torch.randn(1, 3, 2, 128, 128)
    assert torch.equal(loaded.vae.encode_video(x), vae.encode_video(x))
    missing = tmp_path / "no-vae"
    shutil.copytree(folder, missing)
    shutil.rmtree(missing / "vae")
    with pytest.raises(CheckpointError, match=r"vae: missing \(the transformer works on 4-channel latents"):
        load_pipeline(missing)
    other = tmp_path / "other-size"
    shutil.copytree(folder, other)
    conf = json.loads((other / "vae/config.json").read_text())
    (other / "vae/config.json").write_text(json.dumps({**conf, "sample_size": 64}))
    with pytest.raises(CheckpointError, match="an autoencoder for 64 px frames, but the model was trained at 128 px"):
        load_pipeline(other)
    shapes = tmp_path / "shapes"  # an autoencoder of 8-channel latents beside a transformer of 4-channel ones
    shutil.copytree(folder, shapes)
    shutil.rmtree(shapes / "vae")
    FrameAutoencoder(latent_channels=8, block_out_channels=(8, 16, 16)).save_pretrained(shapes / "vae")
    with pytest.raises(CheckpointError, match="transformer/config.json and .*vae/config.json: the transformer works on 4 x 16"):
        load_pipeline(shapes)


def test_a_pixel_transformer_refuses_a_vae(vae):
    with pytest.raises(ValueError, match="works on 3 x 16 x 16 inputs, but this pipeline gives it the vae's latents"):
        PhyDiTPipeline(transformer=VideoDiT(sample_size=16, patch_size=8, hidden_size=32, depth=1, num_heads=2),
                       scheduler=make_scheduler(), vae=vae)


def test_the_ball_mask_of_latents_finds_the_ball(vae):
    from phydemo.model.latents import background_latent, encode_videos, latent_ball_mask

    videos = generate("uniform", "id_eval", 1, 0, 128, workers=1, progress=False)
    latents = torch.from_numpy(encode_videos(vae, videos.frames).astype(np.float32))
    mask = latent_ball_mask(latents, background_latent(vae))[0, 0]  # (T, 16, 16)
    ball_cells = mask.sum(dim=(1, 2))
    assert (ball_cells >= 1).all() and (ball_cells <= 80).all()  # a ball and its neighbourhood, not the frame
    x, y = videos.positions[0, 5, 0]
    assert mask[5, int((10 - y) / 10 * 16), int(x / 10 * 16)] == 1  # the cell under the ball's centre


def test_a_latent_training_run_caches_latents_and_ships_its_vae(tmp_path):
    from phydemo.eval.evaluate import quick_eval
    from phydemo.model.train import train
    from phydemo.model.train_config import TrainConfig

    cfg = TrainConfig(name="latent", autoencoder=str(ROOT / "checkpoints/autoencoder"), resolution=128, train_size=8,
                      batch_size=4, warmup_steps=1, max_steps=2, model={**{k: v for k, v in LATENT.items()
                                                                           if k not in ("num_frames", "sample_size",
                                                                                        "in_channels")}},
                      ball_loss_weight=9, ball_loss_dilate=1, log_every=1, ckpt_every=2, eval_every=100, eval_n=2,
                      eval_steps=1, output_dir=str(tmp_path / "runs"), data_dir=str(tmp_path / "data"))
    folder = train(cfg, evaluate=quick_eval)
    cache = list((tmp_path / "data").glob("*-latents-*.npy"))
    assert len(cache) == 1 and np.load(cache[0], mmap_mode="r").shape == (8, 4, 32, 16, 16)
    pipe = load_pipeline(folder, device="cpu")
    assert pipe.vae is not None and pipe.frame_size == 128 and pipe.transformer.config.in_channels == 4
    log = [json.loads(line) for line in (tmp_path / "runs/latent/log.jsonl").read_text().splitlines()]
    assert "id_error" in log[-1]  # evaluated through the pipeline: decoded to 128 px and parsed
    from phydemo.release.export import export_run

    shipped = export_run(tmp_path / "runs/latent", tmp_path / "checkpoints/latent")
    assert (shipped / "vae/diffusion_pytorch_model.safetensors").is_file() and (shipped / "training_index.npz").is_file()
    assert "latent space of the frozen autoencoder in `vae/`" in (shipped / "README.md").read_text()
    assert load_pipeline(shipped, device="cpu").vae is not None
