"""A training run's options, read from YAML (unknown keys and bad values are refused with the option's name).

As in nanoGPT, a config file overrides only what differs from these defaults, which are the recipe every shipped model
shares: the latent DiT at 128 px in the frozen autoencoder's space, with the ball-region loss. ``model`` names a preset
of ``MODEL_PRESETS`` (with optional overrides: ``{preset: pixel-32, depth: 4}``); a 32 px pixel-space model says
``resolution: 32``, ``model: pixel-32`` and ``autoencoder: ""``.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import torch
import yaml

from phydemo.model.bf16 import bf16_is_fast
from phydemo.model.dit import MODEL_PRESETS
from phydemo.world.phyre_sets import split_pairs, template_count


@dataclass
class TrainConfig:
    name: str
    scenario: str = "uniform"
    train_size: int = 30000
    resolution: int = 128
    data_seed: int = 0
    data_kwargs: dict = field(default_factory=dict)  # extra sample_params arguments (lab presets)
    autoencoder: str = "checkpoints/autoencoder"  # train in this FrameAutoencoder's latent space ("": in pixels)
    model: dict | str = "latent-128"  # a preset name, or {preset: name, **VideoDiT overrides}; resolved to a dict
    batch_size: int = 32
    # peak lr: 6e-4 against 3e-4 lowers the 3,000-video recipe's ID error by 0.0108 +- 0.0031 per scene at equal steps
    # (256 paired tuning scenes; docs/training.md, issue 37); configs trained before it say lr: 0.0003
    lr: float = 6e-4
    warmup_steps: int = 200
    decay_steps: int = 0  # warmup-stable-decay: the lr falls linearly to 0 over the last decay_steps
    max_steps: int = 5000
    # earlier ends of a run extended after it finished: the lr also decays to 0 at each of these steps, then
    # warms up again, so the config states the whole schedule the shipped weights saw and a fresh run repeats it
    anneal_at: list = field(default_factory=list)
    # fine-tuning: start from the final weights of the run of this config (trained first if it has not finished),
    # with a fresh optimizer and EMA, so the command repeats the whole history of the weights it ships
    init_from: str = ""
    max_minutes: float = 0.0  # stop (and save) after this wall time; 0 = no limit
    # share of each batch trained at t = 1 (pure noise: conditioning only), where the one-step sampler starts: at
    # 0.8 from step 0 the 3,000-video recipe's ID error halves at equal steps against 0.3 from step 1,000 (0.1186 ->
    # 0.0606 on 128 tuning scenes, paired -0.058 +- 0.008; docs/training.md, issue 37)
    high_noise_fraction: float = 0.8
    high_noise_from_step: int = 0  # ... from this step on (a curriculum; 0 = from the start)
    ball_loss_weight: float = 9.0  # the error on ball (non-background) pixels or latent cells counts 1 + this many times
    ball_loss_dilate: int = 1  # ... and on those up to this many px / cells from a ball (0: a biased loss, docs/training.md)
    # > 0: each ball's grown region smaller than this many px / cells has its extra weight scaled up by this / its
    # size, so a small ball weighs as much as a large one (0: by cell count, the smallest ball weighing least). Off:
    # at 200 it tied with the plain loss on collision's fifth cycle, +0.0020 +- 0.0049 per scene (docs/training.md)
    ball_loss_area: int = 0
    # the error on pixels / latent cells where the true video differs from the last given frame (what moved) counts
    # this many times more, on top of the ball region (a probe for the PHYRE-like scenes, issue 35)
    motion_loss_weight: float = 0.0
    # what "moved" is measured against: "given", the last given frame (what differs from the start, resting places
    # included), or "previous", each frame's own previous frame (only where something is moving in that frame)
    motion_against: str = "given"
    ema_decay: float = 0.999
    # the weights of the final checkpoint: "ema", or "raw" = the trained weights themselves, for runs whose lr
    # decays to 0 (decay_steps): annealed, they beat their lagging EMA (uniform ID error 0.057 vs 0.065, n = 128)
    final_weights: str = "ema"
    grad_clip: float = 1.0
    # arithmetic, not recipe (NUMERICS): "bf16" trains under bfloat16 autocast (weights and optimizer stay float32),
    # "no" in float32, "auto" in bf16 where that is fast (a CPU with AMX: a step 0.69 -> 0.55 s on 2 threads) and in
    # float32 elsewhere (a CPU without AMX emulates bf16, 25x slower). At equal steps the two learn alike (issue 37:
    # +0.0032 +- 0.0047 on 128 tuning scenes), so the choice is the machine's; train_state.json records what ran
    mixed_precision: str = "auto"
    seed: int = 0
    log_every: int = 50
    ckpt_every: int = 500
    eval_every: int = 500
    eval_n: int = 32
    eval_steps: int = 1  # sampling steps of the in-training eval: DEFAULT_STEPS, as the app and `evaluate` sample
    output_dir: str = "runs"
    data_dir: str = "data"
    torch_threads: int = 0  # 0: torch's default

    @classmethod
    def from_yaml(cls, path: str | Path) -> "TrainConfig":
        return config_from_yaml(cls, path)

    def __post_init__(self):
        check_numbers(self)
        self.model = resolve_model(self.model)
        if self.mixed_precision not in ("auto", "no", "bf16"):
            raise ValueError(f"mixed_precision={self.mixed_precision!r}; allowed: auto, no, bf16")
        if self.final_weights not in ("ema", "raw"):
            raise ValueError(f"final_weights={self.final_weights!r}; allowed: ema, raw")
        if not isinstance(self.anneal_at, (list, tuple)):
            raise ValueError(f"anneal_at={self.anneal_at!r}: expected a list of steps, e.g. [5000]")
        ends = list(self.anneal_at) + [self.max_steps]
        if any(not isinstance(e, int) or e <= 0 for e in ends) or ends != sorted(set(ends)):
            raise ValueError(f"anneal_at={self.anneal_at!r}: expected increasing steps below max_steps")
        if self.motion_loss_weight < 0:  # a number already (check_numbers)
            raise ValueError(f"motion_loss_weight={self.motion_loss_weight!r}: expected a number >= 0")
        if self.motion_against not in ("given", "previous"):
            raise ValueError(f"motion_against={self.motion_against!r}; allowed: given, previous")
        if not isinstance(self.ball_loss_dilate, int) or self.ball_loss_dilate < 0:
            raise ValueError(f"ball_loss_dilate={self.ball_loss_dilate!r}: expected a whole number of pixels >= 0")
        if not isinstance(self.ball_loss_area, int) or self.ball_loss_area < 0:
            raise ValueError(f"ball_loss_area={self.ball_loss_area!r}: expected a whole number of pixels >= 0")
        if self.scenario == "phyre":
            check_phyre_data(self.data_kwargs, self.train_size)
        if self.final_weights == "raw" and not self.decay_steps:
            raise ValueError("final_weights=raw needs decay_steps (raw weights are only annealed at lr 0)")

    def precision(self, device: str | torch.device) -> str:
        """The arithmetic a run of this config uses on ``device``: "bf16" or "no" (``auto`` resolved)."""
        if self.mixed_precision == "auto":
            return "bf16" if bf16_is_fast(device) else "no"
        return self.mixed_precision

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name


# options that name, time, place or measure a run without touching its weights: two runs that differ only in these
# trained on one recipe
BOOKKEEPING = ("name", "max_minutes", "torch_threads", "output_dir", "data_dir", "log_every", "ckpt_every",
               "eval_every", "eval_n", "eval_steps")


# options that change the arithmetic of a run, not what it learns, measured so (mixed_precision: bf16 against float32
# at equal steps, +0.0032 +- 0.0047 on 128 paired tuning scenes; docs/training.md): runs that differ only in these and
# in bookkeeping share a recipe, so a finding may hold models trained on machines with and without AMX
NUMERICS = ("mixed_precision",)


def recipe_differences(a: dict, b: dict) -> list[str]:
    """The options in which two training configs (as dicts, e.g. two checkpoints' ``train_config.yaml``) differ, in
    name order, bookkeeping and numerics left out: ``[]`` means that the two were trained on the same recipe. An option
    one of them lacks (a config written before the option existed) counts as its default, which is by rule the
    behaviour from before it existed."""
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    return [k for k in sorted((set(a) | set(b)) - set(BOOKKEEPING) - set(NUMERICS))
            if a.get(k, defaults.get(k)) != b.get(k, defaults.get(k))]


def config_from_yaml(cls, path: str | Path):
    """A config dataclass from a YAML mapping of its options; unknown options and bad values are refused, naming the
    file (shared by the DiT and the autoencoder configs)."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of training options")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{path}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    try:
        return cls(**raw)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def check_numbers(cfg) -> None:
    """A config's numeric options as numbers: one given as text that reads as its kind is converted (YAML 1.1, which
    PyYAML follows, reads ``6e-4`` without a dot as a string), anything else is refused, naming the option."""
    for f in fields(cfg):
        kind = {"int": int, "float": float, int: int, float: float}.get(f.type)  # annotations as text or types
        if kind is None:
            continue
        value = getattr(cfg, f.name)
        if isinstance(value, str):
            try:
                value = kind(value)
            except ValueError:
                pass
            else:
                setattr(cfg, f.name, value)
        whole = kind is int
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and value != int(value)):
            raise ValueError(f"{f.name}={value!r}: expected {'a whole number' if whole else 'a number'}")


def check_phyre_data(data_kwargs: dict, train_size: int) -> None:
    """A PHYRE-like run's data: ``data_kwargs`` is ``{templates: 6 | 30 | 60}``; ``train_size`` a multiple of it."""
    unknown = sorted(set(data_kwargs) - {"templates"})
    if unknown:
        raise ValueError(f"data_kwargs: unknown option(s) {', '.join(unknown)} for scenario=phyre; known: templates")
    try:  # the split itself refuses a template count or a size it cannot hold
        split_pairs("train", template_count(data_kwargs), train_size)
    except ValueError as e:
        raise ValueError(f"data_kwargs with train_size={train_size}: {e}") from None


def resolve_model(model: dict | str) -> dict:
    """A preset name, or a dict that may name a ``preset`` and override some of its keys -> the VideoDiT options."""
    if isinstance(model, str):
        model = {"preset": model}
    if not isinstance(model, dict):
        raise ValueError(f"model={model!r}: expected a preset name ({', '.join(MODEL_PRESETS)}) or a mapping")
    model = dict(model)
    name = model.pop("preset", None)
    if name is None:
        return model
    if name not in MODEL_PRESETS:
        raise ValueError(f"model preset {name!r}: allowed one of {', '.join(MODEL_PRESETS)}")
    return {**MODEL_PRESETS[name], **model}
