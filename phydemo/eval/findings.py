"""The paper's findings that take several checkpoints: which ones, how their result is computed, where it is kept.

``phydemo experiment <finding>`` trains and exports any checkpoint of the finding that is not shipped yet (each has its
config in ``configs/``), computes the result and writes it to ``assets/findings/<finding>.json``, which the Lab shows
with its figure and its reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from phydemo.atomic import write_json
from phydemo.eval import attribute_order, combinatorial, data_scaling, interpolation, model_size, visual_ambiguity
from phydemo.model.checkpoint import CHECKPOINT_ROOT, read_training_distribution
from phydemo.model.train_config import recipe_differences
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED

FINDINGS_DIR = Path(__file__).resolve().parents[2] / "assets" / "findings"


@dataclass(frozen=True)
class Finding:
    name: str
    title: str
    checkpoints: tuple[str, ...]  # shipped checkpoints it needs, each trained by configs/<name>.yaml
    paper: str
    # a finding that compares one lever: its checkpoints count only where their training configs differ from the
    # reference checkpoint's in that lever alone, so that no finding mixes recipes
    reference: str = ""
    varies: tuple[str, ...] = ()

    def missing(self, root: str | Path = CHECKPOINT_ROOT) -> list[str]:
        return [c for c in self.checkpoints if not (Path(root) / c / "model_index.json").is_file()]

    def other_recipe(self, shipped: list[str], root: str | Path = CHECKPOINT_ROOT) -> dict[str, list[str]]:
        """The shipped checkpoints trained on another recipe than the reference's, each with the options (beyond
        ``varies``) in which its training config differs; ``{}`` where every one shares the reference's recipe."""
        if not self.reference or self.reference not in shipped:
            return {}
        configs = {c: yaml.safe_load((Path(root) / c / "train_config.yaml").read_text()) for c in shipped}
        diffs = {c: [k for k in recipe_differences(configs[self.reference], configs[c]) if k not in self.varies]
                 for c in shipped}
        return {c: d for c, d in diffs.items() if d}


FINDINGS: dict[str, Finding] = {f.name: f for f in [
    Finding("attribute-order", "Attribute priority, all pairs together",
            tuple(f"lab-{p}" for p in attribute_order.pair_experiments()),
            "colour > size > velocity > shape: trained on two combinations, a model tested on a swapped one keeps the "
            "attribute higher in this order."),
    Finding("interpolation", "Interpolation inside a hole in the training speeds",
            ("lab-interpolation", "scaling-3k"),
            "Holding out speeds in [2, 3] of [1, 4], the model still generates the law inside the hole.",
            reference="scaling-3k", varies=("data_kwargs",)),
    Finding("data-scaling", "Data scaling: ID and OOD error against the number of training videos",
            ("scaling-1k", "scaling-3k", "scaling-12k"),
            "More data drives the ID error toward the parse floor; the OOD error stays about 30x higher and does not "
            "improve.", reference="scaling-3k", varies=("train_size",)),
    Finding("model-size", "Model scaling: ID and OOD error against parameters, the same data and steps",
            ("scaling-3k-w48", "scaling-3k-w96", "scaling-3k"),
            "A larger model drives the ID error toward the parse floor; the OOD error stays about 30x higher.",
            reference="scaling-3k", varies=("model",)),
    Finding("combinatorial", "Combinatorial generalisation: PHYRE-like scenes on 6, 30 and 60 templates",
            combinatorial.MODELS,
            "With every object familiar but the combination new, more templates in training help: the abnormal rate "
            "out of template falls from 67% with 6 templates to 10% with 60."),
    Finding("visual-ambiguity", "Visual ambiguity: a ball through a gap, its radius swept below a pixel",
            ("phyre-60",),
            "Whether a red ball passes between two static balls turns on sub-pixel differences in its radius, which "
            "the model cannot see in the frame it is given."),
]}


def compute(name: str, n: int = 128, seed: int = EVAL_SEED, steps: int = DEFAULT_STEPS) -> dict:
    """The finding's result from its shipped checkpoints (attribute order: from each shipped pair's
    ``experiment.json``, the others named as not trained; data scaling: from each shipped checkpoint's ``eval.json``,
    at least two; interpolation: sampled here, both models on the same scenes)."""
    finding = FINDINGS[name]
    missing = finding.missing()
    shipped = [c for c in finding.checkpoints if c not in missing]
    other = finding.other_recipe(shipped)
    shipped = [c for c in shipped if c not in other]
    need = {"attribute-order": 1, "interpolation": 2, "data-scaling": 2, "model-size": 2, "combinatorial": 2,
            "visual-ambiguity": 1}[name]
    if len(shipped) < need:
        raise FileNotFoundError(f"{name}: needs {need} of {', '.join(finding.checkpoints)} under {CHECKPOINT_ROOT} "
                                f"on one recipe; missing {', '.join(missing) or 'none'}, on another recipe "
                                f"{', '.join(other) or 'none'} (`phydemo experiment {name}` trains them)")
    if name == "attribute-order":
        summaries = [json.loads((CHECKPOINT_ROOT / c / "experiment.json").read_text()) for c in shipped]
        result = attribute_order.attribute_order(summaries)
    elif name == "interpolation":
        result = interpolation.run_interpolation(*finding.checkpoints, n=n, seed=seed, steps=steps)
    elif name == "model-size":
        result = model_size.model_size(shipped)
        result["not_trained"] = missing
    elif name == "combinatorial":
        result = combinatorial.run_combinatorial(tuple(shipped), n=n, steps=steps, seed=seed, path=None)
        result["not_trained"] = missing
    elif name == "visual-ambiguity":
        result = visual_ambiguity.run_visual_ambiguity(shipped[0], steps=steps, seed=seed)
    else:
        result = data_scaling.data_scaling(shipped)
        result["not_trained"] = missing
    if other:
        result["other_recipe"] = other
    result["resolution"] = {c: _resolution(c) for c in shipped}
    return {"finding": name, "title": finding.title, "paper": finding.paper, **result}


def _resolution(checkpoint: str) -> int:
    return read_training_distribution(CHECKPOINT_ROOT / checkpoint).resolution


def reading(result: dict) -> str:
    """The one-paragraph reading of a finding's result (and which shipped checkpoints it left out, and why)."""
    readers = {"attribute-order": attribute_order.reading, "interpolation": interpolation.reading,
               "combinatorial": combinatorial.reading, "model-size": model_size.reading,
               "visual-ambiguity": visual_ambiguity.reading, "data-scaling": data_scaling.reading}
    text = readers[result["finding"]](result)
    other = result.get("other_recipe") or {}
    if other:
        text += " Not counted, trained on another recipe than the reference's: " + "; ".join(
            f"{c} (differs in {', '.join(keys)})" for c, keys in other.items()) + "."
    return text


def save(result: dict, folder: str | Path = FINDINGS_DIR) -> Path:
    return write_json(Path(folder) / f"{result['finding']}.json", result)


def load_all(folder: str | Path = FINDINGS_DIR) -> dict[str, dict]:
    """The saved results, by finding, in the order of ``FINDINGS`` (those not computed yet are left out)."""
    folder = Path(folder)
    return {n: json.loads((folder / f"{n}.json").read_text()) for n in FINDINGS if (folder / f"{n}.json").is_file()}
