"""Interpolation (the paper's section 5): a uniform-motion model trained with a middle band of speeds held out.

The paper found that a model trained on speeds in [1, 2] U [3, 4] still generates the law inside the hole [2, 3],
while it fails outside the training range. We test the hole model and the full model (trained on all of [1, 4],
the same number of videos and steps) on the same scenes and noise: speeds they trained on, speeds inside the hole,
and the OOD speeds outside the range; per set, each model's mean error with its standard error and the paired
difference (hole model - full model); and what speed each model generates against the true one, per bin of 0.25 (a
model that interpolates follows the diagonal across the hole; one that imitates its nearest training case jumps from
the speeds below the hole to those above it).
"""

from __future__ import annotations

import numpy as np

from phydemo.eval.compare import paired, per_scene_scores
from phydemo.eval.evaluate import bins, standard_error
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED, sampling_steps

HOLE = (2.0, 3.0)  # the speeds held out of the hole model's training set
TRAINED = [[1.0, HOLE[0]], [HOLE[1], 4.0]]
HOLE_DATA = {"speed_range": TRAINED}  # the hole model's data_kwargs
# each test set: (label, OOD level or None for ID scenes, data_kwargs for ID scenes)
SETS = (("trained speeds", None, HOLE_DATA),
        ("inside the hole", None, {"speed_range": [list(HOLE)]}),
        ("outside the range", "v", None))


def mean_se(errors: np.ndarray) -> dict:
    scored = errors[np.isfinite(errors)]
    return {"error": float(scored.mean()) if len(scored) else float("nan"), "se": standard_error(scored), "n": len(errors),
            "n_scored": len(scored)}


def speed_bins(scores: list, width: float = 0.25) -> list[dict]:
    """The mean generated speed (with its standard error) per bin of true speed, over the scenes where it was read
    (``unread``: those of the bin where it was not)."""
    true = np.array([sc.params.speed for sc in scores])
    gen = np.array([sc.generated_speed for sc in scores])
    return [{"speed": edges, "n": int(read.sum()), "unread": int(unread.sum()), "true": float(true[read].mean()),
             "generated": float(gen[read].mean()), "se": standard_error(gen[read])}
            for edges, read, unread in bins(true, gen, width)]


def errors_and_clean(scores: list) -> tuple[np.ndarray, np.ndarray]:
    return np.array([sc.report.error for sc in scores]), np.array([sc.clean for sc in scores])


def run_interpolation(hole: str, full: str, n: int = 128, seed: int = EVAL_SEED, steps: int = DEFAULT_STEPS) -> dict:
    """Both checkpoints on every test set: per model its mean error, the paired hole - full difference, and the
    generated against the true speed per bin."""
    out = {"hole": list(HOLE), "trained": TRAINED, "checkpoints": {"hole": hole, "full": full}, "n": n, "seed": seed,
           "steps": steps, "sets": {}, "speeds": {"hole_model": [], "full_model": []}}
    for label, level, data_kwargs in SETS:
        by_model = {m: per_scene_scores(ck, n, seed, steps, level, data_kwargs)
                    for m, ck in (("hole_model", hole), ("full_model", full))}
        (eh, ch), (ef, cf) = errors_and_clean(by_model["hole_model"]), errors_and_clean(by_model["full_model"])
        c = paired(ef, eh, cf, ch)
        out["sets"][label] = {"hole_model": mean_se(eh), "full_model": mean_se(ef), "difference": c.diff,
                              "difference_se": c.diff_se, "scored_by_both": c.scored_by_both}
        for m, scores in by_model.items():
            out["speeds"][m] += speed_bins(scores)
    for rows in out["speeds"].values():
        rows.sort(key=lambda r: r["speed"][0])
    return out


def reading(result: dict) -> str:
    """One paragraph: what the numbers say about interpolation and extrapolation (the verdicts follow the numbers:
    the hole "interpolates" where the hole model's error there is within 2 standard errors of twice the full model's,
    and the range "does not extrapolate" where the error outside is at least 3x the error inside the hole)."""
    s = result["sets"]
    hole, out, trained = s["inside the hole"], s["outside the range"], s["trained speeds"]
    h, f = hole["hole_model"], hole["full_model"]
    interpolates = h["error"] <= 2 * f["error"] + 2 * float(np.hypot(h["se"], 2 * f["se"]))
    ratio = out["hole_model"]["error"] / h["error"]
    inside = ("so it interpolates across the hole" if interpolates else
              "so it does not fill the hole as well as a model that saw those speeds")
    outside = (f"{ratio:.1f}x the error inside the hole: it does not extrapolate" if ratio >= 3 else
               f"only {ratio:.1f}x the error inside the hole")
    in_hole = [r for r in result["speeds"]["hole_model"]
               if result["hole"][0] <= r["speed"][0] < result["hole"][1]]
    follows = "" if not in_hole else (
        " Inside the hole its mean generated speed per quarter is " +
        ", ".join(f"{r['generated']:.2f} (true {r['true']:.2f})" for r in in_hole) + ".")
    return (f"Trained without speeds in [{result['hole'][0]:g}, {result['hole'][1]:g}], the model's error inside that "
            f"hole is {h['error']:.3f} ± {h['se']:.3f}, against {f['error']:.3f} ± {f['se']:.3f} for the same model "
            f"trained on every speed (paired difference {hole['difference']:+.3f} ± {hole['difference_se']:.3f}) and "
            f"{trained['hole_model']['error']:.3f} on the speeds it trained on, {inside}. Outside the training range "
            f"the error is {out['hole_model']['error']:.3f} (hole model) and {out['full_model']['error']:.3f} (full "
            f"model), {outside} (n = {result['n']} scenes per set, {sampling_steps(result['steps'])}).{follows}")
