"""``phydemo <command> ...``: the parser and the one place that turns errors into a message and exit code 2.

Bad input ends with a one-line ``error: ...`` on stderr and exit code 2; no partial file is left. Commands import
torch only when they run, so ``phydemo --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from phydemo.cli import eval_commands, model_commands, world_commands
from phydemo.errors import CheckpointError, DeployError, InputError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phydemo", description="Has a video diffusion model learned physics? "
                                     "Simulate, train, evaluate and ship the models of the phydemo app.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (world_commands, model_commands, eval_commands):
        module.register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, CheckpointError, DeployError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
