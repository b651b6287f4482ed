"""The Scenes tab without Gradio: a PHYRE-like scene (template and seed) simulated, then generated from its first frame
by every shipped PHYRE-like model, side by side with the truth, each video judged (``phyre_judge``) and scored.

A template is marked in or out of each model's training; identical requests share one result (``ResultCache``), and
sampling goes through the app's ``SamplingQueue``, so concurrent requests for one scene share one model call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from phydemo.app.batching import ROLLOUT, SamplingQueue
from phydemo.app.result_cache import ResultCache
from phydemo.errors import InputError, check_int
from phydemo.eval.image_quality import video_psnr, video_ssim
from phydemo.eval.phyre_judge import Verdict, judge
from phydemo.model.checkpoint import load_serving_pipeline, shipped_checkpoints
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.protocol import MAX_STEPS
from phydemo.video import frame_strip, side_by_side, stack_rows
from phydemo.world.phyre import NUM_TEMPLATES, TEMPLATES, make_scene, out_of_template, render_scene, simulate_scene

MAX_SCENE_SEED = 999_999  # below the test seeds (phyre_sets.TEST_SEED): a visitor's scene may be a training one
NAMES = {"dynamic_ball_1": "ball", "dynamic_ball_2": "second ball", "static_ball": "static chain",
         "static_bar": "static bar", "dynamic_bar": "bar", "dynamic_standing_bars": "standing bars",
         "dynamic_jar": "jar", "dynamic_standingsticks": "stand"}


@dataclass
class SceneResult:
    video_path: str
    strip_path: str
    report: str  # markdown: per video, trained on this template or not, the judge's verdict and reason, PSNR, SSIM
    verdicts: dict[str, Verdict]  # "ground truth" and each model's name


def template_text(template: int) -> str:
    return ", ".join(NAMES[k] for k in TEMPLATES[template])


class SceneBoard:
    """Every shipped PHYRE-like checkpoint, loaded once; empty where none is shipped (the app then has no Scenes tab)."""

    def __init__(self, root: str | Path, device: str, queue: SamplingQueue,
                 save_video: Callable[[np.ndarray, np.ndarray], tuple[str, str]], max_results: int = 64,
                 valid: Callable[[SceneResult], bool] | None = None):
        self.pipes: dict[str, PhyDiTPipeline] = {}
        for folder in shipped_checkpoints(root, world="phyre"):
            pipe = load_serving_pipeline(folder, device)
            self.pipes[folder.name] = pipe
        # fewest templates first: the order of the finding
        self.names = sorted(self.pipes, key=lambda n: len(self.pipes[n].training_distribution.templates))
        self.queue, self.save_video = queue, save_video
        self.results = ResultCache(max_results, valid=valid)  # valid: its video is still on disk

    def trained_on(self, template: int) -> list[str]:
        return [n for n in self.names if self.pipes[n].training_distribution.in_template(template)]

    def template_choices(self) -> list[tuple[str, int]]:
        """(label, template) for a dropdown: the objects, and which models trained on it."""
        out = []
        for t in range(NUM_TEMPLATES):
            seen = self.trained_on(t)
            where = ("held out of every model" if t in out_of_template() else
                     f"trained: {', '.join(seen)}" if seen else "trained by no shipped model")
            out.append((f"{t}: {template_text(t)} ({where})", t))
        return out

    def check(self, template, seed, steps) -> tuple[int, int, int]:
        if not self.names:
            raise InputError("scenes", "none", "a shipped PHYRE-like checkpoint (phyre-6, phyre-30, phyre-60)")
        return (check_int("template", template, 0, NUM_TEMPLATES - 1), check_int("seed", seed, 0, MAX_SCENE_SEED),
                check_int("steps", steps, 1, MAX_STEPS))

    def run(self, template, seed, steps) -> SceneResult:
        """The scene of ``template`` and ``seed``: the truth and every model's video from its first frame."""
        template, seed, steps = self.check(template, seed, steps)
        return self.results.get(("scene", template, seed, steps), lambda: self._run(template, seed, steps))

    def _generate(self, name: str, truth: np.ndarray, seed: int, steps: int) -> np.ndarray:
        pipe = self.pipes[name]

        def generate(items):
            given = np.stack([t[:pipe.num_cond_frames] for t, _ in items])
            gens = [torch.Generator().manual_seed(s) for _, s in items]
            return list(pipe(given, num_inference_steps=steps, generator=gens).frames)

        return self.queue.run(("scene", name, steps), [(truth, seed)], generate, ROLLOUT)[0]

    def _run(self, template: int, seed: int, steps: int) -> SceneResult:
        try:
            truth = render_scene(simulate_scene(make_scene(template, seed)))
        except RuntimeError as e:  # no layout for this seed: say so, as for any refused value
            raise InputError("seed", seed, f"another seed ({e})") from None
        videos = {"ground truth": truth} | {n: self._generate(n, truth, seed, steps) for n in self.names}
        verdicts = {name: judge(v) for name, v in videos.items()}
        rows = []
        for name, video in videos.items():
            trained = ("-" if name == "ground truth" else
                       "yes" if self.pipes[name].training_distribution.in_template(template) else "**no**")
            v = verdicts[name]
            score = ("-", "-") if name == "ground truth" else (f"{video_psnr(truth, video, 1):.1f} dB",
                                                               f"{video_ssim(truth, video, 1):.3f}")
            rows.append(f"| {name} | {trained} | {'**abnormal**' if v.abnormal else 'normal'} | {v.reason} | "
                        f"{score[0]} | {score[1]} |")
        labels = [f"{n} {'ABNORMAL' if verdicts[n].abnormal else 'ok'}" for n in videos]
        strip = stack_rows([frame_strip(v) for v in videos.values()])
        video_path, strip_path = self.save_video(side_by_side(list(videos.values()), labels), strip)
        held = " (held out of every model's training)" if template in out_of_template() else ""
        report = (f"**Template {template}**{held}: red ball, {template_text(template)}; seed {seed}; every model is "
                  f"given the first frame. Above: the videos left to right, and every 4th frame of each, one row per video, "
                  f"in the order of this table.\n\n| video | trained on this template | judge | why | PSNR | SSIM |\n"
                  f"|---|---|---|---|---|---|\n" + "\n".join(rows))
        return SceneResult(video_path, strip_path, report, verdicts)
