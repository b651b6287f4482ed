"""Ground-truth simulation with pymunk: fixed 0.01 s step, a frame every 0.1 s.

Every shape has elasticity 1 and friction 0 (pymunk multiplies the two shapes' elasticities), density 1,
no walls. Each 0.01 s step is split into sub-steps so that no body moves more than a tenth of the
smallest radius per sub-step, which rules out tunnelling at every speed the app accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pymunk

from phydemo.protocol import NUM_FRAMES, PHYSICS_DT, STEPS_PER_FRAME
from phydemo.world.scenes import BallInit, SceneParams

DENSITY = 1.0
RING_INNER = 0.6  # inner radius of a ring as a fraction of its outer radius


@dataclass
class Trajectory:
    """Per-frame state of every body: positions (T, n, 2), velocities (T, n, 2), angles (T, n)."""

    positions: np.ndarray
    velocities: np.ndarray
    angles: np.ndarray
    balls: list[BallInit]
    masses: np.ndarray

    @property
    def num_frames(self) -> int:
        return self.positions.shape[0]


def triangle_vertices(radius: float) -> list[tuple[float, float]]:
    """Equilateral triangle with circumradius ``radius``, pointing up, centred on its centroid."""
    return [(radius * math.cos(a), radius * math.sin(a)) for a in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6)]


def shape_area(shape: str, radius: float) -> float:
    if shape == "circle":
        return math.pi * radius**2
    if shape == "ring":
        return math.pi * radius**2 * (1 - RING_INNER**2)
    if shape == "square":  # radius is the half-side
        return 4 * radius**2
    if shape == "triangle":
        return 3 * math.sqrt(3) / 4 * radius**2
    raise ValueError(f"unknown shape {shape!r}")


def _make_body(ball: BallInit) -> tuple[pymunk.Body, pymunk.Shape]:
    mass = DENSITY * shape_area(ball.shape, ball.radius)
    if ball.shape in ("circle", "ring"):
        inner = RING_INNER * ball.radius if ball.shape == "ring" else 0.0
        body = pymunk.Body(mass, pymunk.moment_for_circle(mass, inner, ball.radius))
        shape = pymunk.Circle(body, ball.radius)
    else:
        verts = (
            [(-ball.radius, -ball.radius), (ball.radius, -ball.radius), (ball.radius, ball.radius), (-ball.radius, ball.radius)]
            if ball.shape == "square"
            else triangle_vertices(ball.radius)
        )
        body = pymunk.Body(mass, pymunk.moment_for_poly(mass, verts))
        shape = pymunk.Poly(body, verts)
    body.position = (ball.x, ball.y)
    body.velocity = (ball.vx, ball.vy)
    shape.elasticity = 1.0
    shape.friction = 0.0
    return body, shape


def substeps_for(balls: list[BallInit], gravity: tuple[float, float], num_frames: int) -> int:
    """Sub-steps per 0.01 s step so that a body moves < 0.1 * min radius per sub-step."""
    t_end = num_frames * STEPS_PER_FRAME * PHYSICS_DT
    g = math.hypot(*gravity)
    # speeds are bounded by the initial energy of the whole scene plus what gravity adds
    vmax = math.sqrt(sum(b.vx**2 + b.vy**2 for b in balls) * len(balls)) + g * t_end
    rmin = min(b.radius for b in balls)
    return max(1, math.ceil(vmax * PHYSICS_DT / (0.1 * rmin)))


def simulate(params: SceneParams, num_frames: int = NUM_FRAMES) -> Trajectory:
    """Run the scene; frame k holds the state at t = k * 0.1 s (frame 0 is the initial state)."""
    balls = params.balls()
    space = pymunk.Space()
    space.gravity = params.gravity
    space.iterations = 30
    space.collision_slop = 1e-4
    bodies = []
    for ball in balls:
        body, shape = _make_body(ball)
        space.add(body, shape)
        bodies.append(body)
    n_sub = substeps_for(balls, params.gravity, num_frames)
    dt = PHYSICS_DT / n_sub
    pos = np.empty((num_frames, len(balls), 2))
    vel = np.empty((num_frames, len(balls), 2))
    ang = np.empty((num_frames, len(balls)))
    for k in range(num_frames):
        if k:
            for _ in range(STEPS_PER_FRAME * n_sub):
                space.step(dt)
        for i, body in enumerate(bodies):
            pos[k, i] = body.position
            vel[k, i] = body.velocity
            ang[k, i] = body.angle
    masses = np.array([b.mass for b in bodies])
    return Trajectory(pos, vel, ang, balls, masses)
