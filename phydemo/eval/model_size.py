"""Model scaling (the paper's section 4): the same uniform-motion data and steps at three DiT widths, 48 / 96 / 192
(0.30M / 1.08M / 4.11M parameters, 13.7x end to end), the ID and OOD-speed error against parameters.

The paper's points are DiT-S 22.5M (ID 0.022, 30K videos), DiT-B 89.5M (OOD 0.433, 30K) and DiT-L 310M (ID 0.012,
OOD 0.427, 3M videos): it grew the model with the data, so its ID numbers mix both; ours hold the data fixed (3,000
videos, 6,000 steps: the recipe of ``configs/scaling-3k.yaml``) so that only the width changes. Each point is read
from the checkpoint's reported table (``eval.json``) as in data scaling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors import safe_open

from phydemo.eval.data_scaling import error_change, scaling_point
from phydemo.model.checkpoint import resolve_checkpoint

# the paper's uniform-motion numbers against parameters (their data sizes in the module docstring)
PAPER_SIZES = {"id": {22_500_000: 0.022, 310_000_000: 0.012}, "ood": {89_500_000: 0.433, 310_000_000: 0.427}}


def parameter_count(checkpoint: str | Path) -> int:
    """The transformer's parameters, counted from its safetensors header (no weights loaded)."""
    path = resolve_checkpoint(checkpoint) / "transformer" / "diffusion_pytorch_model.safetensors"
    with safe_open(path, framework="np") as f:
        return int(sum(np.prod(f.get_slice(k).get_shape(), dtype=np.int64) for k in f.keys()))


def model_size(checkpoints: list[str]) -> dict:
    """The points, fewest parameters first, and the paper's numbers beside them."""
    points = sorted(({**scaling_point(c), "parameters": parameter_count(c)} for c in checkpoints),
                    key=lambda p: p["parameters"])
    return {"points": points, "paper": PAPER_SIZES}


def reading(result: dict) -> str:
    """One paragraph: how ID and OOD error move with parameters."""
    pts = result["points"]
    first, last = pts[0], pts[-1]

    def change(key: str) -> str:
        return error_change(first, last, key)

    sizes = " / ".join(f"{p['parameters'] / 1e6:.1f}M" for p in pts)
    ratios = [p["ood"]["error"] / p["id"]["error"] for p in pts]
    return (f"At {sizes} parameters, each trained on {last['videos']:,} videos for {last['steps']:,} steps, the ID "
            f"error goes from {change('id')}, the OOD speed error from {change('ood')}; OOD is "
            f"{min(ratios):.0f}-{max(ratios):.0f}x ID throughout (n = {last['n']} scenes per set). The paper's DiT-S "
            f"to DiT-L (22.5M to 310M, with 30K to 3M videos): ID 0.022 to 0.012, OOD 0.43 either way."
            + (f" Not trained yet: {', '.join(result['not_trained'])}." if result.get("not_trained") else ""))
