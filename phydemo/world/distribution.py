"""What a model saw in training, ball by ball: built from a run's data options, stored in the pipeline's config,
checked against a requested scene (which attributes are out of distribution, and by how much) and described in words.

Every attribute that defines a training case is held per ball: a collision model trained with a red ball on the left
and a blue one on the right has not seen a blue ball on the left, though it has seen blue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from phydemo.world.phyre import NUM_TEMPLATES, out_of_template, training_templates
from phydemo.world.phyre_sets import template_count
from phydemo.world.sampling import RANGES, describe_combination, in_ranges
from phydemo.world.scenes import COLORS, SHAPES, BallInit, Interval, SceneParams

ANY = (0.0, float("inf"))


def _intervals(value) -> tuple[Interval, ...]:
    """[lo, hi] or [[lo, hi], ...] -> ((lo, hi), ...)."""
    items = value if value and isinstance(value[0], (list, tuple)) else [value]
    return tuple((float(lo), float(hi)) for lo, hi in items)


def span_text(intervals) -> str:
    return " U ".join(f"[{lo:g}, {hi:g}]" for lo, hi in intervals)


def outside_where(value: float, intervals) -> str:
    """Where a value outside the trained ``intervals`` lies: below them, above them, or in a gap between two."""
    if value < min(lo for lo, _ in intervals):
        return "below"
    if value > max(hi for _, hi in intervals):
        return "above"
    return "from the nearest trained value, in a gap of"


@dataclass(frozen=True)
class TrainingDistribution:
    scenario: str
    speed: tuple[Interval, ...]  # speeds of every ball
    radius: tuple[Interval, ...]  # radii of every ball
    colors: tuple[tuple[str, ...], ...]  # per ball: the colours it had
    shapes: tuple[tuple[str, ...], ...]  # per ball: the shapes it had
    directions: tuple[int, ...] = (1,)  # one-ball scenes: +1 moving right, -1 moving left
    combos: tuple[dict, ...] = ()  # lab presets: the only attribute combinations seen (color, shape, ranges)
    train_size: int = 0
    resolution: int = 32

    # ------------------------------------------------------------ building and storing

    @classmethod
    def from_data(cls, scenario: str, data_kwargs: dict, train_size: int, resolution: int) -> "TrainingDistribution":
        """The distribution ``sample_params(scenario, "train", **data_kwargs)`` draws from."""
        r, kw = RANGES[scenario], dict(data_kwargs)
        combos = tuple(dict(c) for c in kw.get("combos") or ())
        pick = [{**kw, **c} for c in combos] or [kw]
        speed = sorted({iv for c in pick for iv in _intervals(c.get("speed_range") or [r.speed_id])})
        radius = sorted({iv for c in pick for iv in _intervals(c.get("radius_range") or [r.radius_id])})
        colors = tuple(sorted({c.get("color") or "red" for c in pick}))
        shapes = tuple(sorted({c.get("shape") or "circle" for c in pick}))
        if scenario == "collision":  # ball 2 is blue, or red where ball 1 is blue (sample_params)
            second = tuple(sorted({"blue" if c != "blue" else "red" for c in colors}))
            colors_per_ball, shapes_per_ball = (colors, second), (shapes, shapes)
        else:
            colors_per_ball, shapes_per_ball = (colors,), (shapes,)
        return cls(scenario, tuple(speed), tuple(radius), colors_per_ball, shapes_per_ball,
                   tuple(int(d) for d in kw.get("directions", (1,))), combos, int(train_size), int(resolution))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["speed"], d["radius"] = [list(iv) for iv in self.speed], [list(iv) for iv in self.radius]
        d["colors"], d["shapes"] = [list(c) for c in self.colors], [list(s) for s in self.shapes]
        d["directions"], d["combos"] = list(self.directions), [dict(c) for c in self.combos]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainingDistribution":
        """Read a stored distribution; ValueError names the key that is missing or wrong."""
        if not isinstance(d, dict):
            raise ValueError(f"expected a mapping, got {type(d).__name__}")
        missing = sorted({"scenario", "speed", "radius", "colors", "shapes"} - set(d))
        if missing:
            raise ValueError(f"missing keys {missing}")
        if d["scenario"] not in RANGES:
            raise ValueError(f"scenario={d['scenario']!r}: allowed one of {', '.join(RANGES)}")
        balls = 2 if d["scenario"] == "collision" else 1
        for key, allowed in (("colors", COLORS), ("shapes", SHAPES)):
            per_ball = d[key]
            if (not isinstance(per_ball, list) or len(per_ball) != balls
                    or not all(isinstance(b, list) and b and set(b) <= set(allowed) for b in per_ball)):
                raise ValueError(f"{key}={per_ball!r}: allowed {balls} list(s), one per ball, of {', '.join(allowed)}")
        try:
            return cls(d["scenario"], _intervals(d["speed"]), _intervals(d["radius"]),
                       tuple(tuple(c) for c in d["colors"]), tuple(tuple(s) for s in d["shapes"]),
                       tuple(int(x) for x in d.get("directions", [1])), tuple(dict(c) for c in d.get("combos", [])),
                       int(d.get("train_size", 0)), int(d.get("resolution", 32)))
        except (TypeError, ValueError) as e:
            raise ValueError(f"malformed ranges or counts ({e})") from None

    # ------------------------------------------------------------ the protocol's held-out ranges

    @property
    def ood_speed(self) -> tuple[Interval, ...]:
        return RANGES[self.scenario].speed_ood

    @property
    def ood_radius(self) -> tuple[Interval, ...]:
        return RANGES[self.scenario].radius_ood

    # ------------------------------------------------------------ checking a request

    def labels(self, params: SceneParams) -> dict[str, str]:
        """Which attributes of ``params`` lie outside the training distribution, one sentence each, keyed by the
        field (``speed``, ``color2``, ...); empty when the scene is in distribution."""
        if params.scenario != self.scenario:
            return {"scenario": f"this model was trained on {self.scenario} scenes, not {params.scenario}"}
        balls = params.balls()
        out: dict[str, str] = {}
        for i, ball in enumerate(balls):
            suffix = "" if len(balls) == 1 else str(i + 1)
            which = "" if len(balls) == 1 else f" for ball {i + 1}"
            for attr, value, intervals in (("speed", abs(ball.vx), self.speed), ("radius", ball.radius, self.radius)):
                if not in_ranges(value, intervals):
                    gap = min(min(abs(value - lo), abs(value - hi)) for lo, hi in intervals)
                    out[attr + suffix] = (f"{attr}{suffix}={value:g} is {gap:.2g} {outside_where(value, intervals)} the "
                                          f"training range {span_text(intervals)}")
            for attr, value, seen in (("color", ball.color, self.colors[i]), ("shape", ball.shape, self.shapes[i])):
                if value not in seen:
                    out[attr + suffix] = f"{attr}{suffix}={value} was never seen{which} in training (seen{which}: {', '.join(seen)})"
            direction = 1 if ball.vx >= 0 else -1
            if len(balls) == 1 and ball.vx != 0 and direction not in self.directions:
                out["direction"] = f"direction={'right' if direction > 0 else 'left'} was never seen in training"
            if self.combos and not any(_in_combo(c, ball) for c in self.combos):
                out["combination" + suffix] = (f"ball{suffix} ({_describe_ball(ball)}) is a combination never seen in "
                                               f"training (seen: {'; '.join(describe_combination(c) for c in self.combos)})")
        return out

    def first_case(self) -> tuple[str, str, tuple[Interval, ...], tuple[Interval, ...]]:
        """Colour, shape, speeds and radii of ball 1's first training case: the whole distribution, or for a lab
        model its first combination (the ball an error map of the model is drawn for)."""
        combo = self.combos[0] if self.combos else {}
        speed = _intervals(combo["speed_range"]) if "speed_range" in combo else self.speed
        radius = _intervals(combo["radius_range"]) if "radius_range" in combo else self.radius
        return combo.get("color", self.colors[0][0]), combo.get("shape", self.shapes[0][0]), speed, radius

    # ------------------------------------------------------------ describing

    def range_text(self, attr: str) -> str:
        """``training range [1, 4]`` for speed or radius."""
        return "training range " + span_text(getattr(self, attr))

    def seen_text(self, attr: str, ball: int = 0) -> str:
        """``trained on red`` for colors or shapes of one ball."""
        return "trained on " + ", ".join(getattr(self, attr)[ball])

    def summary(self) -> str:
        """One line for a model card: speeds, radii, colours and shapes per ball, directions, combinations."""
        per_ball = lambda values: " / ".join(", ".join(v) for v in values)  # noqa: E731
        text = (f"speed {span_text(self.speed)}, radius {span_text(self.radius)}, colours {per_ball(self.colors)}, "
                f"shapes {per_ball(self.shapes)}")
        if self.directions != (1,):
            text += ", both directions" if set(self.directions) == {1, -1} else f", directions {list(self.directions)}"
        if self.combos:
            text += ", only the combinations " + "; ".join(describe_combination(c) for c in self.combos)
        return text


def _in_combo(combo: dict, ball: BallInit) -> bool:
    """Whether a ball falls in one training combination (a lab preset: colour with shape, size or speed)."""
    return (combo.get("color", ball.color) == ball.color and combo.get("shape", ball.shape) == ball.shape
            and in_ranges(ball.radius, _intervals(combo.get("radius_range", ANY)))
            and in_ranges(abs(ball.vx), _intervals(combo.get("speed_range", ANY))))


def _describe_ball(ball: BallInit) -> str:
    return f"{ball.color} {ball.shape}, r={ball.radius:g}, v={abs(ball.vx):g}"


@dataclass(frozen=True)
class PhyreDistribution:
    """What a PHYRE-like model saw: the training templates (``phydemo.world.phyre_sets``), how many videos in all and
    at what resolution. A template outside ``templates`` is out of template; the seeds of the test splits are never
    trained on whatever the template."""

    templates: tuple[int, ...]
    train_size: int = 0
    resolution: int = 128
    scenario: str = "phyre"

    @classmethod
    def from_data(cls, data_kwargs: dict, train_size: int, resolution: int) -> "PhyreDistribution":
        return cls(tuple(training_templates(template_count(data_kwargs))), int(train_size), int(resolution))

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "templates": list(self.templates), "train_size": self.train_size,
                "resolution": self.resolution}

    @classmethod
    def from_dict(cls, d: dict) -> "PhyreDistribution":
        if not isinstance(d, dict) or d.get("scenario") != "phyre":
            raise ValueError("expected a mapping with scenario 'phyre'")
        tpl = d.get("templates")
        if (not isinstance(tpl, list) or not tpl or not all(isinstance(t, int) and 0 <= t < NUM_TEMPLATES for t in tpl)
                or set(tpl) & set(out_of_template())):
            raise ValueError(f"templates={tpl!r}: expected a list of training templates in 0-{NUM_TEMPLATES - 1}, "
                             f"none of the held-out {out_of_template()[0]}-{out_of_template()[-1]}")
        try:
            return cls(tuple(tpl), int(d.get("train_size", 0)), int(d.get("resolution", 128)))
        except (TypeError, ValueError) as e:
            raise ValueError(f"malformed counts ({e})") from None

    def in_template(self, template: int) -> bool:
        return template in self.templates

    def labels(self, template: int) -> dict[str, str]:
        """Empty where ``template`` was trained on, else one sentence keyed ``template``."""
        if self.in_template(template):
            return {}
        return {"template": f"template {template} was never trained on (trained on {len(self.templates)} templates: "
                            f"{self.templates[0]}-{self.templates[-1]})"}

    def summary(self) -> str:
        return (f"PHYRE-like scenes of {len(self.templates)} templates ({self.templates[0]}-{self.templates[-1]}), "
                f"{self.train_size} videos, first frame given")


def distribution_from_dict(d: dict) -> TrainingDistribution | PhyreDistribution:
    """A stored distribution of either world: PHYRE-like scenes or balls (ValueError names what is wrong)."""
    if isinstance(d, dict) and d.get("scenario") == "phyre":
        return PhyreDistribution.from_dict(d)
    return TrainingDistribution.from_dict(d)


def distribution_from_data(scenario: str, data_kwargs: dict, train_size: int,
                           resolution: int) -> TrainingDistribution | PhyreDistribution:
    """What ``sample_params`` (balls) or ``phyre_sets.split_pairs`` (PHYRE-like scenes) trains on with these options."""
    if scenario == "phyre":
        return PhyreDistribution.from_data(data_kwargs, train_size, resolution)
    return TrainingDistribution.from_data(scenario, data_kwargs, train_size, resolution)
