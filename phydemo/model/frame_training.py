"""The training loop of the frame models (the autoencoder and the upsampler): Adam with a linear warm-up and a cosine
decay to 0 at ``max_steps``, gradient clipping, a log line every ``log_every`` steps in ``runs/<name>/log.jsonl`` and
the whole state in ``runs/<name>/state.pt`` every ``ckpt_every`` steps, so that rerunning the same command resumes.
(The DiT's loop, ``phydemo/model/train.py``, adds lr cycles, EMA and evaluations.)"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from phydemo.model.train_config import config_from_yaml


@dataclass
class FrameTrainingConfig:
    """The options of the loop below, shared by the autoencoder's and the upsampler's configs."""

    name: str
    batch_size: int = 16
    lr: float = 1e-3
    warmup_steps: int = 100
    max_steps: int = 10000  # cosine decay to 0 at max_steps
    max_minutes: float = 0.0  # stop (and save) after this wall time; 0 = no limit
    grad_clip: float = 1.0
    seed: int = 0
    log_every: int = 100
    ckpt_every: int = 500
    output_dir: str = "runs"
    torch_threads: int = 0

    @classmethod
    def from_yaml(cls, path: str | Path):
        return config_from_yaml(cls, path)

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name


def lr_factor(step: int, cfg) -> float:
    """The learning rate's factor at ``step``: linear warm-up over ``cfg.warmup_steps``, cosine to 0 at ``max_steps``."""
    warm = min(1.0, (step + 1) / max(1, cfg.warmup_steps))
    return warm * 0.5 * (1 + math.cos(math.pi * min(step, cfg.max_steps) / cfg.max_steps))


def fit(model: torch.nn.Module, cfg, batch_loss: Callable[[np.random.Generator], torch.Tensor]) -> tuple[int, float]:
    """Train ``model`` on ``batch_loss(rng)`` (the loss of one freshly drawn batch) up to ``cfg.max_steps`` or
    ``cfg.max_minutes`` of wall time, resuming from ``cfg.run_dir/state.pt``. Returns (steps done, seconds in all)."""
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    state_path, step, elapsed_before = run_dir / "state.pt", 0, 0.0
    if state_path.exists():
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, elapsed_before = int(state["step"]), float(state["elapsed_s"])
    rng = np.random.default_rng([cfg.seed, step])
    t_start, t_log, losses = time.time(), time.time(), []
    model.train()
    while step < cfg.max_steps:
        loss = batch_loss(rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        elapsed = elapsed_before + time.time() - t_start
        out_of_time = cfg.max_minutes and (time.time() - t_start) / 60 >= cfg.max_minutes
        if step % cfg.log_every == 0:
            record = {"step": step, "loss": float(np.mean(losses)), "lr": sched.get_last_lr()[0],
                      "sec_per_step": (time.time() - t_log) / len(losses), "elapsed_min": elapsed / 60}
            losses, t_log = [], time.time()
            with open(run_dir / "log.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)
        if step % cfg.ckpt_every == 0 or step == cfg.max_steps or out_of_time:
            tmp = state_path.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step, "elapsed_s": elapsed}, tmp)
            tmp.replace(state_path)
        if out_of_time:
            break
    return step, elapsed_before + time.time() - t_start
