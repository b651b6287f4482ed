"""Paired comparison of two checkpoints on the same scenes: per-scene velocity error of B minus A, with its standard
error, and how many scenes each draws cleanly. Pairing removes the scene-to-scene spread that dominates the
standard error of either mean, so it tells a real gain from a lucky draw.

    git archive af5bcc1 checkpoints/collision | tar -x -C /tmp/old   # the collision model shipped before 333c5b3
    python -m tools.compare_checkpoints /tmp/old/checkpoints/collision checkpoints/collision --n 256
"""

import argparse

import numpy as np

from phydemo.eval.evaluate import sample_scenes, score_videos
from phydemo.model.checkpoint import load_pipeline
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED


def per_scene(checkpoint: str, n: int, seed: int, steps: int, level: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Velocity error and clean flag per scene, for the scenes and noise `evaluate` uses with this seed."""
    pipe = load_pipeline(checkpoint)
    scenario = pipe.training_distribution["scenario"]
    videos, gen = sample_scenes(pipe, scenario, n, steps, level, seed)
    scored = list(score_videos(scenario, gen, videos))
    return np.array([r.error for r, _, _ in scored]), np.array([ok for _, _, ok in scored])


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
