"""Sampling speed of a checkpoint: ms per single rollout and rollouts/s at a batch size."""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import torch

from phydemo.eval.metrics import velocity_error
from phydemo.model.checkpoint import load_pipeline
from phydemo.protocol import DEFAULT_STEPS
from phydemo.world.dataset import generate
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.sampling import sample_params
from phydemo.world.scenes import SCENARIOS, UniformParams


def run_benchmark(checkpoint: str, steps: int = DEFAULT_STEPS, batch: int = 16, repeats: int = 3) -> dict:
    pipe = load_pipeline(checkpoint)
    device = pipe.device.type
    pipe.set_progress_bar_config(disable=True)
    res = pipe.frame_size
    scenario = pipe.training_distribution.scenario
    cond = generate(scenario, "id_eval", batch, seed=0, resolution=res, workers=1, progress=False).frames[:, :3]

    def timed(frames) -> float:
        best = float("inf")
        for r in range(repeats + 1):  # the first run warms up
            _sync(device)
            t = time.perf_counter()
            pipe(frames, num_inference_steps=steps, batch_size=len(frames), generator=torch.Generator().manual_seed(r))
            _sync(device)
            if r:
                best = min(best, time.perf_counter() - t)
        return best

    single = timed(cond[:1])
    batched = timed(cond)
    return {"checkpoint": str(checkpoint), "device": device, "cpu": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "steps": steps,
            "ms_per_rollout_batch1": round(single * 1000, 1), "batch": batch,
            "ms_per_rollout_batched": round(batched * 1000 / batch, 1),
            "rollouts_per_s_batched": round(batch / batched, 2)}


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def parse_floor_table(n: int = 200, resolutions=(32, 64, 128), seed: int = 0) -> dict:
    """Mean error of the parser on ground-truth renders (the best score any model can reach)."""
    table = {}
    for scenario in SCENARIOS:
        rng = np.random.default_rng(seed)
        trajs = [simulate(sample_params(scenario, "id_eval", rng)) for _ in range(n)]
        table[scenario] = {res: round(float(np.nanmean([velocity_error(scenario, render(t, res), t).error for t in trajs])), 4)
                           for res in resolutions}
    return table


def render_timing(resolution: int = 128, repeats: int = 20) -> dict:
    """Wall time to render 32 frames of one ball at ``resolution``."""

    traj = simulate(UniformParams(3.0, 1.0).validate())
    render(traj, resolution)
    t = time.perf_counter()
    for _ in range(repeats):
        render(traj, resolution)
    sim = time.perf_counter()
    for _ in range(repeats):
        simulate(UniformParams(3.0, 1.0).validate())
    end = time.perf_counter()
    return {"resolution": resolution, "frames": 32, "render_ms": round((sim - t) / repeats * 1000, 2),
            "simulate_ms": round((end - sim) / repeats * 1000, 2)}
