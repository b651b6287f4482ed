"""What the Gradio app does, without Gradio: load the shipped checkpoints, validate requests, run, plot, report.

Every refused request raises ``InputError`` naming the field and the values allowed; app.py turns it into a message.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from phydemo.errors import InputError, check_choice, check_int, check_number
from phydemo.eval.lab import EXPERIMENTS, rollout_caption, run_experiment
from phydemo.eval.rollout import Rollout, generated_speed, run_rollouts
from phydemo.model.checkpoint import (
    CHECKPOINT_ROOT,
    CheckpointError,
    default_device,
    load_pipeline,
    shipped_checkpoints,
)
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.plots import sweep_figure, velocity_figure
from phydemo.protocol import MAX_STEPS
from phydemo.report import distribution_status, lab_markdown, measured_text, rollout_markdown
from phydemo.video import caption, frame_strip, side_by_side, stack_rows, write_mp4
from phydemo.world.distribution import TrainingDistribution
from phydemo.world.scenes import COLORS, SHAPES, SceneParams, make_params

MAX_SWEEP = 32  # rollouts in one sweep or lab request
MAX_SEED = 2**31 - 1
VIDEO_SIZE = 256


@dataclass
class DemoResult:
    video_path: str
    strip: np.ndarray
    figure: go.Figure
    report: str
    rollout: Rollout


class Demo:
    """All shipped checkpoints, loaded once and moved to the device once; a lock serialises sampling."""

    def __init__(self, root: str | Path = CHECKPOINT_ROOT, device: str | None = None):
        self.device = device or default_device()
        self.pipes: dict[str, PhyDiTPipeline] = {}
        self.folders: dict[str, Path] = {}
        for folder in shipped_checkpoints(root):
            pipe = load_pipeline(folder, device=self.device)
            pipe.set_progress_bar_config(disable=True)
            self.pipes[folder.name], self.folders[folder.name] = pipe, folder
        if not self.pipes:
            raise CheckpointError(f"{root}: no checkpoint folders found")
        self.out_dir = Path(tempfile.mkdtemp(prefix="phydemo-"))
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return list(self.pipes)

    def _pipe(self, name) -> PhyDiTPipeline:
        return self.pipes[check_choice("checkpoint", name, self.pipes)]

    def distribution(self, name: str) -> TrainingDistribution:
        return self._pipe(name).training_distribution

    def measured_text(self, name: str) -> str:
        self._pipe(name)
        return measured_text(self.folders[name])

    # ------------------------------------------------------------ requests

    def params(self, name, speed, speed2, radius, radius2, color, shape) -> SceneParams:
        """Validated scene parameters for a checkpoint, from untrusted inputs (ball 2 of a collision takes the
        other training colour and the same shape)."""
        scenario = self.distribution(name).scenario
        speed, radius = check_number("speed", speed), check_number("radius", radius)
        color, shape = check_choice("color", color, COLORS), check_choice("shape", shape, SHAPES)
        if scenario == "collision":
            return make_params("collision", speed1=speed, speed2=check_number("speed2", speed2), radius1=radius,
                               radius2=check_number("radius2", radius2), color1=color, shape1=shape, shape2=shape,
                               color2="blue" if color != "blue" else "red")
        return make_params(scenario, speed=speed, radius=radius, color=color, shape=shape)

    def ood_text(self, name, speed, speed2, radius, radius2, color, shape) -> str:
        """Markdown: is this request inside the checkpoint's training distribution?"""
        try:
            p = self.params(name, speed, speed2, radius, radius2, color, shape)
        except InputError as e:
            return f"**Invalid request:** {e}"
        return distribution_status(self.distribution(name).labels(p))

    def run(self, name, speed, speed2, radius, radius2, color, shape, seed, steps, progress=None) -> DemoResult:
        p = self.params(name, speed, speed2, radius, radius2, color, shape)
        seed, steps = check_int("seed", seed, 0, MAX_SEED), check_int("steps", steps, 1, MAX_STEPS)
        pipe = self._pipe(name)
        if progress:
            progress(0.1, desc="simulating and sampling")
        with self._lock:
            (r,) = run_rollouts(pipe, [p], seed=seed, steps=steps)
        if progress:
            progress(0.8, desc="encoding video")
        dist = pipe.training_distribution
        err = r.report.error
        video = side_by_side([r.gt_frames, r.generated], ["ground truth", f"generated err {err:.2f}" if np.isfinite(err)
                                                          else "generated"], size=VIDEO_SIZE)
        path = Path(tempfile.mkstemp(dir=self.out_dir, suffix=".mp4")[1])
        write_mp4(path, video)
        strip = stack_rows([frame_strip(r.gt_frames), frame_strip(r.generated)])
        return DemoResult(str(path), strip, velocity_figure(r, dist), rollout_markdown(r, dist.labels(p)), r)

    def sweep(self, name, speed_min, speed_max, count, radius, color, shape, seed, steps) -> go.Figure:
        """Generated vs true speed over a range of input speeds (the paper's central figure)."""
        dist = self.distribution(name)
        lo, hi = check_number("speed_min", speed_min), check_number("speed_max", speed_max)
        count = check_int("count", count, 2, MAX_SWEEP)
        seed, steps = check_int("seed", seed, 0, MAX_SEED), check_int("steps", steps, 1, MAX_STEPS)
        if not lo < hi:
            raise InputError("speed_max", hi, f"a speed above speed_min={lo:g}")
        speeds = np.linspace(lo, hi, count)
        params = [self.params(name, v, v, radius, radius, color, shape) for v in speeds]
        with self._lock:
            rollouts = run_rollouts(self._pipe(name), params, seed=seed, steps=steps)
        return sweep_figure(speeds, [generated_speed(r) for r in rollouts], dist)

    # ------------------------------------------------------------ mechanism lab

    @property
    def lab_experiments(self) -> list[str]:
        """Lab experiments whose checkpoint (``lab-<name>``) is shipped."""
        return [e for e in EXPERIMENTS if f"lab-{e}" in self.pipes]

    def lab(self, experiment, n, seed, steps) -> tuple[np.ndarray, str]:
        """Run a lab experiment: a grid of generated rollouts (frame strips) and the tally as markdown."""
        experiment = check_choice("experiment", experiment, self.lab_experiments)
        n = check_int("n", n, 1, MAX_SWEEP)
        seed, steps = check_int("seed", seed, 0, MAX_SEED), check_int("steps", steps, 1, MAX_STEPS)
        with self._lock:
            summary, rollouts, outcomes = run_experiment(experiment, self.pipes[f"lab-{experiment}"], n=n, seed=seed,
                                                         steps=steps)
        rows = []
        for r, outcome in zip(rollouts[:12], outcomes):
            strip = frame_strip(r.generated, every=4, size=64)
            rows += [np.concatenate([caption(rollout_caption(EXPERIMENTS[experiment], r.generated, r.params, outcome),
                                             strip.shape[1]), strip])]
        return stack_rows(rows), lab_markdown(summary)
