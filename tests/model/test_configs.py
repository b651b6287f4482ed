"""configs/: one file per shipped checkpoint (or one a finding will train), overriding only what differs from the
defaults, reproducing it."""

from dataclasses import asdict, fields
from pathlib import Path

import pytest
import yaml

from phydemo.model.dit import MODEL_PRESETS
from phydemo.model.train_config import TrainConfig, resolve_model

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in (ROOT / "checkpoints").iterdir() if (p / "model_index.json").is_file())


def test_configs_are_the_shipped_checkpoints_their_bases_the_findings_and_the_autoencoder():
    """No config is history: each trains a shipped checkpoint, the base of one, or a checkpoint that a finding
    (``phydemo experiment <finding>``) trains and ships when it is missing, or an autoencoder (trained before it ships)."""
    from phydemo.eval.findings import FINDINGS

    names = {p.stem for p in (ROOT / "configs").glob("*.yaml")}
    planned = {c for f in FINDINGS.values() for c in f.checkpoints}
    upsamplers = {yaml.safe_load(p.read_text())["name"] for p in (ROOT / "checkpoints").glob("*/upsampler/train_config.yaml")}
    # an autoencoder's config may be training before it ships (test_each_autoencoder_config_reproduces_... holds the
    # shipped ones to their checkpoints)
    autoencoders = {n for n in names if n.startswith("autoencoder")}
    bases = {Path(TrainConfig.from_yaml(ROOT / f"configs/{n}.yaml").init_from).stem
             for n in names - autoencoders - upsamplers} - {""}
    assert names == set(SHIPPED) | bases | planned | upsamplers | autoencoders


@pytest.mark.parametrize("name", SHIPPED)
def test_each_config_reproduces_its_checkpoint(name):
    """The options the checkpoint was trained with (its train_config.yaml) are exactly what its config gives."""
    recorded = yaml.safe_load((ROOT / "checkpoints" / name / "train_config.yaml").read_text())
    assert TrainConfig.from_yaml(ROOT / f"configs/{name}.yaml") == TrainConfig(**recorded)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_configs_override_only_what_differs_from_the_defaults(path):
    from phydemo.model.train_autoencoder import AutoencoderConfig
    from phydemo.model.train_upsampler import UpsamplerConfig

    raw = yaml.safe_load(path.read_text())
    kind = AutoencoderConfig if path.stem.startswith("autoencoder") else \
        UpsamplerConfig if path.stem.startswith("upsampler-") else TrainConfig
    defaults = {f.name: getattr(kind(name="x"), f.name) for f in fields(kind)}
    restated = [k for k, v in raw.items() if k != "name" and (resolve_model(v) if k == "model" else v) == defaults[k]]
    assert restated == [], f"{path.name} restates defaults: {restated}"
    assert raw["name"] == path.stem


@pytest.mark.parametrize("name", sorted(p.parent.name for p in (ROOT / "checkpoints").glob("autoencoder*/train_config.yaml")))
def test_each_autoencoder_config_reproduces_its_shipped_autoencoder(name):
    """(Options added since an autoencoder was trained take their defaults, which reproduce it.)"""
    from phydemo.model.train_autoencoder import AutoencoderConfig

    recorded = yaml.safe_load((ROOT / "checkpoints" / name / "train_config.yaml").read_text())
    assert AutoencoderConfig.from_yaml(ROOT / f"configs/{name}.yaml") == AutoencoderConfig(**recorded)


@pytest.mark.parametrize("path", sorted((ROOT / "checkpoints").glob("*/upsampler/train_config.yaml")),
                         ids=lambda p: p.parts[-3])
def test_each_upsampler_config_reproduces_its_shipped_upsampler(path):
    from phydemo.model.train_upsampler import UpsamplerConfig

    recorded = yaml.safe_load(path.read_text())
    assert asdict(UpsamplerConfig.from_yaml(ROOT / f"configs/{recorded['name']}.yaml")) == recorded


def test_model_presets_and_overrides():
    assert resolve_model("pixel-32") == MODEL_PRESETS["pixel-32"]
    assert resolve_model({"preset": "pixel-32", "depth": 2})["depth"] == 2
    assert resolve_model({"hidden_size": 32}) == {"hidden_size": 32}
    with pytest.raises(ValueError, match="allowed one of pixel-32"):
        TrainConfig(name="x", model="pixel-999")
