"""Command line: ``python -m phydemo {simulate,data,train,evaluate,generate,benchmark} ...``.

Bad input ends with a one-line ``error: ...`` on stderr and exit code 2; no partial file is left.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED, MAX_STEPS, TUNE_SEED
from phydemo.report import format_table
from phydemo.world.sampling import OOD_LEVELS
from phydemo.world.scenes import SCENARIOS, ParamError, make_params

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line."""


def scene_from_args(scenario: str, args) -> object:
    """Map the CLI's ball options onto the scenario's parameter object (validated)."""
    if scenario == "collision":
        names = {"speed": "speed1", "speed2": "speed2", "radius": "radius1", "radius2": "radius2", "color": "color1",
                 "color2": "color2", "shape": "shape1", "shape2": "shape2", "x": "x1", "x2": "x2", "y": "y"}
        if args.speed is not None and args.speed2 is None:
            args.speed2 = args.speed
        if args.radius is not None and args.radius2 is None:
            args.radius2 = args.radius
    else:
        names = {"speed": "speed", "radius": "radius", "color": "color", "shape": "shape", "x": "x", "y": "y"}
        extra = [k for k in ("speed2", "radius2", "color2", "shape2", "x2") if getattr(args, k) is not None]
        if extra:
            raise ParamError(extra[0], getattr(args, extra[0]), "only with --scenario collision")
    kwargs = {field: getattr(args, opt) for opt, field in names.items() if getattr(args, opt) is not None}
    return make_params(scenario, **kwargs)


def _add_scene_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="uniform", help=f"one of {', '.join(SCENARIOS)}")
    for name in ("speed", "speed2", "radius", "radius2", "x", "x2", "y"):
        p.add_argument(f"--{name}", type=str, default=None)
    for name in ("color", "color2", "shape", "shape2"):
        p.add_argument(f"--{name}", default=None)


def _floats(args) -> None:
    """Parse numeric options ourselves so that 'nan', 'inf' and garbage get the same clear message."""
    for name in ("speed", "speed2", "radius", "radius2", "x", "x2", "y"):
        value = getattr(args, name)
        if value is not None:
            try:
                setattr(args, name, float(value))
            except ValueError:
                raise ParamError(name, value, "a number") from None


def _simulate(args) -> int:
    from phydemo.eval.metrics import velocity_error
    from phydemo.eval.rollout import nan_to_none, per_frame_velocity
    from phydemo.video import side_by_side, write_mp4
    from phydemo.world.physics import simulate
    from phydemo.world.render import render

    _floats(args)
    params = scene_from_args(args.scenario, args)
    if not 8 <= args.resolution <= 1024:
        raise ParamError("resolution", args.resolution, "an integer in [8, 1024]")
    traj = simulate(params)
    frames = render(traj, args.resolution)
    if args.out:
        write_mp4(args.out, side_by_side([frames], [f"{params.scenario} ground truth"], size=max(256, args.resolution)))
    if args.json:
        from phydemo.eval.metrics import parse

        report = velocity_error(params.scenario, frames, traj)
        print(json.dumps({
            "params": vars(params),
            "true_positions": traj.positions.round(6).tolist(),
            "true_velocities": traj.velocities.round(6).tolist(),
            "parsed_positions": nan_to_none(np.stack([parse(frames, b.color).positions for b in traj.balls], axis=1)),
            "parsed_velocities": nan_to_none(per_frame_velocity(frames, traj)),
            "parse_error": nan_to_none(report.error),
        }, allow_nan=False))
    elif args.out:
        print(args.out)
    return 0


def _data(args) -> int:
    from phydemo.world import dataset as data

    splits = [("train", None), ("id_eval", None)] + [("ood_eval", lvl) for lvl in ("v", "r", "vr")] \
        if args.split == "all" else [(args.split, args.level)]
    if args.split == "ood_eval" and args.level is None:
        raise ParamError("level", None, "one of v, r, vr for --split ood_eval")
    if args.n < 1 or args.n > 10_000_000:
        raise ParamError("n", args.n, "an integer in [1, 10000000]")
    if args.scenario not in SCENARIOS:
        raise ParamError("scenario", args.scenario, "one of " + ", ".join(SCENARIOS))
    out = Path(args.out)
    for split, level in splits:
        n = args.n if split == "train" or args.split != "all" else args.n_eval
        videos = data.generate(args.scenario, split, n, args.seed, args.resolution, level=level, workers=args.workers)
        path = out / f"{args.scenario}-{split}{'-' + level if level else ''}-n{n}-r{args.resolution}-s{args.seed}.npz"
        data.save(videos, path)
        print(path)
    return 0


def _train(args) -> int:
    import yaml

    from phydemo.model.train import train
    from phydemo.model.train_config import TrainConfig

    cfg = TrainConfig.from_yaml(args.config)
    overrides = {}
    for kv in args.set or []:
        key, sep, value = kv.partition("=")
        if not sep or not hasattr(cfg, key):
            raise UsageError(f"--set expects KEY=VALUE with KEY an option of {args.config}, got {kv!r}")
        overrides[key] = yaml.safe_load(value)
    try:
        cfg = dataclasses.replace(cfg, **overrides)  # validated as a config file is
    except (TypeError, ValueError) as e:
        raise UsageError(f"--set: {e}") from None
    print(train(cfg))
    return 0


def _train_autoencoder(args) -> int:
    from phydemo.model.train_autoencoder import AutoencoderConfig, train_autoencoder

    try:
        cfg = AutoencoderConfig.from_yaml(args.config)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    print(train_autoencoder(cfg))
    return 0


def _evaluate(args) -> int:
    from phydemo.eval.evaluate import evaluate_pipeline
    from phydemo.model.checkpoint import load_pipeline

    levels = OOD_LEVELS if args.levels is None else () if args.levels == "none" else tuple(args.levels.split(","))
    if set(levels) - set(OOD_LEVELS):
        raise UsageError(f"--levels {args.levels!r}: give a comma-separated subset of {','.join(OOD_LEVELS)}, or none")
    if args.card and args.seed != EVAL_SEED:
        raise UsageError(f"--card writes the reported table, measured on the fixed evaluation scenes (--seed {EVAL_SEED}); "
                         f"drop --card to measure on the scenes of seed {args.seed}")
    pipe = load_pipeline(args.checkpoint, device=_device())
    pipe.set_progress_bar_config(disable=args.json)
    res = evaluate_pipeline(pipe, pipe.training_distribution["scenario"], n=args.n, steps=args.steps, levels=levels,
                            seed=args.seed, batch_size=args.batch_size, progress=not args.json)
    res["checkpoint"] = str(args.checkpoint)
    if args.card:
        from phydemo.report import write_model_card

        write_model_card(args.checkpoint, res)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(format_table(res))
    return 0


def _generate(args) -> int:
    from phydemo.eval.rollout import ood_labels, run_rollout
    from phydemo.model.checkpoint import load_pipeline
    from phydemo.video import side_by_side, write_mp4

    _floats(args)
    pipe = load_pipeline(args.checkpoint, device=_device())
    pipe.set_progress_bar_config(disable=args.json)
    scenario = pipe.training_distribution["scenario"]
    if args.scenario not in (None, scenario):
        raise ParamError("scenario", args.scenario, f"{scenario!r} for the checkpoint {args.checkpoint}")
    args.scenario = scenario
    params = scene_from_args(scenario, args)
    if not 1 <= args.steps <= MAX_STEPS:
        raise ParamError("steps", args.steps, f"an integer in [1, {MAX_STEPS}]")
    r = run_rollout(pipe, params, seed=args.seed, steps=args.steps)
    if args.out:
        write_mp4(args.out, side_by_side([r.gt_frames, r.generated], ["ground truth", f"generated err {r.report.error:.3f}"]))
    if args.json:
        out = r.to_json()
        out["ood"] = ood_labels(pipe.training_distribution, params)
        print(json.dumps(out))
    else:
        print(f"error {r.report.error:.4f} world units/s (parse floor {r.gt_report.error:.4f})" + (f" -> {args.out}" if args.out else ""))
    return 0


def _benchmark(args) -> int:
    from phydemo.eval.benchmark import render_timing, run_benchmark

    if args.world:
        print(json.dumps([render_timing(r) for r in (32, 64, 128, 256)], indent=2))
    else:
        print(json.dumps(run_benchmark(args.checkpoint, steps=args.steps, batch=args.batch, repeats=args.repeats), indent=2))
    return 0


def _parse_floor(args) -> int:
    from phydemo.eval.benchmark import parse_floor_table

    resolutions = tuple(int(r) for r in args.resolutions.split(","))
    table = parse_floor_table(args.n, resolutions, args.seed)
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print("| scenario | " + " | ".join(f"{r}px" for r in resolutions) + " |")
        print("|---|" + "---|" * len(resolutions))
        for scenario, row in table.items():
            print(f"| {scenario} | " + " | ".join(f"{row[r]:.4f}" for r in resolutions) + " |")
    return 0


def _experiment(args) -> int:
    from phydemo.eval.lab import EXPERIMENTS, run_experiment, summary_lines
    from phydemo.model.checkpoint import load_pipeline

    if args.name not in EXPERIMENTS:
        raise ParamError("experiment", args.name, "one of " + ", ".join(EXPERIMENTS))
    if not 1 <= args.n <= 4096:
        raise ParamError("n", args.n, "an integer in [1, 4096]")
    pipe = load_pipeline(args.checkpoint or f"checkpoints/lab-{args.name}", device=_device())
    pipe.set_progress_bar_config(disable=args.json)
    summary, _, _ = run_experiment(args.name, pipe, n=args.n, seed=args.seed, steps=args.steps)
    if args.card:
        from phydemo.report import write_lab_card

        write_lab_card(args.checkpoint or f"checkpoints/lab-{args.name}", summary, args.seed, args.steps)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{summary['title']} (n={summary['n']})")
        for outcome, count in summary["counts"].items():
            print(f"  {outcome:<32}{count:>5}  {summary['percent'][outcome]:5.1f}%")
        for line in summary_lines(summary):
            print("  " + line)
        print(f"paper: {summary['paper']} (order found: {summary['paper_order']})")
    return 0


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m phydemo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="simulate one scene: ground-truth video and (--json) true/parsed states")
    _add_scene_options(p)
    p.add_argument("--resolution", type=int, default=128)
    p.add_argument("--out", help="write an H.264 MP4 here")
    p.add_argument("--json", action="store_true", help="print true and parsed positions and velocities")
    p.set_defaults(func=_simulate)

    p = sub.add_parser("data", help="build dataset splits (train / id_eval / ood_eval)")
    p.add_argument("--scenario", default="uniform")
    p.add_argument("--split", default="all", choices=["all", "train", "id_eval", "ood_eval"])
    p.add_argument("--level", choices=["v", "r", "vr"], default=None)
    p.add_argument("--n", type=int, default=30000, help="videos in the train split (or in the one split asked for)")
    p.add_argument("--n-eval", type=int, default=1000, help="videos per evaluation split with --split all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--out", default="data")
    p.set_defaults(func=_data)

    p = sub.add_parser("train", help="train a DiT from a YAML config (accelerate launch for GPUs)")
    p.add_argument("--config", required=True)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config option")
    p.set_defaults(func=_train)

    p = sub.add_parser("train-autoencoder", help="train the frozen frame autoencoder from a YAML config (rerun to resume)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=_train_autoencoder)

    p = sub.add_parser("evaluate", help="the paper's ID / OOD table for a checkpoint")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps")
    p.add_argument("--levels", default=None, help="comma-separated OOD levels (v,r,vr; default all), or none for the ID row only")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=EVAL_SEED,
                   help=f"scene and noise seed (default {EVAL_SEED}: the reported evaluation scenes; choose settings on "
                        f"another, e.g. {TUNE_SEED}, so that the reported table stays a held-out measurement)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--card", action="store_true", help="write eval.json and the model card README.md into the folder")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("generate", help="ground truth | generated side by side for one scene")
    p.add_argument("--checkpoint", required=True)
    _add_scene_options(p)
    p.set_defaults(scenario=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps")
    p.add_argument("--out")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_generate)

    p = sub.add_parser("benchmark", help="sampling speed: ms per rollout and rollouts/s")
    p.add_argument("--checkpoint", default="checkpoints/uniform")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--world", action="store_true", help="time simulation and rendering instead of sampling")
    p.set_defaults(func=_benchmark)

    p = sub.add_parser("experiment", help="mechanism lab: run a section-5 experiment and print its tally")
    p.add_argument("name", help="case-set1, case-set2, color-shape or color-size")
    p.add_argument("--checkpoint", default=None, help="default: checkpoints/lab-<name>")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps")
    p.add_argument("--json", action="store_true")
    p.add_argument("--card", action="store_true", help="write experiment.json and the model card README.md into the folder")
    p.set_defaults(func=_experiment)

    p = sub.add_parser("parse-floor", help="the parser's error on ground-truth renders, per scenario and resolution")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--resolutions", default="32,64,128")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_parse_floor)
    return parser


def main(argv=None) -> int:
    from phydemo.model.checkpoint import CheckpointError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParamError, UsageError, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
