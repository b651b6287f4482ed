"""Checkpoint folders: where the shipped ones live, the device to run on, and loading with clear errors.

A folder is a saved ``PhyDiTPipeline``: ``model_index.json`` (which also holds the training distribution, so a request
can be labelled in or out of distribution), ``transformer/`` (``config.json``, ``diffusion_pytorch_model.safetensors``),
``scheduler/`` and, for a latent model, ``vae/`` (the frozen ``FrameAutoencoder``), or, for a cascade, ``upsampler/``
(the ``FrameUpsampler`` after a pixel DiT). Weights load from safetensors only, never from pickle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
import yaml
from diffusers import FlowMatchEulerDiscreteScheduler
from safetensors import SafetensorError

from phydemo.errors import CheckpointError
from phydemo.model.autoencoder import FrameAutoencoder
from phydemo.model.bf16 import bf16_is_fast
from phydemo.model.dit import VideoDiT
from phydemo.model.pipeline import PhyDiTPipeline
from phydemo.model.upsampler import FrameUpsampler
from phydemo.world.distribution import PhyreDistribution, TrainingDistribution, distribution_from_dict

# the shipped checkpoints: $PHYDEMO_CHECKPOINTS, else checkpoints/ beside the package (a clone, or pip install -e)
CHECKPOINT_ROOT = Path(os.environ.get("PHYDEMO_CHECKPOINTS", Path(__file__).resolve().parents[2] / "checkpoints"))
INDEX_FILE = "model_index.json"
WEIGHTS_FILE = "transformer/diffusion_pytorch_model.safetensors"
CONFIG_FILE = "transformer/config.json"
VAE_FOLDER = "vae"
UPSAMPLER_FOLDER = "upsampler"


def default_device() -> str:
    """The device every command and the app run on: the GPU when there is one."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """A folder given as a path, or a shipped checkpoint given by name (``uniform``): works from any directory."""
    path = Path(name_or_path)
    if path.is_dir() or path.is_absolute() or len(path.parts) > 1:
        return path
    shipped = CHECKPOINT_ROOT / path
    return shipped if shipped.is_dir() else path


WORLDS = ("balls", "phyre")


def checkpoint_world(folder: str | Path) -> str:
    """``phyre`` for a model of PHYRE-like scenes, ``balls`` for every other (read from its model_index.json)."""
    stored = _read_json(Path(folder) / INDEX_FILE).get("training_distribution") or {}
    return "phyre" if stored.get("scenario") == "phyre" else "balls"


def shipped_checkpoints(root: str | Path = CHECKPOINT_ROOT, world: str | None = "balls") -> list[Path]:
    """The checkpoint folders under ``root`` (those holding a model_index.json), by name: of one ``world``
    (``balls``, the Rollout, Sweep and Lab models; ``phyre``, the Scenes models) or, with None, all."""
    if world is not None and world not in WORLDS:
        raise ValueError(f"world={world!r}: allowed {', '.join(WORLDS)} or None")
    root = Path(root)
    found = sorted(p for p in root.iterdir() if (p / INDEX_FILE).is_file()) if root.is_dir() else []
    return [p for p in found if world is None or checkpoint_world(p) == world]


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"{path}: missing")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    return data


def trained_data_kwargs(folder: str | Path) -> dict:
    """The ``data_kwargs`` a checkpoint was trained with (its own training distribution: a lab preset's combinations,
    the hole model's speeds), ``{}`` for the scenario's full ID ranges or where no training config is kept."""
    path = Path(folder) / "train_config.yaml"
    return dict((yaml.safe_load(path.read_text()) or {}).get("data_kwargs") or {}) if path.is_file() else {}


def checkpoint_state(folder: str | Path) -> dict:
    """A checkpoint folder's train_state.json (steps, minutes, the runs it was fine-tuned from), or {} where it has none."""
    path = Path(folder) / "train_state.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def total_training(state: dict) -> tuple[int, float]:
    """Steps and wall-clock minutes of a model's whole training, from its train_state.json: its own run and every run
    it was fine-tuned from (``init_from`` nests one record per cycle)."""
    steps, minutes = 0, 0.0
    while state:
        steps, minutes = steps + state.get("step", 0), minutes + state.get("elapsed_min", 0)
        state = state.get("init_from")
    return steps, minutes


def read_training_distribution(folder: str | Path) -> TrainingDistribution | PhyreDistribution:
    """The distribution stored in a folder's model_index.json (CheckpointError names the file and the key)."""
    path = Path(folder) / INDEX_FILE
    stored = _read_json(path).get("training_distribution")
    if stored is None:
        raise CheckpointError(f"{path}: no training_distribution (every checkpoint carries what it was trained on)")
    try:
        return distribution_from_dict(stored)
    except ValueError as e:
        raise CheckpointError(f"{path}: training_distribution: {e}") from None


def load_pipeline(folder: str | Path, device: str | torch.device | None = None,
                  dtype: torch.dtype = torch.float32) -> PhyDiTPipeline:
    """Load a checkpoint folder (a path, or a shipped checkpoint's name) as a ``PhyDiTPipeline``."""
    folder = resolve_checkpoint(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a checkpoint folder (no such directory)")
    dist = read_training_distribution(folder)
    cfg_path, weights = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    config = _read_json(cfg_path)
    if config.get("_class_name") != VideoDiT.__name__:
        raise CheckpointError(f"{cfg_path}: describes {config.get('_class_name')!r}, not a {VideoDiT.__name__}")
    if not weights.is_file():
        raise CheckpointError(f"{weights}: missing")
    try:
        transformer = VideoDiT.from_pretrained(folder, subfolder="transformer", use_safetensors=True,
                                               torch_dtype=dtype, low_cpu_mem_usage=False)
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{weights}: cannot be loaded into the model of {cfg_path} ({msg})") from None
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler") \
        if (folder / "scheduler").is_dir() else FlowMatchEulerDiscreteScheduler(shift=1.0)
    vae = _load_vae(folder, transformer, dist)
    upsampler = _load_upsampler(folder)
    try:
        pipe = PhyDiTPipeline(transformer=transformer.eval(), scheduler=scheduler, vae=vae, upsampler=upsampler,
                              training_distribution=dist.to_dict())
    except ValueError as e:
        other = UPSAMPLER_FOLDER if upsampler is not None else VAE_FOLDER
        raise CheckpointError(f"{cfg_path} and {folder / other / 'config.json'}: {e}") from None
    return pipe.to(device or default_device())


def load_serving_pipeline(folder: str | Path, device: str | torch.device) -> PhyDiTPipeline:
    """A checkpoint as the app serves it: no progress bars, and its frame model (the vae's decoder or the cascade's
    upsampler) in bfloat16 where that is fast (``bf16_is_fast``), for frames within a few of 255 levels."""
    pipe = load_pipeline(folder, device=device)
    pipe.set_progress_bar_config(disable=True)
    for frame_model in (pipe.vae, pipe.upsampler):
        if frame_model is not None and bf16_is_fast(device):
            frame_model.enable_bf16()
    return pipe


def _load_vae(folder: Path, transformer: VideoDiT, dist: TrainingDistribution) -> FrameAutoencoder | None:
    """The folder's ``vae/``: required where the transformer works on latents, of the distribution's resolution."""
    vae_dir = folder / VAE_FOLDER
    if not vae_dir.is_dir():
        if transformer.config.in_channels != 3:
            raise CheckpointError(f"{vae_dir}: missing (the transformer works on {transformer.config.in_channels}-channel "
                                  "latents, so the folder needs the autoencoder that made them)")
        return None
    vae = _load_component(folder, VAE_FOLDER, FrameAutoencoder)
    if vae.config.sample_size != dist.resolution:
        raise CheckpointError(f"{vae_dir / 'config.json'}: an autoencoder for {vae.config.sample_size} px frames, but "
                              f"the model was trained at {dist.resolution} px ({folder / INDEX_FILE})")
    return vae


def _load_upsampler(folder: Path) -> FrameUpsampler | None:
    """The folder's ``upsampler/``, where it is a cascade (the shapes are checked against the transformer's after)."""
    up_dir = folder / UPSAMPLER_FOLDER
    if not up_dir.is_dir():
        return None
    return _load_component(folder, UPSAMPLER_FOLDER, FrameUpsampler)


def load_frame_model(folder: str | Path, cls: type[FrameAutoencoder] | type[FrameUpsampler]):
    """A frame model saved on its own (``folder/config.json``) or as a checkpoint's component (its ``vae/`` or
    ``upsampler/``), a path or a shipped name: the model and the folder it was read from (CheckpointError names the
    config that does not describe a ``cls``)."""
    folder = resolve_checkpoint(folder)
    sub = VAE_FOLDER if cls is FrameAutoencoder else UPSAMPLER_FOLDER
    if (folder / sub / "config.json").is_file():
        folder = folder / sub
    elif not (folder / "config.json").is_file():
        raise CheckpointError(f"{folder}: holds no {cls.__name__} (neither {folder / sub / 'config.json'} nor "
                              f"{folder / 'config.json'})")
    return _load_component(folder.parent, folder.name, cls), folder


def _load_component(folder: Path, subfolder: str, cls):
    """A pipeline component saved under ``folder/subfolder`` (safetensors only), with the file named on any error."""
    path = folder / subfolder
    config = _read_json(path / "config.json")
    if config.get("_class_name") != cls.__name__:
        raise CheckpointError(f"{path / 'config.json'}: describes {config.get('_class_name')!r}, not a {cls.__name__}")
    try:
        return cls.from_pretrained(folder, subfolder=subfolder, use_safetensors=True).eval()
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: cannot be loaded ({msg})") from None
