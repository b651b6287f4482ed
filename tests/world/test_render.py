"""The renderer draws each body only where it can reach, and that changes no pixel."""

import numpy as np
import pytest

from phydemo.protocol import WORLD_SIZE
from phydemo.world import render as R
from phydemo.world.physics import simulate
from phydemo.world.sampling import sample_params
from phydemo.world.scenes import COLORS


def every_pixel(positions, angles, radii, colors, shapes, resolution):
    """The renderer's definition, evaluated at every pixel of every frame (the coverage ramp of the module's doc)."""
    pixel = WORLD_SIZE / resolution
    centres = (np.arange(resolution) + 0.5) * pixel
    img = np.full((len(positions), resolution, resolution, 3), R.BACKGROUND, dtype=np.float32)
    for i in range(positions.shape[1]):
        dx = centres[None, None, :] - positions[:, i, 0, None, None]
        dy = (WORLD_SIZE - centres)[None, :, None] - positions[:, i, 1, None, None]
        if shapes[i] in ("square", "triangle") and np.any(angles[:, i] != 0):
            c, s = np.cos(angles[:, i])[:, None, None], np.sin(angles[:, i])[:, None, None]
            dx, dy = c * dx + s * dy, -s * dx + c * dy
        dx, dy = np.broadcast_arrays(dx, dy)
        alpha = np.clip(0.5 - R._signed_distance(shapes[i], dx, dy, radii[i]) / pixel, 0, 1).astype(np.float32)
        img = img * (1 - alpha[..., None]) + np.asarray(COLORS[colors[i]], dtype=np.float32) * alpha[..., None]
    return np.rint(img).astype(np.uint8)


@pytest.mark.parametrize("scenario", ["uniform", "parabola", "collision"])
@pytest.mark.parametrize("resolution", [32, 128])
def test_frames_equal_the_every_pixel_definition(scenario, resolution):
    rng = np.random.default_rng(1)
    for split, level in [("train", None), ("ood_eval", "v"), ("ood_eval", "vr")]:
        for _ in range(4):
            balls = (traj := simulate(sample_params(scenario, split, rng, level=level))).balls
            assert np.array_equal(R.render(traj, resolution), every_pixel(
                traj.positions, traj.angles, [b.radius for b in balls], [b.color for b in balls],
                [b.shape for b in balls], resolution))


def test_rotated_shapes_off_screen_bodies_and_corners_are_drawn_as_defined():
    rng = np.random.default_rng(2)
    T = 6
    positions = np.stack([rng.uniform(-2, 12, (T, 2)) for _ in range(5)], axis=1)  # some leave the frame
    positions[:, 0] = [9.9, 0.1]  # a square centred near a corner
    angles = rng.uniform(0, np.pi, (T, 5))
    shapes, colors = ["square", "triangle", "ring", "circle", "square"], ["red", "blue", "red", "blue", "red"]
    radii = [1.4, 1.2, 0.9, 0.7, 0.5]
    for resolution in (16, 128):
        assert np.array_equal(R.render_positions(positions, angles, radii, colors, shapes, resolution),
                              every_pixel(positions, angles, radii, colors, shapes, resolution))
