"""PHYRE-like models end to end on a seconds-long run: the data path (the templates' scenes encoded by the PHYRE-capable
autoencoder), what the checkpoint records, its evaluation, its card, the finding's table and the Scenes board."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from phydemo.app.batching import SamplingQueue
from phydemo.app.scene_board import SceneBoard
from phydemo.errors import InputError
from phydemo.eval.combinatorial import (
    evaluate_phyre,
    format_finding,
    format_phyre_table,
    reading,
    run_combinatorial,
    signed,
)
from phydemo.eval.evaluate import quick_eval
from phydemo.model.checkpoint import checkpoint_world, load_pipeline, shipped_checkpoints
from phydemo.model.train import train
from phydemo.model.train_config import TrainConfig
from phydemo.protocol import EVAL_SEED
from phydemo.release.export import export_run
from phydemo.report import write_card
from phydemo.world.distribution import PhyreDistribution, TrainingDistribution, distribution_from_dict
from phydemo.world.phyre import out_of_template, training_templates

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # trains two tiny models and samples 128 px scenes: about a minute
AUTOENCODER = str(ROOT / "checkpoints" / "autoencoder-phyre")
TINY = {"patch_size": 4, "patch_size_t": 4, "hidden_size": 32, "depth": 1, "num_heads": 2, "num_cond_frames": 1}


def tiny_phyre_config(folder: Path, templates: int) -> TrainConfig:
    return TrainConfig(name=f"phyre-{templates}", scenario="phyre", data_kwargs={"templates": templates},
                       train_size=2 * templates, autoencoder=AUTOENCODER, model=TINY, batch_size=2, warmup_steps=1,
                       max_steps=2, ckpt_every=2, eval_every=2, eval_n=2, log_every=1,
                       output_dir=str(folder / "runs"), data_dir=str(folder / "data"))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """Two tiny PHYRE-like checkpoints (6 and 30 templates) exported beside one ball checkpoint's folder name."""
    folder = tmp_path_factory.mktemp("phyre")
    root = folder / "checkpoints"
    for templates in (6, 30):
        cfg = tiny_phyre_config(folder, templates)
        train(cfg, evaluate=quick_eval)
        export_run(cfg.run_dir, root / cfg.name)
    return folder, root


def test_a_phyre_run_trains_on_its_templates_and_records_them(shipped):
    folder, root = shipped
    log = [json.loads(line) for line in (folder / "runs" / "phyre-6" / "log.jsonl").read_text().splitlines()]
    assert {"in_template_abnormal", "in_template_psnr"} <= set(log[-1])  # the judge, not the ball metric
    latents = np.load(next((folder / "data").glob("phyre-train-t6-n12-r128-latents-*.npy")))
    assert latents.shape == (12, 4, 32, 16, 16)
    pipe = load_pipeline(root / "phyre-6")
    dist = pipe.training_distribution
    assert isinstance(dist, PhyreDistribution) and dist.templates == tuple(training_templates(6))
    assert pipe.num_cond_frames == 1 and pipe.frame_size == 128
    assert checkpoint_world(root / "phyre-6") == "phyre"
    assert [p.name for p in shipped_checkpoints(root, world="phyre")] == ["phyre-30", "phyre-6"]
    assert shipped_checkpoints(root) == []  # the ball tabs never list them
    with pytest.raises(ValueError, match="world="):
        shipped_checkpoints(root, world="marbles")


def test_a_phyre_distribution_round_trips_and_never_holds_a_held_out_template():
    d = PhyreDistribution.from_data({"templates": 30}, 1800, 128)
    assert distribution_from_dict(d.to_dict()) == d
    assert d.labels(3) == {} and "never trained on" in d.labels(45)["template"]
    with pytest.raises(ValueError, match="held-out"):
        PhyreDistribution.from_dict({**d.to_dict(), "templates": [0, out_of_template()[0]]})
    ball = TrainingDistribution.from_data("uniform", {}, 10, 128)
    assert distribution_from_dict(ball.to_dict()) == ball


@pytest.mark.parametrize("bad, match", [({"templates": 7}, "allowed 6, 30, 60"), ({"speed_range": [1, 2]}, "unknown"),
                                        ({"templates": 60, "train_size": 90}, "multiple of")])
def test_a_phyre_config_refuses_other_data_options(bad, match):
    kw = {k: v for k, v in bad.items() if k != "train_size"}
    with pytest.raises(ValueError, match=match):
        TrainConfig(name="x", scenario="phyre", data_kwargs=kw, train_size=bad.get("train_size", 60))


def test_the_shipped_phyre_configs_differ_only_in_their_templates():
    cfgs = {t: yaml.safe_load((ROOT / "configs" / f"phyre-{t}.yaml").read_text()) for t in (6, 30, 60)}
    for t, cfg in cfgs.items():
        assert cfg.pop("name") == f"phyre-{t}" and cfg.pop("data_kwargs") == {"templates": t}
    assert cfgs[6] == cfgs[30] == cfgs[60]
    assert TrainConfig.from_yaml(ROOT / "configs" / "phyre-60.yaml").model["num_cond_frames"] == 1


def test_evaluation_card_and_finding_of_phyre_models(shipped, tmp_path):
    folder, root = shipped
    pipe = load_pipeline(root / "phyre-6")
    res = evaluate_phyre(pipe, n=2)
    for split in ("in_template", "out_of_template"):
        r = res[split]
        assert r["n"] == 2 and 0 <= r["abnormal"] <= 1 and np.isfinite(r["psnr"]) and -1 <= r["ssim"] <= 1
        assert len(r["flagged"]) == round(2 * r["abnormal"])  # every flagged video named, none skipped
        assert r["baseline"]["n"] == 2
    assert res["ground_truth"]["n"] == 4 and "ground truth judged abnormal" in format_phyre_table(res)
    (root / "phyre-6" / "eval.json").write_text(json.dumps({**res, "seed": 0}))
    card = write_card(root / "phyre-6").read_text()
    assert "PHYRE-like scenes" in card and "abnormal_rate" in card and "It sees the first frame\n" in card
    out = run_combinatorial((str(root / "phyre-6"), str(root / "phyre-30")), n=2, path=tmp_path / "c.json")
    saved = json.loads((tmp_path / "c.json").read_text())
    assert [m["templates"] for m in saved["models"]] == [6, 30]
    assert set(saved["models"][0]["out_of_template"]) >= {"abnormal", "psnr", "ssim", "n"}
    assert saved["ground_truth"]["n"] == 8 and set(saved["baseline"]) == {"in_template", "out_of_template"}
    assert "67% with 6 templates" in reading(out) and "baseline" in format_finding(out)
    gain = [m["in_template"]["psnr"] - m["baseline"]["in_template"]["psnr"] for m in saved["models"]]
    assert f"6 templates {round(gain[0] - gain[1], 1) + 0.0:+.1f} dB against 30" in reading(out)
    assert "-0%" not in reading(out) and "-0.0 dB" not in reading(out)
    assert [signed(v, "+.0%") for v in (-0.004, 0.0, -0.006, 0.02)] == ["+0%", "+0%", "-1%", "+2%"]
    assert [signed(v, "+.1f") for v in (-0.04, -0.06)] == ["+0.0", "-0.1"]
    # the finding reads a model's own table where it measured exactly these scenes, and samples afresh where not
    table = {**res, "seed": EVAL_SEED, "in_template": {**res["in_template"], "psnr": 99.0}}
    (root / "phyre-6" / "eval.json").write_text(json.dumps(table))
    assert run_combinatorial((str(root / "phyre-6"),), n=2, path=None)["models"][0]["in_template"]["psnr"] == 99.0
    assert run_combinatorial((str(root / "phyre-6"),), n=1, path=None)["models"][0]["in_template"]["psnr"] != 99.0


def test_the_scene_board_judges_every_video_and_marks_the_templates(shipped, tmp_path):
    _, root = shipped
    saved = []

    def save(frames, strip):
        saved.append(frames.shape)
        return str(tmp_path / "v.mp4"), str(tmp_path / "v.png")

    board = SceneBoard(root, "cpu", SamplingQueue(), save)
    assert board.names == ["phyre-6", "phyre-30"]
    labels = dict((t, label) for label, t in board.template_choices())
    assert "trained: phyre-6, phyre-30" in labels[0] and "trained: phyre-30" in labels[10]
    assert "held out of every model" in labels[65]
    res = board.run(62, 3, 1)
    assert set(res.verdicts) == {"ground truth", "phyre-6", "phyre-30"} and not res.verdicts["ground truth"].abnormal
    assert res.report.count("\n| ") == 4 and "held out" in res.report  # the header and one row per video
    assert saved[0][0] == 32 and saved[0][2] == 3 * 256 + 2 * 4  # three panels side by side, every frame
    again = [None, None]
    threads = [threading.Thread(target=lambda i=i: again.__setitem__(i, board.run(62, 3, 1))) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert again[0] is res and again[1] is res and len(saved) == 1  # identical requests share the result
    for bad, field in (((70, 0, 1), "template"), ((0, -1, 1), "seed"), ((0, 0, 0), "steps")):
        with pytest.raises(InputError, match=field):
            board.run(*bad)


def test_visual_ambiguity_finds_the_truths_threshold_and_reads_each_rollout(shipped):
    """The truth flips where the red ball's diameter meets the gap (0.4 units: radius 0.200 passes, 0.202 stops);
    read from the rendered truth, the outcome agrees with the simulation; every rollout is counted."""
    from phydemo.app.finding_plots import finding_figure
    from phydemo.eval.visual_ambiguity import read_outcome, reading, run_visual_ambiguity
    from phydemo.world.phyre import render_scene
    from phydemo.world.phyre_ambiguity import RADII, truth_passes

    for r in (0.19, 0.2, 0.202, 0.21):
        ok, traj = truth_passes(r)
        assert ok == (r <= 0.2) and read_outcome(render_scene(traj)) == ("passed" if ok else "stopped")
    _, root = shipped
    res = run_visual_ambiguity(str(root / "phyre-6"), radii=RADII[14:18], seeds=2)
    assert 0.2 < res["truth_threshold"] < 0.202 and res["n"] == 8
    assert sum(sum(r["model"].values()) for r in res["rows"]) == 8  # passed + stopped + lost: none skipped
    assert res["given_frame_change"]["radii"] == [0.2, 0.202]
    assert "passes the gap in truth up to radius 0.20" in reading(res)
    saved = {**res, "resolution": {"phyre-6": 128}}  # as findings.compute saves it: every finding's checkpoint -> px
    assert " px at 128 px)" in reading(saved) and "{" not in reading(saved)
    assert len(finding_figure({"finding": "visual-ambiguity", **res}).data) == 2
