"""The shipped checkpoints: size, metadata, loading, generating, and the evaluate / generate CLIs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from phydemo.cli import main
from phydemo.eval.combinatorial import capped_psnr, generate_scenes
from phydemo.eval.lab import EXPERIMENTS
from phydemo.eval.phyre_judge import judge
from phydemo.eval.rollout import run_rollout
from phydemo.model.checkpoint import load_pipeline, read_training_distribution, shipped_checkpoints
from phydemo.protocol import DEFAULT_STEPS, NUM_FRAMES
from phydemo.report import write_card
from phydemo.world.scenes import make_params

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = shipped_checkpoints(ROOT / "checkpoints", world=None)  # every world
BALL_CHECKPOINTS = shipped_checkpoints(ROOT / "checkpoints", world="balls")
PHYRE_CHECKPOINTS = shipped_checkpoints(ROOT / "checkpoints", world="phyre")


def test_there_is_a_shipped_uniform_checkpoint():
    assert "uniform" in [p.name for p in CHECKPOINTS]


@pytest.mark.parametrize("folder", CHECKPOINTS, ids=lambda p: p.name)
def test_checkpoint_files_are_small_and_described(folder):
    for f in folder.rglob("*"):
        assert f.stat().st_size < 10 * 1024 * 1024, f
    assert not list(folder.rglob("*.bin")) and not list(folder.rglob("*.pt"))  # safetensors only
    dist = read_training_distribution(folder)
    transformer = json.loads((folder / "transformer" / "config.json").read_text())
    assert transformer["num_frames"] == NUM_FRAMES
    if (folder / "vae").is_dir():  # a latent DiT: the autoencoder works at the data's resolution
        vae = json.loads((folder / "vae" / "config.json").read_text())
        assert vae["sample_size"] == dist.resolution and vae["latent_channels"] == transformer["in_channels"]
    else:
        assert transformer["sample_size"] == dist.resolution
    if (folder / "upsampler").is_dir():  # a cascade: the upsampler takes the DiT's frames
        upsampler = json.loads((folder / "upsampler" / "config.json").read_text())
        assert upsampler["sample_size"] // upsampler["scale"] == transformer["sample_size"]
    assert (folder / "README.md").exists()


@pytest.mark.parametrize("folder", BALL_CHECKPOINTS, ids=lambda p: p.name)
def test_checkpoint_loads_and_generates(folder):
    pipe = load_pipeline(folder)
    pipe.set_progress_bar_config(disable=True)
    dist = pipe.training_distribution
    r = run_rollout(pipe, make_params(dist.scenario), seed=0, steps=4)
    size = pipe.frame_size  # the data's resolution, or a cascade's upsampled one
    assert size == (dist.resolution if pipe.upsampler is None else pipe.upsampler.config.sample_size)
    assert r.generated.shape == r.gt_frames.shape == (NUM_FRAMES, size, size, 3)
    assert np.array_equal(r.generated[:3], r.gt_frames[:3])
    assert np.isfinite(r.report.error)


@pytest.mark.parametrize("folder", PHYRE_CHECKPOINTS, ids=lambda p: p.name)
def test_phyre_checkpoint_loads_and_generates_a_scene_from_its_first_frame(folder):
    """A Scenes model: given the first frame of a held-out template's scene, 31 frames of the same scene, judged."""
    pipe = load_pipeline(folder)
    truth, generated = generate_scenes(pipe, [(65, 4)], steps=DEFAULT_STEPS)
    assert pipe.num_cond_frames == 1 and generated.shape == truth.shape == (1, NUM_FRAMES, 128, 128, 3)
    assert np.array_equal(generated[0, :1], truth[0, :1])
    assert not np.array_equal(generated[0, 1:], np.repeat(truth[0, :1], NUM_FRAMES - 1, 0))  # it generated frames
    assert capped_psnr(truth[0], generated[0], 1) > 15  # dB: the scene's objects where the truth has them, roughly
    assert judge(generated[0]).reason  # the judge reads it: a fault, or 'nothing abnormal'


def test_generate_cli_json_and_video(tmp_path):
    out = tmp_path / "rollout.mp4"
    res = subprocess.run([sys.executable, "-m", "phydemo", "generate", "--checkpoint", str(ROOT / "checkpoints/uniform"),
                          "--speed", "5.0", "--radius", "1.0", "--color", "red", "--shape", "circle", "--seed", "0",
                          "--steps", "4", "--out", str(out), "--json"], capture_output=True, text=True, check=True)
    d = json.loads(res.stdout)
    assert "speed" in d["ood"] and d["error"] is not None
    assert len(d["true_velocity"]) == 32 and len(d["generated_velocity"]) == 31
    from phydemo.video import read_video

    frames, codec = read_video(out)
    assert codec == "h264" and len(frames) == 32 and frames.shape[2] > frames.shape[1]  # side by side


@pytest.mark.parametrize("args,needle", [
    (["--checkpoint", "/nonexistent"], "no such directory"),
    (["--checkpoint", "checkpoints/uniform", "--speed", "nan"], "speed"),
    (["--checkpoint", "checkpoints/uniform", "--scenario", "collision"], "scenario"),
    (["--checkpoint", "checkpoints/uniform", "--steps", "1000000000"], "steps"),
])
def test_generate_cli_bad_input(tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(ROOT)
    assert main(["generate", *args, "--out", str(tmp_path / "x.mp4")]) == 2
    assert needle in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_evaluate_cli_json(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["evaluate", "--checkpoint", "checkpoints/uniform", "--n", "4", "--steps", "2", "--levels", "v",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["id"]["n"] == 4 and set(res["ood"]) == {"v"} and res["seed"] == 20241104
    assert 0 <= res["id"]["parse_floor"] < 0.05 and np.isfinite(res["id"]["error"])
    assert res["id"]["error_se"] > 0


def test_evaluate_cli_measures_on_another_seed_but_never_writes_that_as_the_card(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["evaluate", "--checkpoint", "checkpoints/uniform", "--n", "2", "--steps", "1", "--levels", "v",
                 "--seed", "7"]) == 0
    assert "scene seed 7" in capsys.readouterr().out
    folder = tmp_path / "uniform"
    shutil.copytree("checkpoints/uniform", folder)
    before = (folder / "eval.json").read_text()
    assert main(["evaluate", "--checkpoint", str(folder), "--n", "2", "--seed", "7", "--card"]) == 2
    assert "--seed=7: allowed 20241104 with --card" in capsys.readouterr().err
    assert (folder / "eval.json").read_text() == before
    assert main(["evaluate", "--checkpoint", str(folder), "--levels", "v,speed", "--card"]) == 2
    assert "subset of v,r,vr" in capsys.readouterr().err
    assert (folder / "eval.json").read_text() == before
    assert main(["evaluate", "--checkpoint", "checkpoints/uniform", "--n", "2", "--levels", "none", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "ood" not in res and res["steps"] == DEFAULT_STEPS


def test_evaluate_card_writes_the_measured_table(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    folder = tmp_path / "uniform"
    shutil.copytree("checkpoints/uniform", folder)
    assert main(["evaluate", "--checkpoint", str(folder), "--n", "4", "--steps", "2", "--levels", "v", "--card"]) == 0
    measured = json.loads((folder / "eval.json").read_text())
    card = (folder / "README.md").read_text()
    assert f"| ID | {measured['id']['error']:.4f} ± {measured['id']['error_se']:.4f} |" in card
    assert f"| OOD speed | {measured['ood']['v']['error']:.4f} ± {measured['ood']['v']['error_se']:.4f} |" in card
    name = yaml.safe_load((folder / "train_config.yaml").read_text())["name"]
    assert f"configs/{name}.yaml" in card and "linear decay to 0 over the last" in card
    first = measured["id"]["bias_by_speed"][0]
    assert f"- ID: [{first['speed'][0]:g}, {first['speed'][1]:g}] {first['bias']:+.3f}" in card
    by_radius = measured["id"]["error_by_radius"]
    assert sum(r["n"] for r in by_radius) == measured["id"]["n_scored"]
    assert f"[{by_radius[0]['radius'][0]:g}, {by_radius[0]['radius'][1]:g}] {by_radius[0]['error']:.3f}" in card


# the mechanism lab's presets (lab-<experiment>); lab-interpolation is a finding's uniform model, measured as one
LAB_CHECKPOINTS = [p for p in CHECKPOINTS if p.name.startswith("lab-") and p.name.removeprefix("lab-") in EXPERIMENTS]


@pytest.mark.parametrize("folder", LAB_CHECKPOINTS, ids=lambda p: p.name)
def test_lab_checkpoint_was_trained_on_its_preset_and_runs_its_experiment(folder, capsys):
    from phydemo.eval.lab import EXPERIMENTS
    from phydemo.model.train_config import TrainConfig

    name = folder.name.removeprefix("lab-")
    cfg = TrainConfig.from_yaml(folder / "train_config.yaml")
    assert cfg.data_kwargs == EXPERIMENTS[name].data_kwargs
    assert main(["experiment", name, "--checkpoint", str(folder), "--n", "2", "--steps", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 2 and sum(summary["counts"].values()) == 2


@pytest.mark.parametrize("folder", LAB_CHECKPOINTS[:1], ids=lambda p: p.name)
def test_experiment_card_writes_the_measured_tally(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    name = folder.name.removeprefix("lab-")
    assert main(["experiment", name, "--checkpoint", str(copy), "--n", "3", "--steps", "2", "--card"]) == 0
    measured = json.loads((copy / "experiment.json").read_text())
    card = (copy / "README.md").read_text()
    assert measured["n"] == 3 and measured["steps"] == 2
    for outcome, count in measured["counts"].items():
        assert f"| {outcome} | {count} | {measured['percent'][outcome]:.1f}% |" in card
    assert f"configs/{folder.name}.yaml" in card and measured["paper"] in card


@pytest.mark.parametrize("folder", CHECKPOINTS, ids=lambda p: p.name)
def test_every_shipped_card_is_what_its_files_say(folder, tmp_path):
    """A card is written from the folder's own files: after a re-measure, `phydemo card <name>` must have been run."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.safetensors"))
    assert write_card(copy).read_text() == (folder / "README.md").read_text(), f"run: phydemo card {folder.name}"


def test_every_shipped_lab_checkpoint_has_its_measured_card():
    for folder in LAB_CHECKPOINTS:
        measured = json.loads((folder / "experiment.json").read_text())
        assert measured["experiment"] == folder.name.removeprefix("lab-") and measured["n"] >= 64
        assert "| outcome | rollouts | share |" in (folder / "README.md").read_text()


def test_a_card_counts_every_cycle_a_fine_tune_was_trained_on():
    """`collision` is a fine-tune of fine-tunes: train_state.json nests one ``init_from`` per run, in the order its
    configs name them, and its card's total counts every run's steps, not only its own and its direct base's."""
    state = json.loads((ROOT / "checkpoints/collision/train_state.json").read_text())
    runs, configs, config = [], [], ROOT / "configs/collision.yaml"
    while state:
        runs.append(state)
        state = state.get("init_from")
        config = (yaml.safe_load(config.read_text()) or {}).get("init_from")
        configs.append(config)
        config = config and ROOT / config
    assert len(runs) >= 3 and configs[-1] is None  # the chain ends where the configs' chain does
    assert [r.get("config") for r in runs[1:]] == configs[:-1]
    assert f"- In all: {sum(r['step'] for r in runs):,} steps" in (ROOT / "checkpoints/collision/README.md").read_text()


def test_a_card_names_the_target_its_transformer_predicts(tmp_path):
    """The card reads the prediction target from the transformer's config, not from a fixed phrase."""
    folder = tmp_path / "uniform-32px"
    shutil.copytree(ROOT / "checkpoints/uniform-32px", folder, ignore=shutil.ignore_patterns("*.safetensors"))
    assert "adaLN-Zero, x-prediction, rectified flow" in write_card(folder).read_text()
    config = json.loads((folder / "transformer/config.json").read_text())
    (folder / "transformer/config.json").write_text(json.dumps({**config, "prediction_type": "flow"}))
    assert "adaLN-Zero, velocity prediction, rectified flow" in write_card(folder).read_text()


def test_model_card_names_a_weighted_ball_loss(tmp_path):
    assert "on latent cells of a ball (unlike an empty frame's) and within 1 cell of them weighted 10x" in \
        (ROOT / "checkpoints/uniform/README.md").read_text()  # the 128 px latent model weighs latent cells
    folder = tmp_path / "uniform"
    shutil.copytree(ROOT / "checkpoints/uniform-32px", folder)
    cfg = {**yaml.safe_load((folder / "train_config.yaml").read_text()), "ball_loss_weight": 0.0, "ball_loss_dilate": 0}
    (folder / "train_config.yaml").write_text(yaml.safe_dump(cfg))
    assert "ball pixels" not in write_card(folder).read_text()
    (folder / "train_config.yaml").write_text(yaml.safe_dump({**cfg, "ball_loss_weight": 9}, sort_keys=False))
    assert "squared error on ball pixels weighted 10x" in write_card(folder).read_text()
    (folder / "train_config.yaml").write_text(yaml.safe_dump({**cfg, "ball_loss_weight": 9, "ball_loss_dilate": 2}))
    assert "ball pixels and within 2 px of them weighted 10x" in write_card(folder).read_text()
    (folder / "train_config.yaml").write_text(yaml.safe_dump({**cfg, "ball_loss_weight": 9, "ball_loss_dilate": 2,
                                                              "ball_loss_area": 200}))
    assert ("within 2 px of them weighted 10x, a ball smaller than 200 px weighted up as if of that size"
            in write_card(folder).read_text())


def test_model_card_of_a_fine_tuned_model_states_its_whole_training(tmp_path):
    folder = tmp_path / "uniform"
    shutil.copytree(ROOT / "checkpoints/uniform", folder)
    (folder / "train_state.json").write_text(json.dumps(
        {"step": 4000, "elapsed_min": 60.0, "init_from": {"config": "configs/base.yaml", "step": 9000, "elapsed_min": 170.0}}))
    card = write_card(folder).read_text()
    assert "fine-tuned from the final weights of `configs/base.yaml` (9,000 steps, 170 minutes) for 4,000 steps" in card
    assert "In all: 13,000 steps, 230 minutes" in card and "trains `configs/base.yaml` first" in card


def test_paired_comparison_scores_the_scenes_evaluate_scores():
    """compare pairs per-scene errors; its per-scene mean must be evaluate's ID error."""
    from phydemo.eval.compare import per_scene
    from phydemo.eval.evaluate import evaluate_pipeline

    errors, clean = per_scene(str(ROOT / "checkpoints/uniform"), n=4, seed=7, steps=DEFAULT_STEPS, level=None)
    res = evaluate_pipeline(load_pipeline(ROOT / "checkpoints/uniform"), "uniform", n=4, levels=(), seed=7, progress=False)
    assert errors.shape == clean.shape == (4,)
    assert np.nanmean(errors) == pytest.approx(res["id"]["error"])
    assert clean.mean() == pytest.approx(res["id"]["clean_fraction"])


def test_compare_draws_a_lab_model_s_id_scenes_from_its_own_training_distribution(capsys, monkeypatch):
    """A lab model is compared where it was trained (its card's ID set), not on the scenario's full ranges."""
    from phydemo.eval.compare import compare, per_scene
    from phydemo.model.checkpoint import trained_data_kwargs

    own = trained_data_kwargs(ROOT / "checkpoints/lab-color-shape")
    assert own["combos"]  # red circles and blue squares only
    c = compare("lab-color-shape", "lab-color-shape", n=2, seed=7)
    errors, _ = per_scene("lab-color-shape", n=2, seed=7, steps=DEFAULT_STEPS, level=None, data_kwargs=own)
    assert c.data_kwargs == own and c.error_a == pytest.approx(np.nanmean(errors)) and c.diff == 0
    assert compare("uniform", "uniform", n=2, seed=7).data_kwargs is None
    assert compare("lab-color-shape", "lab-color-shape", n=2, seed=7, level="v").data_kwargs is None  # OOD: the scenario's
    monkeypatch.chdir(ROOT)
    assert main(["compare", "lab-color-shape", "lab-color-shape", "--n", "2"]) == 0
    assert "drawn from A's training distribution {'combos'" in capsys.readouterr().out


def test_compare_cli_samples_each_model_at_its_own_steps(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["compare", "uniform", "uniform", "--n", "3", "--steps", "1", "--steps-b", "2", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "(seed 7, A 1 sampling step, B 2), 3 scored by both" in out
    assert main(["compare", "uniform", "uniform", "--n", "3", "--steps-b", "0"]) == 2
    assert "invalid steps-b=0" in capsys.readouterr().err


def test_a_lab_checkpoint_compared_with_itself_changes_no_outcome(capsys, monkeypatch):
    """``experiment NAME --against``: the same weights on the same scenes and noise give the same tally, no changed
    rollout and a paired difference of zero on the preset's training distribution."""
    monkeypatch.chdir(ROOT)
    argv = ["experiment", "case-set1", "--checkpoint", "lab-case-set1", "--against", "lab-case-set1", "--n", "4"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["a"]["counts"] == out["b"]["counts"] and sum(out["a"]["counts"].values()) == 4
    assert out["changes"] == [] and out["b"]["checkpoint"] == "lab-case-set1"
    d = out["in_distribution"]
    assert d["n"] == 4 and d["diff"] == 0 and d["error_a"] == d["error_b"] and d["clean_only_b"] == 0
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "on the same 4 test rollouts" in text and "outcome changed in 0 of 4" in text
    assert "B - A per scene +0.0000" in text
    assert main(["experiment", "interpolation", "--against", "lab-case-set1"]) == 2
    assert "invalid against='lab-case-set1'" in capsys.readouterr().err
