"""Tables of measured results as the command line prints them (and the formatting the cards share)."""

from __future__ import annotations

from phydemo.eval.lab import EXPERIMENTS, PAPER_ORDER
from phydemo.protocol import EVAL_SEED, sampling_steps

OOD_NAMES = {"v": "OOD speed", "r": "OOD radius", "vr": "OOD speed and radius"}


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


def breakdowns(results: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(set name, one line)]) for each breakdown the results hold."""
    out = []
    for key, fmt, title in BREAKDOWNS:
        rows = [(name, fmt(r[key])) for name, r in result_sets(results) if r.get(key)]
        if rows:
            out.append((title, rows))
    return out


def format_table(res: dict) -> str:
    """The paper's table as ``phydemo evaluate`` prints it."""
    rows = [f"{res['checkpoint']}  ({res['scenario']}, n={res['n']} per row, {sampling_steps(res['steps'])}, {res['resolution']}px, "
            f"scene seed {res.get('seed', EVAL_SEED)})",
            f"{'set':<22}{'error':>9}{'+-se':>8}{'median':>9}{'floor':>9}{'clean':>7}{'scored':>8}"]
    for name, r in result_sets(res):
        rows.append(f"{name:<22}{r['error']:>9.4f}{r.get('error_se', float('nan')):>8.4f}{r['error_median']:>9.4f}"
                    f"{r['parse_floor']:>9.4f}{r['clean_fraction']:>7.2f}{r.get('n_scored', r['n']):>5}/{r['n']}")
    for title, lines in breakdowns(res):
        rows += [f"{title}:"] + [f"  {name}: {line}" for name, line in lines]
    return "\n".join(rows)


def format_parse_floor(table: dict, resolutions) -> str:
    """``phydemo parse-floor`` as a markdown table: scenario by resolution."""
    lines = ["| scenario | " + " | ".join(f"{r}px" for r in resolutions) + " |", "|---|" + "---|" * len(resolutions)]
    lines += [f"| {scenario} | " + " | ".join(f"{row[r]:.4f}" for r in resolutions) + " |" for scenario, row in table.items()]
    return "\n".join(lines)


def format_comparison(c, a: str, b: str, level: str | None, seed: int, steps: int, steps_b: int | None = None) -> str:
    """``phydemo compare``: both means on the scenes both scored, the paired difference, the clean counts."""
    sampling = sampling_steps(steps) if steps_b in (None, steps) else f"A {sampling_steps(steps)}, B {steps_b}"
    return "\n".join([
        f"{level or 'ID'} scenes, n = {c.n} (seed {seed}, {sampling}), {c.scored_by_both} scored by both"
        + (f"; drawn from A's training distribution {c.data_kwargs}" if c.data_kwargs else ""),
        f"A {a}: error {c.error_a:.4f}, clean {c.clean_a:.2f}",
        f"B {b}: error {c.error_b:.4f}, clean {c.clean_b:.2f}",
        f"B - A per scene: {c.diff:+.4f} +- {c.diff_se:.4f} (standard error); B lower on {c.b_lower:.0%} of scenes",
        f"clean in B only: {c.clean_only_b}, in A only: {c.clean_only_a}"])


def pair_order(summary: dict) -> str | None:
    """The paper's order of all four attributes where a tally is of an attribute pair (one step of that order); None
    for case matching. Decided by the experiment, not by the fields a tally file happens to carry."""
    return PAPER_ORDER if EXPERIMENTS[summary["experiment"]].attributes else None


def summary_lines(summary: dict, per_test: bool = True) -> list[str]:
    """The per-combination tallies (where ``per_test``), the colour and the velocity lines of a lab summary, as plain
    sentences."""
    lines = []
    if per_test and len(summary.get("by_test", {})) > 1:
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
    if v and v.get("slope") is not None:
        lines.append(f"generated against given velocity: slope {v['slope']:.2f} (1: follows the law; 0: the given "
                     "speed is ignored)")
    return lines


def format_lab_summary(summary: dict) -> str:
    """``phydemo experiment``: the tally as plain text."""
    lines = [f"{summary['title']} (n={summary['n']})"]
    lines += [f"  {o:<32}{c:>5}  {summary['percent'][o]:5.1f}%" for o, c in summary["counts"].items()]
    lines += ["  " + line for line in summary_lines(summary)]
    order = pair_order(summary)
    return "\n".join(lines + [f"paper: {summary['paper']}" + (f" (order found: {order})" if order else "")])


def format_lab_comparison(c, a: str, b: str, steps: int) -> str:
    """``phydemo experiment NAME --checkpoint A --against B``: both tallies side by side, the rollouts whose outcome
    changed, and the paired velocity error on the preset's training distribution."""
    n, width = c.a["n"], max(len(o) for o in c.a["counts"]) + 2
    lines = [f"{c.a['title']}: A {a}, B {b} on the same {n} test rollouts and noise ({sampling_steps(steps)})",
             f"  {'outcome':<{width}}{'A':>5}{'B':>6}"]
    lines += [f"  {o:<{width}}{k:>5}{c.b['counts'][o]:>6}" for o, k in c.a["counts"].items()]
    for label, s in (("A", c.a), ("B", c.b)):
        lines += [f"  {label}: {line}" for line in summary_lines(s, per_test=False)]
    changed = sum(c.changes.values())
    lines.append(f"outcome changed in {changed} of {n}" + (":" if changed else ""))
    lines += [f"  {x} -> {y}: {k}" for (x, y), k in c.changes.items()]
    d = c.in_distribution
    lines += [f"its training distribution, n = {d.n} (seed {c.id_seed}), {d.scored_by_both} scored by both:",
              f"  error A {d.error_a:.4f} (clean {d.clean_a:.2f}), B {d.error_b:.4f} (clean {d.clean_b:.2f}); "
              f"B - A per scene {d.diff:+.4f} +- {d.diff_se:.4f}; clean in B only {d.clean_only_b}, in A only "
              f"{d.clean_only_a}"]
    return "\n".join(lines)


def format_autoencoder_floor(table: dict, stage: str = "the autoencoder") -> str:
    """``phydemo autoencoder-floor`` (or ``upsampler-floor``) as a markdown table: the parser through the stage against
    on pixels."""
    lines = [f"| scenario | set | scored | pixel floor | through {stage} | ratio | clean |",
             "|---|---|---|---|---|---|---|"]
    for scenario, sets in table.items():
        lines += [f"| {scenario} | {name} | {r['n_scored']} / {r['n']} | {r['pixel_floor']:.4f} | "
                  f"{r['through']:.4f} ± {r['through_se']:.4f} | {r['ratio']:.2f} | {r['clean_fraction']:.2f} |"
                  for name, r in sets.items()]
    return "\n".join(lines)
