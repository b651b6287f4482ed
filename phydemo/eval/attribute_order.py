"""The attribute order from all attribute-pair experiments together, with counts and confidence intervals.

Each pair experiment (``lab.attribute_pair``) tallies, over rollouts of combinations never seen in training, whether
the generated object kept its first or its second attribute. Per pair we count the decisive rollouts (kept exactly
one of the two), take the share that kept the first with a 95% Wilson interval, and call the pair for the first
attribute where the whole interval lies above one half, for the second where it lies below, and undecided otherwise.
The order ranks the attributes so that every decided pair's winner comes first (by pairs won where that leaves a
choice) and is written with what was measured between neighbours: ">" decided, "~" undecided, "?" not trained; with
a cycle among the decided pairs it is reported as inconsistent. It is set beside the paper's colour > size >
velocity > shape.
"""

from __future__ import annotations

import math
from itertools import combinations

from phydemo.eval.lab import EXPERIMENTS, PAPER_ORDER

ATTRIBUTES = ("colour", "size", "velocity", "shape")
Z95 = 1.959964


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def paper_rank(order: str = PAPER_ORDER) -> dict[str, int]:
    return {a.strip(): i for i, a in enumerate(order.split(">"))}


def pair_result(summary: dict) -> dict:
    """One pair's decisive counts, share kept-first with its interval, and which attribute won (None: undecided)."""
    first, second = EXPERIMENTS[summary["experiment"]].attributes
    counts = summary["counts"]
    a, b = counts.get(f"kept {first}", 0), counts.get(f"kept {second}", 0)
    lo, hi = wilson_interval(a, a + b)
    winner = first if lo > 0.5 else second if hi < 0.5 else None
    paper_position = paper_rank()
    paper = first if paper_position[first] < paper_position[second] else second
    return {"pair": f"{first}/{second}", "experiment": summary["experiment"], "first": first, "second": second, "kept_first": a, "kept_second": b,
            "other": summary["n"] - a - b, "n": summary["n"], "share_first": a / (a + b) if a + b else None,
            "interval": [lo, hi], "winner": winner, "paper": paper, "agrees": winner == paper}


def pair_experiments() -> list[str]:
    """The attribute-pair presets, in the order of ``lab.EXPERIMENTS``."""
    return [name for name, e in EXPERIMENTS.items() if e.attributes]


def attribute_order(summaries: list[dict]) -> dict:
    """All pairs together: each pair's result, the ranking by pairs won, whether it is consistent with every decided
    pair, which of the six pairs are missing, and where our models differ from the paper."""
    pairs = [pair_result(s) for s in summaries]
    wins = {a: 0 for a in ATTRIBUTES}
    for p in pairs:
        if p["winner"]:
            wins[p["winner"]] += 1
    ranking, consistent = rank(pairs, wins)
    seen = {frozenset((p["first"], p["second"])) for p in pairs}
    missing = [f"{a}/{b}" for a, b in combinations(ATTRIBUTES, 2) if frozenset((a, b)) not in seen]
    differ = [p for p in pairs if not p["agrees"]]
    return {"pairs": pairs, "wins": wins, "ranking": ranking, "order": order_text(ranking, pairs), "consistent": consistent,
            "missing": missing, "paper_order": PAPER_ORDER, "differences": [describe_difference(p) for p in differ]}


def order_text(ranking: list[str], pairs: list[dict]) -> str:
    """The ranking written with what was measured between neighbours: ">" a decided pair, "~" an undecided one,
    "?" a pair not trained yet (so an untested step is never shown as found)."""
    verdict = {frozenset((p["first"], p["second"])): p["winner"] for p in pairs}
    out = ranking[0]
    for a, b in zip(ranking, ranking[1:]):
        key = frozenset((a, b))
        out += (" ? " if key not in verdict else " > " if verdict[key] == a else " ~ ") + b
    return out


def rank(pairs: list[dict], wins: dict[str, int]) -> tuple[list[str], bool]:
    """Attributes ordered so that every decided pair's winner comes first (repeatedly taking, among the attributes no
    remaining one has beaten, the one with most wins, then the paper's order); with a cycle, by wins alone."""
    paper = paper_rank()
    beaten = {(p["winner"], p["second"] if p["winner"] == p["first"] else p["first"]) for p in pairs if p["winner"]}
    remaining, ranking = set(ATTRIBUTES), []
    while remaining:
        free = [a for a in remaining if not any((b, a) in beaten for b in remaining)]
        if not free:
            return sorted(ATTRIBUTES, key=lambda a: (-wins[a], paper[a])), False
        best = min(free, key=lambda a: (-wins[a], paper[a]))
        ranking.append(best)
        remaining.remove(best)
    return ranking, True


def describe_difference(p: dict) -> str:
    lo, hi = p["interval"]
    share = f"{p['kept_first']} of {p['kept_first'] + p['kept_second']} decisive rollouts kept {p['first']} " \
            f"(95% interval {lo:.2f}-{hi:.2f})"
    if p["winner"] is None:
        return f"{p['pair']}: undecided, {share}; the paper: {p['paper']} wins"
    return f"{p['pair']}: {p['winner']} wins, {share}; the paper: {p['paper']} wins"


def reading(result: dict) -> str:
    """One paragraph: the order our models follow, how sure each pair is, and where it differs from the paper."""
    pairs = result["pairs"]
    decided = [p for p in pairs if p["winner"]]
    n = sum(p["n"] for p in pairs)
    order = result["order"] if result["consistent"] else f"no consistent order (the pairs form a cycle; by wins: " \
                                                          f"{result['order']})"
    text = (f"From {len(pairs)} attribute pairs ({n} test rollouts of combinations never seen in training; "
            f"{len(decided)} pairs decided at 95%), our models follow {order} (> decided, ~ undecided, ? not "
            f"trained); the paper found {result['paper_order']}.")
    if result["missing"]:
        text += f" Not trained yet: {', '.join(result['missing'])}."
    if result["differences"]:
        text += " Where we differ: " + "; ".join(result["differences"]) + "."
    else:
        text += " Every pair we decided agrees with the paper."
    return text
