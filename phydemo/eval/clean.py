"""The clean-rollout check: one blob of the right size per ball in every scored frame."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from phydemo.eval.metrics import color_mask, evaluation_frames, fully_visible


def blob_count(mask: np.ndarray) -> int:
    """Connected blobs in a 2-D mask (8-connected)."""
    return ndimage.label(mask, structure=np.ones((3, 3)))[1]


def scored_ball_masks(frames: np.ndarray, gt_frames: np.ndarray, traj):
    """(generated, true) colour masks of each ball in each frame where the true ball lies wholly in view."""
    for i, ball in enumerate(traj.balls):
        idx = evaluation_frames(fully_visible(traj, i))
        yield from zip(color_mask(frames[idx], ball.color), color_mask(gt_frames[idx], ball.color))


SIZE_TOLERANCE = 0.35  # a clean ball's area is within this share of the true one's


def frame_fault(generated: np.ndarray, truth: np.ndarray) -> str | None:
    """What is wrong with one ball's colour mask in one frame against the true one: "vanishes", "splits",
    "changes size", or None for one blob of the right size."""
    blobs, area, want = blob_count(generated), int(generated.sum()), int(truth.sum())
    if blobs == 0:
        return "vanishes"
    if blobs > 1:
        return "splits"
    return "changes size" if abs(area - want) > SIZE_TOLERANCE * max(want, 1) else None


def is_clean(frames: np.ndarray, gt_frames: np.ndarray, traj) -> bool:
    """One clean object per ball in every scored frame: a single connected blob of its colour whose
    area is within 35% of the ground truth's (no smear, no duplicate, no vanishing). Scored frames are those
    where the true ball lies wholly inside the view, on both axes: a thrown ball that has fallen out of the
    bottom is not asked to be there."""
    return all(frame_fault(g, r) is None for g, r in scored_ball_masks(frames, gt_frames, traj))
