"""Every table, card and message built from measured results, in one place: the CLI's table, the app's texts and
the checkpoints' model cards (Hugging Face model cards: YAML metadata with the measured metrics, then the text)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from phydemo.eval.rollout import Rollout
from phydemo.model.checkpoint import read_training_distribution
from phydemo.protocol import EVAL_SEED, NUM_COND_FRAMES, NUM_FRAMES, PAPER_REFERENCE

OOD_NAMES = {"v": "OOD speed", "r": "OOD radius", "vr": "OOD speed and radius"}
SCENARIO_TITLES = {"uniform": "uniform motion", "collision": "elastic collision", "parabola": "parabolic motion"}
LICENSE = "apache-2.0"
PAPER = "https://arxiv.org/abs/2411.02385"
CLEAN = ("the share of rollouts showing one clean object per ball (a single blob within 35% of the true area) in every "
         "scored frame")


def result_sets(results: dict) -> list[tuple[str, dict]]:
    """(name, row) for the ID row, then each OOD level measured."""
    return [("ID", results["id"])] + [(OOD_NAMES[k], r) for k, r in results.get("ood", {}).items()]


def format_bias(rows: list[dict]) -> str:
    """``[1, 1.5] +0.046, [1.5, 2] +0.003, ...``: a bias_by_speed list on one line."""
    return ", ".join(f"[{b['speed'][0]:g}, {b['speed'][1]:g}] {b['bias']:+.3f}" for b in rows)


def format_by_radius(rows: list[dict]) -> str:
    """``[0.5, 0.75] 1.310 (21% clean), ...``: an error_by_radius list on one line."""
    return ", ".join(f"[{r['radius'][0]:g}, {r['radius'][1]:g}] {r['error']:.3f} ({r['clean']:.0%} clean)" for r in rows)


BREAKDOWNS = (("bias_by_speed", format_bias, "Speed bias, generated - true speed along the motion, by true speed "
                 "(> 0: sped up, < 0: slowed down)"),
              ("error_by_radius", format_by_radius, "Error and clean share by the scene's smallest radius"))


def _breakdowns(results: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(set name, one line)]) for each breakdown the results hold."""
    out = []
    for key, fmt, title in BREAKDOWNS:
        rows = [(name, fmt(r[key])) for name, r in result_sets(results) if r.get(key)]
        if rows:
            out.append((title, rows))
    return out


# ---------------------------------------------------------------- command line

def format_table(res: dict) -> str:
    """The paper's table as ``phydemo evaluate`` prints it."""
    rows = [f"{res['checkpoint']}  ({res['scenario']}, n={res['n']} per row, {res['steps']} steps, {res['resolution']}px, "
            f"scene seed {res.get('seed', EVAL_SEED)})",
            f"{'set':<22}{'error':>9}{'+-se':>8}{'median':>9}{'floor':>9}{'clean':>7}{'scored':>8}"]
    for name, r in result_sets(res):
        rows.append(f"{name:<22}{r['error']:>9.4f}{r.get('error_se', float('nan')):>8.4f}{r['error_median']:>9.4f}"
                    f"{r['parse_floor']:>9.4f}{r['clean_fraction']:>7.2f}{r.get('n_scored', r['n']):>5}/{r['n']}")
    for title, lines in _breakdowns(res):
        rows += [f"{title}:"] + [f"  {name}: {line}" for name, line in lines]
    return "\n".join(rows)


# ---------------------------------------------------------------- the app

def measured_text(folder: Path) -> str:
    """Markdown: how good a checkpoint measured (its eval.json), so a lecture knows what to expect."""
    path = folder / "eval.json"
    try:
        res = json.loads(path.read_text())
        rid = res["id"]
        parts = [f"ID error {rid['error']:.3f} (parse floor {rid['parse_floor']:.3f}, "
                 f"{rid['clean_fraction']:.0%} of rollouts clean)"]
        parts += [f"{name} {r['error']:.3f} ({r['error'] / rid['error']:.1f}x ID)" for name, r in result_sets(res)[1:]]
        return (f"**Measured** on {res['n']} scenes per set ({res['steps']} sampling steps), world units / s: "
                + "; ".join(parts) + ".")
    except FileNotFoundError:
        if (folder / "experiment.json").exists():
            return "A mechanism-lab checkpoint, trained on restricted cases: run its experiment in the Lab tab."
        return f"Not measured yet: `phydemo evaluate --checkpoint {folder} --card` writes its table."
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        return f"No measured table: {path} is unreadable ({type(e).__name__}: {e})."


def merged_labels(labels: dict[str, str]) -> list[str]:
    """The reasons a scene is out of distribution, with the two balls' identical ones said once
    (``speed1 = speed2=5.5 is 1.5 above ...``, not the same sentence twice)."""
    out = dict(labels)
    for attr in ("speed", "radius"):
        one, two = out.get(attr + "1"), out.get(attr + "2")
        if one and two and one[len(attr) + 1:] == two[len(attr) + 1:]:
            out[attr + "1"] = f"{attr}1 = {attr}2{one[len(attr) + 1:]}"
            del out[attr + "2"]
    return list(out.values())


def distribution_status(labels: dict[str, str]) -> str:
    """Markdown: in or out of distribution, with every reason."""
    if not labels:
        return "**In distribution**: every attribute lies inside the training ranges."
    return "**Out of distribution**: " + "; ".join(merged_labels(labels)) + "."


TERMS = ("*Velocity error*: the paper's metric, how far the balls' speeds, read off the video by a colour parser, are "
         "from the law (world units / s). *Parse floor*: the same error on the ground truth itself, the best any model "
         "can score at this resolution. *Clean*: each ball stays one blob of its true size in every scored frame.")


def rollout_markdown(r: Rollout, labels: dict[str, str]) -> str:
    """The report under a rollout: in or out of distribution, its error, its parse floor, the paper's numbers."""
    ref = PAPER_REFERENCE[r.params.scenario]
    err = r.report.error
    err_text = f"{err:.3f}" if math.isfinite(err) else "n/a (no frame of this scene can be scored)"
    lines = [distribution_status(labels), "",
             f"- velocity error of the generated video: **{err_text}** world units/s",
             f"- parse floor of this scene (ground truth through the same parser): {r.gt_report.error:.3f}",
             f"- paper, {r.params.scenario}: parse floor {ref['parse_floor']}"]
    if "id_dit_s_30k" in ref:
        lines.append(f"- paper, uniform motion: ID error {ref['id_dit_s_30k']} (DiT-S, 30K videos), "
                     f"OOD error {ref['ood_dit_b']} (DiT-B)")
    elif "ood" in ref:
        lines.append(f"- paper, {r.params.scenario}: OOD error {ref['ood']}")
    return "\n".join(lines + ["", TERMS])


def summary_lines(summary: dict) -> list[str]:
    """The per-combination tallies, the colour and the velocity lines of a lab summary, as plain sentences."""
    lines = []
    if len(summary.get("by_test", {})) > 1:
        for label, counts in summary["by_test"].items():
            k = sum(counts.values())
            lines.append(f"{label} (n={k}): " + ", ".join(f"{o} {100 * c / max(k, 1):.0f}%" for o, c in counts.items()))
    c = summary.get("color_kept")
    if c:
        lines.append(f"the given colour kept in {c['count']} of {summary['n']} ({c['percent']:.0f}%)")
    v = summary.get("velocity")
    if v and v["generated_mean"] is not None:
        lines.append(f"mean x-velocity: true {v['true_mean']:.2f}, generated {v['generated_mean']:.2f} "
                     f"(ball found in {v['found']} of {summary['n']})")
    return lines


def lab_markdown(summary: dict) -> str:
    """A lab experiment's tally as markdown: counts, per-combination lines, the paper's finding."""
    lines = [f"**{summary['title']}**, n = {summary['n']}", "", "| outcome | count | % |", "|---|---|---|"]
    lines += [f"| {o} | {c} | {summary['percent'][o]:.1f} |" for o, c in summary["counts"].items()]
    lines += [""] + [f"- {line}" for line in summary_lines(summary)]
    lines += ["", f"Paper: {summary['paper']} Order found: {summary['paper_order']}."]
    return "\n".join(lines)


# ---------------------------------------------------------------- model cards

def _training_text(folder: Path, cfg: dict, state: dict) -> str:
    """Data, model, training and the commands that reproduce the folder, from its own files."""
    m, dist = cfg["model"], read_training_distribution(folder)
    weights = (f"the final weights, annealed to lr 0 (EMA {cfg['ema_decay']} for the logged evaluations)"
               if cfg.get("final_weights") == "raw" else f"EMA {cfg['ema_decay']}")
    ends = cfg.get("anneal_at") or []
    cycles = (f"; the lr also decayed to 0 at step {', '.join(f'{e:,}' for e in ends)} and warmed up again" if ends else "")
    near = f" and within {cfg['ball_loss_dilate']} px of them" if cfg.get("ball_loss_dilate") else ""
    ball = f", squared error on ball pixels{near} weighted {1 + cfg['ball_loss_weight']:g}x" if cfg.get("ball_loss_weight") else ""
    base = state.get("init_from")
    start = (f"fine-tuned from the final weights of `{base['config']}` ({base.get('step', 0):,} steps, "
             f"{base.get('elapsed_min', 0):.0f} minutes) for " if base else "")
    total = (f"\n- In all: {base.get('step', 0) + state.get('step', 0):,} steps, "
             f"{base.get('elapsed_min', 0) + state.get('elapsed_min', 0):.0f} minutes on 2 CPU cores." if base else "")
    first = f" (it trains `{base['config']}` first if that run is missing)" if base else ""
    res = cfg["resolution"]
    return f"""- Data: {cfg['train_size']:,} simulated videos ({dist.scenario}, seed {cfg.get('data_seed', 0)}), {res}x{res} px, {NUM_FRAMES} frames:
  {dist.summary()}.
- Model: `VideoDiT`, pixel space, patch {m.get('patch_size_t')}x{m.get('patch_size')}x{m.get('patch_size')} (t x h x w), width {m.get('hidden_size')}, depth {m.get('depth')},
  {m.get('num_heads')} heads, adaLN-Zero, x-prediction, rectified flow; weights stored in fp16 (safetensors).
- Training: {start}{state.get('step', '?'):,} steps of batch {cfg['batch_size']}, AdamW lr {cfg['lr']} (warmup {cfg.get('warmup_steps', 0)},
  linear decay to 0 over the last {cfg.get('decay_steps', 0)}){cycles}, {cfg.get('high_noise_fraction', 0):.0%} of each batch at t = 1 from step {cfg.get('high_noise_from_step', 0)}{ball};
  shipped: {weights}; {state.get('elapsed_min', 0):.0f} minutes on 2 CPU cores (no GPU).{total}
- Reproduce: `phydemo train --config configs/{cfg['name']}.yaml`{first}, then
  `phydemo export runs/{cfg['name']} checkpoints/{folder.name}`.
"""


def _measured_text(folder: Path, results: dict) -> str:
    ref = PAPER_REFERENCE[results["scenario"]]
    rows = [f"| {name} | {r['error']:.4f} ± {r.get('error_se', float('nan')):.4f} | {r['error_median']:.4f} | "
            f"{r['parse_floor']:.4f} | {r['clean_fraction']:.2f} | {r.get('n_scored', r['n'])} / {r['n']} |"
            for name, r in result_sets(results)]
    return f"""## Measured

`phydemo evaluate --checkpoint {folder.name} --n {results['n']} --steps {results['steps']} --card` (the fixed evaluation
scenes, seed {results.get('seed', EVAL_SEED)}). Velocity error in world units / s, {results['steps']} sampling steps; "clean" is {CLEAN};
"scored" counts the scenes with a scored frame (a collision scene is not scored when no frame after the contact
shows both balls wholly in view).

| set | mean error ± standard error | median | parse floor | clean | scored |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Paper ({results['scenario']}): {', '.join(f'{k} {v}' for k, v in ref.items())}.

""" + "".join(f"{title}:\n\n" + "".join(f"- {name}: {line}\n" for name, line in lines) + "\n"
                for title, lines in _breakdowns(results))


def _experiment_text(folder: Path, summary: dict) -> str:
    rows = [f"| {o} | {summary['counts'][o]} | {summary['percent'][o]:.1f}% |" for o in summary["counts"]]
    return f"""## Experiment

{summary['title']}. Tested only on combinations it never saw in training:
`phydemo experiment {summary['experiment']} --checkpoint {folder.name} --n {summary['n']} --seed {summary['seed']} --steps {summary['steps']} --card`.

| outcome | rollouts | share |
|---|---|---|
{chr(10).join(rows)}

""" + "".join(f"- {line}\n" for line in summary_lines(summary)) + f"""
Paper: {summary['paper']} Attribute order found by the paper: {summary['paper_order']}.
"""


def card_metadata(folder: Path, scenario: str, results: dict | None) -> ModelCardData:
    """The card's YAML: library, license, tags and, where measured, the ID and OOD errors as model-index results."""
    evals = []
    for name, r in result_sets(results) if results else []:
        evals.append(EvalResult(task_type="image-to-video", dataset_type=f"phydemo/{scenario}",
                                dataset_name=f"PhyWorld {scenario}, simulated (seed {results.get('seed', EVAL_SEED)})",
                                dataset_split=name, metric_type="velocity_error", metric_value=round(r["error"], 5),
                                metric_name=f"{name} velocity error (world units / s)"))
    return ModelCardData(library_name="diffusers", license=LICENSE, pipeline_tag="image-to-video",
                         tags=["video-diffusion", "dit", "physics", "phyworld", "world-model"],
                         model_name=f"phydemo-{folder.name}", eval_results=evals or None)


def write_card(folder: str | Path) -> Path:
    """(Re)write a checkpoint folder's README.md from its own files: train_config.yaml, train_state.json, the
    distribution in model_index.json, and eval.json or experiment.json where measured."""
    folder = Path(folder)
    cfg = yaml.safe_load((folder / "train_config.yaml").read_text())
    state = json.loads((folder / "train_state.json").read_text()) if (folder / "train_state.json").is_file() else {}
    results = json.loads((folder / "eval.json").read_text()) if (folder / "eval.json").is_file() else None
    summary = json.loads((folder / "experiment.json").read_text()) if (folder / "experiment.json").is_file() else None
    what = f"mechanism lab ({summary['experiment']})" if summary else SCENARIO_TITLES[cfg["scenario"]]
    body = f"""# {folder.name}: a frame-conditioned video DiT, {what}

Trained by phydemo, which re-creates *How Far is Video Generation from World Model: A Physical Law
Perspective* ([Kang et al., 2024]({PAPER})); the paper released no weights. It sees the first {NUM_COND_FRAMES} frames
of a simulated video and generates the other {NUM_FRAMES - NUM_COND_FRAMES}.

{_training_text(folder, cfg, state)}
"""
    if results:
        body += _measured_text(folder, results)
    elif summary:
        body += _experiment_text(folder, summary)
    else:
        body += f"Not measured yet: `phydemo evaluate --checkpoint {folder} --card` writes its table.\n"
    card = ModelCard(f"---\n{card_metadata(folder, cfg['scenario'], results).to_yaml()}\n---\n\n{body}")
    path = folder / "README.md"
    card.save(path)
    return path


def format_parse_floor(table: dict, resolutions) -> str:
    """``phydemo parse-floor`` as a markdown table: scenario by resolution."""
    lines = ["| scenario | " + " | ".join(f"{r}px" for r in resolutions) + " |", "|---|" + "---|" * len(resolutions)]
    lines += [f"| {scenario} | " + " | ".join(f"{row[r]:.4f}" for r in resolutions) + " |" for scenario, row in table.items()]
    return "\n".join(lines)


def format_comparison(c, a: str, b: str, level: str | None, seed: int, steps: int) -> str:
    """``phydemo compare``: both means on the scenes both scored, the paired difference, the clean counts."""
    return "\n".join([
        f"{level or 'ID'} scenes, n = {c.n} (seed {seed}, {steps} steps), {c.scored_by_both} scored by both",
        f"A {a}: error {c.error_a:.4f}, clean {c.clean_a:.2f}",
        f"B {b}: error {c.error_b:.4f}, clean {c.clean_b:.2f}",
        f"B - A per scene: {c.diff:+.4f} +- {c.diff_se:.4f} (standard error); B lower on {c.b_lower:.0%} of scenes",
        f"clean in B only: {c.clean_only_b}, in A only: {c.clean_only_a}"])


def format_lab_summary(summary: dict) -> str:
    """``phydemo experiment``: the tally as plain text."""
    lines = [f"{summary['title']} (n={summary['n']})"]
    lines += [f"  {o:<32}{c:>5}  {summary['percent'][o]:5.1f}%" for o, c in summary["counts"].items()]
    lines += ["  " + line for line in summary_lines(summary)]
    return "\n".join(lines + [f"paper: {summary['paper']} (order found: {summary['paper_order']})"])


def format_autoencoder_floor(table: dict) -> str:
    """``phydemo autoencoder-floor`` as a markdown table: the parser through the autoencoder against on pixels."""
    lines = ["| scenario | set | scored | pixel floor | through the autoencoder | ratio | clean |",
             "|---|---|---|---|---|---|---|"]
    for scenario, sets in table.items():
        lines += [f"| {scenario} | {name} | {r['n_scored']} / {r['n']} | {r['pixel_floor']:.4f} | "
                  f"{r['autoencoder_floor']:.4f} ± {r['autoencoder_se']:.4f} | {r['ratio']:.2f} | {r['clean_fraction']:.2f} |"
                  for name, r in sets.items()]
    return "\n".join(lines)
