"""Mechanism lab: the paper's section-5 experiments (case matching, attribute priority) as presets.

Each experiment names the training data of its checkpoint (``data_kwargs`` for ``sample_params``),
the test scenes (combinations never seen in training) and how one generated video is tallied.
Tallies look only at generated frames, so they are testable on hand-made frames.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from phydemo.eval.metrics import color_mask, parse
from phydemo.eval.rollout import run_rollouts
from phydemo.protocol import DEFAULT_STEPS, FRAME_DT, NUM_COND_FRAMES, WORLD_SIZE
from phydemo.world.sampling import describe_combination
from phydemo.world.scenes import SceneParams, UniformParams

SIZE_SPLIT = 1.05  # radii below are "small", above "large" (the size pairs' training cases meet here)
SPEED_SPLIT = 2.5  # speeds below are "slow", above "fast" (the velocity pairs' training cases meet here)
SHAPE_MIN_IOU = 0.75  # a frame's object reads as a shape only if it fits a disk or square this well


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    data_kwargs: dict  # the training distribution (arguments of sample_params)
    tests: tuple[dict, ...]  # test combinations: color, shape, speed_range, radius_range, directions
    paper: str  # what the paper found
    outcomes: tuple[str, ...] = field(default=())
    attributes: tuple[str, str] = ()  # attribute priority: the pair read off the generated object

    def test_scenes(self, n: int, seed: int = 0) -> list[SceneParams]:
        """``n`` test scenes, spread evenly over the test combinations."""
        rng = np.random.default_rng(seed)
        scenes = []
        for i in range(n):
            t = self.tests[i % len(self.tests)]
            v = rng.uniform(*t.get("speed_range", (1.0, 4.0)))
            r = rng.uniform(*t.get("radius_range", (0.7, 1.4)))
            x = r + rng.uniform(0, 1.0)
            y = rng.uniform(r + 0.5, WORLD_SIZE - 0.5 - r)
            scenes.append(UniformParams(float(v), float(r), float(x), float(y), t.get("color", "red"),
                                        t.get("shape", "circle")).validate())
        return scenes


KEYS = {"colour": "color", "shape": "shape", "size": "radius_range", "velocity": "speed_range"}
NAMES = {"colour": "color", "shape": "shape", "size": "size", "velocity": "velocity"}


def _swapped(a: dict, b: dict, attribute: str) -> dict:
    """Training case ``a`` with its ``attribute`` taken from case ``b``: a combination never seen in training."""
    key = KEYS[attribute]
    out = {**a, key: b[key]}
    return {k: tuple(v[0]) if k.endswith("_range") else v for k, v in out.items()}


def attribute_pair(first: str, second: str, seen: str, a: dict, b: dict, paper: str) -> Experiment:
    """An attribute-priority preset: trained on cases ``a`` and ``b``; tested on ``a`` with ``b``'s ``second``
    attribute and ``b`` with ``a``'s."""
    return Experiment(f"{NAMES[first]}-{NAMES[second]}", f"Attribute priority, {first} vs {second}: trained on {seen}",
                      {"combos": [a, b]}, (_swapped(a, b, second), _swapped(b, a, second)), paper,
                      (f"kept {first}", f"kept {second}", "kept both", "kept neither", *_unclear((first, second))),
                      (first, second))


def _unclear(attributes) -> list[str]:
    """The ``<attribute> unclear`` outcomes a pair can have (``read_attributes`` names the first unreadable one)."""
    template = [a for a in attributes if a in ("shape", "size")][:1]  # shape and size are unreadable together
    return [f"{a} unclear" for a in attributes if a in template or a == "velocity"]


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in [
    Experiment(
        "case-set1", "Case matching, Set-1: trained on left-to-right motion with v in [2.5, 4.0]",
        {"speed_range": [[2.5, 4.0]]},
        ({"speed_range": (1.0, 2.5)},),
        "Set-1 generates speeds pulled up into the training range [2.5, 4.0].",
        ("follows the law", "pulled into the training range", "direction flipped", "other"),
    ),
    Experiment(
        "case-set2", "Case matching, Set-2: trained on both directions with v in [2.5, 4.0]",
        {"speed_range": [[2.5, 4.0]], "directions": [1, -1]},
        ({"speed_range": (1.0, 2.5)},),
        "Set-2 sometimes reverses the direction: the model imitates the nearest training case.",
        ("follows the law", "pulled into the training range", "direction flipped", "other"),
    ),
    *[attribute_pair(*pair) for pair in (
        ("colour", "shape", "red circles and blue squares", {"color": "red", "shape": "circle"},
         {"color": "blue", "shape": "square"}, "Colour > shape: a red square turns into a red ball."),
        ("colour", "size", "small red and large blue balls", {"color": "red", "radius_range": [[0.7, 1.05]]},
         {"color": "blue", "radius_range": [[1.05, 1.4]]},
         "Colour > size: the generated ball keeps its colour and takes the size of its colour's training case."),
        ("colour", "velocity", "slow red and fast blue balls", {"color": "red", "speed_range": [[1.0, 2.5]]},
         {"color": "blue", "speed_range": [[2.5, 4.0]]}, "Colour > velocity."),
        ("size", "velocity", "slow small and fast large balls",
         {"radius_range": [[0.7, 1.05]], "speed_range": [[1.0, 2.5]]},
         {"radius_range": [[1.05, 1.4]], "speed_range": [[2.5, 4.0]]}, "Size > velocity."),
        ("size", "shape", "small circles and large squares", {"shape": "circle", "radius_range": [[0.7, 1.05]]},
         {"shape": "square", "radius_range": [[1.05, 1.4]]}, "Size > shape."),
        ("velocity", "shape", "slow circles and fast squares", {"shape": "circle", "speed_range": [[1.0, 2.5]]},
         {"shape": "square", "speed_range": [[2.5, 4.0]]}, "Velocity > shape."),
    )],
]}
PAPER_ORDER = "colour > size > velocity > shape"


def dominant_color(frames: np.ndarray, candidates=("red", "blue")) -> str | None:
    """The candidate colour with the most pixels over ``frames`` (None if none is present)."""
    counts = {c: int(color_mask(frames, c).sum()) for c in candidates}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def shape_fit(mask: np.ndarray) -> tuple[float, float] | None:
    """IoU of one frame's colour mask with a disk and with an axis-aligned square of the same area and centroid.

    None where the mask is too small or touches the border (a ball leaving the view is cut, not reshaped)."""
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    if len(rows) < 4 or rows.min() == 0 or cols.min() == 0 or rows.max() == h - 1 or cols.max() == w - 1:
        return None
    cy, cx, area = rows.mean(), cols.mean(), len(rows)
    yy, xx = np.indices(mask.shape)
    disk = (yy - cy) ** 2 + (xx - cx) ** 2 <= area / np.pi
    half = np.sqrt(area) / 2
    square = (np.abs(yy - cy) < half) & (np.abs(xx - cx) < half)
    return tuple(float((mask & t).sum() / (mask | t).sum()) for t in (disk, square))


def object_shape(frames: np.ndarray, color: str, min_iou: float = SHAPE_MIN_IOU) -> str | None:
    """circle or square by the better template fit, voted over frames; None (unclear) where fewer than half of
    the frames showing the object fit either template with IoU >= ``min_iou`` (a smeared or broken object)."""
    votes = []
    for m in color_mask(frames, color):
        fit = shape_fit(m)
        if fit is not None:
            votes.append(None if max(fit) < min_iou else ("circle" if fit[0] > fit[1] else "square"))
    clear = [v for v in votes if v]
    if not clear or len(clear) < len(votes) / 2:
        return None
    return max(("circle", "square"), key=clear.count)


def object_radius(frames: np.ndarray, color: str) -> float:
    """The parser's radius, sqrt(area / pi) in world units, median over frames where the object is present."""
    p = parse(frames, color)
    return float(np.median(p.radii[p.found])) if p.found.any() else float("nan")


def mean_velocity(frames: np.ndarray, color: str) -> float:
    """Mean x-velocity of the parsed centroid over consecutive frames where the object is present."""
    v = np.diff(parse(frames, color).positions[:, 0]) / FRAME_DT
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def object_speed(frames: np.ndarray, color: str) -> float:
    """The object's speed, the mean over consecutive frames where it is found and does not touch the border (a ball
    cut by the border parses off-centre), in world units / s; NaN where no such pair of frames exists. (A mean, not a
    median: the centroid of a square's mask moves in whole-pixel steps.)"""
    masks = color_mask(frames, color)
    inside = masks.any(axis=(1, 2)) & ~(masks[:, 0].any(1) | masks[:, -1].any(1) | masks[:, :, 0].any(1)
                                        | masks[:, :, -1].any(1))
    x = parse(frames, color).positions[:, 0]
    ok = inside[1:] & inside[:-1]
    return float(np.mean(np.abs(np.diff(x)[ok]))) / FRAME_DT if ok.any() else float("nan")


def object_size(frames: np.ndarray, color: str, shape: str) -> float:
    """The object's size as the world defines it: a circle's radius, a square's half side (from the mask's area)."""
    r = object_radius(frames, color)
    return r * np.sqrt(np.pi) / 2 if shape == "square" else r


def tally_case(generated: np.ndarray, params: UniformParams, train_speed=(2.5, 4.0), tol: float = 0.25) -> str:
    """Case matching outcome of one generated video (only the generated frames are read)."""
    frames = generated[NUM_COND_FRAMES:]
    v = mean_velocity(frames, params.color)
    true = params.direction * params.speed
    if not np.isfinite(v):
        return "other"
    if v * true < 0 and abs(v) > tol:
        return "direction flipped"
    if abs(v - true) <= tol:
        return "follows the law"
    if abs(v) >= train_speed[0] - tol:
        return "pulled into the training range"
    return "other"


def read_attributes(frames: np.ndarray, params: UniformParams, attributes) -> dict[str, bool] | str:
    """For each attribute of the pair, whether the generated object kept the asked value; or the outcome when it cannot
    be read: ``kept neither`` (no object of a known colour), ``<attribute> unclear`` (shape and size are read only
    where the object fits a disk or a square, ``object_shape``; velocity only where the object moves in view)."""
    color = dominant_color(frames)
    if color is None:
        return "kept neither"
    shape = object_shape(frames, color) if {"shape", "size"} & set(attributes) else None
    kept = {}
    for attribute in attributes:
        if attribute == "colour":
            kept[attribute] = color == params.color
        elif attribute in ("shape", "size"):
            if shape is None:  # a smeared or broken object has no readable shape or size
                return f"{attribute} unclear"
            # where shape is one of the pair, a square's size is its half side; otherwise every object is a ball
            size = object_size(frames, color, shape) if "shape" in attributes else object_radius(frames, color)
            kept[attribute] = shape == params.shape if attribute == "shape" else \
                (size > SIZE_SPLIT) == (params.radius > SIZE_SPLIT)
        else:
            v = object_speed(frames, color)
            if not np.isfinite(v):
                return "velocity unclear"
            kept[attribute] = (v > SPEED_SPLIT) == (params.speed > SPEED_SPLIT)
    return kept


def tally_pair(generated: np.ndarray, params: UniformParams, attributes: tuple[str, str]) -> str:
    """Which of the two attributes the generated object kept (only the generated frames are read)."""
    kept = read_attributes(generated[NUM_COND_FRAMES:], params, attributes)
    if isinstance(kept, str):
        return kept
    first, second = attributes
    return {(True, False): f"kept {first}", (False, True): f"kept {second}", (True, True): "kept both",
            (False, False): "kept neither"}[(kept[first], kept[second])]


def tally_attributes(generated: np.ndarray, params: UniformParams, attribute: str) -> str:
    """Which of (colour, ``attribute``) the generated object kept."""
    return tally_pair(generated, params, ("colour", attribute))


def tally(experiment: Experiment, generated: np.ndarray, params: UniformParams) -> str:
    if experiment.name.startswith("case"):
        lo = experiment.data_kwargs["speed_range"][0][0]
        hi = experiment.data_kwargs["speed_range"][0][1]
        return tally_case(generated, params, (lo, hi))
    return tally_pair(generated, params, experiment.attributes)


def rollout_caption(experiment: Experiment, generated: np.ndarray, params: UniformParams, outcome: str | None = None) -> str:
    """One line for a rollout in the lab grid: what was asked (the test case) and what the model did
    (``outcome``, its tally, when already known)."""
    outcome = outcome or tally(experiment, generated, params)
    if experiment.name.startswith("case"):
        v = mean_velocity(generated[NUM_COND_FRAMES:], params.color)
        return f"v {params.direction * params.speed:.2f} -> {v:.2f}: {outcome}"
    asked = {"shape": params.shape, "size": f"r {params.radius:.2f}", "velocity": f"v {params.speed:.2f}"}
    parts = [params.color] + [asked[a] for a in experiment.attributes if a != "colour"]
    return f"{' '.join(parts)}: {outcome}"


def speed_slope(true: np.ndarray, generated: np.ndarray) -> float | None:
    """Least-squares slope of the generated on the given velocity: 1 where the model follows the law, near 0 where it
    generates its training case whatever the given speed (case matching, read without an outcome threshold). None
    where fewer than two distinct given velocities were generated."""
    if len(np.unique(true)) < 2:
        return None
    return round(float(np.polyfit(true, generated, 1)[0]), 3)


def summarize(experiment: Experiment, outcomes: list[str], tests: list[str] | None = None,
              velocities: list[tuple[float, float]] | None = None, color_kept: list[bool] | None = None) -> dict:
    """Counts and percentages of the outcomes; per test combination when ``tests`` labels each outcome;
    the mean true and generated x-velocity when ``velocities`` holds (true, generated) per rollout;
    how often the given colour survived when ``color_kept`` says so per rollout."""
    counts = Counter(outcomes)
    n = len(outcomes)
    out = {"experiment": experiment.name, "title": experiment.title, "n": n, "paper": experiment.paper,
           **({"paper_order": PAPER_ORDER} if experiment.attributes else {}),  # an attribute pair: one step of it
           "counts": {o: counts.get(o, 0) for o in experiment.outcomes},
           "percent": {o: round(100 * counts.get(o, 0) / max(n, 1), 1) for o in experiment.outcomes}}
    if tests is not None:
        out["by_test"] = {label: {o: sum(1 for t, x in zip(tests, outcomes) if t == label and x == o)
                                  for o in experiment.outcomes} for label in dict.fromkeys(tests)}
    if color_kept is not None:
        out["color_kept"] = {"count": int(sum(color_kept)), "percent": round(100 * sum(color_kept) / max(n, 1), 1)}
    if velocities is not None:
        true, gen = np.array(velocities, dtype=float).reshape(-1, 2).T
        found = np.isfinite(gen)
        out["velocity"] = {"true_mean": round(float(true.mean()), 3) if len(true) else None,
                           "generated_mean": round(float(gen[found].mean()), 3) if found.any() else None,
                           "found": int(found.sum()), "slope": speed_slope(true[found], gen[found])}
    return out


def run_experiment(name: str, pipe, n: int = 64, seed: int = 0, steps: int = DEFAULT_STEPS,
                   generate=None) -> tuple[dict, list, list[str]]:
    """Generate ``n`` test rollouts with a lab checkpoint and tally them: the summary, the rollouts and each rollout's
    outcome. ``generate(scenes)`` -> rollouts replaces the one seeded sampling call (the app samples in chunks)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; one of {', '.join(EXPERIMENTS)}")
    exp = EXPERIMENTS[name]
    scenes = exp.test_scenes(n, seed)
    rollouts = generate(scenes) if generate else run_rollouts(pipe, scenes, seed=seed, steps=steps)
    tests = [describe_combination(exp.tests[i % len(exp.tests)]) for i in range(n)]  # test_scenes' order
    velocities = None
    if name.startswith("case"):
        velocities = [(r.params.direction * r.params.speed, mean_velocity(r.generated[NUM_COND_FRAMES:], r.params.color))
                      for r in rollouts]
    outcomes = [tally(exp, r.generated, r.params) for r in rollouts]
    color_kept = None
    if "colour" in exp.attributes:
        color_kept = [dominant_color(r.generated[NUM_COND_FRAMES:]) == r.params.color for r in rollouts]
    return summarize(exp, outcomes, tests, velocities, color_kept), rollouts, outcomes
