"""Two checkpoints of one lab preset on the same scenes and noise: does a retrained model (e.g. 128 px in place of
32 px) still show the finding, and is it a better model of its own training data?

Two looks, both paired: the tally of each on the preset's test rollouts, with how each rollout's outcome changed from A
to B; and the velocity error per scene on the preset's training distribution (``compare``'s pairing), since a lab
model that reproduces a finding by drawing smears is no better a model (``phydemo experiment NAME --checkpoint A
--against B``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from phydemo.eval.compare import Comparison, errors_and_clean, paired, score_scenes
from phydemo.eval.lab import EXPERIMENTS, run_experiment
from phydemo.protocol import DEFAULT_STEPS, TUNE_SEED


@dataclass
class LabComparison:
    experiment: str
    a: dict  # A's tally (``summarize``)
    b: dict  # B's tally on the same test scenes and noise
    changes: dict[tuple[str, str], int]  # (outcome of A, outcome of B) -> rollouts, only where they differ
    in_distribution: Comparison  # velocity error per scene on the preset's training distribution
    id_seed: int


def outcome_changes(a: list[str], b: list[str]) -> dict[tuple[str, str], int]:
    """How many rollouts went from each outcome under A to another under B, most first."""
    if len(a) != len(b):
        raise ValueError(f"outcomes of A ({len(a)}) and B ({len(b)}) are not of the same rollouts")
    moves = Counter((x, y) for x, y in zip(a, b) if x != y)
    return dict(sorted(moves.items(), key=lambda kv: (-kv[1], kv[0])))


def compare_lab(name: str, a, b, n: int = 128, seed: int = 0, steps: int = DEFAULT_STEPS, id_n: int = 128,
                id_seed: int = TUNE_SEED) -> LabComparison:
    """B against A (loaded pipelines) on preset ``name``: ``n`` test rollouts (``seed``) and ``id_n`` scenes of its
    training distribution (``id_seed``: the tuning scenes, since choosing between two models is tuning), each model at
    ``steps`` sampling steps."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; one of {', '.join(EXPERIMENTS)}")
    tallies, in_distribution = [], []
    for pipe in (a, b):
        pipe.set_progress_bar_config(disable=True)
        summary, _, outcomes = run_experiment(name, pipe, n=n, seed=seed, steps=steps)
        tallies.append((summary, outcomes))
        in_distribution.append(errors_and_clean(score_scenes(pipe, id_n, id_seed, steps, None,
                                                             EXPERIMENTS[name].data_kwargs)))
    (ea, ca), (eb, cb) = in_distribution
    return LabComparison(name, tallies[0][0], tallies[1][0], outcome_changes(tallies[0][1], tallies[1][1]),
                         paired(ea, eb, ca, cb), id_seed)
