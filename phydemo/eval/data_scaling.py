"""Data scaling (the paper's section 4): the same uniform-motion model trained on more videos for the same steps.

The paper found that more data drives the in-distribution error toward the parse floor while the out-of-distribution
error stays about 30x higher and does not improve (DiT-B on 30K / 300K / 3M videos: OOD 0.433 / 0.328 / 0.358). We
read each scaling checkpoint's reported table (``eval.json``, written by ``phydemo evaluate --card``): ID and OOD-speed
error with standard errors, n scored, against the number of training videos.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from phydemo.model.checkpoint import checkpoint_state, read_training_distribution, resolve_checkpoint, total_training
from phydemo.model.train_config import TrainConfig

# the paper's uniform-motion numbers against data size (videos): ID error of DiT-S (30K) and DiT-L (3M), OOD of DiT-B
PAPER_SCALING = {"id": {30_000: 0.022, 3_000_000: 0.012}, "ood": {30_000: 0.433, 300_000: 0.328, 3_000_000: 0.358}}


def scaling_point(checkpoint: str | Path) -> dict:
    """One checkpoint's training-set size, steps and minutes (with any run it was fine-tuned from) and reported ID and
    OOD-speed errors."""
    folder = resolve_checkpoint(checkpoint)
    table_path = folder / "eval.json"
    if not table_path.is_file():
        raise FileNotFoundError(f"{table_path}: not evaluated; run `phydemo evaluate --checkpoint {checkpoint} --card`")
    table = json.loads(table_path.read_text())
    state = checkpoint_state(folder)
    if not state:  # a point without its steps and minutes would be plotted as an untrained model
        raise FileNotFoundError(f"{folder / 'train_state.json'}: no training record; a scaling point needs the steps and "
                                "minutes it was trained for (written by `phydemo train`)")
    steps, minutes = total_training(state)
    row = {"checkpoint": folder.name, "videos": read_training_distribution(folder).train_size,
           "steps": steps, "batch": TrainConfig.from_yaml(folder / "train_config.yaml").batch_size,
           "minutes": round(minutes, 1), "n": table["n"],
           "sampling_steps": table["steps"], "parse_floor": table["id"]["parse_floor"]}
    for key, res in (("id", table["id"]), ("ood", table["ood"]["v"])):
        row[key] = {"error": res["error"], "se": res["error_se"], "n_scored": res["n_scored"]}
    return row


def data_scaling(checkpoints: list[str]) -> dict:
    """The scaling points, smallest data set first, and the paper's numbers beside them."""
    points = sorted((scaling_point(c) for c in checkpoints), key=lambda p: p["videos"])
    return {"points": points, "paper": PAPER_SCALING}


def error_change(first: dict, last: dict, key: str) -> str:
    """How the ``key`` error (``id`` or ``ood``) moved from the first scaling point to the last, with its verdict
    against twice the combined standard error (shared by the data-scaling and model-size readings)."""
    a, b = first[key], last[key]
    d, se = b["error"] - a["error"], float(np.hypot(a["se"], b["se"]))
    verdict = "falls" if d < -2 * se else "rises" if d > 2 * se else "does not change beyond its noise"
    return f"{a['error']:.3f} ± {a['se']:.3f} to {b['error']:.3f} ± {b['se']:.3f} ({verdict})"


def reading(result: dict) -> str:
    """One paragraph: how ID and OOD error move with data, and how far our compute takes the curve."""
    pts = result["points"]
    first, last = pts[0], pts[-1]
    ratios = [p["ood"]["error"] / p["id"]["error"] for p in pts]

    def change(key: str) -> str:
        return error_change(first, last, key)

    def id_falls(a: dict, b: dict) -> bool:
        return b["id"]["error"] < a["id"]["error"] - 2 * float(np.hypot(a["id"]["se"], b["id"]["se"]))

    before = pts[-2] if len(pts) > 2 else first
    if id_falls(first, last) and not id_falls(before, last):
        limit = (f"the ID error falls up to {before['videos']:,} videos and levels off after it "
                 f"({before['id']['error']:.3f} -> {last['id']['error']:.3f}): at this step count each of the "
                 f"{last['videos']:,} videos is seen about {last['steps'] * last['batch'] / last['videos']:.0f} times, so the "
                 f"steps, not the data, now limit the ID error")
    elif id_falls(first, last):
        limit = "more data still lowers the ID error at this step count"
    else:
        limit = "at this step count the data is not what limits the ID error"
    sizes = " / ".join(f"{p['videos']:,}" for p in pts)
    return (f"Trained on {sizes} videos for {last['steps']:,} steps each, the ID error goes from {change('id')}, the "
            f"OOD speed error from {change('ood')}; OOD is {min(ratios):.0f}-{max(ratios):.0f}x ID throughout "
            f"(the parse floor is {last['parse_floor']:.4f}; n = {last['n']} scenes per set). The paper trained on "
            f"30K to 3M videos for 100K steps of batch 256; our CPU budget stops the curve at {last['videos']:,} videos "
            f"and {last['steps']:,} steps of batch {last['batch']}: {limit}."
            + (f" Not trained yet: {', '.join(result['not_trained'])}." if result.get("not_trained") else ""))
