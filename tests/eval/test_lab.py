from pathlib import Path

import numpy as np
import pytest

from phydemo.cli import main
from phydemo.errors import InputError
from phydemo.eval.lab import (
    EXPERIMENTS,
    object_shape,
    rollout_caption,
    shape_fit,
    summarize,
    tally,
    tally_attributes,
    tally_case,
    tally_pair,
)
from phydemo.eval.metrics import color_mask
from phydemo.model.train_config import TrainConfig
from phydemo.report import summary_lines
from phydemo.world.physics import simulate
from phydemo.world.render import render, render_positions
from phydemo.world.sampling import describe_combination, sample_params
from phydemo.world.scenes import UniformParams

ROOT = Path(__file__).resolve().parents[2]

T = np.arange(32) * 0.1


def moving(color, shape, radius, vx, x0=2.0, y=5.0, res=32):
    pos = np.stack([x0 + vx * T, np.full(32, y)], axis=-1)[:, None]
    return render_positions(pos, None, [radius], [color], [shape], res)


def _in(value, interval):
    lo, hi = interval
    return lo < value < hi  # shared end points have measure zero


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_training_split_never_contains_a_test_combination(name):
    exp = EXPERIMENTS[name]
    config = ROOT / f"configs/lab-{name}.yaml"
    if config.exists():  # a shipped lab model: its config trains what the lab tests against
        assert TrainConfig.from_yaml(config).data_kwargs == exp.data_kwargs
    rng = np.random.default_rng(0)
    for _ in range(400):
        p = sample_params("uniform", "train", rng, **exp.data_kwargs)
        for t in exp.tests:
            hit = all([
                t.get("color", p.color) == p.color,
                t.get("shape", p.shape) == p.shape,
                _in(p.speed, t["speed_range"]) if "speed_range" in t and p.direction == 1 else "speed_range" not in t,
                _in(p.radius, t["radius_range"]) if "radius_range" in t else True,
            ])
            assert not hit, (p, t)
    # and the test scenes are exactly the held-out combinations
    for p in exp.test_scenes(8):
        assert any(t.get("color", p.color) == p.color and t.get("shape", p.shape) == p.shape for t in exp.tests)


def test_case_matching_set2_trains_both_directions():
    rng = np.random.default_rng(0)
    dirs = {sample_params("uniform", "train", rng, **EXPERIMENTS["case-set2"].data_kwargs).direction for _ in range(50)}
    assert dirs == {1, -1}


def test_tally_case_on_hand_made_frames():
    p = UniformParams(1.5, 1.0, x=2.0).validate()
    assert tally_case(moving("red", "circle", 1.0, 1.5), p) == "follows the law"
    assert tally_case(moving("red", "circle", 1.0, 3.0), p) == "pulled into the training range"
    assert tally_case(moving("red", "circle", 1.0, -2.0, x0=8.0), p) == "direction flipped"
    assert tally_case(np.full((32, 32, 32, 3), 255, np.uint8), p) == "other"


def test_tally_attributes_on_hand_made_frames():
    red_square = UniformParams(2.0, 1.2, x=2.0, color="red", shape="square").validate()
    assert tally_attributes(moving("red", "circle", 1.2, 2.0), red_square, "shape") == "kept colour"
    assert tally_attributes(moving("blue", "square", 1.2, 2.0), red_square, "shape") == "kept shape"
    assert tally_attributes(moving("red", "square", 1.2, 2.0), red_square, "shape") == "kept both"
    assert tally_attributes(moving("blue", "circle", 1.2, 2.0), red_square, "shape") == "kept neither"
    smear = moving("red", "circle", 1.2, 2.0)
    smear[:, 12:15, :] = smear[:, 12:15, ::-1]  # a torn, smeared object fits neither a disk nor a square
    smear = np.minimum(smear, np.roll(smear, 4, axis=2))
    assert tally_attributes(smear, red_square, "shape") == "shape unclear"
    assert tally_attributes(smear, UniformParams(2.0, 1.2, x=2.0).validate(), "size") == "size unclear"
    big_red = UniformParams(2.0, 1.3, x=2.0, color="red").validate()
    assert tally_attributes(moving("red", "circle", 0.8, 2.0), big_red, "size") == "kept colour"
    assert tally_attributes(moving("blue", "circle", 1.3, 2.0), big_red, "size") == "kept size"


def test_tally_reads_velocity_and_size_against_each_other():
    slow_red = UniformParams(1.5, 1.0, x=2.0, color="red").validate()
    assert tally_pair(moving("red", "circle", 1.0, 3.5), slow_red, ("colour", "velocity")) == "kept colour"
    assert tally_pair(moving("blue", "circle", 1.0, 1.5), slow_red, ("colour", "velocity")) == "kept velocity"
    assert tally_pair(moving("red", "circle", 1.0, 1.5), slow_red, ("colour", "velocity")) == "kept both"
    assert tally_pair(np.full((32, 32, 32, 3), 255, np.uint8), slow_red, ("colour", "velocity")) == "kept neither"
    small_fast = UniformParams(3.5, 0.8, x=1.0).validate()
    assert tally_pair(moving("red", "circle", 1.3, 3.5), small_fast, ("size", "velocity")) == "kept velocity"
    assert tally_pair(moving("red", "circle", 0.8, 1.5), small_fast, ("size", "velocity")) == "kept size"
    square_slow = UniformParams(1.5, 1.2, x=2.0, shape="square").validate()
    assert tally_pair(moving("red", "circle", 1.2, 3.5), square_slow, ("velocity", "shape")) == "kept neither"
    assert tally_pair(moving("red", "square", 1.2, 1.5), square_slow, ("velocity", "shape")) == "kept both"
    caption = rollout_caption(EXPERIMENTS["size-velocity"], moving("red", "circle", 1.3, 3.5), small_fast)
    assert caption == "red r 0.80 v 3.50: kept velocity"


@pytest.mark.parametrize("shape", ["circle", "square"])
@pytest.mark.parametrize("color", ["red", "blue"])
def test_object_shape_reads_rendered_shapes_and_ignores_cut_frames(shape, color):
    rng = np.random.default_rng(1)
    for _ in range(10):
        r = rng.uniform(0.7, 1.4)
        frames = moving(color, shape, r, rng.uniform(1, 4), x0=r + 0.3, y=rng.uniform(2, 8))
        assert object_shape(frames[3:], color) == shape
    cut = color_mask(moving(color, shape, 1.0, 0.0, x0=0.5)[:1], color)[0]
    assert cut.sum() > 10 and shape_fit(cut) is None  # cut by the border: not read as a shape


def test_summary_percentages():
    exp = EXPERIMENTS["color-shape"]
    s = summarize(exp, ["kept colour"] * 3 + ["kept shape"])
    assert s["counts"]["kept colour"] == 3 and s["percent"]["kept colour"] == 75.0 and s["percent"]["kept both"] == 0
    assert "colour > size > velocity > shape" == s["paper_order"]


def test_summary_per_test_combination_and_velocity():
    exp = EXPERIMENTS["color-shape"]
    labels = [describe_combination(t) for t in exp.tests]
    assert labels == ["red square", "blue circle"]
    s = summarize(exp, ["kept colour", "kept shape", "kept colour", "kept colour"], labels * 2)
    assert s["by_test"]["red square"]["kept colour"] == 2 and s["by_test"]["blue circle"]["kept shape"] == 1
    assert any(line.startswith("red square (n=2): kept colour 100%") for line in summary_lines(s))
    s = summarize(exp, ["kept colour", "shape unclear"], labels, color_kept=[True, True])
    assert s["color_kept"] == {"count": 2, "percent": 100.0} and s["counts"]["shape unclear"] == 1
    assert "the given colour kept in 2 of 2 (100%)" in summary_lines(s)
    case = EXPERIMENTS["case-set1"]
    assert describe_combination(case.tests[0]) == "v in [1, 2.5]"
    assert describe_combination({"color": "blue", "speed_range": [[1, 2], [3, 4]]}) == "blue v in [1, 2] U [3, 4]"
    s = summarize(case, ["pulled into the training range"] * 2 + ["other"], ["v in [1, 2.5]"] * 3,
                  [(1.5, 3.0), (2.0, 3.0), (1.0, float("nan"))])
    assert s["velocity"] == {"true_mean": 1.5, "generated_mean": 3.0, "found": 2, "slope": 0.0}
    assert summary_lines(s) == ["mean x-velocity: true 1.50, generated 3.00 (ball found in 2 of 3)",
                                "generated against given velocity: slope 0.00 (1: follows the law; 0: the given "
                                "speed is ignored)"]
    s = summarize(case, ["follows the law"] * 3, velocities=[(1.0, 1.1), (2.0, 2.1), (2.0, float("nan"))])
    assert s["velocity"]["slope"] == 1.0 and s["velocity"]["found"] == 2
    s = summarize(case, ["other"], velocities=[(1.0, 1.1)])
    assert s["velocity"]["slope"] is None and len(summary_lines(s)) == 1


def test_only_attribute_pairs_name_the_papers_attribute_order():
    from phydemo.report.cards import _experiment_text
    from phydemo.report.tables import format_lab_summary

    case = summarize(EXPERIMENTS["case-set1"], ["other"]) | {"seed": 0, "steps": 1}
    pair = summarize(EXPERIMENTS["color-shape"], ["kept colour"]) | {"seed": 0, "steps": 1}
    assert "paper_order" not in case and pair["paper_order"] == "colour > size > velocity > shape"
    for text in (_experiment_text("m", case), format_lab_summary(case)):
        assert "order" not in text and EXPERIMENTS["case-set1"].paper in text
    for text in (_experiment_text("m", pair), format_lab_summary(pair)):
        assert "colour > size > velocity > shape" in text


def test_experiment_cli_bad_input(capsys):
    assert main(["experiment", "nope"]) == 2
    assert "experiment" in capsys.readouterr().err
    assert main(["experiment", "color-shape", "--checkpoint", "/nonexistent"]) == 2


def test_demo_lab_tab_logic(tmp_path):
    """The Lab's logic on a tiny untrained lab checkpoint: a grid of rollouts and a tally over the batch."""
    import torch

    from phydemo.app.demo import Demo
    from phydemo.model.dit import VideoDiT
    from phydemo.model.train import save_checkpoint

    cfg = TrainConfig.from_yaml(ROOT / "configs/lab-color-shape.yaml")
    cfg.resolution, cfg.autoencoder = 32, ""  # a tiny pixel model: the tab's logic, not the shipped architecture
    cfg.model = dict(patch_size=8, patch_size_t=4, hidden_size=32, depth=1, num_heads=2)
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "lab-color-shape", VideoDiT(num_frames=32, sample_size=32, **cfg.model), cfg)
    demo = Demo(tmp_path)
    assert demo.lab_experiments == ["color-shape"]
    grid, text = demo.lab("color-shape", 4, 0, 2)
    assert grid.ndim == 3 and "kept colour" in text
    counts = [int(line.split("|")[2]) for line in text.splitlines() if line.startswith("| kept")]
    assert sum(counts) == 4
    with pytest.raises(InputError):
        demo.lab("case-set1", 4, 0, 2)
    with pytest.raises(InputError, match="n="):
        demo.lab("color-shape", 10**6, 0, 2)


def test_rollout_caption_says_what_was_asked_and_what_was_kept():
    p = UniformParams(1.5, 1.0, x=2.0).validate()
    text = rollout_caption(EXPERIMENTS["case-set1"], moving("red", "circle", 1.0, 3.0), p)
    assert text.startswith("v 1.50 -> ") and text.endswith(": pulled into the training range")
    assert 2.5 < float(text.split("-> ")[1].split(":")[0]) <= 3.0
    red_square = UniformParams(2.0, 1.2, x=2.0, color="red", shape="square").validate()
    assert rollout_caption(EXPERIMENTS["color-shape"], moving("red", "circle", 1.2, 2.0), red_square) == \
        "red square: kept colour"
    blue_small = UniformParams(2.0, 0.8, x=2.0, color="blue").validate()
    assert rollout_caption(EXPERIMENTS["color-size"], moving("blue", "circle", 1.3, 2.0), blue_small) == \
        "blue r 0.80: kept colour"


@pytest.mark.parametrize("resolution", [32, 128])  # the 32 px lab models and their 128 px successors
@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_tally_of_ground_truth_test_rollouts_is_the_law(name, resolution):
    """The tally's own floor: rendered ground truth of the test scenes reads as following the law / keeping both."""
    exp = EXPERIMENTS[name]
    scenes = exp.test_scenes(32)
    outcomes = [tally(exp, render(simulate(p), resolution), p) for p in scenes]
    expected = "follows the law" if name.startswith("case") else "kept both"
    assert outcomes.count(expected) >= 30, outcomes


def test_outcome_changes_count_only_rollouts_whose_outcome_moved():
    from phydemo.eval.lab_compare import outcome_changes

    a = ["pulled into the training range", "pulled into the training range", "other", "follows the law"]
    b = ["other", "other", "other", "pulled into the training range"]
    assert outcome_changes(a, b) == {("pulled into the training range", "other"): 2,
                                     ("follows the law", "pulled into the training range"): 1}
    assert outcome_changes(a, a) == {}
    with pytest.raises(ValueError, match="not of the same rollouts"):
        outcome_changes(a, b[:3])
