"""What the Gradio app does, without Gradio: load the shipped checkpoints, validate requests, run, plot, report.

Every refused request raises ``InputError`` naming the field and the values allowed; app.py turns it into a message.
All sampling goes through one ``SamplingQueue``: concurrent single rollouts with the same checkpoint and steps share
one model call, and sweeps and lab batches are sampled in chunks behind them. Each request's work (rollouts x steps)
is capped, and the folder of generated videos is bounded. Finished results are kept in a ``ResultCache`` keyed by
everything that determines them, so identical requests (a permalink on a slide, an example) are computed once.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import torch

from phydemo.app.batching import LONG, ROLLOUT, SamplingQueue
from phydemo.app.finding_plots import finding_figure
from phydemo.app.plots import error_map_figure, law_figure, prediction_figure, sweep_figure, velocity_figure
from phydemo.app.result_cache import ResultCache
from phydemo.app.scene_board import SceneBoard
from phydemo.errors import CheckpointError, InputError, check_choice, check_int, check_number
from phydemo.eval.error_map import load_error_map
from phydemo.eval.findings import load_all as load_findings
from phydemo.eval.lab import EXPERIMENTS, rollout_caption, run_experiment
from phydemo.eval.rollout import Rollout, generated_speed, guess_errors, run_rollouts, scene_seeds
from phydemo.model.checkpoint import CHECKPOINT_ROOT, default_device, load_serving_pipeline, shipped_checkpoints
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.protocol import DEFAULT_STEPS, MAX_STEPS, NUM_COND_FRAMES, WORLD_SIZE, sampling_steps
from phydemo.report import (
    distribution_status,
    finding_markdown,
    lab_markdown,
    measured_text,
    nearest_markdown,
    prediction_markdown,
    rollout_markdown,
)
from phydemo.video import caption, frame_strip, side_by_side, stack_rows, write_mp4, write_png
from phydemo.world.distribution import TrainingDistribution
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.scenes import COLORS, RADIUS_LIMIT, SHAPES, SPEED_LIMIT, SceneParams, make_params
from phydemo.world.training_index import TrainingIndex

MAX_ROLLOUTS = 32  # rollouts in one sweep or lab request
MAX_WORK = 320  # rollouts x sampling steps in one request (32 rollouts at 10 steps; a sweep then takes ~1 s on 2 cores)
# scenes per sampling call of a sweep or lab batch: what a single rollout may wait behind. On a CPU a rollout's cost
# is per scene (decoding its 32 frames is two thirds of it: batch 1 / 4 at 10 steps 0.34 / 1.43 s on 2 cores), so
# batching a long job saves nothing there and one scene at a time lets a rollout in between; a GPU batches for free
CHUNK = {"cpu": 1, "cuda": 4}
# rollouts of different visitors sampled in one call at most: on a CPU one at a time, for the same reason (16 at once
# made 50 different-ball visitors wait longer, p95 19.7-21.3 s against 15.5-17.2 s one at a time, docs/serving.md)
BATCH = {"cpu": 1, "cuda": 16}
MAX_SEED = 2**31 - 1
MAX_VIDEOS = 256  # generated videos kept on disk; older ones are deleted (Gradio serves its own copy)
VIDEO_SIZE = 256
MAX_RESULTS = 128  # finished results kept for identical requests (fewer than MAX_VIDEOS: a kept result keeps its video)
GUESS_FRAME = 15  # predict first: where is the ball at t = 1.5 s? (in view for every speed the app's scenes allow)


@dataclass
class DemoResult:
    video_path: str
    strip: np.ndarray
    strip_path: str  # the strip as a PNG beside the video: encoded once, so a cached answer is not encoded again
    figure: go.Figure  # velocity over time
    report: str
    rollout: Rollout
    law: go.Figure  # position over time
    nearest: str  # the nearest training cases, as markdown


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile
        return 0.0


def _video_kept(result) -> bool:
    """Whether a cached result's video and strip are still on disk; touched, so the bounded folder keeps them
    longer."""
    for path in (getattr(result, "video_path", None), getattr(result, "strip_path", None)):
        if path is None:
            continue
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
    return True


def check_sampling(seed, steps) -> tuple[int, int]:
    """A request's noise seed and number of sampling steps, validated."""
    return check_int("seed", seed, 0, MAX_SEED), check_int("steps", steps, 1, MAX_STEPS)


def check_work(rollouts: int, steps: int, field: str = "steps") -> None:
    """Refuse a request whose sampling work exceeds ``MAX_WORK`` (rollouts x steps)."""
    if rollouts * steps > MAX_WORK:
        raise InputError(field, steps, f"at most {MAX_WORK // rollouts} steps for {rollouts} rollouts "
                         f"(rollouts x steps <= {MAX_WORK} per request)")


class Demo:
    """All shipped checkpoints, loaded once and moved to the device once."""

    def __init__(self, root: str | Path = CHECKPOINT_ROOT, device: str | None = None, max_videos: int = MAX_VIDEOS,
                 max_results: int = MAX_RESULTS):
        self.device = device or default_device()
        self.pipes: dict[str, PhyDiTPipeline] = {}
        self.folders: dict[str, Path] = {}
        for folder in shipped_checkpoints(root):
            pipe = load_serving_pipeline(folder, self.device)
            self.pipes[folder.name], self.folders[folder.name] = pipe, folder
        if not self.pipes:
            raise CheckpointError(f"{root}: no checkpoint folders found")
        self.indexes = {name: TrainingIndex.load(folder) for name, folder in self.folders.items()}
        self.maps = {name: load_error_map(folder) for name, folder in self.folders.items()}
        self.findings = load_findings()  # the saved results of the findings of several checkpoints
        self.out_dir = Path(tempfile.mkdtemp(prefix="phydemo-"))
        self.max_videos = max_videos
        self._cleanup = threading.Lock()
        self.queue = SamplingQueue(max_batch=BATCH.get(torch.device(self.device).type, 1))
        self.results = ResultCache(min(max_results, max_videos // 2), valid=_video_kept)
        self.scenes = SceneBoard(root, self.device, self.queue, self._save_video, min(max_results, max_videos // 4),
                                 valid=_video_kept)  # the PHYRE-like models of the Scenes tab

    @property
    def names(self) -> list[str]:
        """The checkpoints in the order a visitor meets them: the scenario models (uniform, parabola, collision), their
        variants (another resolution or data size), then the mechanism lab's."""
        order = ("uniform", "parabola", "collision")

        def key(name: str):
            base = next((i for i, s in enumerate(order) if name == s or name.startswith(f"{s}-")), len(order))
            return (name.startswith("lab-"), name not in order, base, name)

        return sorted(self.pipes, key=key)

    @property
    def scene_names(self) -> list[str]:
        """The checkpoints the Predict and Sweep tabs offer: every one but the mechanism-lab presets, whose questions
        are the Lab's (the interpolation finding's hole model stays: its sweep across the hole is the finding)."""
        return [n for n in self.names if n.removeprefix("lab-") not in EXPERIMENTS] or self.names

    def _pipe(self, name) -> PhyDiTPipeline:
        return self.pipes[check_choice("checkpoint", name, self.pipes)]

    def distribution(self, name: str) -> TrainingDistribution:
        return self._pipe(name).training_distribution

    def measured_text(self, name: str) -> str:
        self._pipe(name)
        return measured_text(self.folders[name])

    # ------------------------------------------------------------ sampling

    def _sample(self, name: str, scenes: list[SceneParams], seeds: list[int], steps: int, priority: int,
                progress=None) -> list:
        """Rollouts of ``scenes`` through the sampling queue, ``CHUNK[device]`` at a time for long jobs (``progress(done,
        total)`` after each chunk)."""
        pipe = self._pipe(name)

        def generate(items):
            return run_rollouts(pipe, [p for p, _ in items], seed=[s for _, s in items], steps=steps)

        items = list(zip(scenes, seeds))
        if priority == ROLLOUT:
            return self.queue.run(("rollout", name, steps), items, generate, ROLLOUT)
        key = ("long", name, steps, id(items))  # a long job's chunks are never merged with another job's
        out, chunk = [], CHUNK.get(torch.device(self.device).type, 1)
        for i in range(0, len(items), chunk):
            out += self.queue.run(key, items[i:i + chunk], generate, LONG)
            if progress:
                progress(len(out), len(items))
        return out

    def _save_video(self, frames: np.ndarray, strip: np.ndarray) -> tuple[str, str]:
        """Write an MP4 and its frame strip (a PNG of the same name) into the app's folder, keeping only the newest
        ``max_videos`` finished videos and their strips (a video still being written by another request is a
        ``.tmp.mp4`` and is never touched)."""
        path = Path(tempfile.mkstemp(dir=self.out_dir, suffix=".mp4")[1])
        write_mp4(path, frames)
        strip_path = write_png(path.with_suffix(".png"), strip)
        with self._cleanup:
            done = [(_mtime(p), p) for p in self.out_dir.glob("*.mp4") if not p.name.endswith(".tmp.mp4")]
            for _, old in sorted(done)[:-self.max_videos]:
                old.unlink(missing_ok=True)
                old.with_suffix(".png").unlink(missing_ok=True)
        return str(path), str(strip_path)

    # ------------------------------------------------------------ requests

    def params(self, name, speed, speed2, radius, radius2, color, shape) -> SceneParams:
        """Validated scene parameters for a checkpoint, from untrusted inputs (ball 2 of a collision takes the
        other training colour and the same shape)."""
        scenario = self.distribution(name).scenario
        speed, radius = check_number("speed", speed, *SPEED_LIMIT), check_number("radius", radius, *RADIUS_LIMIT)
        color, shape = check_choice("color", color, COLORS), check_choice("shape", shape, SHAPES)
        if scenario == "collision":
            return make_params("collision", speed1=speed, speed2=check_number("speed2", speed2, *SPEED_LIMIT),
                               radius1=radius, radius2=check_number("radius2", radius2, *RADIUS_LIMIT), color1=color, shape1=shape, shape2=shape,
                               color2="blue" if color != "blue" else "red")
        return make_params(scenario, speed=speed, radius=radius, color=color, shape=shape)

    def ood_text(self, name, speed, speed2, radius, radius2, color, shape) -> str:
        """Markdown: is this request inside the checkpoint's training distribution?"""
        try:
            p = self.params(name, speed, speed2, radius, radius2, color, shape)
        except InputError as e:
            return f"**Invalid request:** {e}"
        return distribution_status(self.distribution(name).labels(p))

    def run(self, name, speed, speed2, radius, radius2, color, shape, seed, steps) -> DemoResult:
        """One rollout beside the ground truth and the nearest training case; identical requests share one result."""
        p = self.params(name, speed, speed2, radius, radius2, color, shape)
        seed, steps = check_sampling(seed, steps)
        return self.results.get(("run", name, p, seed, steps), lambda: self._run(name, p, seed, steps))

    def _run(self, name: str, p: SceneParams, seed: int, steps: int) -> DemoResult:
        (r,) = self._sample(name, [p], [seed], steps, ROLLOUT)
        dist = self.distribution(name)
        err = r.report.error
        panels = [r.gt_frames, r.generated]
        labels = ["ground truth", f"generated err {err:.2f}" if np.isfinite(err) else "generated"]
        index, nearest = self.indexes[name], ""
        if index is not None:
            cases = index.nearest(p, k=3)
            panels.append(render(simulate(index.scene(cases[0])), r.gt_frames.shape[1]))
            labels.append(f"nearest training v {index.speed[cases[0], 0]:.2f}")
            nearest = nearest_markdown([index.describe(i) for i in cases], index.train_size)
        strip = stack_rows([frame_strip(r.gt_frames), frame_strip(r.generated)])
        video, strip_path = self._save_video(side_by_side(panels, labels, size=VIDEO_SIZE), strip)
        return DemoResult(video, strip, strip_path, velocity_figure(r, dist), rollout_markdown(r, dist.labels(p)), r,
                          law_figure(r), nearest)

    def predict(self, name, speed, speed2, radius, radius2, color, shape, seed, steps, guess_x, guess_y):
        """Predict first: the rollout, and the audience's guess of where ball 1 is at ``GUESS_FRAME`` against the law
        and the model."""
        guess = (check_number("guess_x", guess_x, 0, WORLD_SIZE), check_number("guess_y", guess_y, 0, WORLD_SIZE))
        res = self.run(name, speed, speed2, radius, radius2, color, shape, seed, steps)
        errors = guess_errors(res.rollout, guess, GUESS_FRAME)
        return res, prediction_figure(res.rollout, guess, GUESS_FRAME), prediction_markdown(errors)

    def given_frames(self, name, speed, speed2, radius, radius2, color, shape) -> np.ndarray:
        """What the model is given (the first frames, upscaled), for the audience to guess from."""
        p = self.params(name, speed, speed2, radius, radius2, color, shape)
        frames = render(simulate(p), self._pipe(name).frame_size)[:NUM_COND_FRAMES]
        return frame_strip(frames, every=1, size=128)

    def error_map(self, name) -> tuple[go.Figure, list[list], list[float], list[float]]:
        """The shipped error map: a figure, and its table (rows: radius, columns: speed) to pick a cell from."""
        result = self.maps[check_choice("checkpoint", name, [n for n, m in self.maps.items() if m])]
        title = (f"{name}: mean velocity error of {result['per_cell']} scenes per cell, {sampling_steps(result['steps'])}; "
                 f"the training box in white")
        rows = [[r] + [None if v is None else round(v, 3) for v in row] for r, row in zip(result["radii"], result["error"])]
        return error_map_figure(result, self.distribution(name), title), rows, result["speeds"], result["radii"]

    def map_cell(self, name, row: int, column: int) -> tuple[float, float]:
        """(speed, radius) of a cell of the error map's table (its first column holds the radii)."""
        result = self.maps[check_choice("checkpoint", name, [n for n, m in self.maps.items() if m])]
        return result["speeds"][max(column - 1, 0)], result["radii"][row]

    def permalink(self, base: str, name, speed, speed2, radius, radius2, color, shape, seed, steps) -> str:
        """A link that reopens the page with this ball, checkpoint, seed and steps (for a slide)."""
        self.params(name, speed, speed2, radius, radius2, color, shape)
        query = {"checkpoint": name, "speed": speed, "speed2": speed2, "radius": radius, "radius2": radius2,
                 "color": color, "shape": shape, "seed": seed, "steps": steps}
        return f"{base.split('?')[0]}?{urlencode(query)}"

    def from_query(self, query: dict) -> dict:
        """The controls a permalink sets, validated; an invalid link raises InputError naming the field. Ball 2 of a
        collision takes ball 1's speed and radius where the link does not give its own."""
        speed, radius = check_number("speed", query.get("speed", 2.5)), check_number("radius", query.get("radius", 1.0))
        seed, steps = check_sampling(query.get("seed", 0), query.get("steps", DEFAULT_STEPS))
        values = {"checkpoint": query.get("checkpoint", "uniform"), "speed": speed,
                  "speed2": check_number("speed2", query.get("speed2", speed)), "radius": radius,
                  "radius2": check_number("radius2", query.get("radius2", radius)),
                  "color": query.get("color", "red"), "shape": query.get("shape", "circle"),
                  "seed": seed, "steps": steps}
        self.params(values["checkpoint"], values["speed"], values["speed2"], values["radius"], values["radius2"],
                    values["color"], values["shape"])
        return values

    def sweep(self, name, speed_min, speed_max, count, radius, color, shape, seed, steps, progress=None) -> go.Figure:
        """Generated vs true speed over a range of input speeds (the paper's central figure); identical sweeps share
        one result."""
        lo, hi = check_number("speed_min", speed_min), check_number("speed_max", speed_max)
        count = check_int("count", count, 2, MAX_ROLLOUTS)
        seed, steps = check_sampling(seed, steps)
        check_work(count, steps)
        if not lo < hi:
            raise InputError("speed_max", hi, f"a speed above speed_min={lo:g}")
        speeds = np.linspace(lo, hi, count)
        params = tuple(self.params(name, v, v, radius, radius, color, shape) for v in speeds)
        return self.results.get(("sweep", name, params, seed, steps),
                                lambda: self._sweep(name, speeds, list(params), seed, steps, progress))

    def _sweep(self, name, speeds, params, seed, steps, progress) -> go.Figure:
        dist = self.distribution(name)
        rollouts = self._sample(name, params, scene_seeds(seed, len(params)), steps, LONG, progress)
        title = (f"{name}: r = {params[0].balls()[0].radius:g}, {params[0].balls()[0].color} "
                 f"{params[0].balls()[0].shape}, seed {seed}, {sampling_steps(steps)}")
        return sweep_figure(speeds, [generated_speed(r) for r in rollouts], dist, title)

    # ------------------------------------------------------------ mechanism lab

    @property
    def lab_experiments(self) -> list[str]:
        """Lab experiments whose checkpoint (``lab-<name>``) is shipped."""
        return [e for e in EXPERIMENTS if f"lab-{e}" in self.pipes]

    def finding(self, name) -> tuple[go.Figure, str]:
        """A saved finding (attribute order, interpolation, data scaling): its figure and its reading."""
        result = self.findings[check_choice("finding", name, self.findings)]
        return finding_figure(result), finding_markdown(result)

    def lab(self, experiment, n, seed, steps, progress=None) -> tuple[np.ndarray, str]:
        """Run a lab experiment: a grid of generated rollouts (frame strips) and the tally as markdown."""
        experiment = check_choice("experiment", experiment, self.lab_experiments)
        n = check_int("n", n, 1, MAX_ROLLOUTS)
        seed, steps = check_sampling(seed, steps)
        check_work(n, steps)
        return self.results.get(("lab", experiment, n, seed, steps), lambda: self._lab(experiment, n, seed, steps, progress))

    def _lab(self, experiment, n, seed, steps, progress) -> tuple[np.ndarray, str]:
        name = f"lab-{experiment}"
        summary, rollouts, outcomes = run_experiment(
            experiment, self.pipes[name], n=n, seed=seed, steps=steps,
            generate=lambda scenes: self._sample(name, scenes, scene_seeds(seed, len(scenes)), steps, LONG, progress))
        rows = []
        for r, outcome in zip(rollouts[:12], outcomes):
            strip = frame_strip(r.generated, every=4, size=64)
            text = rollout_caption(EXPERIMENTS[experiment], r.generated, r.params, outcome)
            rows.append(np.concatenate([caption(text, strip.shape[1]), strip]))
        ran = f"`{name}`, n = {n}, seed {seed}, {sampling_steps(steps)}"
        return stack_rows(rows), f"Ran {ran}.\n\n" + lab_markdown(summary)
