"""Training: rectified flow on simulated videos, EMA, checkpoint/resume, periodic ID/OOD error.

``python -m phydemo train --config configs/uniform.yaml`` on CPU, or
``accelerate launch -m phydemo train --config ...`` on one or several GPUs (same code path).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import yaml
from accelerate import Accelerator
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.training_utils import EMAModel

from phydemo.errors import InputError
from phydemo.model.ball_loss import PIXEL_TOLERANCE, ball_weighted_error, motion_mask, pixel_ball_mask
from phydemo.model.checkpoint import checkpoint_state, load_pipeline
from phydemo.model.dit import VideoDiT
from phydemo.model.latents import (
    BALL_TOLERANCE,
    autoencoder_digest,
    background_latent,
    latent_ball_mask,
    load_autoencoder,
    load_or_build_latents,
)
from phydemo.model.pipeline import PhyDiTPipeline, condition_inputs, to_model_space
from phydemo.model.train_config import TrainConfig
from phydemo.protocol import NUM_FRAMES
from phydemo.world import dataset as datamod
from phydemo.world.distribution import distribution_from_data
from phydemo.world.phyre_sets import template_count


def dataset_path(cfg: TrainConfig) -> Path:
    if cfg.scenario == "phyre":  # the set is fixed by its templates and size (phyre_sets.split_pairs)
        return Path(cfg.data_dir) / f"phyre-train-t{template_count(cfg.data_kwargs)}-n{cfg.train_size}-r{cfg.resolution}.npz"
    tag = "" if not cfg.data_kwargs else "-" + cfg.name
    return Path(cfg.data_dir) / f"{cfg.scenario}-train-n{cfg.train_size}-r{cfg.resolution}-s{cfg.data_seed}{tag}.npz"


def training_inputs(cfg: TrainConfig) -> tuple[np.ndarray, Callable[[np.ndarray], torch.Tensor]]:
    """The training set as the model sees it, and how a batch of it becomes a tensor: uint8 frames (N, T, H, W, 3)
    converted on the fly, or, for a latent model, the cached fp16 latents (N, C, T, h, w)."""
    if not cfg.autoencoder:
        if cfg.scenario == "phyre":
            raise ValueError("scenario=phyre: trains in an autoencoder's latent space (set autoencoder)")
        return load_or_build_training_set(cfg).frames, to_model_space
    vae = load_autoencoder(cfg.autoencoder)
    path = dataset_path(cfg).with_suffix("").with_name(
        dataset_path(cfg).stem + f"-latents-{autoencoder_digest(cfg.autoencoder)}.npy")
    latents = load_or_build_latents(path, vae, cfg.scenario, cfg.train_size, cfg.data_seed, **cfg.data_kwargs)
    return latents, lambda batch: torch.from_numpy(np.asarray(batch, dtype=np.float32))


def new_model(cfg: TrainConfig) -> VideoDiT:
    """The untrained DiT of ``cfg``: on pixels at ``resolution``, or on the latents of ``cfg.autoencoder``."""
    if not cfg.autoencoder:
        return VideoDiT(num_frames=NUM_FRAMES, sample_size=cfg.resolution, **cfg.model)
    vae = load_autoencoder(cfg.autoencoder)
    if vae.config.sample_size != cfg.resolution:
        raise ValueError(f"resolution={cfg.resolution}, but {cfg.autoencoder} encodes {vae.config.sample_size} px frames")
    return VideoDiT(num_frames=NUM_FRAMES, sample_size=vae.latent_size, in_channels=vae.config.latent_channels,
                    **cfg.model)


def load_or_build_training_set(cfg: TrainConfig) -> datamod.VideoSet:
    path = dataset_path(cfg)
    if path.exists():
        return datamod.load(path)
    videos = datamod.generate(cfg.scenario, "train", cfg.train_size, cfg.data_seed, cfg.resolution, **cfg.data_kwargs)
    datamod.save(videos, path)
    return videos


def flow_matching_loss(model: VideoDiT, x0: torch.Tensor, generator: torch.Generator,
                       high_noise_fraction: float = 0.0, ball_weight: float = 0.0, ball_dilate: int = 0,
                       background: torch.Tensor | None = None, motion_weight: float = 0.0,
                       motion_against: str = "given", ball_area: int = 0) -> torch.Tensor:
    """Rectified-flow loss on the frames to generate: x_t = (1 - t) x0 + t eps; the target is the
    clean video for x-prediction models and the velocity eps - x0 for flow-prediction ones.

    t is uniform, except that a ``high_noise_fraction`` of the batch is set to t = 1, where the noisy
    video carries no information and the future must come from the conditioning frames alone: the
    part of the task that is physics, and the one that decides the first sampling step.

    ``ball_weight`` > 0 weighs the squared error on the pixels of the true video that are not background
    (white) 1 + ball_weight times: a ball of 1.6 px radius is 0.8% of a 32x32 frame. A weight that depends on
    the target pixel alone biases the optimum: where the model is unsure whether a pixel is ball, calling it ball
    costs less, and it draws balls too large (area 1.32x the true one at step 3,000, no clean rollout).
    ``ball_dilate`` grows the weighted region by that many pixels around each ball, so the pixels a ball may
    cover are weighed alike whichever way they turn out.

    ``motion_weight`` > 0 weighs the error on the pixels or cells where the true video differs from the last given
    frame (where something moved, grown alike) that many times more: in a PHYRE-like scene the static objects are most
    of the ink, and a model that copies the given frame is right everywhere but on the falling objects. With
    ``motion_against="previous"`` each frame is compared with the frame before it instead, so only the frames in which
    an object is moving are weighed, not the places where it came to rest.

    ``ball_area`` > 0 scales the extra weight of each ball smaller than that many pixels or cells (its grown region)
    up to that area (``ball_weighted_error``'s ``equal_area``).
    """
    b = x0.shape[0]
    t = torch.rand(b, generator=generator, device="cpu")
    t = torch.where(torch.rand(b, generator=generator) < high_noise_fraction, torch.ones_like(t), t).to(x0.device)
    noise = torch.randn(x0.shape, generator=generator, device="cpu").to(x0.device)
    tt = t.view(b, 1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * noise
    config = getattr(model, "module", model).config
    k = config.num_cond_frames
    cond, mask = condition_inputs(x0[:, :, :k], x0.shape[2], k, config.cond_fill)
    pred = model(xt, t * 1000, cond, mask)
    target = x0 if config.prediction_type == "sample" else noise - x0
    err = ((pred.float() - target) ** 2)[:, :, k:]
    if not ball_weight and not motion_weight:
        return err.mean()
    future = x0[:, :, k:]
    # pixels: not white; latents (``background`` given): cells that differ from an empty frame's latent
    ball = pixel_ball_mask(future) if background is None else latent_ball_mask(future, background)
    moving = None
    if motion_weight:
        reference = x0[:, :, k - 1:-1] if motion_against == "previous" else x0[:, :, k - 1:k]
        moving = motion_mask(future, reference, PIXEL_TOLERANCE if background is None else BALL_TOLERANCE)
    return ball_weighted_error(err, ball, ball_weight, ball_dilate, moving, motion_weight, ball_area)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Warmup-stable-decay: linear warmup, constant, then linear decay to 0 at ``max_steps``; with
    ``anneal_at``, one such cycle ends at each of those steps and the next starts with its own warmup."""
    start, end = 0, cfg.max_steps
    for a in cfg.anneal_at:
        if step < a:
            end = a
            break
        start = a
    warm = min(1.0, (step - start + 1) / max(1, cfg.warmup_steps))
    decay = min(1.0, max(0.0, end - step) / cfg.decay_steps) if cfg.decay_steps else 1.0
    return warm * decay


def make_scheduler() -> FlowMatchEulerDiscreteScheduler:
    return FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=1.0)


def save_checkpoint(folder: Path, model: VideoDiT, cfg: TrainConfig, extra: dict | None = None) -> None:
    """A shippable folder: the pipeline (fp16 weights, the training distribution in model_index.json) and the config."""
    folder.mkdir(parents=True, exist_ok=True)
    shipped = copy.deepcopy(model).to(torch.float16)
    pipeline_for(shipped, cfg).save_pretrained(folder, safe_serialization=True)
    (folder / "train_config.yaml").write_text(yaml.safe_dump(asdict(cfg), sort_keys=False))
    if extra:
        (folder / "train_state.json").write_text(json.dumps(extra, indent=2))


def run_state(cfg: TrainConfig, step: int, elapsed_min: float, precision: str | None = None) -> dict:
    """What a checkpoint's train_state.json records: steps and minutes of this run (and the arithmetic its last
    session used: "bf16" or "no"), and with ``init_from`` those of the run it started from, so a model card can state
    the whole training a fine-tuned model saw."""
    state = {"step": step, "elapsed_min": elapsed_min}
    if precision:
        state["mixed_precision"] = precision
    if cfg.init_from:
        base = checkpoint_state(TrainConfig.from_yaml(cfg.init_from).run_dir / "checkpoint")
        state["init_from"] = {"config": cfg.init_from, **base}
    return state


def pipeline_for(model: VideoDiT, cfg: TrainConfig) -> PhyDiTPipeline:
    """The sampling pipeline of a model trained with ``cfg`` (its scheduler and training distribution)."""
    dist = distribution_from_data(cfg.scenario, cfg.data_kwargs, cfg.train_size, cfg.resolution)
    vae = load_autoencoder(cfg.autoencoder) if cfg.autoencoder else None
    return PhyDiTPipeline(transformer=model, scheduler=make_scheduler(), vae=vae, training_distribution=dist.to_dict())


def train(cfg: TrainConfig, evaluate: Callable[[PhyDiTPipeline, TrainConfig], dict] | None = None) -> Path:
    """Train (or resume) the run of ``cfg``; ``evaluate(pipeline, cfg)`` -> dict is logged every ``eval_every`` steps."""
    if cfg.train_size < cfg.batch_size:  # before any data is made: a batch draws distinct videos
        raise InputError("train_size", cfg.train_size, f"at least batch_size={cfg.batch_size} videos (a batch draws "
                         "distinct videos; lower batch_size to train on fewer)")
    accelerator = Accelerator()
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "log.jsonl"
    model = new_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    state_path = run_dir / "state.pt"
    if cfg.init_from and not state_path.exists():
        model.load_state_dict(initial_weights(cfg, evaluate))
    ema = EMAModel(model.parameters(), decay=cfg.ema_decay)
    step, elapsed_before, precision_before = 0, 0.0, None
    if state_path.exists():  # resume: weights-only load of our own tensors (no pickled objects)
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        ema.load_state_dict(state["ema"])
        step = int(state["step"])
        elapsed_before = float(state.get("elapsed_s", 0.0))
        precision_before = state.get("precision")  # absent in states saved before it was recorded
    if accelerator.is_main_process:  # records a killed run wrote after its last saved state (all, if it saved none)
        drop_log_after(log_path, step)
    if step >= cfg.max_steps:  # a finished run: only (re)write its checkpoint, with this config's final weights
        if accelerator.is_main_process:
            save_checkpoint(run_dir / "checkpoint", exported_model(model, ema, cfg, step), cfg,
                            run_state(cfg, step, elapsed_before / 60, precision_before))
        return run_dir / "checkpoint"
    data, to_tensor = training_inputs(cfg)
    background = background_latent(load_autoencoder(cfg.autoencoder)) if cfg.autoencoder else None
    model, opt, sched = accelerator.prepare(model, opt, sched)
    precision = cfg.precision(accelerator.device)
    ema.to(accelerator.device)
    rng = np.random.default_rng([cfg.seed, step, accelerator.process_index])
    gen = torch.Generator().manual_seed(cfg.seed * 1000003 + step * 7919 + accelerator.process_index)
    t_start, t_log, losses = time.time(), time.time(), []
    while step < cfg.max_steps:
        idx = np.sort(rng.choice(len(data), cfg.batch_size, replace=False))
        x0 = to_tensor(data[idx]).to(accelerator.device)
        # bf16 autocast by hand: accelerate's mixed_precision is fixed once per process, and one process may train
        # runs of both precisions (the findings' commands, the tests)
        with torch.autocast(accelerator.device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            p_high = cfg.high_noise_fraction if step >= cfg.high_noise_from_step else 0.0
            loss = flow_matching_loss(model, x0, gen, p_high, cfg.ball_loss_weight, cfg.ball_loss_dilate, background,
                                      cfg.motion_loss_weight, cfg.motion_against, cfg.ball_loss_area)
        accelerator.backward(loss)
        if cfg.grad_clip:
            accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema.step(accelerator.unwrap_model(model).parameters())
        step += 1
        losses.append(loss.item())
        out_of_time = cfg.max_minutes and (time.time() - t_start) / 60 >= cfg.max_minutes
        if accelerator.is_main_process:
            record, export = None, None
            if step % cfg.log_every == 0:
                record = {"step": step, "loss": float(np.mean(losses)), "lr": sched.get_last_lr()[0],
                          "sec_per_step": (time.time() - t_log) / len(losses), "elapsed_min": (elapsed_before + time.time() - t_start) / 60}
                losses, t_log = [], time.time()
            if step % cfg.eval_every == 0 or step == cfg.max_steps or out_of_time:
                record = record or {"step": step}
                export = exported_model(accelerator.unwrap_model(model), ema, cfg, step)
                if evaluate:
                    record.update(evaluate(pipeline_for(export, cfg), cfg))
            if record:
                with open(log_path, "a") as f:
                    f.write(json.dumps(record) + "\n")
                print(json.dumps(record), flush=True)
            if step % cfg.ckpt_every == 0 or step == cfg.max_steps or out_of_time:
                raw = accelerator.unwrap_model(model)
                tmp = state_path.with_suffix(".tmp")
                elapsed = elapsed_before + time.time() - t_start  # over all resumed sessions
                torch.save({"model": raw.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                            "ema": ema.state_dict(), "step": step, "elapsed_s": elapsed, "precision": precision}, tmp)
                tmp.replace(state_path)
                save_checkpoint(run_dir / "checkpoint", export or exported_model(raw, ema, cfg, step), cfg,
                                run_state(cfg, step, elapsed / 60, precision))
        if out_of_time:
            break
    accelerator.wait_for_everyone()  # the main process evaluates and saves last
    # every process states a digest of the weights it ends with: with several processes they must agree
    print(json.dumps({"rank": accelerator.process_index, "step": step,
                      "weights_sha256": weights_digest(accelerator.unwrap_model(model))}), flush=True)
    return run_dir / "checkpoint"


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of the model's parameters (in state_dict order), to compare the weights of processes or runs."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def initial_weights(cfg: TrainConfig, evaluate=None) -> dict:
    """The final weights of the run of ``cfg.init_from`` (fp32), training that run first if it has not finished."""
    base = TrainConfig.from_yaml(cfg.init_from)
    if base.model != cfg.model or base.resolution != cfg.resolution or base.autoencoder != cfg.autoencoder:
        raise ValueError(f"init_from={cfg.init_from}: its model {base.model} at {base.resolution} px differs from "
                         f"this config's {cfg.model} at {cfg.resolution} px")
    folder = base.run_dir / "checkpoint"
    if checkpoint_state(folder).get("step", 0) < base.max_steps:
        print(f"init_from: training {cfg.init_from} first ({base.max_steps} steps)", flush=True)
        train(base, evaluate)
        if checkpoint_state(folder).get("step", 0) < base.max_steps:
            raise RuntimeError(f"init_from={cfg.init_from}: that run stopped early (max_minutes); rerun to finish it")
    return load_pipeline(folder).transformer.state_dict()


def drop_log_after(log_path: Path, step: int) -> None:
    """Keep only the log records up to `step`, so a resumed run does not log the same steps twice."""
    if not log_path.exists():
        return
    lines = log_path.read_text().splitlines()
    kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
    if len(kept) != len(lines):
        tmp = log_path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in kept))
        tmp.replace(log_path)


def ema_model(model: VideoDiT, ema: EMAModel) -> VideoDiT:
    shadow = copy.deepcopy(model)
    ema.copy_to(shadow.parameters())
    return shadow.eval()


def exported_model(model: VideoDiT, ema: EMAModel, cfg: TrainConfig, step: int) -> VideoDiT:
    """The weights a checkpoint holds at ``step``: the EMA, except at the end of a ``final_weights: raw`` run."""
    if cfg.final_weights == "raw" and step >= cfg.max_steps:
        return copy.deepcopy(model).eval()
    return ema_model(model, ema)
