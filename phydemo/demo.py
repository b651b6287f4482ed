"""What the Gradio app does, without Gradio: load checkpoints, validate requests, run, plot, report."""

from __future__ import annotations

import math
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from phydemo.eval.rollout import Rollout, generated_speed, ood_labels, run_rollouts
from phydemo.model.checkpoint import CheckpointError, load_pipeline
from phydemo.plots import sweep_figure, velocity_figure
from phydemo.protocol import MAX_STEPS
from phydemo.report import report_markdown
from phydemo.video import caption, frame_strip, side_by_side, write_mp4
from phydemo.world.scenes import COLORS, SHAPES, ParamError, make_params

CHECKPOINT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
MAX_SWEEP = 32
VIDEO_SIZE = 256


class DemoError(ValueError):
    """A request the demo refuses, with a message meant for the user."""


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
        import torch

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.pipes, self.folders = {}, {}
        root = Path(root)
        for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            if (folder / "model_index.json").exists():
                pipe = load_pipeline(folder, device=self.device)
                pipe.set_progress_bar_config(disable=True)
                self.pipes[folder.name] = pipe
                self.folders[folder.name] = folder
        if not self.pipes:
            raise CheckpointError(f"{root}: no checkpoint folders found")
        self.out_dir = Path(tempfile.mkdtemp(prefix="phydemo-"))
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return list(self.pipes)

    def distribution(self, name: str) -> dict:
        return self._pipe(name).training_distribution

    def _pipe(self, name):
        if name not in self.pipes:
            raise DemoError(f"unknown checkpoint {name!r}; available: {', '.join(self.pipes)}")
        return self.pipes[name]

    # ------------------------------------------------------------ requests

    def params(self, name, speed, speed2, radius, radius2, color, shape):
        """Validated scene parameters for a checkpoint, from untrusted inputs."""
        scenario = self.distribution(name)["scenario"]
        try:
            if scenario == "collision":
                return make_params("collision", speed1=_num("speed", speed), speed2=_num("speed2", speed2),
                                   radius1=_num("radius", radius), radius2=_num("radius2", radius2),
                                   color1=_choice("color", color, COLORS), shape1=_choice("shape", shape, SHAPES),
                                   shape2=_choice("shape", shape, SHAPES),
                                   color2="blue" if color != "blue" else "red")
            return make_params(scenario, speed=_num("speed", speed), radius=_num("radius", radius),
                               color=_choice("color", color, COLORS), shape=_choice("shape", shape, SHAPES))
        except ParamError as e:
            raise DemoError(str(e)) from None

    def ood_text(self, name, speed, speed2, radius, radius2, color, shape) -> str:
        """Markdown: is this request inside the checkpoint's training distribution?"""
        try:
            p = self.params(name, speed, speed2, radius, radius2, color, shape)
        except DemoError as e:
            return f"**Invalid request:** {e}"
        labels = ood_labels(self.distribution(name), p)
        if not labels:
            return "**In distribution**: every attribute lies inside the training ranges."
        return "**Out of distribution**: " + "; ".join(labels.values()) + "."

    def measured_text(self, name: str) -> str:
        """Markdown: how good this checkpoint measured (its ``eval.json``), so a lecture knows what to expect."""
        import json

        self._pipe(name)
        path = self.folders[name] / "eval.json"
        try:
            res = json.loads(path.read_text())
            rid, ood = res["id"], res.get("ood", {})
            parts = [f"ID error {rid['error']:.3f} (parse floor {rid['parse_floor']:.3f}, "
                     f"{rid['clean_fraction']:.0%} of rollouts clean)"]
            for level, title in (("v", "OOD speed"), ("r", "OOD radius"), ("vr", "OOD speed and radius")):
                if level in ood:
                    parts.append(f"{title} {ood[level]['error']:.3f} ({ood[level]['error'] / rid['error']:.1f}x ID)")
            return (f"**Measured** on {res['n']} scenes per set ({res['steps']} sampling steps), world units / s: "
                    + "; ".join(parts) + ".")
        except FileNotFoundError:
            if (self.folders[name] / "experiment.json").exists():
                return "A mechanism-lab checkpoint, trained on restricted cases: run its experiment in the Lab tab."
            return (f"Not measured yet: `python -m phydemo evaluate --checkpoint {self.folders[name]} --card` "
                    "writes its table.")
        except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
            return f"No measured table: {path} is unreadable ({type(e).__name__}: {e})."

    def run(self, name, speed, speed2, radius, radius2, color, shape, seed, steps, progress=None) -> DemoResult:
        p = self.params(name, speed, speed2, radius, radius2, color, shape)
        seed, steps = _int("seed", seed, 0, 2**31 - 1), _int("steps", steps, 1, MAX_STEPS)
        pipe = self._pipe(name)
        if progress:
            progress(0.1, desc="simulating and sampling")
        with self._lock:
            (r,) = run_rollouts(pipe, [p], seed=seed, steps=steps)
        if progress:
            progress(0.8, desc="encoding video")
        dist = pipe.training_distribution
        labels = ood_labels(dist, p)
        err = r.report.error
        caption = f"generated err {err:.2f}" if math.isfinite(err) else "generated"
        video = side_by_side([r.gt_frames, r.generated], ["ground truth", caption], size=VIDEO_SIZE)
        path = Path(tempfile.mkstemp(dir=self.out_dir, suffix=".mp4")[1])
        write_mp4(path, video)
        gt_strip = frame_strip(r.gt_frames)
        strip = np.concatenate([gt_strip, np.full((4, gt_strip.shape[1], 3), 160, np.uint8),
                                frame_strip(r.generated)], axis=0)
        return DemoResult(str(path), strip, velocity_figure(r, dist), report_markdown(r, dist, labels), r)

    def sweep(self, name, speed_min, speed_max, count, radius, color, shape, seed, steps) -> go.Figure:
        """Generated vs true speed over a range of input speeds (the paper's central figure)."""
        dist = self.distribution(name)
        lo, hi = _num("speed_min", speed_min), _num("speed_max", speed_max)
        count, seed, steps = _int("count", count, 2, MAX_SWEEP), _int("seed", seed, 0, 2**31 - 1), _int("steps", steps, 1, MAX_STEPS)
        if not lo < hi:
            raise DemoError(f"speed_min={lo:g} must be below speed_max={hi:g}")
        speeds = np.linspace(lo, hi, count)
        params = [self.params(name, v, v, radius, radius, color, shape) for v in speeds]
        with self._lock:
            rollouts = run_rollouts(self._pipe(name), params, seed=seed, steps=steps)
        return sweep_figure(speeds, [generated_speed(r) for r in rollouts], dist)


    # ------------------------------------------------------------ mechanism lab

    @property
    def lab_experiments(self) -> list[str]:
        """Lab experiments whose checkpoint (``lab-<name>``) is shipped."""
        from phydemo.eval.lab import EXPERIMENTS

        return [e for e in EXPERIMENTS if f"lab-{e}" in self.pipes]

    def lab(self, experiment, n, seed, steps) -> tuple[np.ndarray, str]:
        """Run a lab experiment: a grid of generated rollouts (frame strips) and the tally as markdown."""
        from phydemo.eval.lab import EXPERIMENTS, rollout_caption, run_experiment, summary_lines

        if experiment not in self.lab_experiments:
            raise DemoError(f"unknown experiment {experiment!r}; available: {', '.join(self.lab_experiments) or 'none'}")
        n, seed, steps = _int("n", n, 1, MAX_SWEEP), _int("seed", seed, 0, 2**31 - 1), _int("steps", steps, 1, MAX_STEPS)
        with self._lock:
            summary, rollouts, outcomes = run_experiment(experiment, self.pipes[f"lab-{experiment}"], n=n, seed=seed, steps=steps)
        rows = []
        for r, outcome in zip(rollouts[:12], outcomes):
            strip = frame_strip(r.generated, every=4, size=64)
            text = rollout_caption(EXPERIMENTS[experiment], r.generated, r.params, outcome)
            rows += [caption(text, strip.shape[1]), strip,
                     np.full((4, strip.shape[1], 3), 160, np.uint8)]
        grid = np.concatenate(rows[:-1], axis=0)
        lines = [f"**{summary['title']}**, n = {summary['n']}", "", "| outcome | count | % |", "|---|---|---|"]
        lines += [f"| {o} | {c} | {summary['percent'][o]:.1f} |" for o, c in summary["counts"].items()]
        lines += [""] + [f"- {line}" for line in summary_lines(summary)]
        lines += ["", f"Paper: {EXPERIMENTS[experiment].paper} Order found: {summary['paper_order']}."]
        return grid, "\n".join(lines)


def _num(name, value) -> float:
    if isinstance(value, bool):
        raise DemoError(f"invalid {name}={value!r}: allowed a number")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DemoError(f"invalid {name}={value!r}: allowed a number") from None
    if not math.isfinite(v):
        raise DemoError(f"invalid {name}={value!r}: allowed a finite number")
    return v


def _int(name, value, lo, hi) -> int:
    v = _num(name, value)
    if v != int(v) or not lo <= v <= hi:
        raise DemoError(f"invalid {name}={value!r}: allowed an integer in [{lo}, {hi}]")
    return int(v)


def _choice(name, value, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise DemoError(f"invalid {name}={value!r}: allowed one of {', '.join(choices)}")
    return value


