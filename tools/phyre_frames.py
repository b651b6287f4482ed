"""Where a PHYRE-like model loses its objects: per generated frame, the median of each video's generated red-ball area
over the true one (the judge's parser) and the PSNR of that frame, on the same scenes and noise for each checkpoint.

    python -m tools.phyre_frames checkpoints/phyre-60 --split in_template --n 16
    python -m tools.phyre_frames checkpoints/phyre-60 --split train --n 16   # seeds it trained on
    python -m tools.phyre_frames checkpoints/phyre-60 --steps 8              # sampled with 8 steps instead of 1
"""

import argparse
from collections import Counter

import numpy as np
import torch

from phydemo.eval.combinatorial import generate_scenes
from phydemo.eval.phyre_judge import RED, judge, parse_frame
from phydemo.model.checkpoint import load_pipeline
from phydemo.world.distribution import PhyreDistribution
from phydemo.world.phyre_sets import split_pairs


def scene_pairs(split: str, dist: PhyreDistribution, n: int) -> list[tuple[int, int]]:
    """``n`` scenes of ``split`` for a model that saw ``dist``; for ``train``, spread evenly over its training set."""
    templates = len(dist.templates)
    if split == "train":
        pairs = split_pairs("train", templates, dist.train_size)
        return pairs[::max(1, len(pairs) // n)][:n]
    return split_pairs(split, templates, n)


def frame_profile(truth: np.ndarray, generated: np.ndarray, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(median red-ball area ratio, PSNR) per frame 0 .. frames-1 over the videos (a video whose true red ball is out
    of sight in a frame counts its generated area over 1 pixel)."""
    ratio = np.array([[parse_frame(g[f]).area(RED) / max(parse_frame(t[f]).area(RED), 1.0) for f in range(frames)]
                      for t, g in zip(truth, generated)])
    mse = ((truth[:, :frames].astype(np.float64) - generated[:, :frames]) ** 2).mean(axis=(0, 2, 3, 4))
    with np.errstate(divide="ignore"):
        return np.median(ratio, axis=0), 10 * np.log10(255.0**2 / mse)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--split", default="in_template", choices=["train", "in_template", "out_of_template"])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--steps", type=int, default=1, help="sampling steps (the app samples with 1)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for ckpt in args.checkpoints:
        pipe = load_pipeline(ckpt)
        pipe.set_progress_bar_config(disable=True)
        pairs = scene_pairs(args.split, pipe.training_distribution, args.n)
        truth, gen = generate_scenes(pipe, pairs, steps=args.steps)
        ratio, psnr = frame_profile(truth, gen, args.frames)
        verdicts = [judge(g) for g in gen]
        abnormal = sum(v.abnormal for v in verdicts)
        first = Counter(v.reason.split(": ", 1)[-1] for v in verdicts if v.abnormal)  # "frame 3: red_ball vanishes"
        print(f"{ckpt} on {len(pairs)} {args.split} scenes ({args.steps} step{'s' * (args.steps > 1)}): "
              f"{abnormal} judged abnormal")
        print("  frame          " + " ".join(f"{f:5d}" for f in range(args.frames)))
        print("  red-ball area  " + " ".join(f"{x:5.2f}" for x in ratio))
        print("  PSNR (dB)      " + " ".join(f"{x:5.1f}" for x in psnr))
        print("  first faults   " + ", ".join(f"{why} {k}" for why, k in first.most_common()))


if __name__ == "__main__":
    main()
