import numpy as np
import pytest

from phydemo.protocol import FRAME_DT, PARABOLA_GRAVITY, PHYSICS_DT
from phydemo.world.physics import simulate, substeps_for
from phydemo.world.sampling import RANGES, sample_params
from phydemo.world.scenes import SHAPES, CollisionParams, ParabolaParams, UniformParams


def momentum_energy(traj):
    m = traj.masses
    p = (m[None, :, None] * traj.velocities).sum(axis=1)
    e = (0.5 * m[None, :] * (traj.velocities ** 2).sum(axis=-1)).sum(axis=1)
    return p, e


@pytest.mark.parametrize("v1,v2,r1,r2", [(3.0, 2.0, 1.0, 0.6), (1.0, 4.0, 1.5, 0.5), (5.5, 5.5, 0.3, 0.4), (2.0, 0.0, 0.7, 1.2)])
def test_collision_conserves_momentum_and_energy(v1, v2, r1, r2):
    traj = simulate(CollisionParams(v1, v2, r1, r2).validate())
    p, e = momentum_energy(traj)
    assert np.allclose(p, p[0], rtol=1e-6, atol=1e-9)
    assert np.allclose(e, e[0], rtol=1e-6)
    # the collision really happened and matches the 1-D elastic formula
    m1, m2 = traj.masses
    u1, u2 = v1, -v2
    w1 = ((m1 - m2) * u1 + 2 * m2 * u2) / (m1 + m2)
    w2 = ((m2 - m1) * u2 + 2 * m1 * u1) / (m1 + m2)
    assert traj.velocities[-1, 0, 0] == pytest.approx(w1, abs=1e-6)
    assert traj.velocities[-1, 1, 0] == pytest.approx(w2, abs=1e-6)
    assert np.allclose(traj.velocities[..., 1], 0, atol=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_collision_of_each_shape_conserves_momentum_and_energy(shape):
    traj = simulate(CollisionParams(3.0, 2.0, 0.8, 0.8, shape1=shape, shape2=shape).validate())
    p, e = momentum_energy(traj)
    assert np.allclose(p, p[0], rtol=1e-6, atol=1e-9)
    assert not np.allclose(traj.velocities[-1, 0], traj.velocities[0, 0])  # they did collide


def test_uniform_motion_is_exact():
    traj = simulate(UniformParams(speed=3.7, radius=0.9, x=1.0, y=4.0).validate())
    t = np.arange(traj.num_frames) * FRAME_DT
    assert np.allclose(traj.positions[:, 0, 0], 1.0 + 3.7 * t, atol=1e-9)
    assert np.allclose(traj.positions[:, 0, 1], 4.0, atol=1e-12)
    assert np.allclose(traj.angles, 0)


def test_parabola_matches_closed_form_within_step_error():
    traj = simulate(ParabolaParams(speed=2.0, radius=1.0, x=1.0, y=8.0).validate())
    t = np.arange(traj.num_frames) * FRAME_DT
    g = -PARABOLA_GRAVITY
    assert np.allclose(traj.positions[:, 0, 0], 1.0 + 2.0 * t, atol=1e-9)
    # semi-implicit Euler drifts from the closed form by g * dt * t / 2
    bound = 0.5 * g * PHYSICS_DT * t + 1e-9
    assert np.all(np.abs(traj.positions[:, 0, 1] - (8.0 - 0.5 * g * t ** 2)) <= bound)
    assert np.allclose(traj.velocities[:, 0, 1], -g * t, atol=1e-9)


def test_no_tunnelling_at_every_ood_speed():
    r = RANGES["collision"]
    for v in (r.speed_ood[1][1], 20.0):
        for rad in (r.radius_ood[0][0], 0.2):
            p = CollisionParams(v, v, rad, rad).validate()
            assert v * PHYSICS_DT / substeps_for(p.balls(), p.gravity, 32) <= 0.1 * rad + 1e-12
            traj = simulate(p)
            assert traj.velocities[-1, 0, 0] < 0 < traj.velocities[-1, 1, 0]  # bounced, did not pass through


def test_sampling_is_seeded_and_respects_ranges():
    a = [sample_params("uniform", "train", np.random.default_rng(5)) for _ in range(3)]
    b = [sample_params("uniform", "train", np.random.default_rng(5)) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(0)
    for split, level in (("id_eval", None), ("ood_eval", "v"), ("ood_eval", "r"), ("ood_eval", "vr")):
        for _ in range(50):
            p = sample_params("uniform", split, rng, level=level)
            r = RANGES["uniform"]
            in_v = r.speed_id[0] <= p.speed <= r.speed_id[1]
            in_r = r.radius_id[0] <= p.radius <= r.radius_id[1]
            assert in_v == ("v" not in (level or ""))
            assert in_r == ("r" not in (level or ""))


@pytest.mark.parametrize("scenario", list(RANGES))
def test_ood_ranges_are_disjoint_from_id(scenario):
    r = RANGES[scenario]
    for (lo, hi), ood in ((r.speed_id, r.speed_ood), (r.radius_id, r.radius_ood)):
        for olo, ohi in ood:
            assert ohi < lo or olo > hi


def test_collision_sampling_meets_in_view():
    rng = np.random.default_rng(1)
    for _ in range(30):
        p = sample_params("collision", "train", rng)
        traj = simulate(p)
        vx = traj.velocities[:, :, 0]
        k = np.flatnonzero(np.abs(np.diff(vx[:, 0])) > 1e-6)
        assert len(k) >= 1 and 0 < k[0] < traj.num_frames - 1
        assert traj.positions[0, 0, 0] >= p.radius1 - 1e-9 and traj.positions[0, 1, 0] <= 10 - p.radius2 + 1e-9


def test_defaults_are_valid_for_every_radius_and_scenario():
    from phydemo.world.scenes import RADIUS_LIMIT, make_params

    for scenario in ("uniform", "parabola", "collision"):
        for r in RADIUS_LIMIT:
            kw = {"radius1": r, "radius2": r} if scenario == "collision" else {"radius": r}
            p = make_params(scenario, **kw)
            for b in p.balls():
                assert b.radius <= b.x <= 10 - b.radius and b.radius <= b.y <= 10 - b.radius


def test_collision_needs_both_positions_or_neither():
    from phydemo.errors import InputError

    with pytest.raises(InputError, match="x2"):
        CollisionParams(x1=2.0).validate()
