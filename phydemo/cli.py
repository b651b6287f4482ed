"""Command line: ``python -m phydemo {simulate,data,train,evaluate,generate} ...``."""

from __future__ import annotations

import argparse
import sys


def _train(args) -> int:
    from .train import TrainConfig, train

    cfg = TrainConfig.from_yaml(args.config)
    for kv in args.set or []:
        key, _, value = kv.partition("=")
        import yaml

        setattr(cfg, key, yaml.safe_load(value))
    print(train(cfg))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m phydemo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a DiT from a YAML config")
    p.add_argument("--config", required=True)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config option")
    p.set_defaults(func=_train)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
