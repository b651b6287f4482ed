"""Diagnose bloated, faded or split balls: generated ball area over true area, and the share of frames where a
ball's colour mask is one blob, on the same ID scenes for each checkpoint given.

    python -m tools.ball_areas runs/collision/checkpoint collision --n 8
"""

import argparse

import numpy as np

from phydemo.eval.clean import blob_count, scored_ball_masks
from phydemo.eval.evaluate import sample_scenes
from phydemo.model.checkpoint import load_pipeline
from phydemo.protocol import TUNE_SEED
from phydemo.world.physics import simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seed", type=int, default=TUNE_SEED)
    args = ap.parse_args()
    for ck in args.checkpoints:
        pipe = load_pipeline(ck)
        pipe.set_progress_bar_config(disable=True)
        videos, gen = sample_scenes(pipe, pipe.training_distribution.scenario, args.n, seed=args.seed, batch_size=8, noise_seed=0)
        ratios, blobs = [], []
        for g, gt, p in zip(gen, videos.frames, videos.params):
            for a, b in scored_ball_masks(g, gt, simulate(p)):  # the frames and masks the clean check scores
                ratios.append(a.sum() / max(b.sum(), 1))
                blobs.append(blob_count(a))
        ratios, blobs = np.array(ratios), np.array(blobs)
        print(f"{ck}: area / true area median {np.median(ratios):.2f} (10-90%: {np.percentile(ratios, 10):.2f}-"
              f"{np.percentile(ratios, 90):.2f}); frames with one blob {np.mean(blobs == 1):.2f}, none "
              f"{np.mean(blobs == 0):.2f}, several {np.mean(blobs > 1):.2f}")


if __name__ == "__main__":
    main()
