"""World commands: ``simulate`` one scene, build ``data`` sets, measure the ``parse-floor``."""

from __future__ import annotations

import json
from pathlib import Path

from phydemo.cli.scene_options import add_scene_options, scene_from_args
from phydemo.errors import check_choice, check_int
from phydemo.world.sampling import OOD_LEVELS
from phydemo.world.scenes import SCENARIOS


def simulate_command(args) -> int:
    import numpy as np

    from phydemo.eval.metrics import parse, velocity_error
    from phydemo.eval.rollout import nan_to_none, per_frame_velocity
    from phydemo.video import side_by_side, write_mp4
    from phydemo.world.physics import simulate
    from phydemo.world.render import render

    params = scene_from_args(args.scenario, args)
    resolution = check_int("resolution", args.resolution, 8, 1024)
    traj = simulate(params)
    frames = render(traj, resolution)
    if args.out:
        write_mp4(args.out, side_by_side([frames], [f"{params.scenario} ground truth"], size=max(256, resolution)))
    if args.json:
        print(json.dumps({
            "params": vars(params),
            "true_positions": traj.positions.round(6).tolist(),
            "true_velocities": traj.velocities.round(6).tolist(),
            "parsed_positions": nan_to_none(np.stack([parse(frames, b.color).positions for b in traj.balls], axis=1)),
            "parsed_velocities": nan_to_none(per_frame_velocity(frames, traj)),
            "parse_error": nan_to_none(velocity_error(params.scenario, frames, traj).error),
        }, allow_nan=False))
    elif args.out:
        print(args.out)
    return 0


def data_command(args) -> int:
    from phydemo.world import dataset

    check_choice("scenario", args.scenario, SCENARIOS)
    check_int("n", args.n, 1, 10_000_000)
    if args.split == "ood_eval":
        check_choice("level", args.level, OOD_LEVELS)
    splits = [("train", None), ("id_eval", None)] + [("ood_eval", lvl) for lvl in OOD_LEVELS] \
        if args.split == "all" else [(args.split, args.level)]
    for split, level in splits:
        n = args.n if split == "train" or args.split != "all" else args.n_eval
        videos = dataset.generate(args.scenario, split, n, args.seed, args.resolution, level=level, workers=args.workers)
        path = Path(args.out) / f"{args.scenario}-{split}{'-' + level if level else ''}-n{n}-r{args.resolution}-s{args.seed}.npz"
        dataset.save(videos, path)
        print(path)
    return 0


def parse_floor_command(args) -> int:
    from phydemo.eval.benchmark import parse_floor_table
    from phydemo.report import format_parse_floor

    resolutions = tuple(check_int("resolutions", r, 8, 1024) for r in args.resolutions.split(","))
    table = parse_floor_table(args.n, resolutions, args.seed)
    print(json.dumps(table, indent=2) if args.json else format_parse_floor(table, resolutions))
    return 0


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate one scene: ground-truth video and (--json) true/parsed states")
    add_scene_options(p)
    p.add_argument("--resolution", type=int, default=128)
    p.add_argument("--out", help="write an H.264 MP4 here")
    p.add_argument("--json", action="store_true", help="print true and parsed positions and velocities")
    p.set_defaults(func=simulate_command)

    p = sub.add_parser("data", help="build dataset splits (train / id_eval / ood_eval)")
    p.add_argument("--scenario", default="uniform")
    p.add_argument("--split", default="all", choices=["all", "train", "id_eval", "ood_eval"])
    p.add_argument("--level", choices=list(OOD_LEVELS), default=None)
    p.add_argument("--n", type=int, default=30000, help="videos in the train split (or in the one split asked for)")
    p.add_argument("--n-eval", type=int, default=1000, help="videos per evaluation split with --split all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resolution", type=int, default=32)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--out", default="data")
    p.set_defaults(func=data_command)

    p = sub.add_parser("parse-floor", help="the parser's error on ground-truth renders, per scenario and resolution")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--resolutions", default="32,64,128")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=parse_floor_command)
