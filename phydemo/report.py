"""The model card (README.md) of a checkpoint folder, written from its config and measured table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

from phydemo.eval.rollout import Rollout
from phydemo.protocol import EVAL_SEED, PAPER_REFERENCE


def _header(folder: Path, cfg: dict, state: dict, dist: dict, what: str) -> str:
    """Title, data, model, training and the command to reproduce, from the checkpoint's own files."""
    m = cfg["model"]
    data = (f"speed {dist['speed']}, radius {dist['radius']}, colours {dist['colors']}, shapes {dist['shapes']}"
            + (f", combinations {dist['combos']}" if dist.get("combos") else "")
            + (f", directions {dist['directions']}" if dist.get("directions", [1]) != [1] else ""))
    weights = (f"shipped weights: the final ones, annealed to lr 0 (EMA {cfg['ema_decay']} for the logged evaluations)"
               if cfg.get("final_weights") == "raw" else f"shipped weights: EMA {cfg['ema_decay']}")
    ends = cfg.get("anneal_at") or []
    cycles = (f"; the lr also decayed to 0 at step {', '.join(f'{e:,}' for e in ends)} and warmed up again "
              "(a run extended after it finished)" if ends else "")
    near = f" and within {cfg['ball_loss_dilate']} px of them" if cfg.get("ball_loss_dilate") else ""
    ball = (f", squared error on ball pixels{near} weighted {1 + cfg['ball_loss_weight']:g}x"
            if cfg.get("ball_loss_weight") else "")
    base = state.get("init_from")
    start = (f"fine-tuned from the final weights of `{base['config']}` ({base.get('step', 0):,} steps, "
             f"{base.get('elapsed_min', 0):.0f} minutes) for " if base else "")
    total = (f"\n- In all: {base.get('step', 0) + state.get('step', 0):,} steps, "
             f"{base.get('elapsed_min', 0) + state.get('elapsed_min', 0):.0f} minutes on 2 CPU cores." if base else "")
    first = f" (it trains `{base['config']}` first if that run's checkpoint is missing)" if base else ""
    return f"""# {folder.name}: frame-conditioned video DiT, {what}

Trained by phydemo (the paper released no weights). Sees the first 3 frames, generates the other 29.

- Data: {cfg['train_size']} simulated videos ({dist['scenario']}, seed {cfg.get('data_seed', 0)}), {cfg['resolution']}x{cfg['resolution']} px,
  32 frames, {data}.
- Model: `VideoDiT`, pixel space, patch {m.get('patch_size_t')}x{m.get('patch_size')}x{m.get('patch_size')} (t x h x w), width {m.get('hidden_size')},
  depth {m.get('depth')}, {m.get('num_heads')} heads, adaLN-Zero, x-prediction, rectified flow; weights stored in fp16.
- Training: {start}{state.get('step', '?')} steps of batch {cfg['batch_size']}, AdamW lr {cfg['lr']} (warmup {cfg.get('warmup_steps', 0)},
  linear decay to 0 over the last {cfg.get('decay_steps', 0)}){cycles}, {cfg.get('high_noise_fraction', 0):.0%} of each batch at t = 1 from
  step {cfg.get('high_noise_from_step', 0)}{ball}, {weights}, {state.get('elapsed_min', 0):.0f} minutes on 2 CPU cores (no GPU).{total}
- Reproduce: `python -m phydemo train --config configs/{cfg['name']}.yaml`{first}, then copy `runs/{cfg['name']}/checkpoint` here.

"""


def _read(folder: Path) -> tuple[dict, dict, dict]:
    cfg = yaml.safe_load((folder / "train_config.yaml").read_text())
    state = json.loads((folder / "train_state.json").read_text()) if (folder / "train_state.json").exists() else {}
    dist = json.loads((folder / "training_distribution.json").read_text())
    return cfg, state, dist


def _table_row(name: str, r: dict) -> str:
    se = f" ± {r['error_se']:.4f}" if r.get("error_se") is not None else ""
    return (f"| {name} | {r['error']:.4f}{se} | {r['error_median']:.4f} | {r['parse_floor']:.4f} | "
            f"{r['clean_fraction']:.2f} |")


def _breakdown(results: dict, key: str, fmt, title: str) -> str:
    """A titled bullet list, one line per set (ID, then each OOD level) that holds ``key``; empty if none does."""
    sets = [("ID", results["id"])] + [(f"OOD {k}", r) for k, r in results.get("ood", {}).items()]
    lines = [f"- {name}: {fmt(r[key])}\n" for name, r in sets if r.get(key)]
    return f"\n{title}:\n\n" + "".join(lines) if lines else ""


def write_model_card(folder: str | Path, results: dict, benchmark: dict | None = None) -> Path:
    folder = Path(folder)
    cfg, state, dist = _read(folder)
    (folder / "eval.json").write_text(json.dumps(results, indent=2))
    ref = PAPER_REFERENCE[results["scenario"]]
    names = {"v": "OOD (speed)", "r": "OOD (radius)", "vr": "OOD (speed and radius)"}
    rows = [_table_row("ID", results["id"])] + [_table_row(names[k], r) for k, r in results.get("ood", {}).items()]
    text = _header(folder, cfg, state, dist, results['scenario']) + f"""## Measured (`python -m phydemo evaluate --checkpoint checkpoints/{folder.name} --n {results['n']} --steps {results['steps']} --card`)

Velocity error in world units / s, {results['n']} videos per row, {results['steps']} sampling steps; "clean" is the share
of rollouts showing one clean ball per ball of the scene (a single blob of the right area) in every scored frame.

| set | mean error (± standard error) | median | parse floor | clean |
|---|---|---|---|---|
{chr(10).join(rows)}

Paper ({results['scenario']}): {', '.join(f'{k} {v}' for k, v in ref.items())}.
"""
    text += _breakdown(results, "bias_by_speed", format_bias,
                       "Speed bias, generated - true speed along the motion, by true speed (> 0: sped up, < 0: slowed down)")
    text += _breakdown(results, "error_by_radius", format_by_radius,
                       "Error and clean share by the scene's smallest radius (small balls are a few pixels across)")
    if benchmark:
        text += f"\nSampling speed: {benchmark}\n"
    path = folder / "README.md"
    path.write_text(text)
    return path


def write_lab_card(folder: str | Path, summary: dict, seed: int, steps: int) -> Path:
    """The model card of a mechanism-lab checkpoint: its preset and the measured tally (also ``experiment.json``)."""
    from phydemo.eval.lab import summary_lines

    folder = Path(folder)
    cfg, state, dist = _read(folder)
    (folder / "experiment.json").write_text(json.dumps({**summary, "seed": seed, "steps": steps}, indent=2))
    rows = [f"| {o} | {summary['counts'][o]} | {summary['percent'][o]:.1f}% |" for o in summary["counts"]]
    details = "".join(f"- {line}\n" for line in summary_lines(summary))
    text = _header(folder, cfg, state, dist, f"mechanism lab ({summary['experiment']})") + f"""## Experiment

{summary['title']}. Tested only on combinations it never saw in training.

Measured (`python -m phydemo experiment {summary['experiment']} --checkpoint checkpoints/{folder.name} --n {summary['n']} --seed {seed} --steps {steps} --card`):

| outcome | rollouts | share |
|---|---|---|
{chr(10).join(rows)}

{details}
Paper: {summary['paper']} Attribute order found by the paper: {summary['paper_order']}.
"""
    path = folder / "README.md"
    path.write_text(text)
    return path


def format_bias(rows: list[dict]) -> str:
    """``[1, 1.5] +0.046, [1.5, 2] +0.003, ...``: a bias_by_speed list on one line."""
    return ", ".join(f"[{b['speed'][0]:g}, {b['speed'][1]:g}] {b['bias']:+.3f}" for b in rows)


def format_by_radius(rows: list[dict]) -> str:
    """``[0.5, 0.75] 1.310 (21% clean), ...``: an error_by_radius list on one line."""
    return ", ".join(f"[{r['radius'][0]:g}, {r['radius'][1]:g}] {r['error']:.3f} ({r['clean']:.0%} clean)"
                     for r in rows)


def report_markdown(r: Rollout, dist: dict, labels: dict) -> str:
    ref = PAPER_REFERENCE[r.params.scenario]
    err = r.report.error
    status = "**Out of distribution**: " + "; ".join(labels.values()) if labels else "**In distribution**"
    err_text = f"{err:.3f}" if math.isfinite(err) else "n/a (the ball is out of view in every scored frame)"
    lines = [status, "",
             f"- velocity error of the generated video: **{err_text}** world units/s",
             f"- parse floor of this scene (ground truth through the same parser): {r.gt_report.error:.3f}",
             f"- paper, {r.params.scenario}: parse floor {ref['parse_floor']}"]
    if "id_dit_s_30k" in ref:
        lines.append(f"- paper, uniform motion: ID error {ref['id_dit_s_30k']} (DiT-S, 30K videos), "
                     f"OOD error {ref['ood_dit_b']} (DiT-B)")
    elif "ood" in ref:
        lines.append(f"- paper, {r.params.scenario}: OOD error {ref['ood']}")
    return "\n".join(lines)


def format_table(res: dict) -> str:

    rows = [f"{res['checkpoint']}  ({res['scenario']}, n={res['n']} per row, {res['steps']} steps, {res['resolution']}px, "
            f"scene seed {res.get('seed', EVAL_SEED)})",
            f"{'set':<10}{'error':>10}{'+-se':>8}{'median':>10}{'floor':>10}{'clean':>8}"]
    sets = [("ID", res["id"])] + [(f"OOD {k}", v) for k, v in res.get("ood", {}).items()]
    for name, r in sets:
        rows.append(f"{name:<10}{r['error']:>10.4f}{r.get('error_se', float('nan')):>8.4f}{r['error_median']:>10.4f}{r['parse_floor']:>10.4f}{r['clean_fraction']:>8.2f}")
    for name, r in sets:
        if r.get("bias_by_speed"):
            rows.append(f"{name} speed bias (generated - true) by true speed: " + format_bias(r["bias_by_speed"]))
    for name, r in sets:
        if r.get("error_by_radius"):
            rows.append(f"{name} error by smallest radius: " + format_by_radius(r["error_by_radius"]))
    return "\n".join(rows)
