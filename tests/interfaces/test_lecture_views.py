"""The lecture views on every shipped checkpoint: the law view, the nearest training cases, the error map, predict
first and the permalink."""

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import numpy as np
import pytest

from phydemo.app.demo import GUESS_FRAME, Demo
from phydemo.app.plots import law_figure
from phydemo.errors import InputError
from phydemo.eval.error_map import MAP_FILE, error_map
from phydemo.eval.findings import FINDINGS
from phydemo.eval.metrics import fully_visible, velocity_error
from phydemo.eval.rollout import Rollout
from phydemo.model.checkpoint import shipped_checkpoints
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.scenes import make_params

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [p.name for p in shipped_checkpoints(ROOT / "checkpoints", world="balls")]  # the ball tabs' models
SCENES = {"uniform": (2.5, 2.5), "parabola": (2.0, 2.0), "collision": (2.5, 2.5)}


@pytest.fixture(scope="module")
def demo():
    return Demo()


@pytest.mark.parametrize("scenario", ["uniform", "parabola", "collision"])
def test_law_view_of_the_ground_truth_lies_on_the_law(scenario):
    p = make_params(scenario, **({"speed": 2.0} if scenario != "collision" else {}))
    traj = simulate(p)
    gt = render(traj, 128)
    report = velocity_error(scenario, gt, traj)
    fig = law_figure(Rollout(p, traj, gt, gt, report, report))
    traces = {t.name: t for t in fig.data}
    law, parsed = traces["the law x" if scenario != "collision" else "the law x ball 1 (red)"], \
        traces["ground truth, parsed x" if scenario != "collision" else "ground truth, parsed x ball 1 (red)"]
    assert np.allclose(law.y, traj.positions[:, 0, 0])
    visible = fully_visible(traj, 0)  # a ball cut by the border parses off-centre, as the metric knows
    assert np.nanmax(np.abs(np.array(parsed.y, dtype=float)[visible] - np.array(law.y)[visible])) < 0.6
    if scenario == "parabola":
        assert "the law y" in traces  # the parabola in y
    assert fig.layout.shapes and fig.layout.annotations[0].text == "given frames"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_view_works_on_every_shipped_checkpoint(demo, name):
    dist = demo.distribution(name)
    color, shape, _, _ = dist.first_case()
    v = 5.5  # out of distribution for every checkpoint
    res = demo.run(name, v, v, 1.0, 1.0, color, shape, 0, 2)
    assert f"Nearest of the {dist.train_size:,} training videos" in res.nearest
    assert any(t.name.startswith("ground truth, parsed") for t in res.figure.data)  # velocity: the parser on both
    assert any(t.name.startswith("the law") for t in res.law.data)
    figure, rows, speeds, radii = demo.error_map(name)
    assert len(rows) == len(radii) and len(rows[0]) == len(speeds) + 1 and figure.layout.shapes  # the training box
    assert demo.map_cell(name, 3, 11) == (speeds[10], radii[3]) and rows[3][0] == radii[3]  # a picked table cell
    link = demo.permalink("http://host/", name, v, v, 1.0, 1.0, color, shape, 0, 2)
    query = dict(parse_qsl(urlparse(link).query))
    assert demo.from_query(query) == {"checkpoint": name, "speed": v, "speed2": v, "radius": 1.0, "radius2": 1.0,
                                      "color": color, "shape": shape, "seed": 0, "steps": 2}
    if not name.startswith("lab-"):
        speed = SCENES[dist.scenario][0]
        _, fig, text = demo.predict(name, speed, speed, 1.0, 1.0, color, shape, 0, 2, 5.0, 5.0)
        assert "your guess (5.00, 5.00)" in text and any(t.name == "your guess at t = 1.5 s" for t in fig.data)
        assert demo.given_frames(name, speed, speed, 1.0, 1.0, color, shape).ndim == 3


def test_a_perfect_guess_scores_zero_and_a_bad_link_names_its_field(demo):
    p = make_params("uniform", speed=2.5, radius=1.0)
    truth = simulate(p).positions[GUESS_FRAME, 0]
    _, _, text = demo.predict("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 2, truth[0], truth[1])
    assert "is **0.00** away" in text
    with pytest.raises(InputError, match="speed"):
        demo.from_query({"checkpoint": "uniform", "speed": "fast"})
    with pytest.raises(InputError, match="checkpoint"):
        demo.from_query({"checkpoint": "nope"})
    with pytest.raises(InputError, match="guess_x"):
        demo.predict("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 2, 11.0, 5.0)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_error_maps_are_small_and_show_the_law_holding_inside_the_box(demo, name):
    path = ROOT / "checkpoints" / name / MAP_FILE
    assert path.stat().st_size < 1_000_000
    result = json.loads(path.read_text())
    _, _, box_speeds, box_radii = demo.distribution(name).first_case()
    err = np.array([[np.nan if v is None else v for v in row] for row in result["error"]], dtype=float)
    speeds, radii = np.array(result["speeds"]), np.array(result["radii"])
    inside = np.outer([any(lo <= r <= hi for lo, hi in box_radii) for r in radii],
                      [any(lo <= v <= hi for lo, hi in box_speeds) for v in speeds])
    # the scenario models: 11-22x (the paper's contrast); collision 8.9x: its ID error is 10x the paper's, and at
    # 128 px the parser no longer inflates the OOD error of tiny balls as at 32 px (13x there); the lab models and the
    # models of a finding and the shared 3,000-video bases, 2,000-2,500 steps each to read attributes or to be one
    # point of a curve rather than 0.02-precise speeds: 2.1-14x
    steps = json.loads((ROOT / "checkpoints" / name / "train_state.json").read_text())["step"]
    short = name.startswith("lab-") or any(name in f.checkpoints for f in FINDINGS.values()) or steps <= 2500
    ratio = 2 if short else 5 if name == "collision" else 10
    assert np.nanmean(err[inside]) * ratio < np.nanmean(err[~inside])


def test_error_map_command_matches_the_function(tmp_path):
    from phydemo.model.checkpoint import load_pipeline

    pipe = load_pipeline("uniform")
    pipe.set_progress_bar_config(disable=True)
    result = error_map(pipe, per_cell=1)
    assert len(result["error"]) == len(result["radii"]) and len(result["error"][0]) == len(result["speeds"])
    assert all(v is None or v >= 0 for row in result["error"] for v in row)


def test_the_sweep_on_the_case_matching_model_shows_slow_starts_sped_up(demo):
    """README lecture step 5: on lab-case-set1 (trained on speeds in [2.5, 4]) the Sweep draws every slow start at
    about the speed of its nearest training cases, not at its own speed."""
    fig = demo.sweep("lab-case-set1", 0.5, 6.0, 12, 1.0, "red", "circle", 0, 1)
    generated = next(t for t in fig.data if t.name == "generated speed")
    slow = [(x, y) for x, y in zip(generated.x, generated.y) if x < 2.5]
    assert len(slow) == 4 and all(2.4 <= y <= 2.9 for _, y in slow)  # flat: 2.51-2.61 measured, truth 0.5-2.0
    fast = [(x, y) for x, y in zip(generated.x, generated.y) if x > 4]
    assert len(fast) == 4 and all(3.0 <= y <= 4.5 and y < x - 0.25 for x, y in fast)  # 3.32-4.21 measured, truth 4.5-6
