"""World commands: ``simulate`` one scene, build ``data`` sets, measure the ``parse-floor``."""

from __future__ import annotations

import json
from pathlib import Path

from phydemo.cli.scene_options import CHOICES, NUMBERS, add_scene_options, scene_from_args
from phydemo.errors import InputError, check_choice, check_int
from phydemo.world.sampling import OOD_LEVELS
from phydemo.world.scenes import SCENARIOS


def phyre_simulate(args) -> int:
    """``simulate --scenario phyre --template N --seed S``: one PHYRE-like scene, its video and (--json) the poses of
    its bodies and the judge's verdict on the ground truth."""
    from phydemo.eval.phyre_judge import judge
    from phydemo.video import side_by_side, write_mp4
    from phydemo.world import phyre

    given = [n for n in NUMBERS + CHOICES if getattr(args, n) is not None]
    if given:
        raise InputError(given[0], getattr(args, given[0]), "only with the ball scenarios (uniform, collision, parabola)")
    template = check_int("template", args.template, 0, phyre.NUM_TEMPLATES - 1)
    seed = check_int("seed", args.seed, 0, 2**31 - 1)
    resolution = check_int("resolution", args.resolution, 32, 1024)
    traj = phyre.simulate_scene(phyre.make_scene(template, seed))
    frames = phyre.render_scene(traj, resolution)
    held_out = template in phyre.out_of_template()
    if args.out:
        label = f"template {template}{' (held out)' if held_out else ''}, seed {seed}"
        write_mp4(args.out, side_by_side([frames], [label], size=max(256, resolution)))
    if args.json:
        verdict = judge(frames)
        print(json.dumps({
            "template": template, "seed": seed, "objects": list(traj.scene.kinds), "held_out": held_out,
            "bodies": [{"kind": b.kind, "static": b.static} for b in traj.scene.bodies],
            "positions": traj.positions.round(6).tolist(), "angles": traj.angles.round(6).tolist(),
            "judge": {"abnormal": verdict.abnormal, "reasons": verdict.reasons},
        }))
    elif args.out:
        print(args.out)
    return 0


def simulate_command(args) -> int:
    import numpy as np

    from phydemo.eval.metrics import parse, velocity_error
    from phydemo.eval.rollout import nan_to_none, per_frame_velocity
    from phydemo.video import side_by_side, write_mp4
    from phydemo.world.physics import simulate
    from phydemo.world.render import render

    if check_choice("scenario", args.scenario, SCENARIOS + ("phyre",)) == "phyre":
        return phyre_simulate(args)
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


def phyre_data_command(args) -> int:
    import numpy as np

    from phydemo.atomic import atomic_path
    from phydemo.world import phyre
    from phydemo.world.phyre_sets import SPLITS, render_pairs, split_pairs

    split = check_choice("split", args.split, SPLITS)
    templates = int(check_choice("templates", str(args.templates), [str(k) for k in phyre.TEMPLATE_SETS]))
    n, resolution = check_int("n", args.n, 1, 1_000_000), check_int("resolution", args.resolution, 32, 1024)
    if split == "train" and n % templates:
        raise InputError("n", n, f"a multiple of {templates} (the training templates) for --split train")
    pairs = split_pairs(split, templates, n)
    path = Path(args.out) / f"phyre-{split}-t{templates}-n{n}-r{resolution}.npz"
    with atomic_path(path, ".npz") as tmp:
        np.savez(tmp, frames=render_pairs(pairs, resolution), pairs=np.array(pairs))
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
    p.add_argument("--template", default=0, help="--scenario phyre: the template (0-69; 60-69 are never trained on)")
    p.add_argument("--seed", default=0, help="--scenario phyre: the seed that places the objects")
    p.set_defaults(func=simulate_command)

    p = sub.add_parser("phyre-data", help="build a PHYRE-like split: train, in_template or out_of_template videos")
    p.add_argument("--split", default="train", help="train, in_template or out_of_template")
    p.add_argument("--templates", default=60, help="the model's training templates: 6, 30 or 60")
    p.add_argument("--n", default=6000, help="videos (train: in all, split evenly over the templates)")
    p.add_argument("--resolution", default=128)
    p.add_argument("--out", default="data")
    p.set_defaults(func=phyre_data_command)

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
