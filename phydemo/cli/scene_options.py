"""The ball options shared by ``simulate`` and ``generate``, mapped onto a scenario's parameter object."""

from __future__ import annotations

import argparse

from phydemo.errors import InputError, check_number
from phydemo.world.scenes import SCENARIOS, SceneParams, make_params

NUMBERS = ("speed", "speed2", "radius", "radius2", "x", "x2", "y")
CHOICES = ("color", "color2", "shape", "shape2")
SECOND_BALL = ("speed2", "radius2", "color2", "shape2", "x2")


def add_scene_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="uniform", help=f"one of {', '.join(SCENARIOS)} (simulate: also phyre)")
    for name in NUMBERS:  # parsed by scene_from_args, so 'nan', 'inf' and garbage get the same clear message
        p.add_argument(f"--{name}", type=str, default=None)
    for name in CHOICES:
        p.add_argument(f"--{name}", default=None)


def scene_from_args(scenario: str, args) -> SceneParams:
    """The validated parameter object of ``scenario`` from the command line's ball options (ball 2 of a collision
    takes ball 1's speed and radius unless given)."""
    given = {name: getattr(args, name) for name in NUMBERS + CHOICES if getattr(args, name) is not None}
    for name in NUMBERS:
        if name in given:
            given[name] = check_number(name, given[name])
    if scenario == "collision":
        for one, two in (("speed", "speed2"), ("radius", "radius2")):
            if one in given:
                given.setdefault(two, given[one])
        rename = {"speed": "speed1", "radius": "radius1", "color": "color1", "shape": "shape1", "x": "x1"}
        return make_params("collision", **{rename.get(k, k): v for k, v in given.items()})
    extra = [k for k in SECOND_BALL if k in given]
    if extra:
        raise InputError(extra[0], given[extra[0]], "only with --scenario collision")
    return make_params(scenario, **given)
