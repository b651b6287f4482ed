"""Paired comparison of two checkpoints on the same scenes: per-scene velocity error of B minus A, with its standard
error, and how many scenes each draws cleanly. Pairing removes the scene-to-scene spread that dominates the
standard error of either mean, so it tells a real gain from a lucky draw.

    git archive HEAD~1 checkpoints/collision | tar -x -C /tmp/old
    python -m tools.compare_checkpoints /tmp/old/checkpoints/collision checkpoints/collision --n 256
"""

import argparse

import numpy as np
import torch

from phydemo import data as datamod
from phydemo.checkpoint import load_pipeline
from phydemo.defaults import DEFAULT_STEPS, EVAL_SEED
from phydemo.evaluate import is_clean
from phydemo.metrics import velocity_error
from phydemo.physics import simulate


def per_scene(checkpoint: str, n: int, seed: int, steps: int, level: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Velocity error and clean flag per scene, for the scenes and noise `evaluate` uses with this seed."""
    pipe = load_pipeline(checkpoint)
    scenario = pipe.training_distribution["scenario"]
    split = "id_eval" if level is None else "ood_eval"
    videos = datamod.generate(scenario, split, n, seed, pipe.transformer.config.sample_size, level=level,
                              progress=False)
    gen = pipe(videos.frames[:, :3], num_inference_steps=steps, batch_size=16,
               generator=torch.Generator().manual_seed(seed))
    errors, clean = [], []
    for g, gt, p in zip(gen, videos.frames, videos.params):
        traj = simulate(p)
        errors.append(velocity_error(scenario, g, traj).error)
        clean.append(is_clean(g, gt, traj))
    return np.array(errors), np.array(clean)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="baseline checkpoint")
    ap.add_argument("b", help="candidate checkpoint")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=EVAL_SEED)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--level", default=None, help="an OOD level (v, r, vr); ID scenes when left out")
    args = ap.parse_args()
    (ea, ca), (eb, cb) = (per_scene(ck, args.n, args.seed, args.steps, args.level) for ck in (args.a, args.b))
    both = np.isfinite(ea) & np.isfinite(eb)
    d = eb[both] - ea[both]
    print(f"{args.level or 'ID'} scenes, n = {args.n} (seed {args.seed}, {args.steps} steps), {both.sum()} scored by both")
    print(f"A {args.a}: error {ea[both].mean():.4f}, clean {ca.mean():.2f}")
    print(f"B {args.b}: error {eb[both].mean():.4f}, clean {cb.mean():.2f}")
    print(f"B - A per scene: {d.mean():+.4f} +- {d.std(ddof=1) / np.sqrt(len(d)):.4f} (standard error); "
          f"B lower on {np.mean(d < 0):.0%} of scenes")
    print(f"clean in B only: {np.sum(cb & ~ca)}, in A only: {np.sum(ca & ~cb)}")


if __name__ == "__main__":
    main()
