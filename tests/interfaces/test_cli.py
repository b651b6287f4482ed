import json
import re
import subprocess
import sys

import pytest
import yaml

from phydemo.cli import main

BAD = [
    (["--scenario", "foo"], "scenario"),
    (["--color", "pink"], "color"),
    (["--shape", "star"], "shape"),
    (["--speed", "nan"], "speed"),
    (["--speed", "inf"], "speed"),
    (["--speed", "-1"], "speed"),
    (["--speed", "1e9"], "speed"),
    (["--radius", "0"], "radius"),
    (["--radius", "40"], "radius"),
    (["--x", "0.1"], "x"),
    (["--y", "9.9"], "y"),
    (["--speed", "abc"], "speed"),
    (["--scenario", "collision", "--color2", "red"], "color2"),
]


@pytest.mark.parametrize("args,name", BAD)
def test_simulate_bad_input(tmp_path, capsys, args, name):
    out = tmp_path / "gt.mp4"
    assert main(["simulate", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: invalid " + name + "=") and "allowed" in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_video_and_json(tmp_path):
    out = tmp_path / "gt.mp4"
    cmd = [sys.executable, "-m", "phydemo", "simulate", "--scenario", "uniform", "--speed", "3.0", "--radius", "1.0",
           "--color", "red", "--shape", "circle", "--out", str(out), "--json"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    d = json.loads(res.stdout)
    assert len(d["true_positions"]) == 32 and d["true_velocities"][5][0] == [3.0, 0.0]
    vx = [v[0][0] for v in d["parsed_velocities"] if v[0][0] is not None]
    assert abs(sum(vx) / len(vx) - 3.0) < 0.05
    from phydemo.video import read_video

    frames, codec = read_video(out)
    assert codec == "h264" and len(frames) == 32


def test_simulate_exit_code_from_process(tmp_path):
    res = subprocess.run([sys.executable, "-m", "phydemo", "simulate", "--speed", "nan", "--out", str(tmp_path / "a.mp4")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "speed" in res.stderr
    assert not (tmp_path / "a.mp4").exists()


def test_data_cli_builds_a_split(tmp_path):
    assert main(["data", "--scenario", "parabola", "--split", "ood_eval", "--level", "vr", "--n", "5",
                 "--resolution", "32", "--out", str(tmp_path), "--workers", "1"]) == 0
    (f,) = tmp_path.iterdir()
    assert f.name == "parabola-ood_eval-vr-n5-r32-s0.npz"


def test_data_cli_bad_input(tmp_path, capsys):
    assert main(["data", "--scenario", "nope", "--out", str(tmp_path)]) == 2
    assert main(["data", "--n", "0", "--out", str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("override,needle", [
    ("anneal_at=[99999]", "anneal_at"),     # past max_steps
    ("anneal_at=5000", "anneal_at"),        # not a list
    ("final_weights=best", "final_weights"),
    ("nonsense=1", "KEY=VALUE"),
    ("lr=fast", "lr='fast': expected a number"),  # not a number: named, before torch sees it
    ("max_steps=2.5", "max_steps=2.5: expected a whole number"),
])
def test_train_cli_validates_set_overrides_like_the_config_file(tmp_path, capsys, override, needle):
    cfg = tmp_path / "x.yaml"
    cfg.write_text(f"name: x\noutput_dir: {tmp_path}/runs\ndata_dir: {tmp_path}/data\nmax_steps: 10\n")
    assert main(["train", "--config", str(cfg), "--set", override]) == 2
    assert needle in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]  # refused before any data or run folder


def test_a_number_yaml_reads_as_text_is_read_as_the_options_number():
    """PyYAML (YAML 1.1) reads 6e-4, without a dot, as the string '6e-4': a numeric option takes it as the number."""
    import dataclasses

    from phydemo.model.train_config import TrainConfig

    assert yaml.safe_load("6e-4") == "6e-4"
    cfg = dataclasses.replace(TrainConfig(name="x"), lr=yaml.safe_load("6e-4"), max_steps=yaml.safe_load("'300'"))
    assert cfg.lr == 6e-4 and cfg.max_steps == 300
    from phydemo.model.train_autoencoder import AutoencoderConfig
    from phydemo.model.train_upsampler import UpsamplerConfig

    for frame_config in (AutoencoderConfig, UpsamplerConfig):  # the frame models' configs alike
        assert frame_config(name="x", lr="6e-4").lr == 6e-4
        with pytest.raises(ValueError, match="scenes='many': expected a whole number"):
            frame_config(name="x", scenes="many")


@pytest.mark.parametrize("command,checkpoint,wanted", [
    ("upsampler-floor", "uniform", "FrameUpsampler"),  # a latent checkpoint: no upsampler/
    ("autoencoder-floor", "collision", "FrameAutoencoder"),  # a cascade: no vae/
])
def test_floor_commands_name_the_config_that_is_not_their_stage(capsys, command, checkpoint, wanted):
    assert main([command, "--checkpoint", checkpoint, "--n", "2", "--levels", "none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "config.json" in err and wanted in err and "\n" not in err


def test_autoencoder_floor_reads_a_checkpoints_vae(capsys):
    """A latent checkpoint's name stands for its vae/: the floor of its autoencoder on two uniform ID scenes."""
    assert main(["autoencoder-floor", "--checkpoint", "uniform", "--n", "2", "--levels", "none", "--scenarios",
                 "uniform", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert list(table) == ["uniform"] and list(table["uniform"]) == ["ID"]
    assert table["uniform"]["ID"]["n_scored"] == 2 and 0 < table["uniform"]["ID"]["through"] < 0.01


def test_experiment_help_names_every_experiment_and_finding(capsys):
    from phydemo.eval.findings import FINDINGS
    from phydemo.eval.lab import EXPERIMENTS
    with pytest.raises(SystemExit):
        main(["experiment", "--help"])
    text = re.sub(r"-\s+", "-", capsys.readouterr().out)  # argparse wraps lines after hyphens
    missing = [name for name in [*EXPERIMENTS, *FINDINGS] if name not in text]
    assert missing == []
