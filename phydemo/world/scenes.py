"""Typed scene parameters and their validation (the sampling of scenes is in ``sampling.py``).

A scene is one of three scenarios of the PhyWorld protocol (docs/protocol.md); each is described by a small frozen
dataclass that knows its balls' initial state and refuses values outside what the app accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from phydemo.errors import InputError, check_choice, check_number
from phydemo.protocol import FRAME_DT, PARABOLA_GRAVITY, WORLD_SIZE

SCENARIOS = ("uniform", "collision", "parabola")
SHAPES = ("circle", "square", "triangle", "ring")
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "blue": (0, 0, 255),
    "green": (0, 255, 0),
    "yellow": (255, 255, 0),
    "magenta": (255, 0, 255),
    "cyan": (0, 255, 255),
    "black": (0, 0, 0),
}

# Sanity limits for any request (ID or OOD): beyond these a scene is not meaningful.
SPEED_LIMIT = (0.0, 20.0)
RADIUS_LIMIT = (0.2, 2.5)

Interval = tuple[float, float]


@dataclass(frozen=True)
class BallInit:
    """Initial state of one body in world units (y up)."""

    x: float
    y: float
    vx: float
    vy: float
    radius: float
    color: str = "red"
    shape: str = "circle"


def _check_inside(name: str, pos: float, radius: float) -> None:
    lo, hi = radius, WORLD_SIZE - radius
    if not lo - 1e-9 <= pos <= hi + 1e-9:
        raise InputError(name, pos, f"[{lo:.3g}, {hi:.3g}] so the ball starts fully inside the world")


def _check_ball(suffix: str, speed, radius, color, shape) -> None:
    check_number("speed" + suffix, speed, *SPEED_LIMIT)
    check_number("radius" + suffix, radius, *RADIUS_LIMIT)
    check_choice("color" + suffix, color, tuple(COLORS))
    check_choice("shape" + suffix, shape, SHAPES)


def uniform_x_range(speed: float, radius: float) -> Interval:
    """Start x so the ball stays visible for >= 24 frames (clipped to the left edge for fast balls)."""
    hi = WORLD_SIZE - (24 * speed * FRAME_DT + radius)
    return radius, max(radius, hi)


@dataclass(frozen=True)
class UniformParams:
    """One ball moving right at constant speed, no gravity."""

    speed: float = 2.5
    radius: float = 1.0
    x: float | None = None  # None: at the edge the ball starts from (left, or right if direction = -1)
    y: float | None = None  # None: 5 (uniform), 9 - radius (parabola: the middle of the protocol's start band)
    color: str = "red"
    shape: str = "circle"
    direction: int = 1  # +1 moves right, -1 moves left (the mirrored scene)
    scenario: Literal["uniform"] = "uniform"

    def validate(self) -> "UniformParams":
        _check_ball("", self.speed, self.radius, self.color, self.shape)
        if self.direction not in (1, -1):
            raise InputError("direction", self.direction, "1 (right) or -1 (left)")
        if self.y is not None:
            check_number("y", self.y, 0.0, WORLD_SIZE)
        _check_inside("y", self.start_y, self.radius)
        if self.x is not None:
            check_number("x", self.x, 0.0, WORLD_SIZE)
            _check_inside("x", self.x, self.radius)
        return self

    @property
    def start_x(self) -> float:
        if self.x is not None:
            return float(self.x)
        return float(self.radius if self.direction > 0 else WORLD_SIZE - self.radius)

    @property
    def start_y(self) -> float:
        return float(self.y) if self.y is not None else 5.0

    def balls(self) -> list[BallInit]:
        return [BallInit(self.start_x, self.start_y, self.direction * self.speed, 0.0, self.radius, self.color, self.shape)]

    @property
    def gravity(self) -> tuple[float, float]:
        return (0.0, 0.0)


@dataclass(frozen=True)
class ParabolaParams(UniformParams):
    """One ball thrown horizontally under gravity (0, -2.5), no floor."""

    scenario: Literal["parabola"] = "parabola"

    @property
    def start_y(self) -> float:
        return float(self.y) if self.y is not None else 9.0 - self.radius

    @property
    def gravity(self) -> tuple[float, float]:

        return (0.0, PARABOLA_GRAVITY)


@dataclass(frozen=True)
class CollisionParams:
    """Head-on elastic collision: ball 1 (left) moves +speed1, ball 2 (right) moves -speed2."""

    speed1: float = 2.5
    speed2: float = 2.5
    radius1: float = 1.0
    radius2: float = 1.0
    x1: float | None = None  # None: both inside, meeting at frame 16 (earlier if they do not fit)
    x2: float | None = None
    y: float = 5.0
    color1: str = "red"
    color2: str = "blue"
    shape1: str = "circle"
    shape2: str = "circle"
    scenario: Literal["collision"] = "collision"

    def validate(self) -> "CollisionParams":
        _check_ball("1", self.speed1, self.radius1, self.color1, self.shape1)
        _check_ball("2", self.speed2, self.radius2, self.color2, self.shape2)
        if (self.x1 is None) != (self.x2 is None):
            missing = "x2" if self.x2 is None else "x1"
            raise InputError(missing, None, "a position as well: give both x1 and x2, or neither")
        if self.color1 == self.color2:
            raise InputError("color2", self.color2, f"a colour other than color1={self.color1!r}")
        check_number("y", self.y, 0.0, WORLD_SIZE)
        _check_inside("y", self.y, max(self.radius1, self.radius2))
        x1, x2 = self.start_xs
        _check_inside("x1", x1, self.radius1)
        _check_inside("x2", x2, self.radius2)
        if x2 - x1 < self.radius1 + self.radius2:
            raise InputError("x2", x2, f"> x1 + radius1 + radius2 = {x1 + self.radius1 + self.radius2:.3g} (no overlap)")
        return self

    @property
    def start_xs(self) -> tuple[float, float]:
        if self.x1 is not None and self.x2 is not None:
            return float(self.x1), float(self.x2)
        room = WORLD_SIZE - 2 * (self.radius1 + self.radius2)  # free distance when both start inside
        t_contact = min(1.6, max(room, 0.0) / max(self.speed1 + self.speed2, 1e-9))
        return collision_start_xs(self.speed1, self.speed2, self.radius1, self.radius2, t_contact)

    def balls(self) -> list[BallInit]:
        x1, x2 = self.start_xs
        return [
            BallInit(x1, self.y, self.speed1, 0.0, self.radius1, self.color1, self.shape1),
            BallInit(x2, self.y, -self.speed2, 0.0, self.radius2, self.color2, self.shape2),
        ]

    @property
    def gravity(self) -> tuple[float, float]:
        return (0.0, 0.0)


SceneParams = UniformParams | ParabolaParams | CollisionParams
PARAMS_BY_SCENARIO = {"uniform": UniformParams, "parabola": ParabolaParams, "collision": CollisionParams}


def collision_start_xs(v1: float, v2: float, r1: float, r2: float, t_contact: float, centre: float = 5.0):
    """Start positions so the balls touch after ``t_contact`` seconds, the pair centred on ``centre``.

    The pair is shifted (never squeezed) so both balls start inside the world whenever they fit.
    """
    gap = (v1 + v2) * t_contact  # distance closed before contact
    span = gap + 2 * r1 + 2 * r2  # from ball 1's left edge to ball 2's right edge
    left = centre - span / 2
    if span <= WORLD_SIZE:
        left = min(max(left, 0.0), WORLD_SIZE - span)
    x1 = left + r1
    x2 = x1 + r1 + gap + r2
    return float(x1), float(x2)


def make_params(scenario: str, **kwargs) -> SceneParams:
    """Build and validate the parameter object of ``scenario`` (raises InputError)."""
    check_choice("scenario", scenario, SCENARIOS)
    cls = PARAMS_BY_SCENARIO[scenario]
    known = {f.name for f in fields(cls)} - {"scenario"}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise InputError(unknown[0], kwargs[unknown[0]], f"a parameter of {scenario}: " + ", ".join(sorted(known)))
    return cls(**kwargs).validate()


# ---------------------------------------------------------------- sampling


