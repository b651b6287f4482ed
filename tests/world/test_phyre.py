"""The PHYRE-like world: templates and their held-out lists, placement, pymunk physics, rendering, data splits."""

import json
import subprocess
import sys
from itertools import combinations

import numpy as np
import pytest

from phydemo.eval.phyre_judge import parse_frame
from phydemo.world import phyre
from phydemo.world.phyre_sets import TEST_SEED, split_pairs


def test_templates_are_the_70_choices_of_4_of_8_object_types():
    assert len(phyre.TEMPLATES) == 70 == len(set(phyre.TEMPLATES))
    assert set(map(frozenset, phyre.TEMPLATES)) == set(map(frozenset, combinations(phyre.OBJECT_TYPES, 4)))


def test_training_lists_are_nested_and_never_hold_a_held_out_template():
    held = set(phyre.out_of_template())
    assert len(held) == 10
    six, thirty, sixty = (set(phyre.training_templates(k)) for k in (6, 30, 60))
    assert six < thirty < sixty and len(sixty) == 60 and not sixty & held
    for k in (6, 30, 60):
        train = split_pairs("train", k, 600)
        assert {t for t, _ in train} == set(phyre.training_templates(k)) and len(train) == 600
        assert not {t for t, _ in train} & held
        assert max(s for _, s in train) < TEST_SEED  # training seeds never reach the test seeds
        assert {t for t, _ in split_pairs("in_template", k, 100)} == set(phyre.training_templates(k))
    oot = split_pairs("out_of_template", 60, 100)
    assert {t for t, _ in oot} == held and min(s for _, s in oot) >= TEST_SEED
    with pytest.raises(ValueError, match="templates=7"):
        phyre.training_templates(7)
    with pytest.raises(ValueError, match="multiple of 30"):
        split_pairs("train", 30, 31)


def test_a_scene_is_its_template_and_seed():
    a, b = phyre.make_scene(12, 3), phyre.make_scene(12, 3)
    assert a == b and a != phyre.make_scene(12, 4)
    assert {s.kind for s in a.bodies} == set(a.kinds) == {"red_ball", *phyre.TEMPLATES[12]}
    with pytest.raises(ValueError, match="template=70: allowed 0-69"):
        phyre.make_scene(70, 0)


def test_a_lone_red_ball_falls_under_gravity_and_rests_on_the_floor():
    red = phyre.BodySpec("red_ball", 5.0, 8.0, 0.0, False, (phyre.Part("circle", 0, 0, 0.5),))
    traj = phyre.simulate_scene(phyre.PhyreScene(0, 0, (red,)))
    # before it reaches the floor (t = 1.2 s): pymunk moves each body before it updates its velocity, so after n steps
    # of 240 Hz y_n = y_0 - g dt^2 n (n - 1) / 2
    # within g t dt / 2 (0.007 units at t = 1/3 s) of the exact parabola
    dt, n = 1 / phyre.PHYSICS_HZ, np.arange(3) * round(phyre.PHYSICS_HZ * phyre.FRAME_DT)
    assert np.allclose(traj.positions[:3, 0, 1], 8.0 - phyre.GRAVITY * dt**2 * n * (n - 1) / 2, atol=1e-9)
    t = n * dt
    assert np.allclose(traj.positions[:3, 0, 1], 8.0 - 0.5 * phyre.GRAVITY * t**2, atol=phyre.GRAVITY * t.max() * dt)
    assert abs(traj.positions[-1, 0, 1] - 0.5) < 0.02 and traj.speeds[-1, 0] < 0.05


@pytest.mark.parametrize("template", range(0, 70, 3))
def test_every_scene_keeps_static_objects_still_and_every_body_inside(template):
    traj = phyre.simulate_scene(phyre.make_scene(template, 7))
    static = [i for i, b in enumerate(traj.scene.bodies) if b.static]
    assert np.array_equal(traj.positions[:, static], np.broadcast_to(traj.positions[:1, static],
                                                                       traj.positions[:, static].shape))
    x, y = traj.positions[..., 0], traj.positions[..., 1]
    assert (x > 0).all() and (x < phyre.WIDTH).all() and (y > 0).all() and (y < phyre.WIDTH).all()


def test_every_object_is_drawn_whole_in_its_own_colour_even_thin_bars():
    """At 128 px a bar is 2.6 px thick: the parser reads each type's area as the geometry says (within 10%)."""
    px2 = (phyre.WIDTH / phyre.RESOLUTION) ** 2
    for template in range(70):
        scene = phyre.make_scene(template, 1)
        traj = phyre.simulate_scene(scene, num_frames=1)
        parse = parse_frame(phyre.render_scene(traj)[0])
        for kind in set(scene.kinds):
            read = "static" if kind in phyre.STATIC_KINDS else kind
            want = sum(np.pi * p.half_w**2 if p.kind == "circle" else 4 * p.half_w * p.half_h
                       for b in scene.bodies if (b.kind in phyre.STATIC_KINDS if read == "static" else b.kind == kind)
                       for p in b.parts) / px2
            assert abs(parse.area(read) / want - 1) < 0.1, (template, kind, parse.area(read), want)


def test_the_cli_simulates_a_held_out_template_and_refuses_ball_options(tmp_path):
    out = subprocess.run([sys.executable, "-m", "phydemo", "simulate", "--scenario", "phyre", "--template", "65",
                          "--seed", "2", "--json", "--out", str(tmp_path / "s.mp4")],
                         capture_output=True, text=True, check=True)
    d = json.loads(out.stdout)
    assert d["held_out"] and d["objects"][0] == "red_ball" and len(d["positions"]) == phyre.NUM_FRAMES
    assert d["judge"] == {"abnormal": False, "reasons": []} and (tmp_path / "s.mp4").stat().st_size > 1000
    bad = subprocess.run([sys.executable, "-m", "phydemo", "simulate", "--scenario", "phyre", "--speed", "2"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "speed" in bad.stderr and "ball scenarios" in bad.stderr
