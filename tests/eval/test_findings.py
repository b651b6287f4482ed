"""The findings of several checkpoints (attribute order, interpolation, data scaling): their configs train what the
finding tests against, their readings follow the numbers, their figures build, and ``ship`` turns a config into a
measured checkpoint."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from phydemo.app.finding_plots import finding_figure
from phydemo.eval import data_scaling, findings, interpolation
from phydemo.model.train_config import TrainConfig
from phydemo.world.sampling import sample_params

ROOT = Path(__file__).resolve().parents[2]


def test_every_checkpoint_of_a_finding_has_its_config():
    for f in findings.FINDINGS.values():
        for name in f.checkpoints:
            assert TrainConfig.from_yaml(ROOT / f"configs/{name}.yaml").name == name


def test_the_hole_model_never_trains_on_a_speed_in_the_hole_and_is_tested_there():
    cfg = TrainConfig.from_yaml(ROOT / "configs/lab-interpolation.yaml")
    assert cfg.data_kwargs == interpolation.HOLE_DATA
    rng = np.random.default_rng(0)
    speeds = [sample_params("uniform", "train", rng, **cfg.data_kwargs).speed for _ in range(2000)]
    lo, hi = interpolation.HOLE
    assert not any(lo < v < hi for v in speeds) and min(speeds) < lo and max(speeds) > hi
    (_, _, hole_kwargs), = [s for s in interpolation.SETS if s[0] == "inside the hole"]
    inside = [sample_params("uniform", "id_eval", rng, **hole_kwargs).speed for _ in range(200)]
    assert all(lo <= v <= hi for v in inside)
    # its full-range twin differs only in the held-out speeds
    full = TrainConfig.from_yaml(ROOT / f"configs/{findings.FINDINGS['interpolation'].checkpoints[1]}.yaml")
    assert {k: v for k, v in vars(cfg).items() if k not in ("name", "data_kwargs", "max_minutes")} == \
           {k: v for k, v in vars(full).items() if k not in ("name", "data_kwargs", "max_minutes")}


def test_the_scaling_runs_differ_only_in_their_number_of_videos_or_are_left_out():
    from phydemo.model.train_config import recipe_differences

    finding = findings.FINDINGS["data-scaling"]
    cfgs = {n: vars(TrainConfig.from_yaml(ROOT / f"configs/{n}.yaml")) for n in finding.checkpoints}
    assert [c["train_size"] for c in cfgs.values()] == [1000, 3000, 12000]
    left_out = finding.other_recipe([c for c in finding.checkpoints if c not in finding.missing()])
    for name, cfg in cfgs.items():  # a config on another recipe (awaiting its retraining) is not counted
        differs = [k for k in recipe_differences(cfgs[finding.reference], cfg) if k not in finding.varies]
        assert not differs or name in left_out, (name, differs)


def test_each_data_scaling_set_is_the_start_of_the_next_and_never_holds_an_evaluation_scene():
    """A smaller set is the first videos of a larger one (so only coverage grows), and no training scene of the
    largest is one of the reported or tuning ID scenes its error is read on."""
    from phydemo.protocol import EVAL_SEED, TUNE_SEED
    from phydemo.world.dataset import scene_params

    cfgs = sorted((TrainConfig.from_yaml(ROOT / f"configs/{n}.yaml") for n in findings.FINDINGS["data-scaling"].checkpoints),
                  key=lambda c: c.train_size)
    largest = cfgs[-1]
    train = scene_params(largest.scenario, "train", largest.train_size, largest.data_seed, **largest.data_kwargs)
    for cfg in cfgs[:-1]:
        assert (cfg.scenario, cfg.data_seed, cfg.data_kwargs) == (largest.scenario, largest.data_seed, largest.data_kwargs)
        assert scene_params(cfg.scenario, "train", cfg.train_size, cfg.data_seed, **cfg.data_kwargs) == train[:cfg.train_size]
    held = {repr(p.balls()) for seed in (EVAL_SEED, TUNE_SEED)
            for p in scene_params(largest.scenario, "id_eval", 256, seed, **largest.data_kwargs)}
    assert len(held) == 512 and not held & {repr(p.balls()) for p in train}


def interpolation_result(hole_error: float) -> dict:
    def row(e):
        return {"error": e, "se": 0.01, "n": 64, "n_scored": 64}
    sets = {"trained speeds": (0.05, 0.05), "inside the hole": (hole_error, 0.05), "outside the range": (0.8, 0.7)}
    def speed_bin(generated):
        return {"speed": [2.0, 2.25], "true": 2.1, "generated": generated, "se": 0.02, "n": 8, "unread": 0}
    return {"finding": "interpolation", "hole": [2.0, 3.0], "n": 64, "steps": 2,
            "sets": {k: {"hole_model": row(h), "full_model": row(f), "difference": h - f, "difference_se": 0.01,
                         "scored_by_both": 64} for k, (h, f) in sets.items()},
            "speeds": {"hole_model": [speed_bin(1.9)], "full_model": [speed_bin(2.1)]}}


def test_the_interpolation_reading_follows_the_numbers():
    good = interpolation.reading(interpolation_result(0.06))
    assert "so it interpolates across the hole" in good and "it does not extrapolate" in good
    bad = interpolation.reading(interpolation_result(0.4))
    assert "does not fill the hole" in bad and "only 2.0x" in bad
    assert "per quarter is 1.90 (true 2.10)." in bad
    fig = finding_figure(interpolation_result(0.06))
    assert fig.data[0].y == (0.05, 0.06, 0.8) and fig.data[3].y == (1.9,) and fig.data[4].y == (2.1,)


def fake_checkpoint(folder: Path, videos: int, id_error: float, ood_error: float, batch: int = 32) -> Path:
    folder.mkdir(parents=True)
    dist = {"scenario": "uniform", "speed": [[1.0, 4.0]], "radius": [[0.7, 1.4]], "colors": [["red"]],
            "shapes": [["circle"]], "directions": [1], "combos": [], "train_size": videos, "resolution": 128}
    (folder / "model_index.json").write_text(json.dumps({"training_distribution": dist}))
    (folder / "train_state.json").write_text(json.dumps({"step": 2500, "elapsed_min": 40.0}))
    (folder / "train_config.yaml").write_text(f"name: {folder.name}\ntrain_size: {videos}\nbatch_size: {batch}\n")
    table = {"n": 256, "steps": 2, "id": {"error": id_error, "error_se": 0.004, "n_scored": 256, "parse_floor": 0.002},
             "ood": {"v": {"error": ood_error, "error_se": 0.03, "n_scored": 256}}}
    (folder / "eval.json").write_text(json.dumps(table))
    return folder


def test_data_scaling_reads_each_checkpoints_table_and_says_what_moved(tmp_path):
    folders = [fake_checkpoint(tmp_path / name, v, i, o) for name, v, i, o in
               (("b", 3000, 0.10, 0.80), ("a", 1000, 0.20, 0.75), ("c", 12000, 0.05, 0.78))]
    result = {"finding": "data-scaling", **data_scaling.data_scaling([str(f) for f in folders])}
    assert [p["videos"] for p in result["points"]] == [1000, 3000, 12000]
    text = data_scaling.reading(result)
    assert "ID error goes from 0.200 ± 0.004 to 0.050 ± 0.004 (falls)" in text
    assert "0.750 ± 0.030 to 0.780 ± 0.030 (does not change beyond its noise)" in text
    assert "more data still lowers the ID error" in text
    level = [fake_checkpoint(tmp_path / "lv" / name, v, i, 0.8) for name, v, i in
             (("a", 1000, 0.090), ("b", 3000, 0.071), ("c", 12000, 0.069))]
    text = data_scaling.reading({"finding": "data-scaling", **data_scaling.data_scaling([str(f) for f in level])})
    assert "(falls)" in text and "falls up to 3,000 videos and levels off after it (0.071 -> 0.069)" in text
    assert "seen about 7 times" in text and "steps of batch 32:" in text and "more data still lowers" not in text
    wide = [fake_checkpoint(tmp_path / "wide" / name, v, i, 0.8, batch=64) for name, v, i in
            (("a", 1000, 0.090), ("b", 3000, 0.071), ("c", 12000, 0.069))]
    text = data_scaling.reading({"finding": "data-scaling", **data_scaling.data_scaling([str(f) for f in wide])})
    assert "seen about 13 times" in text and "steps of batch 64:" in text  # each checkpoint's own batch size
    fig = finding_figure(json.loads(json.dumps(result)))  # as saved: the paper's sizes become strings
    assert fig.data[1].x == (30_000, 3_000_000)
    with pytest.raises(FileNotFoundError, match="phydemo evaluate --checkpoint"):
        data_scaling.scaling_point(fake_checkpoint(tmp_path / "d", 10, 0.1, 0.1).with_name("d") / "..")


def test_a_scaling_point_counts_every_run_a_fine_tuned_checkpoint_was_trained_on(tmp_path):
    """Steps and minutes are the whole training: the checkpoint's own run and each ``init_from`` run nested in its
    train_state.json, as its model card states them."""
    folder = fake_checkpoint(tmp_path / "tuned", 3000, 0.05, 0.8)
    (folder / "train_state.json").write_text(json.dumps({"step": 1000, "elapsed_min": 20.0, "init_from": {
        "config": "configs/b.yaml", "step": 2500, "elapsed_min": 40.0,
        "init_from": {"config": "configs/a.yaml", "step": 500, "elapsed_min": 5.5}}}))
    point = data_scaling.scaling_point(folder)
    assert (point["steps"], point["minutes"]) == (4000, 65.5)
    (folder / "train_state.json").unlink()
    with pytest.raises(FileNotFoundError, match="train_state.json: no training record"):
        data_scaling.scaling_point(folder)


def test_saved_findings_load_in_order(tmp_path):
    findings.save({"finding": "interpolation", "x": 1}, tmp_path)
    findings.save({"finding": "attribute-order", "x": 2}, tmp_path)
    assert list(findings.load_all(tmp_path)) == ["attribute-order", "interpolation"]


def test_ship_trains_exports_and_measures_a_lab_checkpoint(tmp_path):
    from phydemo.eval.lab import EXPERIMENTS
    from phydemo.model.checkpoint import load_pipeline
    from phydemo.release.ship import ship

    configs = tmp_path / "configs"
    configs.mkdir()
    tiny = {"name": "lab-color-velocity", "data_kwargs": EXPERIMENTS["color-velocity"].data_kwargs, "train_size": 8,
            "resolution": 16, "autoencoder": "", "batch_size": 4, "warmup_steps": 1, "max_steps": 2, "eval_every": 100, "eval_n": 2,
            "eval_steps": 1, "model": {"patch_size": 8, "patch_size_t": 4, "hidden_size": 32, "depth": 1, "num_heads": 2},
            "output_dir": str(tmp_path / "runs"), "data_dir": str(tmp_path / "data")}
    (configs / "lab-color-velocity.yaml").write_text(yaml.safe_dump(tiny))
    folder = ship("lab-color-velocity", root=tmp_path / "checkpoints", configs=configs, n=4, per_cell=1, lab_n=4)
    assert folder == tmp_path / "checkpoints/lab-color-velocity"
    for name in ("error_map.json", "experiment.json", "eval.json", "README.md", "training_index.npz"):
        assert (folder / name).is_file(), name
    # a lab preset is measured by its tally and by its error on what it was trained on: its eval.json's ID set is
    # drawn from its own combinations, never the held-out ones of the scenario's full ID set
    assert json.loads((folder / "eval.json").read_text())["data_kwargs"] == EXPERIMENTS["color-velocity"].data_kwargs
    assert json.loads((folder / "experiment.json").read_text())["n"] == 4
    assert load_pipeline(folder).training_distribution.train_size == 8


def test_generated_speeds_are_binned_and_read_inside_the_hole():
    from types import SimpleNamespace

    def scores(generated):  # true speeds 2.05 .. 2.95 inside the hole
        return [SimpleNamespace(params=SimpleNamespace(speed=v), generated_speed=generated(v))
                for v in np.linspace(2.05, 2.95, 10)]

    pulled = interpolation.speed_bins(scores(lambda v: 2.0 if v < 2.5 else 3.0))
    assert [b["speed"] for b in pulled] == [[2.0, 2.25], [2.25, 2.5], [2.5, 2.75], [2.75, 3.0]]
    assert [b["generated"] for b in pulled] == [2.0, 2.0, 3.0, 3.0] and sum(b["n"] for b in pulled) == 10
    assert pulled[0]["true"] == pytest.approx(np.mean([2.05, 2.15]))
    assert interpolation.speed_bins(scores(lambda v: float("nan"))) == []
    half = interpolation.speed_bins(scores(lambda v: v if v < 2.5 else float("nan")))
    assert [(b["n"], b["unread"]) for b in half] == [(2, 0), (3, 0)]  # a bin where nothing was read is left out
    assert [(b["n"], b["unread"]) for b in interpolation.speed_bins(scores(lambda v: v if v < 2.2 else float("nan")),
                                                                     width=0.5)] == [(2, 3)]

    result = interpolation_result(0.4)
    result["speeds"] = {"hole_model": pulled, "full_model": interpolation.speed_bins(scores(lambda v: v))}
    assert "per quarter is 2.00 (true 2.10), 2.00 (true 2.35), 3.00 (true 2.60), 3.00 (true 2.85)." in \
        interpolation.reading(result)
    fig = finding_figure(result)
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter", "scatter", "scatter"]
    assert list(fig.data[3].y) == [2.0, 2.0, 3.0, 3.0]
    assert [(sh.x0, sh.x1, sh.xref) for sh in fig.layout.shapes] == [(2.0, 3.0, "x2")]  # the hole, on the speed plot


def test_the_model_size_runs_differ_only_in_their_width_over_4x_in_parameters():
    from phydemo.model.train import new_model

    cfgs = [TrainConfig.from_yaml(ROOT / f"configs/{n}.yaml") for n in findings.FINDINGS["model-size"].checkpoints]
    assert [c.model["hidden_size"] for c in cfgs] == [48, 96, 192]
    rest = [{k: v for k, v in vars(c).items() if k not in ("name", "model", "max_minutes")} for c in cfgs]
    assert rest[0] == rest[1] == rest[2]
    assert [{k: v for k, v in c.model.items() if k != "hidden_size"} for c in cfgs].count(
        {k: v for k, v in cfgs[2].model.items() if k != "hidden_size"}) == 3
    sizes = [sum(p.numel() for p in new_model(c).parameters()) for c in cfgs]
    assert sizes == sorted(sizes) and sizes[-1] / sizes[0] >= 4


def test_model_size_counts_parameters_and_reads_each_table(tmp_path):
    from safetensors.numpy import save_file

    from phydemo.eval import model_size

    folders = []
    for name, width, i, o in (("big", 8, 0.05, 0.8), ("small", 2, 0.2, 0.8)):
        folder = fake_checkpoint(tmp_path / name, 3000, i, o)
        (folder / "transformer").mkdir()
        save_file({"w": np.zeros((width, width), np.float16), "b": np.zeros(width, np.float16)},
                  str(folder / "transformer" / "diffusion_pytorch_model.safetensors"))
        folders.append(str(folder))
    result = {"finding": "model-size", **model_size.model_size(folders)}
    assert [p["parameters"] for p in result["points"]] == [6, 72]
    text = model_size.reading(result)
    assert "ID error goes from 0.200 ± 0.004 to 0.050 ± 0.004 (falls)" in text and "does not change" in text
    fig = finding_figure(json.loads(json.dumps(result)))
    assert fig.data[0].x == (6, 72) and fig.data[1].x == (22_500_000, 310_000_000)


def test_a_finding_counts_only_the_checkpoints_on_its_reference_recipe(tmp_path):
    from phydemo.model.train_config import recipe_differences

    base = {"name": "ref", "train_size": 3000, "high_noise_fraction": 0.8, "max_minutes": 50, "eval_steps": 1}
    configs = {"ref": base, "small": {**base, "name": "small", "train_size": 1000, "max_minutes": 60},
               "old": {**base, "name": "old", "train_size": 12000, "high_noise_fraction": 0.3, "eval_steps": 10}}
    for name, cfg in configs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "train_config.yaml").write_text(yaml.safe_dump(cfg))
    assert recipe_differences(configs["ref"], configs["small"]) == ["train_size"]  # bookkeeping left out
    finding = findings.Finding("f", "t", ("small", "ref", "old"), "p", reference="ref", varies=("train_size",))
    assert finding.other_recipe(["small", "ref", "old"], root=tmp_path) == {"old": ["high_noise_fraction"]}
    assert findings.Finding("f", "t", ("small", "ref"), "p").other_recipe(["small", "ref"], root=tmp_path) == {}
    text = findings.reading({"finding": "data-scaling", **data_scaling.data_scaling(
        [str(fake_checkpoint(tmp_path / n, v, 0.1, 0.8)) for n, v in (("a", 1000), ("b", 3000))]),
        "other_recipe": {"old": ["high_noise_fraction"]}})
    assert text.endswith("Not counted, trained on another recipe than the reference's: old (differs in "
                         "high_noise_fraction).")


@pytest.mark.parametrize("name", [n for n, f in findings.FINDINGS.items() if f.reference])
def test_no_saved_finding_mixes_recipes(name):
    saved = findings.load_all().get(name)
    if saved is None:
        pytest.skip(f"{name} not computed")
    finding = findings.FINDINGS[name]
    counted = set(saved.get("resolution", {}))  # every checkpoint the result was computed from
    shipped = [c for c in finding.checkpoints if c not in finding.missing()]
    assert counted and not counted & set(finding.other_recipe(shipped)), counted
