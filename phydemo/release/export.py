"""``phydemo export runs/<name> checkpoints/<name>``: a training run's final checkpoint as a shipped folder.

The folder holds the pipeline (weights, configs, the training distribution in model_index.json), the training config
and state, the training log (and the base run's log for a fine-tune), the index of its training cases and a Hub model
card. It is checked to load before
it replaces anything, and written beside its destination first, so a failed export leaves the old folder intact.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import yaml

from phydemo.errors import CheckpointError
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.checkpoint import checkpoint_world, load_pipeline, resolve_checkpoint
from phydemo.model.pipeline import check_latent_shape
from phydemo.model.train_config import TrainConfig
from phydemo.model.upsampler import FrameUpsampler
from phydemo.report import write_card
from phydemo.world.training_index import TrainingIndex

MAX_FILE_BYTES = 10 * 1024 * 1024  # every shipped file stays under 10 MB
PIPELINE_FILES = ("model_index.json", "transformer", "scheduler", "train_config.yaml", "train_state.json")
BASE_RECORDS = ("train_config.yaml", "train_state.json", "train_log.jsonl", "base_train_log.jsonl", "training_index.npz")
# a frame model's run checkpoint (the autoencoder's, an upsampler's): weights, config and the records of its training
FRAME_MODEL_FILES = ("config.json", "diffusion_pytorch_model.safetensors", "train_config.yaml", "train_state.json")


def _files_of(src: Path) -> tuple[str, ...]:
    """What a run's checkpoint ships, after checking that it loads (the error names the file)."""
    if (src / "model_index.json").is_file() or not (src / "config.json").is_file():
        names = PIPELINE_FILES + (("vae",) if (src / "vae").is_dir() else ())  # a latent DiT ships its autoencoder
        loader = lambda: load_pipeline(src, device="cpu")  # noqa: E731
    else:
        names = FRAME_MODEL_FILES
        loader = lambda: FrameAutoencoder.from_pretrained(src)  # noqa: E731
    for name in names:
        if not (src / name).exists():
            raise CheckpointError(f"{src / name}: missing (is {src.parent} a finished training run?)")
    try:
        loader()
    except CheckpointError:
        raise
    except (OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{src}: cannot be loaded ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    return names


def export_run(run_dir: str | Path, dest: str | Path) -> Path:
    run_dir, dest = Path(run_dir), Path(dest)
    src = run_dir / "checkpoint"
    names = _files_of(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for name in names:
            copy = shutil.copytree if (src / name).is_dir() else shutil.copy2
            copy(src / name, staging / name)
        if (run_dir / "log.jsonl").is_file():
            shutil.copy2(run_dir / "log.jsonl", staging / "train_log.jsonl")
        base_log = _base_run_log(staging)
        if base_log is not None:
            shutil.copy2(base_log, staging / "base_train_log.jsonl")
        if "model_index.json" in names and checkpoint_world(staging) == "balls":  # nearest training balls
            write_training_index(staging)
        _publish(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _publish(staging: Path, dest: Path) -> None:
    """Write the card, check sizes and permissions, and swap the staged folder in for ``dest`` in one rename."""
    write_card(staging, dest.name)
    too_big = [p for p in staging.rglob("*") if p.is_file() and p.stat().st_size >= MAX_FILE_BYTES]
    if too_big:
        raise CheckpointError(f"{too_big[0]}: {too_big[0].stat().st_size / 2**20:.1f} MB; shipped files stay under 10 MB")
    staging.chmod(0o755)  # mkdtemp makes it private; a shipped folder is readable like the rest of the repository
    for f in staging.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    old = dest.with_name(f".{dest.name}.old")
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def export_cascade(base: str | Path, upsampler: str | Path, dest: str | Path) -> Path:
    """``phydemo cascade BASE UPSAMPLER DEST``: a shipped pixel DiT (``base``, a folder or a name) and a trained
    ``FrameUpsampler`` (``runs/<name>/checkpoint``) as one checkpoint folder that takes and returns full-resolution
    frames. The base's records (training config, state, logs, index) come along; its measurements do not (measure the
    cascade: ``phydemo evaluate --checkpoint DEST --card``)."""
    base, upsampler, dest = resolve_checkpoint(base), Path(upsampler), Path(dest)
    pipe = load_pipeline(base, device="cpu")
    if pipe.vae is not None or pipe.upsampler is not None:
        raise CheckpointError(f"{base}: a latent model or a cascade already; a cascade starts from a pixel DiT")
    for name in FRAME_MODEL_FILES:
        if not (upsampler / name).is_file():
            raise CheckpointError(f"{upsampler / name}: missing (is {upsampler} a finished upsampler run's checkpoint?)")
    try:
        up = FrameUpsampler.from_pretrained(upsampler, use_safetensors=True)
        check_latent_shape(pipe.transformer, None, up)
    except (OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{upsampler} with {base}: {str(e).splitlines()[0]}") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:  # the base's files as they are (its fp16 weights), the upsampler's beside them, and both in the index
        for name in ("transformer", "scheduler", *BASE_RECORDS):
            if (base / name).is_dir():
                shutil.copytree(base / name, staging / name)
            elif (base / name).is_file():
                shutil.copy2(base / name, staging / name)
        (staging / "upsampler").mkdir()
        for name in (*FRAME_MODEL_FILES, "floor.json"):  # its floor, where measured (phydemo upsampler-floor --save)
            if (upsampler / name).is_file():
                shutil.copy2(upsampler / name, staging / "upsampler" / name)
        index = json.loads((base / "model_index.json").read_text())
        index["upsampler"] = [FrameUpsampler.__module__, FrameUpsampler.__name__]
        (staging / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
        load_pipeline(staging, device="cpu")  # it loads, before it replaces anything
        _publish(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def write_training_index(folder: str | Path) -> Path:
    """The folder's training_index.npz, built from the data options in its train_config.yaml."""
    cfg = yaml.safe_load((Path(folder) / "train_config.yaml").read_text())
    index = TrainingIndex.build(cfg["scenario"], cfg["train_size"], cfg.get("data_seed", 0), cfg.get("data_kwargs") or {})
    return index.save(folder)


def _base_run_log(folder: Path) -> Path | None:
    """The training log of the run a fine-tune started from (``init_from``): its run's log where that run is on this
    machine, else the log shipped with its checkpoint (a clone has the shipped base, not its run)."""
    init_from = (yaml.safe_load((folder / "train_config.yaml").read_text()) or {}).get("init_from")
    if not init_from or not json.loads((folder / "train_state.json").read_text()).get("init_from"):
        return None
    base = TrainConfig.from_yaml(init_from)
    for log in (base.run_dir / "log.jsonl", resolve_checkpoint(base.name) / "train_log.jsonl"):
        if log.is_file():
            return log
    return None
