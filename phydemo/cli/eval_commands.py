"""Evaluation commands: ``evaluate`` a checkpoint (the paper's table), ``generate`` one rollout, ``compare`` two
checkpoints scene by scene, run a lab ``experiment``, ``benchmark`` sampling."""

from __future__ import annotations

import json

from phydemo.cli.scene_options import add_scene_options, scene_from_args
from phydemo.errors import InputError, check_choice, check_int
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED, MAX_STEPS, TUNE_SEED
from phydemo.world.sampling import OOD_LEVELS


def _levels(text: str | None) -> tuple[str, ...]:
    levels = OOD_LEVELS if text is None else () if text == "none" else tuple(text.split(","))
    if set(levels) - set(OOD_LEVELS):
        raise InputError("--levels", text, f"a comma-separated subset of {','.join(OOD_LEVELS)}, or none")
    return levels


def _load(checkpoint, quiet: bool):
    from phydemo.model.checkpoint import load_pipeline

    pipe = load_pipeline(checkpoint)
    pipe.set_progress_bar_config(disable=quiet)
    return pipe


def evaluate_command(args) -> int:
    from phydemo.eval.evaluate import evaluate_pipeline
    from phydemo.model.checkpoint import resolve_checkpoint, trained_data_kwargs
    from phydemo.release.ship import checkpoint_label, write_evaluation
    from phydemo.report import format_table, write_card

    levels = _levels(args.levels)
    check_int("steps", args.steps, 1, MAX_STEPS)
    if args.card and args.seed != EVAL_SEED:
        raise InputError("--seed", args.seed, f"{EVAL_SEED} with --card: the card reports the fixed evaluation scenes "
                         "(drop --card to measure on other scenes)")
    folder = resolve_checkpoint(args.checkpoint)
    pipe = _load(folder, args.json)
    if pipe.training_distribution.scenario == "phyre":
        return _evaluate_phyre(folder, pipe, args)
    if args.error_map:
        from phydemo.eval.error_map import error_map, save_error_map

        result = error_map(pipe, per_cell=check_int("per-cell", args.per_cell, 1, 64), steps=args.steps)
        print(save_error_map(folder, result))
        return 0
    if args.card:  # the reported table: the same writer as `ship`
        res = write_evaluation(folder, pipe, n=args.n, steps=args.steps, levels=levels, batch_size=args.batch_size,
                               progress=not args.json)
        write_card(folder)
    else:
        data_kwargs = trained_data_kwargs(folder)  # ID: what it was trained on, as the card's table
        res = evaluate_pipeline(pipe, pipe.training_distribution.scenario, n=args.n, steps=args.steps, levels=levels,
                                seed=args.seed, batch_size=args.batch_size, progress=not args.json,
                                data_kwargs=data_kwargs)
        res["checkpoint"] = checkpoint_label(folder)
        if data_kwargs:
            res["data_kwargs"] = data_kwargs
    print(json.dumps(res, indent=2) if args.json else format_table(res))
    return 0


def _evaluate_phyre(folder, pipe, args) -> int:
    """``evaluate`` for a PHYRE-like model: its judged and scored rollouts in and out of template (the card's table
    with ``--card``)."""
    from phydemo.eval.combinatorial import evaluate_phyre, format_phyre_table
    from phydemo.release.ship import checkpoint_label, write_phyre_evaluation
    from phydemo.report import write_card

    if args.error_map:
        raise InputError("--error-map", True, "a ball model (an error map is drawn over ball speeds and sizes)")
    if args.card:
        res = write_phyre_evaluation(folder, pipe, n=args.n, steps=args.steps)
        write_card(folder)
    else:
        res = {**evaluate_phyre(pipe, n=args.n, steps=args.steps, seed=args.seed, batch_size=args.batch_size),
               "seed": args.seed, "checkpoint": checkpoint_label(folder)}
    print(json.dumps(res, indent=2) if args.json else format_phyre_table(res))
    return 0


def generate_command(args) -> int:
    from phydemo.eval.rollout import run_rollout
    from phydemo.video import side_by_side, write_mp4

    steps = check_int("steps", args.steps, 1, MAX_STEPS)
    pipe = _load(args.checkpoint, args.json)
    dist = pipe.training_distribution
    if args.scenario is not None:
        check_choice("scenario", args.scenario, [dist.scenario])
    params = scene_from_args(dist.scenario, args)
    r = run_rollout(pipe, params, seed=args.seed, steps=steps)
    if args.out:
        write_mp4(args.out, side_by_side([r.gt_frames, r.generated], ["ground truth", f"generated err {r.report.error:.3f}"]))
    if args.json:
        print(json.dumps({**r.to_json(), "ood": dist.labels(params)}))
    else:
        print(f"error {r.report.error:.4f} world units/s (parse floor {r.gt_report.error:.4f})"
              + (f" -> {args.out}" if args.out else ""))
    return 0


def compare_command(args) -> int:
    from phydemo.eval.compare import compare
    from phydemo.report import format_comparison

    level = None if args.level is None else check_choice("level", args.level, OOD_LEVELS)
    steps_b = None if args.steps_b is None else check_int("steps-b", args.steps_b, 1, MAX_STEPS)
    c = compare(args.a, args.b, n=args.n, seed=args.seed, steps=check_int("steps", args.steps, 1, MAX_STEPS),
                level=level, steps_b=steps_b)
    print(format_comparison(c, args.a, args.b, level, args.seed, args.steps, steps_b))
    return 0


def experiment_command(args) -> int:
    from phydemo.eval.findings import FINDINGS
    from phydemo.eval.lab import EXPERIMENTS, run_experiment
    from phydemo.model.checkpoint import resolve_checkpoint
    from phydemo.report import format_lab_summary, write_card

    if args.against is not None and (args.name in FINDINGS or args.card):
        raise InputError("against", args.against, "a checkpoint to compare with, for a lab preset "
                         f"({', '.join(EXPERIMENTS)}) and without --card")
    if args.name in FINDINGS:
        return finding_command(args)
    name = check_choice("experiment", args.name, [*EXPERIMENTS, *FINDINGS])
    n = check_int("n", 64 if args.n is None else args.n, 1, 4096)
    folder = resolve_checkpoint(args.checkpoint or f"lab-{name}")
    if args.against is not None:
        return lab_comparison_command(args, name, n, folder, resolve_checkpoint(args.against))
    pipe = _load(folder, args.json)
    if args.card:  # the lab tally a card reports: the same writer as `ship`
        from phydemo.release.ship import write_lab_tally

        summary = write_lab_tally(folder, pipe, name, n=n, seed=args.seed, steps=args.steps)
        write_card(folder)
    else:
        summary, _, _ = run_experiment(name, pipe, n=n, seed=args.seed, steps=args.steps)
    print(json.dumps(summary, indent=2) if args.json else format_lab_summary(summary))
    return 0


def lab_comparison_command(args, name: str, n: int, a, b) -> int:
    """Two checkpoints of one preset on the same test rollouts and on its training distribution."""
    from phydemo.eval.lab_compare import compare_lab
    from phydemo.report import format_lab_comparison

    pipes = [_load(folder, args.json) for folder in (a, b)]  # a clear error for an unusable folder before sampling
    c = compare_lab(name, *pipes, n=n, seed=args.seed, steps=args.steps, id_n=n)
    label_a, label_b = args.checkpoint or f"lab-{name}", args.against  # as asked, not as machine paths
    if args.json:
        d = c.in_distribution
        print(json.dumps({"experiment": name, "a": {"checkpoint": label_a, **c.a}, "b": {"checkpoint": label_b, **c.b},
                          "changes": [{"a": x, "b": y, "rollouts": k} for (x, y), k in c.changes.items()],
                          "in_distribution": vars(d)}, indent=2))
    else:
        print(format_lab_comparison(c, label_a, label_b, args.steps))
    return 0


def finding_command(args) -> int:
    """A finding of several checkpoints: ship those missing (train, export, measure), then compute and save it."""
    from phydemo.eval import findings
    from phydemo.release.ship import ship

    finding = findings.FINDINGS[args.name]
    n = check_int("n", 128 if args.n is None else args.n, 1, 4096)
    for name in [] if args.no_train else finding.missing():
        print(f"{args.name}: training and shipping {name} (configs/{name}.yaml)", flush=True)
        print(ship(name), flush=True)
    try:
        result = findings.compute(args.name, n=n, steps=args.steps)
    except FileNotFoundError as e:
        raise InputError("name", args.name, f"a finding whose checkpoints are shipped ({e})") from None
    path = findings.save(result)
    print(json.dumps(result, indent=2) if args.json else f"{findings.reading(result)}\n\nsaved {path}")
    return 0


def autoencoder_floor_command(args) -> int:
    from phydemo.atomic import write_json
    from phydemo.eval.autoencoder_floor import autoencoder_floor
    from phydemo.model.autoencoder import FrameAutoencoder
    from phydemo.model.checkpoint import load_frame_model
    from phydemo.report import format_autoencoder_floor
    from phydemo.world.scenes import SCENARIOS

    scenarios = tuple(check_choice("scenario", s, SCENARIOS) for s in args.scenarios.split(","))
    autoencoder, folder = load_frame_model(args.checkpoint, FrameAutoencoder)
    table = autoencoder_floor(autoencoder, n=check_int("n", args.n, 2, 4096),
                              seed=args.seed, scenarios=scenarios, levels=_levels(args.levels))
    if args.save:
        write_json(folder / "floor.json", {"n": args.n, "seed": args.seed, "floor": table})
    print(json.dumps(table, indent=2) if args.json else format_autoencoder_floor(table))
    return 0


def upsampler_floor_command(args) -> int:
    from phydemo.atomic import write_json
    from phydemo.eval.autoencoder_floor import upsampler_floor
    from phydemo.model.checkpoint import load_frame_model
    from phydemo.model.upsampler import FrameUpsampler
    from phydemo.report import format_autoencoder_floor
    from phydemo.world.scenes import SCENARIOS

    scenarios = tuple(check_choice("scenario", s, SCENARIOS) for s in args.scenarios.split(","))
    upsampler, folder = load_frame_model(args.checkpoint, FrameUpsampler)
    table = upsampler_floor(upsampler, n=check_int("n", args.n, 2, 4096),
                            seed=args.seed, scenarios=scenarios, levels=_levels(args.levels))
    if args.save:
        write_json(folder / "floor.json", {"n": args.n, "seed": args.seed, "floor": table})
    print(json.dumps(table, indent=2) if args.json else format_autoencoder_floor(table, "the upsampler"))
    return 0


def judge_check_command(args) -> int:
    """The PHYRE-like judge's validation: ground-truth videos flagged, and corrupted videos flagged per fault."""
    from phydemo.eval.phyre_faults import validate_judge
    from phydemo.eval.phyre_judge import judge

    result = validate_judge(judge, check_int("n-truth", args.n_truth, 1, 10_000),
                            check_int("n-fault", args.n_fault, 1, 10_000), check_int("seed", args.seed, 0, 1000))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    truth = result["ground_truth"]
    print(f"ground truth: {truth['flagged']} of {truth['n']} flagged ({truth['flagged'] / truth['n']:.1%})")
    for case in truth["cases"]:
        print(f"  template {case['template']}, seed {case['seed']}: {case['reason']}")
    print("| fault | n | flagged | with its own reason |\n|---|---|---|---|")
    for fault, r in result["faults"].items():
        print(f"| {fault} | {r['n']} | {r['flagged']} ({r['flagged'] / r['n']:.0%}) | {r['own_reason']} |")
    return 0


def phyre_floor_command(args) -> int:
    """The frame autoencoder on PHYRE-like scenes: reconstructions judged and scored (``phydemo.eval.phyre_floor``)."""
    from phydemo.eval.phyre_floor import phyre_floor
    from phydemo.model.autoencoder import FrameAutoencoder
    from phydemo.world.phyre_sets import SPLITS

    split = check_choice("split", args.split, SPLITS[1:])
    result = phyre_floor(FrameAutoencoder.from_pretrained(args.autoencoder).eval(),
                         n=check_int("n", args.n, 1, 10_000), split=split)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.autoencoder} on {result['n']} {result['split']} scenes: {result['abnormal']:.0%} judged abnormal, "
          f"PSNR {result['psnr']:.2f} dB, SSIM {result['ssim']:.3f}")
    for case in result["flagged"]:
        print(f"  template {case['template']}, seed {case['seed']}: {case['reason']}")
    return 0


def contact_faults_command(args) -> int:
    """Where collision rollouts stop being clean, against the contact (``phydemo.eval.contact_faults``)."""
    from phydemo.eval.contact_faults import contact_faults
    from phydemo.model.checkpoint import load_pipeline

    pipe = load_pipeline(args.checkpoint)
    if pipe.training_distribution.scenario != "collision":
        raise InputError("--checkpoint", args.checkpoint, "a collision checkpoint")
    pipe.set_progress_bar_config(disable=True)
    result = contact_faults(pipe, n=check_int("n", args.n, 1, 10_000), seed=args.seed,
                            steps=check_int("steps", args.steps, 1, MAX_STEPS))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.checkpoint}: {result['faulty']} of {result['n']} rollouts not clean ({result['rate']:.1%})")
    print("first fault, frames from the contact (-4: 4 or more before, 4: 4 or more after):", result["by_offset"])
    print("kind:", result["by_kind"], " ball:", result["by_ball"], " size:", result["by_size"])
    for key in ("by_closing_speed", "by_smaller_radius"):
        print(key.removeprefix("by_").replace("_", " ") + ": " + ", ".join(
            f"[{r['range'][0]:g}, {r['range'][1]:g}) {r['faulty']}/{r['n']}" for r in result[key]))
    return 0


def benchmark_command(args) -> int:
    from phydemo.eval.benchmark import render_timing, run_benchmark

    result = [render_timing(r) for r in (32, 64, 128, 256)] if args.world else \
        run_benchmark(args.checkpoint, steps=args.steps, batch=args.batch, repeats=args.repeats)
    print(json.dumps(result, indent=2))
    return 0


def register(sub) -> None:
    steps_help = f"sampling steps (default {DEFAULT_STEPS}, at most {MAX_STEPS})"
    p = sub.add_parser("evaluate", help="the paper's ID / OOD table for a checkpoint")
    p.add_argument("--checkpoint", required=True, help="a folder, or a shipped checkpoint's name")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--levels", default=None, help="comma-separated OOD levels (v,r,vr; default all), or none")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=EVAL_SEED,
                   help=f"scene and noise seed (default {EVAL_SEED}: the reported scenes; tune settings on another, "
                        f"e.g. {TUNE_SEED}, so the reported table stays a held-out measurement)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--card", action="store_true", help="write eval.json and the model card README.md into the folder")
    p.add_argument("--error-map", action="store_true",
                   help="instead: the error over a (speed, radius) grid, saved as error_map.json in the folder")
    p.add_argument("--per-cell", type=int, default=4, help="scenes per cell of the error map")
    p.set_defaults(func=evaluate_command)

    p = sub.add_parser("generate", help="ground truth | generated side by side for one scene")
    p.add_argument("--checkpoint", required=True, help="a folder, or a shipped checkpoint's name")
    add_scene_options(p)
    p.set_defaults(scenario=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--out", help="write an H.264 MP4 here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=generate_command)

    p = sub.add_parser("compare", help="two checkpoints on the same scenes: per-scene error difference (B - A)")
    p.add_argument("a", help="baseline checkpoint")
    p.add_argument("b", help="candidate checkpoint")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--seed", type=int, default=EVAL_SEED, help=f"scene seed (tune on {TUNE_SEED})")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--level", default=None, help="an OOD level (v, r, vr); ID scenes when left out")
    p.add_argument("--steps-b", type=int, default=None, help="B's sampling steps, when they differ from A's")
    p.set_defaults(func=compare_command)

    p = sub.add_parser("experiment", help="mechanism lab: run a section-5 experiment and print its tally, or a "
                                          "finding of several checkpoints (trained and shipped first where missing)")
    p.add_argument("name", help="case-set1, case-set2, or an attribute pair: color-shape, color-size, color-velocity, "
                                "size-velocity, size-shape, velocity-shape; or a finding: attribute-order, "
                                "interpolation, data-scaling, model-size, combinatorial, visual-ambiguity")
    p.add_argument("--checkpoint", default=None, help="default: the shipped lab-<name>")
    p.add_argument("--n", type=int, default=None, help="test rollouts (default 64; a finding: 128 per set)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--json", action="store_true")
    p.add_argument("--card", action="store_true", help="write experiment.json and the model card into the folder")
    p.add_argument("--against", default=None, help="a second checkpoint of the preset: both on the same test rollouts, "
                                                   "and paired on its training distribution (n scenes each)")
    p.add_argument("--no-train", action="store_true", help="a finding: use only the checkpoints shipped now")
    p.set_defaults(func=experiment_command)

    for name, stage, checkpoint, scenarios, func in (
            ("autoencoder-floor", "decode(encode(ground truth))", {"default": "autoencoder"}, "uniform,parabola,collision",
             autoencoder_floor_command),
            ("upsampler-floor", "upsampled low-resolution renders", {"required": True}, "collision",
             upsampler_floor_command)):
        p = sub.add_parser(name, help=f"the parser on {stage} against the pixel floor")
        p.add_argument("--checkpoint", **checkpoint, help="the stage's folder (a cascade's, for its upsampler), or a "
                                                         "shipped name")
        p.add_argument("--n", type=int, default=256, help="scenes per set")
        p.add_argument("--seed", type=int, default=EVAL_SEED)
        p.add_argument("--scenarios", default=scenarios)
        p.add_argument("--levels", default=None, help="comma-separated OOD levels (v,r,vr; default all), or none")
        p.add_argument("--json", action="store_true")
        p.add_argument("--save", action="store_true", help="write floor.json into the folder")
        p.set_defaults(func=func)

    p = sub.add_parser("judge-check", help="validate the PHYRE-like abnormal-rate judge on ground-truth and "
                       "corrupted videos")
    p.add_argument("--n-truth", type=int, default=140, help="ground-truth videos")
    p.add_argument("--n-fault", type=int, default=40, help="corrupted videos per kind of fault")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=judge_check_command)

    p = sub.add_parser("phyre-floor", help="the frame autoencoder on PHYRE-like scenes: its reconstructions judged, "
                       "with PSNR and SSIM")
    p.add_argument("--autoencoder", default="checkpoints/autoencoder", help="a FrameAutoencoder folder")
    p.add_argument("--n", type=int, default=100, help="scenes")
    p.add_argument("--split", default="out_of_template", help="in_template or out_of_template (of the 60-template set)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=phyre_floor_command)

    p = sub.add_parser("contact-faults", help="collision rollouts: where a ball first stops being one clean blob, "
                       "against the contact, by speed and radius")
    p.add_argument("--checkpoint", default="collision", help="a folder, or a shipped checkpoint's name")
    p.add_argument("--n", type=int, default=256, help="in-distribution scenes")
    p.add_argument("--seed", type=int, default=TUNE_SEED, help="scene seed (default: the tuning scenes)")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=contact_faults_command)

    p = sub.add_parser("benchmark", help="sampling speed: ms per rollout and rollouts/s")
    p.add_argument("--checkpoint", default="uniform", help="a folder, or a shipped checkpoint's name")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=steps_help)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--world", action="store_true", help="time simulation and rendering instead of sampling")
    p.set_defaults(func=benchmark_command)
