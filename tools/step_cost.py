"""Seconds a training step of the latent DiT takes at several patch sizes (forward, backward and AdamW at batch 32,
under the arithmetic training would use on this CPU), on the PHYRE-like latents' shape (4 x 32 x 16 x 16), one
frame given: the cost side of a finer-token lever, measured before it is trained. Run it beside whatever runs when
the ratio is what matters; the first step is left out.

    python -m tools.step_cost --patches 4x4 2x4 4x2 --threads 1
"""

import argparse
import contextlib
import time

import torch

from phydemo.model.bf16 import bf16_is_fast
from phydemo.model.dit import VideoDiT


def step_seconds(patch_t: int, patch: int, threads: int, steps: int = 4, batch: int = 32) -> tuple[int, float]:
    """(tokens, the fastest of ``steps`` - 1 timed steps) of the latent-128 DiT with patches of patch_t x patch x patch."""
    torch.set_num_threads(threads)
    model = VideoDiT(num_frames=32, sample_size=16, in_channels=4, patch_size=patch, patch_size_t=patch_t,
                     hidden_size=192, depth=8, num_heads=3, num_cond_frames=1, cond_fill="last")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x, mask, t = torch.randn(batch, 4, 32, 16, 16), torch.zeros(batch, 1, 32, 16, 16), torch.full((batch,), 999.0)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16_is_fast("cpu") else contextlib.nullcontext()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        with autocast:
            y = model(x, t, x, mask)
        (y.float() - x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - start)
    return model.grid[0] * model.grid[1] * model.grid[2], min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", nargs="+", default=["4x4", "2x4", "4x2"],
                        help="temporal x spatial patch sizes, e.g. 4x4 (the shipped 128 tokens)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    base = None
    for spec in args.patches:
        patch_t, patch = (int(v) for v in spec.split("x"))
        tokens, seconds = step_seconds(patch_t, patch, args.threads)
        base = base or seconds
        print(f"patch {spec}: {tokens} tokens, {seconds:.2f} s a step ({seconds / base:.1f}x the first)", flush=True)


if __name__ == "__main__":
    main()
