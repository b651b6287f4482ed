"""The app's texts built from measured results: what a checkpoint measured, in or out of distribution, the report
under a rollout, a lab tally."""

from __future__ import annotations

import json
import math
from pathlib import Path

from phydemo.eval import findings
from phydemo.eval.rollout import Rollout
from phydemo.protocol import FRAME_DT, PAPER_REFERENCE, WORLD_SIZE, sampling_steps
from phydemo.report.tables import pair_order, result_sets, summary_lines

PAPER = "https://arxiv.org/abs/2411.02385"
TERMS = ("*Velocity error*: the paper's metric, how far the balls' speeds, read off the video by a colour parser, are "
         "from the law (world units / s). *Parse floor*: the same error on the ground truth itself, the best any model "
         "can score at this resolution. *Clean*: each ball stays one blob of its true size in every scored frame.")


LAB_HINT = "A mechanism-lab checkpoint, trained on restricted cases: run its experiment in the Lab tab."


def measured_text(folder: Path) -> str:
    """Markdown: how good a checkpoint measured (its eval.json), so a lecture knows what to expect."""
    path = folder / "eval.json"
    lab = (folder / "experiment.json").exists()
    try:
        res = json.loads(path.read_text())
        rid = res["id"]
        parts = [f"ID error {rid['error']:.3f} (parse floor {rid['parse_floor']:.3f}, "
                 f"{rid['clean_fraction']:.0%} of rollouts clean)"]
        parts += [f"{name} {r['error']:.3f} ({r['error'] / rid['error']:.1f}x ID)" for name, r in result_sets(res)[1:]]
        return (f"**Measured** on {res['n']} scenes per set ({sampling_steps(res['steps'])}), world units / s: "
                + "; ".join(parts) + "." + (f" {LAB_HINT}" if lab else ""))
    except FileNotFoundError:
        if lab:
            return LAB_HINT
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


def lab_markdown(summary: dict) -> str:
    """A lab experiment's tally as markdown: counts, per-combination lines, the paper's finding."""
    lines = [f"**{summary['title']}**, n = {summary['n']}", "", "| outcome | count | % |", "|---|---|---|"]
    lines += [f"| {o} | {c} | {summary['percent'][o]:.1f} |" for o, c in summary["counts"].items()]
    lines += [""] + [f"- {line}" for line in summary_lines(summary)]
    lines += ["", f"Paper: {summary['paper']}"]
    if order := pair_order(summary):
        lines[-1] += (f" The paper's order of all four attributes: {order}; the order our models "
                      "follow, from every pair, is the finding `attribute-order` above.")
    return "\n".join(lines)


def nearest_markdown(cases: list[str], train_size: int) -> str:
    """The nearest training cases of a request, nearest first (the first is the third panel of the video)."""
    return (f"**Nearest of the {train_size:,} training videos** (speed, radius): " + "; ".join(cases) + ". Out of "
            "distribution, the generated ball tends to move like these rather than like the law.")


def prediction_markdown(e: dict) -> str:
    """Predict first: where ball 1 is under the law, in the model's video and in the guess, and both errors."""
    tx, ty = e["truth"]
    in_view = 0 <= tx <= WORLD_SIZE and 0 <= ty <= WORLD_SIZE
    law = f"the law puts ball 1 at ({tx:.2f}, {ty:.2f})" + ("" if in_view else ", out of view")
    when = f"At t = {e['frame'] * FRAME_DT:.1f} s (frame {e['frame']})"
    if e["model"]:
        model = f"the model put it at ({e['model'][0]:.2f}, {e['model'][1]:.2f}), **{e['model_error']:.2f}** away"
    else:
        model = "the model shows no ball there" + (", as it should" if not in_view else ": it lost the ball")
    return (f"{when} {law}; {model}; your guess ({e['guess'][0]:.2f}, {e['guess'][1]:.2f}) is "
            f"**{e['guess_error']:.2f}** away (world units).")


def finding_markdown(result: dict) -> str:
    """A finding in the Lab: its title, the one-paragraph reading of our numbers, the paper's finding, the models'
    resolution and the command that reproduces it."""
    res = sorted(set(result.get("resolution", {}).values()))
    models = ", ".join(f"`{c}`" for c in result.get("resolution", {}))
    return (f"**{result['title']}**\n\n{findings.reading(result)}\n\n*Paper:* {result['paper']}\n\n"
            f"*Models:* {models} ({' and '.join(f'{r} px' for r in res)}). *Reproduce:* "
            f"`python -m phydemo experiment {result['finding']}`.")
