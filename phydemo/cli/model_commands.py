"""Model commands: ``train`` a DiT, ``train-autoencoder``, ``train-upsampler``, ``export`` a run as a shipped checkpoint (or a
``cascade`` of a pixel DiT and an upsampler), rewrite its
``card`` or its training ``index``, ``deploy`` the app to a Hugging Face Space."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from phydemo.errors import InputError


def _config(loader, path):
    try:
        return loader(path)
    except (OSError, TypeError, ValueError) as e:
        raise InputError("--config", str(path), f"a readable training config ({e})") from None


def train_command(args) -> int:
    import yaml

    from phydemo.eval.evaluate import quick_eval
    from phydemo.model.train import train
    from phydemo.model.train_config import TrainConfig

    cfg = _config(TrainConfig.from_yaml, args.config)
    overrides = {}
    for kv in args.set or []:
        key, sep, value = kv.partition("=")
        if not sep or not hasattr(cfg, key):
            raise InputError("--set", kv, f"KEY=VALUE with KEY an option of {args.config}")
        overrides[key] = yaml.safe_load(value)
    try:
        cfg = dataclasses.replace(cfg, **overrides)  # validated as a config file is
    except (TypeError, ValueError) as e:
        raise InputError("--set", " ".join(args.set), str(e)) from None
    print(train(cfg, evaluate=quick_eval))
    import torch.distributed as dist

    if dist.is_initialized():  # launched with several processes: leave the group cleanly
        dist.destroy_process_group()
    return 0


def train_autoencoder_command(args) -> int:
    from phydemo.model.train_autoencoder import AutoencoderConfig, train_autoencoder

    print(train_autoencoder(_config(AutoencoderConfig.from_yaml, args.config)))
    return 0


def train_upsampler_command(args) -> int:
    from phydemo.model.train_upsampler import UpsamplerConfig, train_upsampler

    print(train_upsampler(_config(UpsamplerConfig.from_yaml, args.config)))
    return 0


def export_command(args) -> int:
    from phydemo.release.export import export_run

    print(export_run(args.run, args.checkpoint))
    return 0


def cascade_command(args) -> int:
    from phydemo.release.export import export_cascade

    print(export_cascade(args.base, args.upsampler, args.checkpoint))
    return 0


def card_command(args) -> int:
    from phydemo.model.checkpoint import resolve_checkpoint
    from phydemo.report import write_card

    for folder in args.checkpoints:
        print(write_card(resolve_checkpoint(folder)))
    return 0


def index_command(args) -> int:
    from phydemo.model.checkpoint import resolve_checkpoint
    from phydemo.release.export import write_training_index

    for folder in args.checkpoints:
        print(write_training_index(resolve_checkpoint(folder)))
    return 0


def deploy_command(args) -> int:
    from phydemo.release.deploy import deploy, space_files

    if args.dry_run:
        print("\n".join(space_files()))
        return 0
    print(deploy(args.space, private=args.private))
    return 0


def register(sub) -> None:
    p = sub.add_parser("train", help="train a DiT from a YAML config (rerun to resume; accelerate launch for GPUs)")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config option")
    p.set_defaults(func=train_command)

    p = sub.add_parser("train-autoencoder", help="train the frozen frame autoencoder from a YAML config (rerun to resume)")
    p.add_argument("--config", required=True, type=Path)
    p.set_defaults(func=train_autoencoder_command)

    p = sub.add_parser("train-upsampler", help="train a cascade's 4x frame upsampler from a YAML config (rerun to resume)")
    p.add_argument("--config", required=True, type=Path)
    p.set_defaults(func=train_upsampler_command)

    p = sub.add_parser("export", help="make a shipped checkpoint folder from a training run (weights, config, log, card)")
    p.add_argument("run", help="the run's folder, e.g. runs/uniform")
    p.add_argument("checkpoint", help="the folder to write, e.g. checkpoints/uniform")
    p.set_defaults(func=export_command)

    p = sub.add_parser("cascade", help="a shipped pixel DiT and a trained upsampler as one full-resolution checkpoint")
    p.add_argument("base", help="the pixel DiT: a folder, or a shipped checkpoint's name")
    p.add_argument("upsampler", help="the upsampler, e.g. runs/upsampler-collision/checkpoint")
    p.add_argument("checkpoint", help="the folder to write")
    p.set_defaults(func=cascade_command)

    p = sub.add_parser("card", help="rewrite checkpoint folders' model cards from their own files")
    p.add_argument("checkpoints", nargs="+", help="folders, or names of shipped checkpoints")
    p.set_defaults(func=card_command)

    p = sub.add_parser("index", help="rebuild checkpoint folders' index of training cases (export builds it)")
    p.add_argument("checkpoints", nargs="+", help="folders, or names of shipped checkpoints")
    p.set_defaults(func=index_command)

    p = sub.add_parser("deploy", help="create or update a Gradio Space with the app and the shipped checkpoints")
    p.add_argument("--space", required=True, help="<user>/<name> on the Hugging Face Hub")
    p.add_argument("--private", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="list the files it would upload and stop")
    p.set_defaults(func=deploy_command)
