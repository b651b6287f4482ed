"""The paper's visual-ambiguity scene (its tasks 20000-20003), rebuilt in our PHYRE-like world: a red ball dropped onto
the gap between two static balls, beside a grey ball on the floor. Whether it passes depends on its radius against
the gap; swept in steps far below a pixel (at 128 px a pixel is 0.078 world units), the frames a model is given can
look the same on both sides of the threshold.
"""

from __future__ import annotations

import numpy as np

from phydemo.world.phyre import RESOLUTION, WIDTH, BodySpec, Part, PhyreScene, PhyreTrajectory, simulate_scene

GAP_X = (0.4 * WIDTH, 0.5 * WIDTH)  # the two static balls' centres, at 0.4 and 0.5 of the width as in the paper
STATIC_RADIUS = 0.3  # so the gap between them is 1 - 2 * 0.3 = 0.4 units: a red ball of radius < ~0.2 falls through
STATIC_Y = 4.0
DROP_Y = 7.0
GREY = BodySpec("dynamic_ball_1", 8.0, 0.6, 0.0, False, (Part("circle", 0, 0, 0.6),))
RADII = tuple(np.round(np.linspace(0.17, 0.23, 31), 4))  # 0.002 units a step: 1/39 of a pixel at 128 px


def gap_scene(red_radius: float, drop_x: float = sum(GAP_X) / 2) -> PhyreScene:
    """The scene with the red ball of ``red_radius`` above the gap (template -1: built by hand)."""
    if not 0.05 <= red_radius <= 0.6:
        raise ValueError(f"red_radius={red_radius!r}: allowed 0.05-0.6 world units")
    red = BodySpec("red_ball", float(drop_x), DROP_Y, 0.0, False, (Part("circle", 0, 0, float(red_radius)),))
    statics = [BodySpec("static_ball", x, STATIC_Y, 0.0, True, (Part("circle", 0, 0, STATIC_RADIUS),)) for x in GAP_X]
    return PhyreScene(-1, 0, (red, *statics, GREY))


def passed(red_y: float) -> bool:
    """Whether a red ball at height ``red_y`` (its centre, world units) is below the static balls: it went through."""
    return red_y < STATIC_Y - STATIC_RADIUS


def truth_passes(red_radius: float) -> tuple[bool, PhyreTrajectory]:
    traj = simulate_scene(gap_scene(red_radius))
    return passed(float(traj.positions[-1, 0, 1])), traj


def pixels(world_units: float, resolution: int = RESOLUTION) -> float:
    return world_units * resolution / WIDTH
