"""Sampling speed of a checkpoint: ms per single rollout and rollouts/s at a batch size."""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import torch

from .checkpoint import load_pipeline
from .data import generate


def run_benchmark(checkpoint: str, steps: int = 10, batch: int = 16, repeats: int = 3) -> dict:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    pipe = load_pipeline(checkpoint, device=device)
    pipe.set_progress_bar_config(disable=True)
    res = pipe.transformer.config.sample_size
    scenario = pipe.training_distribution["scenario"]
    cond = generate(scenario, "id_eval", batch, seed=0, resolution=res, workers=1, progress=False).frames[:, :3]

    def timed(frames) -> float:
        best = float("inf")
        for r in range(repeats + 1):  # the first run warms up
            if device == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            pipe(frames, num_inference_steps=steps, batch_size=len(frames), generator=torch.Generator().manual_seed(r))
            if device == "cuda":
                torch.cuda.synchronize()
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
