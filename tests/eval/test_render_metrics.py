import time

import numpy as np
import pytest

from phydemo.eval.metrics import color_mask, parse, velocity_error
from phydemo.world.physics import simulate
from phydemo.world.render import render, render_positions
from phydemo.world.sampling import sample_params
from phydemo.world.scenes import SHAPES, CollisionParams, UniformParams


def test_render_basics_and_y_flip():
    frames = render_positions(np.array([[[2.0, 8.0]]]), None, [1.0], ["red"], ["circle"], 64)
    assert frames.dtype == np.uint8 and frames.shape == (1, 64, 64, 3)
    assert (frames[0, -1, -1] == 255).all()  # white background
    rows, cols = np.nonzero(color_mask(frames[0], "red"))
    assert rows.mean() < 32 and cols.mean() < 32  # y = 8 is near the top, x = 2 near the left
    # anti-aliased edge: intermediate values exist
    g = frames[0, :, :, 1]
    assert ((g > 0) & (g < 255)).any()


def test_render_is_fast_enough():
    traj = simulate(UniformParams(3.0, 1.0).validate())
    render(traj, 128)
    t = time.perf_counter()
    for _ in range(5):
        render(traj, 128)
    assert (time.perf_counter() - t) / 5 < 0.5  # generous bound for a loaded CI machine; README reports the real number


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_render_with_expected_area(shape):
    from phydemo.world.physics import shape_area

    frames = render_positions(np.array([[[5.0, 5.0]]]), None, [1.5], ["blue"], [shape], 256)
    coverage = (255 - frames[0, :, :, 0].astype(float)).sum() / 255 * (10 / 256) ** 2
    assert coverage == pytest.approx(shape_area(shape, 1.5), rel=0.03)


def test_shapes_rotate_only_with_the_body():
    pos = np.array([[[5.0, 5.0]], [[5.0, 5.0]]])
    same = render_positions(pos, np.array([[0.0], [0.0]]), [1.5], ["red"], ["square"], 64)
    turned = render_positions(pos, np.array([[0.0], [0.6]]), [1.5], ["red"], ["square"], 64)
    assert (same[0] == same[1]).all() and not (turned[0] == turned[1]).all()
    circle = render_positions(pos, np.array([[0.0], [0.6]]), [1.5], ["red"], ["circle"], 64)
    assert (circle[0] == circle[1]).all()


def test_paper_masks_for_red_and_blue():
    px = np.array([[[[200, 100, 100], [100, 100, 200], [255, 255, 255], [128, 126, 126]]]], dtype=np.uint8)
    assert color_mask(px, "red").tolist() == [[[True, False, False, True]]]
    assert color_mask(px, "blue").tolist() == [[[False, True, False, False]]]


@pytest.mark.parametrize("res", [32, 64, 128])
def test_parser_recovers_ground_truth_positions(res):
    traj = simulate(UniformParams(2.0, 1.0, x=1.5, y=4.0).validate())
    frames = render(traj, res)
    parsed = parse(frames, "red")
    visible = (traj.positions[:, 0, 0] + 1.0) <= 10
    err = np.abs(parsed.positions[visible] - traj.positions[visible, 0]).max()
    assert err < 0.5 * 10 / res  # within half a pixel
    assert np.allclose(parsed.radii[visible], 1.0, atol=2 * 10 / res)


@pytest.mark.parametrize("scenario,res,floor", [("uniform", 32, 0.02), ("uniform", 128, 0.005), ("collision", 64, 0.05),
                                                ("parabola", 32, 0.05)])
def test_parse_floor_on_ground_truth(scenario, res, floor):
    rng = np.random.default_rng(3)
    errs = []
    for _ in range(40):
        p = sample_params(scenario, "id_eval", rng)
        traj = simulate(p)
        errs.append(velocity_error(scenario, render(traj, res), traj).error)
    assert np.nanmean(errs) < floor


def test_metric_detects_wrong_speed_and_missing_ball():
    traj = simulate(UniformParams(2.0, 1.0, x=1.5).validate())
    fast = simulate(UniformParams(2.2, 1.0, x=1.5).validate())
    assert velocity_error("uniform", render(fast, 32), traj).error == pytest.approx(0.2, abs=0.03)
    blank = np.full_like(render(traj, 32), 255)
    assert velocity_error("uniform", blank, traj).error > 0.5  # a vanished ball is not a perfect score


def test_collision_metric_on_ground_truth_and_on_no_bounce():
    p = CollisionParams(3.0, 2.0, 1.0, 0.6).validate()
    traj = simulate(p)
    assert velocity_error("collision", render(traj, 64), traj).error < 0.05
    ghost = simulate(CollisionParams(3.0, 2.0, 1.0, 0.6, color1="red", color2="blue").validate())
    # frames where the balls pass through each other
    pos = ghost.positions[:1] + np.arange(32)[:, None, None] * 0.1 * ghost.velocities[:1]
    frames = render_positions(pos, None, [1.0, 0.6], ["red", "blue"], ["circle", "circle"], 64)
    assert velocity_error("collision", frames, traj).error > 1.0


def test_score_reports_the_speed_bias_by_true_speed():
    """Hand-made 'generated' videos: slow balls (one moving left) 0.5 too fast, a fast ball 0.5 too slow."""
    from phydemo.eval.evaluate import bias_by_speed, score
    from phydemo.world.dataset import VideoSet

    scenes = [UniformParams(1.2, 1.0, x=1.5), UniformParams(1.3, 1.0, x=8.5, direction=-1), UniformParams(3.7, 1.0, x=1.5)]
    wrong = [UniformParams(1.7, 1.0, x=1.5), UniformParams(1.8, 1.0, x=8.5, direction=-1), UniformParams(3.2, 1.0, x=1.5)]
    gt = np.stack([render(simulate(p), 64) for p in scenes])
    gen = np.stack([render(simulate(p), 64) for p in wrong])
    res = score("uniform", gen, VideoSet(gt, None, None, scenes))
    slow, fast = res["bias_by_speed"]
    assert slow["speed"] == [1.0, 1.5] and slow["n"] == 2 and slow["bias"] == pytest.approx(0.5, abs=0.05)
    assert fast["speed"] == [3.5, 4.0] and fast["bias"] == pytest.approx(-0.5, abs=0.05)
    assert res["error"] == pytest.approx(0.5, abs=0.05)
    errors = [abs(w.speed - p.speed) for w, p in zip(wrong, scenes)]  # ~0.5 each: a small spread
    assert 0 < res["error_se"] < 0.05 and res["error_se"] == pytest.approx(np.std(errors, ddof=1) / np.sqrt(3), abs=0.02)
    assert bias_by_speed(np.array([1.2, 1.3, 5.2]), np.array([0.1, 0.3, np.nan])) == [
        {"speed": [1.0, 1.5], "n": 2, "bias": 0.2}]  # bins without a finite value are left out


def test_error_by_radius_bins_the_smallest_ball():
    from phydemo.eval.evaluate import error_by_radius

    rows = error_by_radius(np.array([0.5, 0.6, 1.0, 1.2, 1.3]), np.array([2.0, 1.0, 0.2, np.nan, 0.4]),
                           np.array([False, True, True, True, False]))
    assert rows == [{"radius": [0.5, 0.75], "n": 2, "error": 1.5, "clean": 0.5},
                    {"radius": [1.0, 1.25], "n": 1, "error": 0.2, "clean": 1.0},  # the unscored 1.2 is left out
                    {"radius": [1.25, 1.5], "n": 1, "error": 0.4, "clean": 0.0}]


def test_clean_ball_check_scores_only_frames_where_the_true_ball_is_in_view():
    from phydemo.eval.clean import is_clean
    from phydemo.eval.metrics import fully_visible
    from phydemo.world.scenes import ParabolaParams

    traj = simulate(ParabolaParams(speed=1.0, radius=1.0).validate())
    gt = render(traj, 32)
    gone = ~fully_visible(traj, 0)
    assert gone[3:].any() and not color_mask(gt[-1], "red").any()  # the thrown ball falls out of the bottom
    assert is_clean(gt, gt, traj)  # the ground truth is clean, frames without the ball included

    vanished = gt.copy()
    vanished[np.flatnonzero(~gone)[-1]] = 255  # the ball vanishes from a frame where it should be
    assert not is_clean(vanished, gt, traj)
    doubled = gt.copy()
    doubled[5] = np.minimum(gt[5], np.roll(gt[5], 12, axis=1))  # a second ball beside the first
    assert not is_clean(doubled, gt, traj)


@pytest.mark.parametrize("scenario", ["uniform", "parabola"])
def test_a_ball_that_vanishes_counts_as_a_failure_not_a_gap(scenario):
    """A generated video whose ball vanishes after the given frames scores a large finite error (the ball is put on
    its exit edge at its last seen height), so no mean over scenes can skip it."""
    from phydemo.eval.evaluate import score
    from phydemo.world.dataset import VideoSet
    from phydemo.world.scenes import make_params

    p = make_params(scenario, speed=2.0, radius=1.0)
    traj = simulate(p)
    gt = render(traj, 64)
    vanished = gt.copy()
    vanished[3:] = 255
    report = velocity_error(scenario, vanished, traj)
    assert np.isfinite(report.error) and report.error > 1.0
    videos = VideoSet(gt[None], traj.positions[None], traj.velocities[None], [p])
    res = score(scenario, vanished[None], videos)
    assert res["n_scored"] == 1 and res["error"] == pytest.approx(report.error) and res["clean_fraction"] == 0
