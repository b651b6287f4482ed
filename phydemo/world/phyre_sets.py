"""The PHYRE-like data sets: which (template, seed) pairs each split holds.

- ``train`` with 6, 30 or 60 templates (nested lists, ``phyre.training_templates``): the same total number of
  videos whatever the coverage (``size`` split evenly over the templates, seeds 0, 1, ...), so only the coverage
  changes. The paper grew the data with the templates (100 seeds a template); we hold it fixed, so that a model on
  6 templates sees each of them ten times as often as one on 60.
- ``in_template``: held-out seeds (from ``TEST_SEED``) of the model's own training templates.
- ``out_of_template``: the same test seeds of the 10 templates no training set holds.
"""

from __future__ import annotations

import numpy as np

from phydemo.world.dataset import CHUNK
from phydemo.world.phyre import (
    NUM_FRAMES,
    RESOLUTION,
    TEMPLATE_SETS,
    make_scene,
    out_of_template,
    render_scene,
    simulate_scene,
    training_templates,
)

DEFAULT_TEMPLATES = 60  # a PHYRE-like run's data_kwargs.templates where it names none
TEST_SEED = 1_000_000  # test seeds start here; a training set never reaches them (refused below)
SPLITS = ("train", "in_template", "out_of_template")


def split_pairs(split: str, templates: int, size: int) -> list[tuple[int, int]]:
    """The (template, seed) pairs of ``split`` for a model on ``templates`` training templates; ``size`` is the
    number of videos (train: in all, split evenly; the test splits: per split, round-robin over the templates)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: allowed {', '.join(SPLITS)}")
    if templates not in TEMPLATE_SETS:
        raise ValueError(f"templates={templates!r}: allowed {', '.join(map(str, TEMPLATE_SETS))}")
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size={size!r}: expected a whole number of videos >= 1")
    if split == "train":
        tpl = training_templates(templates)
        if size % len(tpl):
            raise ValueError(f"size={size}: expected a multiple of {len(tpl)} (the training templates)")
        per = size // len(tpl)
        if per > TEST_SEED:
            raise ValueError(f"size={size}: over {TEST_SEED} seeds a template would reach the test seeds")
        return [(t, s) for t in tpl for s in range(per)]
    tpl = training_templates(templates) if split == "in_template" else out_of_template()
    return [(tpl[i % len(tpl)], TEST_SEED + i // len(tpl)) for i in range(size)]


def template_count(data_kwargs: dict) -> int:
    """The number of training templates a PHYRE-like run's ``data_kwargs`` names (``templates``)."""
    return data_kwargs.get("templates", DEFAULT_TEMPLATES)


def render_pairs(pairs: list[tuple[int, int]], resolution: int = RESOLUTION,
                 num_frames: int = NUM_FRAMES) -> np.ndarray:
    """uint8 videos (N, T, H, W, 3) of the scenes ``pairs``."""
    return np.stack([render_scene(simulate_scene(make_scene(t, s), num_frames), resolution) for t, s in pairs])


def train_chunks(templates: int, size: int, resolution: int = RESOLUTION, chunk: int = CHUNK, first_chunk: int = 0):
    """The training videos of a model on ``templates`` templates, ``chunk`` at a time from chunk ``first_chunk`` on
    (uint8 (n, T, H, W, 3) each; a scene is fixed by its template and seed, so any chunk can be rebuilt alone)."""
    pairs = split_pairs("train", templates, size)
    for lo in range(first_chunk * chunk, len(pairs), chunk):
        yield render_pairs(pairs[lo:lo + chunk], resolution)
