"""Shipped checkpoint folders: loading with clear errors, and their training distribution.

A folder is a saved ``PhyDiTPipeline`` (``model_index.json``, ``transformer/`` with ``config.json`` and
``diffusion_pytorch_model.safetensors``, ``scheduler/``) plus ``training_distribution.json``: what the
model saw in training, so a request can be labelled in- or out-of-distribution.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from phydemo.world.sampling import RANGES
from phydemo.world.scenes import SHAPES

DISTRIBUTION_FILE = "training_distribution.json"
WEIGHTS_FILE = "transformer/diffusion_pytorch_model.safetensors"
CONFIG_FILE = "transformer/config.json"


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be used; the message names the file and the problem."""


def training_distribution(cfg) -> dict:
    """Machine-readable description of a training run's data distribution."""
    r = RANGES[cfg.scenario]
    kw = cfg.data_kwargs
    combos = kw.get("combos") or [{}]

    def union(key, default):
        return sorted({tuple(map(float, iv)) for c in combos for iv in (c.get(key) or kw.get(key) or [default])})

    colors = ["red", "blue"] if cfg.scenario == "collision" else \
        sorted({c.get("color") or kw.get("color") or "red" for c in combos})
    dist = {
        "scenario": cfg.scenario,
        "speed": [list(iv) for iv in union("speed_range", r.speed_id)],
        "radius": [list(iv) for iv in union("radius_range", r.radius_id)],
        "colors": colors,
        "shapes": sorted({c.get("shape") or kw.get("shape") or "circle" for c in combos}),
        "directions": list(kw.get("directions", [1])),
        "num_frames": 32,
        "cond_frames": 3,
        "resolution": cfg.resolution,
        "train_size": cfg.train_size,
        "ood_speed": [list(iv) for iv in r.speed_ood],
        "ood_radius": [list(iv) for iv in r.radius_ood],
    }
    if kw.get("combos"):
        dist["combos"] = kw["combos"]
    return dist


def write_training_distribution(folder: Path, cfg) -> None:
    (Path(folder) / DISTRIBUTION_FILE).write_text(json.dumps(training_distribution(cfg), indent=2))


def read_training_distribution(folder: str | Path) -> dict:
    path = Path(folder) / DISTRIBUTION_FILE
    try:
        dist = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (every checkpoint folder carries its training distribution)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None
    need = {"scenario", "speed", "radius", "colors", "shapes", "resolution"}
    if not isinstance(dist, dict) or need - set(dist):
        raise CheckpointError(f"{path}: missing keys {sorted(need - set(dist) if isinstance(dist, dict) else need)}")
    if dist["scenario"] not in RANGES or not set(dist["shapes"]) <= set(SHAPES):
        raise CheckpointError(f"{path}: unknown scenario or shape in {dist['scenario']!r}, {dist['shapes']!r}")
    return dist


def load_pipeline(folder: str | Path, device: str | torch.device | None = None, dtype: torch.dtype = torch.float32):
    """Load a checkpoint folder as a ``PhyDiTPipeline`` (safetensors only, never pickle)."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    from safetensors import SafetensorError

    from phydemo.model.dit import VideoDiT
    from phydemo.model.pipeline import PhyDiTPipeline

    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a checkpoint folder (no such directory)")
    cfg_path, weights = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    for p in (cfg_path, weights):
        if not p.is_file():
            raise CheckpointError(f"{p}: missing")
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{cfg_path}: not valid JSON ({e})") from None
    if not isinstance(config, dict) or config.get("_class_name") != VideoDiT.__name__:
        name = config.get("_class_name") if isinstance(config, dict) else type(config).__name__
        raise CheckpointError(f"{cfg_path}: describes {name!r}, not a {VideoDiT.__name__}")
    dist = read_training_distribution(folder)
    try:
        transformer = VideoDiT.from_pretrained(folder, subfolder="transformer", use_safetensors=True,
                                               torch_dtype=dtype, low_cpu_mem_usage=False)
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{weights}: cannot be loaded into the model of {cfg_path} ({msg})") from None
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(folder, subfolder="scheduler") \
        if (folder / "scheduler").is_dir() else FlowMatchEulerDiscreteScheduler(shift=1.0)
    pipe = PhyDiTPipeline(transformer=transformer.eval(), scheduler=scheduler)
    if device is not None:
        pipe = pipe.to(device)
    pipe.training_distribution = dist
    return pipe
