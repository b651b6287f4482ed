import json
import shutil
import time

import numpy as np
import pytest
import torch

from phydemo.errors import CheckpointError, InputError
from phydemo.eval.evaluate import quick_eval
from phydemo.model.ball_loss import piece_sizes
from phydemo.model.checkpoint import load_pipeline
from phydemo.model.dit import VideoDiT
from phydemo.model.pipeline import PhyDiTPipeline, condition_inputs, to_model_space
from phydemo.model.train import flow_matching_loss, make_scheduler, save_checkpoint
from phydemo.model.train_config import TrainConfig
from phydemo.world.dataset import generate

TINY = dict(num_frames=32, sample_size=16, patch_size=8, patch_size_t=4, hidden_size=32, depth=2, num_heads=2)


def tiny_pipeline(seed=0):
    torch.manual_seed(seed)
    model = VideoDiT(**TINY)
    for p in model.parameters():  # leave adaLN-Zero's identity start so outputs depend on the input
        torch.nn.init.normal_(p, std=0.05)
    return PhyDiTPipeline(transformer=model.eval(), scheduler=make_scheduler())


def cond_frames(n=2, res=16):
    return generate("uniform", "id_eval", n, seed=0, resolution=res, workers=1, progress=False).frames


def test_forward_shapes_and_adaln_zero_start():
    model = VideoDiT(**TINY)
    x = torch.randn(2, 3, 32, 16, 16)
    out = model(x, torch.tensor([10.0, 900.0]), torch.zeros_like(x), torch.zeros(2, 1, 32, 16, 16))
    assert out.shape == x.shape
    assert torch.count_nonzero(out) == 0  # zero-initialised head: the untrained model predicts 0
    with pytest.raises(ValueError, match="expected sample"):
        model(torch.randn(2, 3, 31, 16, 16), torch.tensor([1.0, 1.0]), torch.randn(2, 3, 31, 16, 16),
              torch.zeros(2, 1, 31, 16, 16))


def test_a_model_given_one_frame_keeps_it_generates_the_rest_and_remembers_it(tmp_path):
    """The PHYRE-like scenes give one frame: ``num_cond_frames`` is the transformer's, kept by save_pretrained,
    and the pipeline conditions on that many frames only (what comes after them cannot change the video)."""
    torch.manual_seed(0)
    model = VideoDiT(**TINY, num_cond_frames=1)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.05)
    pipe = PhyDiTPipeline(transformer=model.eval(), scheduler=make_scheduler())
    pipe.set_progress_bar_config(disable=True)
    cond = cond_frames(2)
    one = pipe(cond[:, :1], num_inference_steps=2, generator=torch.Generator().manual_seed(1)).frames
    more = pipe(cond[:, :3], num_inference_steps=2, generator=torch.Generator().manual_seed(1)).frames
    assert one.shape == (2, 32, 16, 16, 3) and np.array_equal(one[:, 0], cond[:, 0]) and np.array_equal(one, more)
    pipe.save_pretrained(tmp_path)
    assert PhyDiTPipeline.from_pretrained(tmp_path).num_cond_frames == 1
    assert tiny_pipeline().num_cond_frames == 3  # the ball scenes' default, also for checkpoints saved before it
    with pytest.raises(ValueError, match="num_cond_frames"):
        VideoDiT(**TINY, num_cond_frames=32)


def test_the_conditioning_video_after_the_given_frames_is_zeros_or_the_last_given_frame(tmp_path):
    given = torch.arange(2 * 4 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 4, 3, 2, 2)
    for fill in ("zeros", "last"):
        cond, mask = condition_inputs(given, 8, 2, fill)
        assert cond.shape == (2, 4, 8, 2, 2) and torch.equal(cond[:, :, :2], given[:, :, :2])
        assert torch.equal(mask[:, 0, :, 0, 0], torch.tensor([[1.0, 1, 0, 0, 0, 0, 0, 0]] * 2))
        after = torch.zeros_like(cond[:, :, 2:]) if fill == "zeros" else given[:, :, 1:2].expand(-1, -1, 6, -1, -1)
        assert torch.equal(cond[:, :, 2:], after), fill
    with pytest.raises(ValueError, match="fill='mean'; allowed: zeros, last"):
        condition_inputs(given, 8, 2, "mean")
    # the transformer records it (checkpoints saved before it load as the paper's zeros), and a pipeline samples with it
    model = VideoDiT(**TINY, num_cond_frames=1, cond_fill="last")
    pipe = PhyDiTPipeline(transformer=model.eval(), scheduler=make_scheduler())
    pipe.set_progress_bar_config(disable=True)
    assert pipe(cond_frames(1)[:, :1], num_inference_steps=1).frames.shape == (1, 32, 16, 16, 3)
    pipe.save_pretrained(tmp_path)
    assert VideoDiT.from_pretrained(tmp_path, subfolder="transformer").config.cond_fill == "last"
    assert tiny_pipeline().transformer.config.cond_fill == "zeros"
    with pytest.raises(ValueError, match="cond_fill"):
        VideoDiT(**TINY, cond_fill="mean")


def test_save_load_roundtrip_is_bit_exact(tmp_path):
    pipe = tiny_pipeline()
    pipe.save_pretrained(tmp_path, safe_serialization=True)
    assert (tmp_path / "transformer" / "diffusion_pytorch_model.safetensors").exists()
    back = VideoDiT.from_pretrained(tmp_path, subfolder="transformer")
    for (k, a), (_, b) in zip(pipe.transformer.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), k


def test_pipeline_is_deterministic_and_keeps_conditioning_frames():
    pipe = tiny_pipeline()
    pipe.set_progress_bar_config(disable=True)
    cond = cond_frames(3)
    a = pipe(cond[:, :3], num_inference_steps=3, generator=torch.Generator().manual_seed(1), batch_size=2).frames
    b = pipe(cond[:, :3], num_inference_steps=3, generator=torch.Generator().manual_seed(1), batch_size=3).frames
    c = pipe(cond[:, :3], num_inference_steps=3, generator=torch.Generator().manual_seed(2)).frames
    assert a.shape == (3, 32, 16, 16, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)  # same seed, any batch size
    assert not np.array_equal(a, c)
    assert np.array_equal(a[:, :3], cond[:, :3])  # conditioning frames pass through exactly
    # one generator per video: a video batched with others gets what it gets alone
    seeds = [5, 6, 7]
    batched = pipe(cond[:, :3], num_inference_steps=2, generator=[torch.Generator().manual_seed(s) for s in seeds]).frames
    for k, s in enumerate(seeds):
        alone = pipe(cond[k:k + 1, :3], num_inference_steps=2, generator=torch.Generator().manual_seed(s)).frames[0]
        assert np.abs(batched[k].astype(int) - alone.astype(int)).max() <= 1  # equal up to float rounding
    steps = []
    pipe(cond[:, :3], num_inference_steps=2, batch_size=2,
         callback_on_step_end=lambda p, i, t, kw: steps.append(i) or kw)
    assert steps == [0, 1, 2, 3]  # two chunks of two steps


def test_pipeline_rejects_bad_input():
    pipe = tiny_pipeline()
    with pytest.raises(ValueError, match="cond_frames"):
        pipe(np.zeros((1, 2, 16, 16, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="num_inference_steps"):
        pipe(np.zeros((1, 3, 16, 16, 3), dtype=np.uint8), num_inference_steps=10**9)


@pytest.mark.slow
def test_overfit_smoke_lowers_the_loss():
    torch.manual_seed(0)
    model = VideoDiT(**{**TINY, "hidden_size": 64})
    x0 = to_model_space(cond_frames(4))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)

    def eval_loss():
        g = torch.Generator().manual_seed(123)
        with torch.no_grad():
            return float(np.mean([flow_matching_loss(model, x0, g).item() for _ in range(8)]))

    before = eval_loss()
    t0 = time.time()
    for _ in range(150):
        loss = flow_matching_loss(model, x0, gen)
        loss.backward()
        opt.step()
        opt.zero_grad()
        if time.time() - t0 > 60:
            break
    after = eval_loss()
    assert after < 0.7 * before, (before, after)


def test_checkpoint_errors_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such directory"):
        load_pipeline(tmp_path / "missing")
    cfg = TrainConfig(name="t", resolution=16, autoencoder="", model={k: v for k, v in TINY.items() if k not in ("num_frames", "sample_size")})
    folder = tmp_path / "ck"
    save_checkpoint(folder, tiny_pipeline().transformer, cfg)
    assert load_pipeline(folder).training_distribution.scenario == "uniform"
    # a config.json of another model
    bad = tmp_path / "other"
    shutil.copytree(folder, bad)
    cfg_path = bad / "transformer" / "config.json"
    cfg_path.write_text(json.dumps({"_class_name": "UNet2DModel"}))
    with pytest.raises(CheckpointError, match="config.json.*UNet2DModel"):
        load_pipeline(bad)
    # corrupt weights
    bad2 = tmp_path / "corrupt"
    shutil.copytree(folder, bad2)
    (bad2 / "transformer" / "diffusion_pytorch_model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_pipeline(bad2)
    # wrong tensor shapes: weights of a different size than the config says
    bad3 = tmp_path / "shapes"
    shutil.copytree(folder, bad3)
    conf = json.loads((bad3 / "transformer" / "config.json").read_text())
    conf["hidden_size"] = 64
    (bad3 / "transformer" / "config.json").write_text(json.dumps(conf))
    with pytest.raises(CheckpointError, match="safetensors"):
        load_pipeline(bad3)
    # missing or malformed distribution
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "training_distribution": {"scenario": "orbit"}}))
    with pytest.raises(CheckpointError, match="model_index.json: training_distribution: missing keys"):
        load_pipeline(folder)
    del index["training_distribution"]
    (folder / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="model_index.json: no training_distribution"):
        load_pipeline(folder)


def tiny_train_config(folder, **overrides) -> TrainConfig:
    """A seconds-long training run of the tiny model, writing under ``folder``."""
    return TrainConfig(**{"name": "tiny", "train_size": 8, "resolution": 16, "autoencoder": "", "batch_size": 4, "warmup_steps": 1,
                          "model": {k: v for k, v in TINY.items() if k not in ("num_frames", "sample_size")},
                          "log_every": 1, "eval_every": 100, "eval_n": 2, "eval_steps": 1,
                          "output_dir": str(folder / "runs"), "data_dir": str(folder / "data"), **overrides})


def test_training_refuses_fewer_videos_than_a_batch_before_making_any(tmp_path):
    from phydemo.model.train import train

    with pytest.raises(InputError, match=r"invalid train_size=3: allowed at least batch_size=4 videos"):
        train(tiny_train_config(tmp_path, train_size=3, max_steps=1))
    assert not (tmp_path / "data").exists() and not (tmp_path / "runs").exists()  # refused before anything was written


def test_training_run_checkpoints_and_resumes(tmp_path):
    from phydemo.model.train import train

    cfg = tiny_train_config(tmp_path, max_steps=2, ckpt_every=2)
    (tmp_path / "runs/tiny").mkdir(parents=True)
    (tmp_path / "runs/tiny/log.jsonl").write_text('{"step": 1, "loss": 7.0}\n')  # a run killed before it saved a state
    folder = train(cfg, evaluate=quick_eval)
    assert json.loads((folder / "train_state.json").read_text())["step"] == 2
    pipe = load_pipeline(folder)
    assert pipe.transformer.dtype == torch.float32  # loaded for compute; stored as fp16
    log_path = tmp_path / "runs/tiny/log.jsonl"
    with open(log_path, "a") as f:  # a run killed after step 3 logged it, but its state was saved at step 2
        f.write(json.dumps({"step": 3, "loss": 9.0, "elapsed_min": 99.0}) + "\n")
    cfg.max_steps = 4
    train(cfg, evaluate=quick_eval)  # resumes from runs/tiny/state.pt
    log = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4]  # the killed run's step 3 is not kept
    assert all(r["loss"] not in (7.0, 9.0) for r in log if "loss" in r)
    minutes = [r["elapsed_min"] for r in log if "loss" in r]
    assert minutes == sorted(minutes)  # wall time counts over resumed runs
    assert "id_error" in log[-1]  # the final step is evaluated with the paper's metric
    assert json.loads((folder / "train_state.json").read_text())["step"] == 4


def test_a_bf16_run_trains_under_autocast_and_keeps_float32_weights(tmp_path, monkeypatch):
    """``mixed_precision: bf16``: the forward runs under bfloat16 autocast, the loss is finite, the
    weights, optimizer state and the shipped model stay float32; an unknown precision is refused by name."""
    from phydemo.model import train as train_mod

    seen = []
    loss_fn = train_mod.flow_matching_loss

    def spy(model, x0, *a, **k):
        seen.append(torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16)
        return loss_fn(model, x0, *a, **k)

    monkeypatch.setattr(train_mod, "flow_matching_loss", spy)
    folder = train_mod.train(tiny_train_config(tmp_path, max_steps=6, ckpt_every=6, lr=3e-3, mixed_precision="bf16"))
    assert seen == [True] * 6
    losses = [json.loads(line)["loss"] for line in (tmp_path / "runs/tiny/log.jsonl").read_text().splitlines()
              if "loss" in line]
    assert len(losses) == 6 and all(np.isfinite(losses))
    state = torch.load(tmp_path / "runs/tiny/state.pt", map_location="cpu", weights_only=True)
    assert all(v.dtype == torch.float32 for v in state["model"].values())
    assert load_pipeline(folder).transformer.dtype == torch.float32
    assert json.loads((folder / "train_state.json").read_text())["mixed_precision"] == "bf16"  # what ran
    with pytest.raises(ValueError, match="mixed_precision='fp8'; allowed: auto, no, bf16"):
        tiny_train_config(tmp_path, mixed_precision="fp8")


def test_auto_precision_is_the_machines_choice_and_not_a_recipe_difference():
    from phydemo.model.bf16 import bf16_is_fast
    from phydemo.model.train_config import recipe_differences

    auto = TrainConfig(name="x")
    assert auto.mixed_precision == "auto" and auto.precision("cpu") == ("bf16" if bf16_is_fast("cpu") else "no")
    assert auto.precision("cuda") == "no" and TrainConfig(name="x", mixed_precision="bf16").precision("cuda") == "bf16"
    a, b = {"lr": 3e-4, "mixed_precision": "no"}, {"lr": 3e-4, "mixed_precision": "bf16"}
    assert recipe_differences(a, b) == [] and recipe_differences(a, {**b, "lr": 1e-4}) == ["lr"]


def test_final_weights_raw_ships_the_annealed_weights_and_a_finished_run_reexports(tmp_path):
    from phydemo.model.train import train

    def shipped_and_state(cfg):
        folder = train(cfg)
        pipe = load_pipeline(folder)
        state = torch.load(tmp_path / "runs/tiny/state.pt", map_location="cpu", weights_only=True)
        return pipe.transformer.state_dict(), state

    cfg = tiny_train_config(tmp_path, max_steps=3, ckpt_every=3, decay_steps=2, lr=1e-2)
    shipped, state = shipped_and_state(cfg)  # the default: the EMA
    key = "final_layer.linear.weight"
    assert not torch.equal(shipped[key], state["model"][key].half().float())
    cfg.final_weights = "raw"
    shipped, state = shipped_and_state(cfg)  # the same finished run, re-exported without training
    assert state["step"] == 3
    for name, tensor in state["model"].items():
        assert torch.equal(shipped[name], tensor.half().float()), name  # the trained weights, stored in fp16
    yaml_path = tmp_path / "bad.yaml"
    yaml_path.write_text("name: x\nfinal_weights: raw\n")
    with pytest.raises(ValueError, match="decay_steps"):
        TrainConfig.from_yaml(yaml_path)
    yaml_path.write_text("name: x\nfinal_weights: best\n")
    with pytest.raises(ValueError, match="final_weights"):
        TrainConfig.from_yaml(yaml_path)


def test_the_same_training_command_gives_the_same_model(tmp_path):
    """Reproducibility: two fresh runs of one config end bit-identical (data, init, batches, noise all seeded)."""
    from phydemo.model.train import train

    states = []
    for run in ("a", "b"):
        train(tiny_train_config(tmp_path / run, max_steps=3, ckpt_every=3, high_noise_fraction=0.5))
        states.append(torch.load(tmp_path / run / "runs/tiny/state.pt", map_location="cpu", weights_only=True))
    assert states[0]["model"].keys() == states[1]["model"].keys()
    for key, tensor in states[0]["model"].items():
        assert torch.equal(tensor, states[1]["model"][key]), key
    final = states[0]["model"]["final_layer.linear.weight"]  # zero at init (adaLN-Zero)
    assert final.abs().sum() > 0  # so the runs did train


def test_init_from_trains_the_base_run_first_and_starts_from_its_final_weights(tmp_path):
    """A fine-tuning config repeats the whole history of its weights with one command."""
    import yaml

    from phydemo.model.train import train

    base = tiny_train_config(tmp_path, name="base", max_steps=2, ckpt_every=2)
    base_yaml = tmp_path / "base.yaml"
    base_yaml.write_text(yaml.safe_dump({k: getattr(base, k) for k in
                                         ("name", "train_size", "resolution", "autoencoder", "batch_size", "warmup_steps", "model",
                                          "max_steps", "ckpt_every", "output_dir", "data_dir")}))
    tune = tiny_train_config(tmp_path, name="tune", max_steps=1, ckpt_every=1, lr=0.0, init_from=str(base_yaml))
    train(tune)  # trains base.yaml's run first: it has not run yet
    base_folder = tmp_path / "runs/base/checkpoint"
    assert json.loads((base_folder / "train_state.json").read_text())["step"] == 2
    start = load_pipeline(base_folder).transformer.state_dict()
    tuned = torch.load(tmp_path / "runs/tune/state.pt", map_location="cpu", weights_only=True)["model"]
    for key, tensor in start.items():  # lr 0: the fine-tuned weights are still the base run's final ones
        assert torch.equal(tuned[key], tensor), key
    assert start["final_layer.linear.weight"].abs().sum() > 0  # ... which were trained, not a fresh init
    state = json.loads((tmp_path / "runs/tune/checkpoint/train_state.json").read_text())
    assert state["step"] == 1 and state["init_from"]["config"] == str(base_yaml) and state["init_from"]["step"] == 2
    other = tiny_train_config(tmp_path, name="other", max_steps=1, init_from=str(base_yaml),
                              model={**base.model, "depth": 1})
    with pytest.raises(ValueError, match="init_from"):
        train(other)


def test_every_config_loads_and_names_its_run_after_its_file():
    from pathlib import Path

    from phydemo.model.train_autoencoder import AutoencoderConfig

    paths = sorted(Path("configs").glob("*.yaml"))
    assert len(paths) >= 3
    for path in paths:
        cfg = (AutoencoderConfig if path.stem.startswith("autoencoder") else TrainConfig).from_yaml(path)
        assert cfg.name == path.stem, path  # runs/<name> and the model card's reproduce command follow the file


def test_lr_schedule_warms_up_holds_and_anneals_to_zero_at_each_cycle_end():
    from phydemo.model.train import lr_factor

    cfg = TrainConfig(name="x", warmup_steps=10, decay_steps=20, max_steps=100)
    f = [lr_factor(s, cfg) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == 1.0 and f[79] == 1.0
    assert f[80] == pytest.approx(1.0) and f[99] == pytest.approx(1 / 20)  # linear to 0 at max_steps
    assert all(a >= b for a, b in zip(f[10:], f[11:]))  # one cycle: never rises after warmup
    cycled = TrainConfig(name="x", warmup_steps=10, decay_steps=20, max_steps=100, anneal_at=[50])
    g = [lr_factor(s, cycled) for s in range(100)]
    assert g[:50] == [lr_factor(s, TrainConfig(name="x", warmup_steps=10, decay_steps=20, max_steps=50))
                      for s in range(50)]  # the first cycle is the run that ended at step 50
    assert g[49] == pytest.approx(1 / 20) and g[50] == pytest.approx(0.1) and g[59] == 1.0  # rewarmed
    assert g[50:] == pytest.approx([min(1, (s - 49) / 10) * min(1, (100 - s) / 20)
                                    for s in range(50, 100)])
    for bad in ([100], [60, 50], [0], 50):
        with pytest.raises(ValueError, match="anneal_at"):
            TrainConfig(name="x", max_steps=100, anneal_at=bad)


def offset_model(x0: torch.Tensor, where: torch.Tensor) -> torch.nn.Module:
    """A stand-in x-prediction model given 3 frames that predicts ``x0`` exactly but 0.5 off on the ``where`` pixels."""
    from types import SimpleNamespace

    class Offset(torch.nn.Module):
        config = SimpleNamespace(prediction_type="sample", num_cond_frames=3, cond_fill="zeros")

        def forward(self, xt, t, cond, mask):
            return x0 + 0.5 * where.float()

    return Offset()


def test_ball_weighted_loss_counts_ball_pixels_more():
    """A stand-in model that predicts the clean video exactly except for an offset on chosen pixels."""
    x0 = torch.ones(2, 3, 8, 8, 8)  # white
    x0[:, :, :, 2:4, 2:4] = -1.0  # a black 2x2 "ball" in every frame
    ball = (x0 < 0.99).any(dim=1, keepdim=True)

    def loss(where, w, dilate=0):
        return flow_matching_loss(offset_model(x0, where), x0, torch.Generator().manual_seed(0), ball_weight=w,
                                  ball_dilate=dilate).item()

    assert loss(ball, 0.0) == pytest.approx(0.25 * 4 / 64)  # the plain mean: 4 of 64 pixels wrong by 0.5
    assert loss(ball, 9.0) == pytest.approx(0.25 * 40 / (60 + 40))  # ball pixels weigh 10x
    assert loss(~ball, 9.0) < loss(~ball, 0.0)  # background errors count less
    # Undilated, a wrong pixel just outside the ball costs a tenth of one inside: the bias that draws balls too
    # large. Grown by 1 px, the 12 ring pixels weigh as much as the 4 ball pixels, per pixel.
    ring = torch.nn.functional.max_pool3d(ball.float(), (1, 3, 3), stride=1, padding=(0, 1, 1)).bool() & ~ball
    assert ring.sum(dim=(-2, -1)).unique().tolist() == [12]
    assert loss(ring, 9.0) / 12 == pytest.approx(loss(ball, 9.0) / 4 / 10)
    assert loss(ring, 9.0, dilate=1) / 12 == pytest.approx(loss(ball, 9.0, dilate=1) / 4)
    assert loss(ball, 9.0, dilate=1) == pytest.approx(0.25 * 40 / (48 + 160))
    with pytest.raises(ValueError, match="ball_loss_dilate"):
        TrainConfig(name="x", ball_loss_dilate=-1)


def test_equal_area_ball_loss_weighs_a_small_ball_as_much_as_a_large_one():
    """With ball_area, each ball's region smaller than that area has its extra weight scaled by area / its size: a
    1-pixel ball then weighs about as much as a 9-pixel one (by pixel count the large one weighs 9x as much)."""
    x0 = torch.ones(1, 3, 4, 8, 8)
    x0[:, :, :, 1, 1] = -1.0  # a 1-pixel ball
    x0[:, :, :, 4:7, 4:7] = -1.0  # a 9-pixel ball
    ball = (x0 < 0.99).any(dim=1, keepdim=True)
    small, large = torch.zeros_like(ball), torch.zeros_like(ball)
    small[..., 1, 1] = True
    large[..., 5, 5] = True

    def loss(where, area):
        return flow_matching_loss(offset_model(x0, where), x0, torch.Generator().manual_seed(0), ball_weight=9.0,
                                  ball_area=area).item()

    assert loss(small, 0) == pytest.approx(loss(large, 0))  # one wrong ball pixel each, every ball pixel 10x
    assert loss(ball & ~small, 0) == pytest.approx(9 * loss(small, 0))  # so the large ball holds 9x the small's weight
    # equal area 9: the small ball's one pixel weighs 1 + 9 * 9 = 82, near the large ball's nine pixels' 9 * 10
    assert loss(small, 9) / loss(ball & ~small, 9) == pytest.approx(82 / 90)
    assert loss(large, 9) < loss(large, 0)  # the large ball's weight is unchanged, so its share of the total falls
    assert loss(large, 1) == pytest.approx(loss(large, 0))  # area 1: no ball is smaller, the plain ball loss
    with pytest.raises(ValueError, match="ball_loss_area"):
        TrainConfig(name="x", ball_loss_area=-5)


def test_piece_sizes_counts_each_connected_piece_within_its_frame():
    region = torch.zeros(1, 1, 2, 5, 5)
    region[0, 0, 0, 0, 0:2] = 1  # a piece of 2 in frame 0
    region[0, 0, 0, 1, 2] = 1  # touching it diagonally: one piece of 3
    region[0, 0, 0, 4, 4] = 1  # a piece of 1
    region[0, 0, 1, 0, 0:2] = 1  # the same 2 cells in frame 1 are their own piece
    sizes = piece_sizes(region)
    assert sizes[0, 0, 0, 0, 0] == 3 and sizes[0, 0, 0, 1, 2] == 3 and sizes[0, 0, 0, 4, 4] == 1
    assert sizes[0, 0, 1, 0, 0] == 2 and sizes[0, 0, 1, 3, 3] == 0


def test_motion_weighted_loss_counts_what_moved_since_the_last_given_frame():
    """Cells where the true video differs from the last given frame (a ball that falls) weigh 1 + motion_weight; a
    static object drawn in every frame does not count as moved; 0 keeps the loss as it was."""
    x0 = torch.ones(1, 3, 6, 8, 8)
    x0[:, :, :, 0:2, 0:2] = -1.0  # a static 2x2 object in every frame
    for f in range(6):
        x0[:, :, f, 4:6, f:f + 2] = -1.0  # a 2x2 ball moving one pixel a frame
    moving = (x0[:, :, 3:] - x0[:, :, 2:3]).abs().gt(0.02).any(dim=1, keepdim=True)
    assert moving.sum().item() == 4 + 8 + 8  # the cells the ball entered and left: 1, 2 and 3 px on

    def loss(where, ball_w, motion_w):
        full = torch.zeros(1, 1, 6, 8, 8, dtype=torch.bool)
        full[:, :, 3:] = where
        return flow_matching_loss(offset_model(x0, full), x0, torch.Generator().manual_seed(0), ball_weight=ball_w,
                                  motion_weight=motion_w).item()

    static = torch.zeros_like(moving)
    static[..., 0:2, 0:2] = True
    assert loss(moving, 0.0, 0.0) == pytest.approx(0.25 * 20 / (3 * 64))  # the plain mean
    assert loss(moving, 0.0, 4.0) == pytest.approx(0.25 * 100 / (3 * 64 + 4 * 20))  # moved cells weigh 5x
    assert loss(static, 0.0, 4.0) == pytest.approx(0.25 * 12 / (3 * 64 + 4 * 20))  # the static object does not
    assert loss(moving, 9.0, 4.0) > loss(moving, 9.0, 0.0)  # on top of the ball region
    with pytest.raises(ValueError, match="motion_loss_weight"):
        TrainConfig(name="x", motion_loss_weight=-1)


def test_motion_against_the_previous_frame_weighs_only_the_frames_in_which_something_moves():
    """With motion_against="previous", a ball that moves until frame 3 and then rests counts as moved in frame 3 only,
    not where it rests (which differs from the last given frame, and so counts under "given")."""
    x0 = torch.ones(1, 3, 6, 8, 8)
    for f in range(6):
        x0[:, :, f, 4:6, min(f, 3):min(f, 3) + 2] = -1.0  # moves one pixel a frame, at rest from frame 3
    rest = torch.zeros(1, 1, 6, 8, 8, dtype=torch.bool)
    rest[:, :, 4:, 4:6, 3:5] = True  # the resting ball in frames 4 and 5

    def loss(against):
        return flow_matching_loss(offset_model(x0, rest), x0, torch.Generator().manual_seed(0), motion_weight=4.0,
                                  motion_against=against).item()

    assert loss("previous") == pytest.approx(0.25 * 8 / (3 * 64 + 4 * 4))  # frame 3's 4 changed cells weigh, not these
    assert loss("given") == pytest.approx(0.25 * (4 + 4 * 5) / (3 * 64 + 4 * 12))  # its column 4 moved since frame 2
    with pytest.raises(ValueError, match="motion_against='next'; allowed: given, previous"):
        TrainConfig(name="x", motion_against="next")


def test_an_option_a_config_predates_counts_as_its_default():
    """A checkpoint's train_config.yaml written before an option existed shares the recipe of a run that sets it to
    its default, and not of one that sets it to anything else."""
    from phydemo.model.train_config import recipe_differences

    old = {"lr": 3e-4, "ball_loss_weight": 9.0}
    assert recipe_differences(old, {**old, "motion_loss_weight": 0.0}) == []
    assert recipe_differences(old, {**old, "motion_loss_weight": 5.0}) == ["motion_loss_weight"]


def test_the_default_recipe_and_a_one_frame_model_train(tmp_path):
    """The defaults (issue 37's recipe: 80% of each batch at t = 1 from step 0) load and train a few steps, here for a
    model given one frame; its checkpoint records both."""
    from phydemo.model.train import train
    from phydemo.model.train_config import TrainConfig as Defaults

    base = Defaults(name="x")
    assert (base.high_noise_fraction, base.high_noise_from_step, base.eval_steps) == (0.8, 0, 1)
    cfg = tiny_train_config(tmp_path, max_steps=3, ckpt_every=3,
                            model={k: v for k, v in TINY.items() if k not in ("num_frames", "sample_size")} | {"num_cond_frames": 1})
    folder = train(cfg)
    pipe = PhyDiTPipeline.from_pretrained(folder)
    assert pipe.num_cond_frames == 1
    assert pipe.transformer.state_dict()["final_layer.linear.weight"].abs().sum() > 0
