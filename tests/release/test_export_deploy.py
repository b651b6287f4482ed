"""Shipping: export a training run as a checkpoint folder with a Hub model card; deploy the app as a Space."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from phydemo.errors import CheckpointError, DeployError, InputError
from phydemo.model.checkpoint import load_pipeline
from phydemo.model.train import train
from phydemo.model.train_config import TrainConfig
from phydemo.release.deploy import deploy, space_files, stage_space
from phydemo.release.export import export_run

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = sorted(p for p in (ROOT / "checkpoints").iterdir() if (p / "model_index.json").is_file())
TINY = {"patch_size": 8, "patch_size_t": 4, "hidden_size": 32, "depth": 1, "num_heads": 2}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(name="tiny", train_size=8, resolution=16, autoencoder="", batch_size=4, warmup_steps=1, max_steps=2, model=TINY,
                      log_every=1, ckpt_every=2, output_dir=str(tmp / "runs"), data_dir=str(tmp / "data"))
    train(cfg)
    return tmp / "runs" / "tiny"


def test_export_makes_a_loadable_folder_with_its_log_and_a_hub_card(tiny_run, tmp_path):
    dest = export_run(tiny_run, tmp_path / "checkpoints" / "tiny")
    assert sorted(p.name for p in dest.iterdir()) == ["README.md", "model_index.json", "scheduler", "train_config.yaml",
                                                      "train_log.jsonl", "train_state.json", "training_index.npz",
                                                      "transformer"]
    assert load_pipeline(dest).training_distribution.scenario == "uniform"
    assert (dest / "train_log.jsonl").read_text() == (tiny_run / "log.jsonl").read_text()
    card = ModelCard.load(dest / "README.md")
    assert card.data.library_name == "diffusers" and card.data.license == "apache-2.0"
    assert "Not measured yet" in card.text and "phydemo export runs/tiny checkpoints/tiny`" in card.text
    assert card.data.model_name == "phydemo-tiny" and "# tiny:" in card.text  # its own name, not the staging folder's
    assert not list(tmp_path.joinpath("checkpoints").glob(".*"))  # no staging folder left behind
    assert dest.stat().st_mode & 0o777 == 0o755 and (dest / "model_index.json").stat().st_mode & 0o777 == 0o644


def test_export_refuses_an_unfinished_run_and_keeps_the_old_folder(tiny_run, tmp_path):
    dest = export_run(tiny_run, tmp_path / "tiny")
    before = (dest / "README.md").read_text()
    broken = tmp_path / "broken"
    shutil.copytree(tiny_run, broken)
    (broken / "checkpoint" / "transformer" / "diffusion_pytorch_model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="safetensors"):
        export_run(broken, dest)
    shutil.rmtree(broken / "checkpoint" / "scheduler")
    with pytest.raises(CheckpointError, match="scheduler: missing"):
        export_run(broken, dest)
    assert (dest / "README.md").read_text() == before


@pytest.mark.parametrize("folder", CHECKPOINTS, ids=lambda p: p.name)
def test_every_shipped_card_is_a_hub_model_card_with_its_measured_metrics(folder):
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "diffusers" and "phyworld" in card.data.tags
    if (folder / "eval.json").exists():
        measured = json.loads((folder / "eval.json").read_text())
        by_split = {r.dataset_split: r.metric_value for r in card.data.eval_results}
        if "in_template" in measured:  # a PHYRE-like model: its judged abnormal rate in and out of template
            for split in ("in_template", "out_of_template"):
                assert by_split[split] == round(measured[split]["abnormal"], 4)
        else:
            assert by_split["ID"] == round(measured["id"]["error"], 5)
            assert by_split["OOD speed"] == round(measured["ood"]["v"]["error"], 5)
        assert measured["checkpoint"] == folder.name  # a name, never a machine path
    config = yaml.safe_load((folder / "train_config.yaml").read_text())
    assert f"configs/{config['name']}.yaml" in card.text


def test_the_space_gets_only_what_the_app_needs(tmp_path):
    files = space_files()
    assert {"app.py", "requirements.txt", ".gitattributes", "phydemo/app/demo.py", "assets/screenshot.png",
            "checkpoints/uniform/transformer/diffusion_pytorch_model.safetensors"} <= set(files)
    assert not [f for f in files if f.startswith(("tests/", "runs/", "data/", "docs/", ".venv", "configs/"))]
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    staged = stage_space(tmp_path)
    header = (tmp_path / "README.md").read_text().split("---")[1]
    meta = yaml.safe_load(header)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["sdk_version"]
    assert "README.md" in staged and (tmp_path / "checkpoints/uniform/model_index.json").is_file()
    lfs = (ROOT / ".gitattributes").read_text()
    assert "*.safetensors filter=lfs" in lfs and "*.png filter=lfs" in lfs


def test_deploy_without_network_fails_with_a_clear_error():
    with pytest.raises(DeployError, match="cannot deploy to the Space alice/phydemo.*check the network") as e:
        deploy("alice/phydemo", token="hf_fake", endpoint="http://127.0.0.1:9")  # nothing listens there
    assert "\n" not in str(e.value)
    with pytest.raises(InputError, match="space"):
        deploy("not a space")


def test_evaluate_card_writes_the_table_ship_writes_and_a_card_that_reports_it(tiny_run, tmp_path, capsys):
    from phydemo.cli import main

    dest = export_run(tiny_run, tmp_path / "tiny")
    assert main(["evaluate", "--checkpoint", str(dest), "--n", "2", "--levels", "v", "--batch-size", "2", "--card",
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((dest / "eval.json").read_text())
    assert saved == printed and saved["checkpoint"] == "tiny" and saved["n"] == 2 and list(saved["ood"]) == ["v"]
    assert "Not measured yet" not in (dest / "README.md").read_text()
    assert main(["evaluate", "--checkpoint", str(dest), "--n", "2", "--card", "--seed", "1"]) == 2  # not the card's scenes


def test_a_model_trained_on_part_of_the_ranges_is_evaluated_on_what_it_saw(tmp_path):
    """eval.json's ID row of a restricted model (here speeds in [1, 1.5] only) comes from its own training
    distribution, says so, and the card says so; OOD stays the scenario's."""
    from phydemo.eval import evaluate as ev
    from phydemo.release.ship import write_evaluation
    from phydemo.report import write_card

    kw = {"speed_range": [[1.0, 1.5]]}
    cfg = TrainConfig(name="tiny-part", train_size=8, resolution=16, autoencoder="", batch_size=4, warmup_steps=1,
                      max_steps=2, model=TINY, log_every=1, ckpt_every=2, data_kwargs=kw,
                      output_dir=str(tmp_path / "runs"), data_dir=str(tmp_path / "data"))
    dest = export_run(train(cfg).parent, tmp_path / "tiny-part")
    seen = []
    real = ev.sample_scenes

    def spy(*args, **kwargs):
        videos, gen = real(*args, **kwargs)
        seen.append((args[4], [p.speed for p in videos.params]))
        return videos, gen

    ev.sample_scenes = spy
    try:
        saved = write_evaluation(dest, load_pipeline(dest), n=4, levels=("v",), progress=False)
    finally:
        ev.sample_scenes = real
    (_, id_speeds), (level, ood_speeds) = seen
    assert all(1.0 <= v <= 1.5 for v in id_speeds) and level == "v" and not all(1.0 <= v <= 1.5 for v in ood_speeds)
    assert saved["data_kwargs"] == kw and json.loads((dest / "eval.json").read_text())["data_kwargs"] == kw
    write_card(dest)
    assert "ID drawn from its own training distribution" in (dest / "README.md").read_text()


def test_a_fine_tune_carries_its_bases_log_from_the_run_or_else_from_the_shipped_base(tmp_path):
    """The base's log comes from its run folder where that run is here, else from the shipped checkpoint of that name
    (a clone has checkpoints/uniform-3k, not runs/uniform-3k)."""
    from phydemo.release.export import _base_run_log

    base_cfg = tmp_path / "uniform-3k.yaml"
    base_cfg.write_text(f"name: uniform-3k\noutput_dir: {tmp_path / 'runs'}\n")
    folder = tmp_path / "fine"
    folder.mkdir()
    (folder / "train_config.yaml").write_text(f"name: fine\ninit_from: {base_cfg}\n")
    (folder / "train_state.json").write_text(json.dumps({"step": 2, "init_from": {"config": str(base_cfg)}}))
    assert _base_run_log(folder) == ROOT / "checkpoints/uniform-3k/train_log.jsonl"  # no run here: the shipped log
    run_log = tmp_path / "runs/uniform-3k/log.jsonl"
    run_log.parent.mkdir(parents=True)
    run_log.write_text('{"step": 1}\n')
    assert _base_run_log(folder) == run_log
    (folder / "train_state.json").write_text(json.dumps({"step": 2}))  # trained from scratch after all
    assert _base_run_log(folder) is None
