"""Two checkpoints on the same scenes: the per-scene velocity error of B minus A with its standard error, and how
many scenes each draws cleanly. Pairing removes the scene-to-scene spread that dominates the standard error of either
mean, so it tells a real gain from a lucky draw (``phydemo compare A B``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from phydemo.eval.evaluate import sample_scenes, score_videos, standard_error
from phydemo.eval.metrics import VelocityReport, signed_speed
from phydemo.model.checkpoint import load_pipeline, resolve_checkpoint, trained_data_kwargs
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED
from phydemo.world.scenes import SceneParams


def per_scene(checkpoint: str, n: int, seed: int, steps: int, level: str | None,
              data_kwargs: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Velocity error and clean flag per scene, for the scenes and noise ``evaluate`` uses with this seed (ID scenes
    drawn with ``data_kwargs`` when given, e.g. another speed range)."""
    return errors_and_clean(per_scene_scores(checkpoint, n, seed, steps, level, data_kwargs))


def errors_and_clean(scored: list[SceneScore]) -> tuple[np.ndarray, np.ndarray]:
    """The velocity error (NaN: not scored) and the clean flag of each scene, as ``paired`` takes them."""
    return np.array([s.report.error for s in scored]), np.array([s.clean for s in scored])


@dataclass
class SceneScore:
    params: SceneParams
    report: VelocityReport
    clean: bool

    @property
    def generated_speed(self) -> float:
        return signed_speed(self.report, self.params.scenario)


def per_scene_scores(checkpoint: str, n: int, seed: int, steps: int, level: str | None,
                     data_kwargs: dict | None = None) -> list[SceneScore]:
    """Per scene of ``per_scene``: its parameters, the velocity report of the generated frames and the clean flag."""
    return score_scenes(load_pipeline(checkpoint), n, seed, steps, level, data_kwargs)


def score_scenes(pipe, n: int, seed: int, steps: int, level: str | None,
                 data_kwargs: dict | None = None) -> list[SceneScore]:
    """``per_scene_scores`` of a loaded pipeline."""
    pipe.set_progress_bar_config(disable=True)
    scenario = pipe.training_distribution.scenario
    videos, gen = sample_scenes(pipe, scenario, n, steps, level, seed, data_kwargs=data_kwargs)
    return [SceneScore(p, report, ok) for p, (report, _, ok) in zip(videos.params, score_videos(scenario, gen, videos))]


@dataclass
class Comparison:
    n: int
    scored_by_both: int
    error_a: float
    error_b: float
    diff: float  # mean of B - A over the scenes both scored
    diff_se: float
    b_lower: float  # share of those scenes where B is lower
    clean_a: float
    clean_b: float
    clean_only_a: int
    clean_only_b: int
    data_kwargs: dict | None = None  # what the ID scenes were drawn with (A's own training distribution), if not the full


def compare(a: str, b: str, n: int = 256, seed: int = EVAL_SEED, steps: int = DEFAULT_STEPS,
            level: str | None = None, steps_b: int | None = None) -> Comparison:
    """B against A on the same scenes and noise; B samples with ``steps_b`` steps where given (each model at its own
    chosen number), else with ``steps`` as A. ID scenes are drawn from A's own training distribution (a lab preset's
    combinations, the hole model's speeds; the scenario's full ID ranges for the others), as its card's table is;
    the OOD levels are the scenario's."""
    data_kwargs = (trained_data_kwargs(resolve_checkpoint(a)) if level is None else {}) or None
    ea, ca = per_scene(a, n, seed, steps, level, data_kwargs)
    eb, cb = per_scene(b, n, seed, steps if steps_b is None else steps_b, level, data_kwargs)
    return replace(paired(ea, eb, ca, cb), data_kwargs=data_kwargs)


def paired(ea: np.ndarray, eb: np.ndarray, ca: np.ndarray, cb: np.ndarray) -> Comparison:
    """Per-scene errors (NaN: not scored) and clean flags of A and B on the same scenes, compared."""
    both = np.isfinite(ea) & np.isfinite(eb)
    d = eb[both] - ea[both]
    return Comparison(len(ea), int(both.sum()), float(ea[both].mean()), float(eb[both].mean()), float(d.mean()),
                      standard_error(d),
                      float(np.mean(d < 0)), float(ca.mean()), float(cb.mean()), int(np.sum(ca & ~cb)),
                      int(np.sum(cb & ~ca)))
