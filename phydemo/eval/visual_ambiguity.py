"""The paper's visual-ambiguity finding on our PHYRE-like world (``phyre_ambiguity``): a red ball dropped onto a gap
between two static balls, its radius swept across the pass / no-pass threshold in steps far below a pixel. Where the
truth flips is geometry (radius = half the gap); where the model's flips, it shows what the model reads from the
frame it is given. Each radius is rolled out with several noise seeds; the red ball is read by the judge's parser
in the last generated frame (below the static balls: passed; not drawn: lost, counted, never skipped).
"""

from __future__ import annotations

import numpy as np
import torch

from phydemo.eval.phyre_judge import PRESENT_PX, RED, parse_frame
from phydemo.model.checkpoint import load_pipeline
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED
from phydemo.world.phyre import WIDTH, render_scene
from phydemo.world.phyre_ambiguity import GAP_X, RADII, STATIC_RADIUS, passed, pixels, truth_passes


def read_outcome(frames: np.ndarray) -> str:
    """``passed``, ``stopped`` or ``lost`` (no red ball in the last frame) for a video of the gap scene."""
    last = parse_frame(frames[-1])
    if last.area(RED) < PRESENT_PX:
        return "lost"
    return "passed" if passed(float(last.centroid(RED)[1])) else "stopped"


def threshold(radii, pass_rate) -> float | None:
    """The radius where a pass rate falling with the radius crosses 1/2 (linear between the two radii around it),
    or None where it never does."""
    for (r0, p0), (r1, p1) in zip(zip(radii, pass_rate), zip(radii[1:], pass_rate[1:])):
        if p0 >= 0.5 > p1:
            return float(r0 + (p0 - 0.5) / (p0 - p1) * (r1 - r0))
    return None


def run_visual_ambiguity(checkpoint: str = "phyre-60", radii=RADII, seeds: int = 4, steps: int = DEFAULT_STEPS,
                         seed: int = EVAL_SEED) -> dict:
    """Per radius: the truth's outcome and the model's (``seeds`` rollouts each), the two thresholds and their
    distance in pixels, and how far apart the given frames on either side of the truth's threshold are."""
    pipe = load_pipeline(checkpoint)
    pipe.set_progress_bar_config(disable=True)
    size = pipe.frame_size
    rows, firsts = [], []
    for i, r in enumerate(radii):
        truth_pass, traj = truth_passes(float(r))
        truth = render_scene(traj, size)
        firsts.append(truth[0])
        given = np.repeat(truth[None, :pipe.num_cond_frames], seeds, axis=0)
        gens = [torch.Generator().manual_seed(seed + 1000 * i + k) for k in range(seeds)]
        outcomes = [read_outcome(v) for v in pipe(given, num_inference_steps=steps, generator=gens).frames]
        rows.append({"radius": float(r), "radius_px": pixels(float(r), size), "truth": "passed" if truth_pass else "stopped",
                     "model": {o: outcomes.count(o) for o in ("passed", "stopped", "lost")},
                     "model_pass_rate": outcomes.count("passed") / seeds})
    r_truth = threshold([x["radius"] for x in rows], [float(x["truth"] == "passed") for x in rows])
    r_model = threshold([x["radius"] for x in rows], [x["model_pass_rate"] for x in rows])
    k = next((i for i, x in enumerate(rows) if x["truth"] == "stopped"), None)
    diff = None
    if k:  # the given frames just either side of the truth's flip: how many pixels differ, and by how much
        d = np.abs(firsts[k].astype(int) - firsts[k - 1].astype(int)).max(axis=-1)
        diff = {"radii": [rows[k - 1]["radius"], rows[k]["radius"]], "pixels_changed": int((d > 0).sum()),
                "max_level_change": int(d.max())}
    return {"checkpoint": str(checkpoint), "frame_size": size, "steps": steps, "seeds": seeds, "seed": seed,
            "gap": {"static_x": list(GAP_X), "static_radius": STATIC_RADIUS, "width": GAP_X[1] - GAP_X[0] - 2 * STATIC_RADIUS},
            "pixel_units": WIDTH / size, "rows": rows, "truth_threshold": r_truth, "model_threshold": r_model,
            "shift_px": None if r_truth is None or r_model is None else pixels(r_model - r_truth, size),
            "given_frame_change": diff,
            "lost": sum(x["model"]["lost"] for x in rows), "n": seeds * len(rows)}


def reading(res: dict) -> str:
    """One paragraph from the numbers: where the truth flips, whether and where the model's does, rollouts lost."""
    px = res["pixel_units"]
    step = res["rows"][1]["radius"] - res["rows"][0]["radius"]
    truth, model = res["truth_threshold"], res["model_threshold"]
    rates = [x["model_pass_rate"] for x in res["rows"]]
    diff = res["given_frame_change"]
    seen = (f" The given frames either side of it differ in {diff['pixels_changed']} pixels by at most "
            f"{diff['max_level_change']} of 255 levels." if diff else "")
    if model is None:
        how = (f"The model's pass rate never crosses one half (it ranges {min(rates):.0%}-{max(rates):.0%} over the "
               "sweep): it does not tell the two sides apart.")
    else:
        how = (f"The model's flips at radius {model:.3f}, {res['shift_px']:+.2f} px from the truth's "
               f"({(model - truth) / step:+.1f} sweep steps).")
    return (f"The red ball passes the gap in truth up to radius {truth:.3f} (a sweep step is {step:.3f} units, "
            f"{step / px:.3f} px at {res['frame_size']} px).{seen} {how} Rollouts where the red ball was lost: "
            f"{res['lost']} of {res['n']}. The paper found that its model could not resolve such sub-pixel differences.")
