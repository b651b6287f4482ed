"""From a config to a shipped, measured checkpoint: train (or resume) ``configs/<name>.yaml``, export the run to
``checkpoints/<name>``, write its reported table (``eval.json``; for a lab preset also its tally, ``experiment.json``),
its error map, then its model card. The same steps as the commands in docs/training.md, in one call;
``measure`` repeats the measuring part on a shipped folder (after a change of the default sampling steps)."""

from __future__ import annotations

from pathlib import Path

from phydemo.atomic import write_json
from phydemo.eval.combinatorial import evaluate_phyre
from phydemo.eval.error_map import error_map, save_error_map
from phydemo.eval.evaluate import evaluate_pipeline, quick_eval
from phydemo.eval.lab import EXPERIMENTS, run_experiment
from phydemo.model.checkpoint import CHECKPOINT_ROOT, checkpoint_state, load_pipeline, trained_data_kwargs
from phydemo.model.train import train
from phydemo.model.train_config import TrainConfig
from phydemo.protocol import DEFAULT_STEPS, EVAL_SEED
from phydemo.release.export import export_run
from phydemo.report import write_card
from phydemo.world.sampling import OOD_LEVELS

CONFIG_DIR = Path("configs")
LAB_N = 128  # test rollouts a shipped lab checkpoint's tally counts
PHYRE_N = 100  # scenes of each split a shipped PHYRE-like checkpoint's table counts


def checkpoint_label(folder: Path) -> str:
    """A checkpoint's name in its records, never a machine path: the folder's name, or for a training run's
    ``<run>/checkpoint`` the run's name with it."""
    folder = Path(folder)
    return folder.name if folder.name != "checkpoint" else f"{folder.parent.name}/{folder.name}"


def write_evaluation(folder: Path, pipe, n: int = 256, steps: int = DEFAULT_STEPS, levels: tuple = OOD_LEVELS,
                     batch_size: int = 16, progress: bool = True) -> dict:
    """``pipe``'s reported table on the fixed evaluation scenes, written to ``folder/eval.json``: the ID set drawn
    from what it was trained on (``trained_data_kwargs``), so that a restricted model first shows it learnt what it
    was shown; the OOD sets are the scenario's."""
    pipe.set_progress_bar_config(disable=not progress)
    data_kwargs = trained_data_kwargs(folder)
    res = evaluate_pipeline(pipe, pipe.training_distribution.scenario, n=n, steps=steps, levels=levels,
                            seed=EVAL_SEED, batch_size=batch_size, progress=progress, data_kwargs=data_kwargs)
    if data_kwargs:
        res["data_kwargs"] = data_kwargs
    res["checkpoint"] = checkpoint_label(folder)
    write_json(Path(folder) / "eval.json", res)
    return res


def write_phyre_evaluation(folder: Path, pipe, n: int = 100, steps: int = DEFAULT_STEPS) -> dict:
    """A PHYRE-like model's table (``combinatorial.evaluate_phyre``: ``n`` scenes in and out of template, judged and
    scored, beside the baseline), written to ``folder/eval.json``."""
    res = {**evaluate_phyre(pipe, n=n, steps=steps), "seed": EVAL_SEED, "checkpoint": checkpoint_label(folder)}
    write_json(Path(folder) / "eval.json", res)
    return res


def write_lab_tally(folder: Path, pipe, experiment: str, n: int = LAB_N, seed: int = 0,
                    steps: int = DEFAULT_STEPS) -> dict:
    """``pipe``'s lab tally on ``n`` test rollouts, written to ``folder/experiment.json``."""
    pipe.set_progress_bar_config(disable=True)
    summary, _, _ = run_experiment(experiment, pipe, n=n, seed=seed, steps=steps)
    write_json(Path(folder) / "experiment.json", {**summary, "seed": seed, "steps": steps})
    return summary


def ship(name: str, root: str | Path = CHECKPOINT_ROOT, configs: str | Path = CONFIG_DIR, n: int = 256,
         per_cell: int = 4, lab_n: int = LAB_N) -> Path:
    """Train ``configs/<name>.yaml`` to its end (resuming a stopped run), export it to ``root/<name>`` and measure it
    (``n`` scenes per evaluation set, ``per_cell`` per error-map cell, ``lab_n`` lab test rollouts). A run that stops
    at its ``max_minutes`` raises: rerunning continues it."""
    cfg = TrainConfig.from_yaml(Path(configs) / f"{name}.yaml")
    train(cfg, evaluate=quick_eval)
    if checkpoint_state(cfg.run_dir / "checkpoint").get("step", 0) < cfg.max_steps:
        raise RuntimeError(f"{name}: the run stopped before step {cfg.max_steps} (max_minutes); rerun to continue it")
    return measure(export_run(cfg.run_dir, Path(root) / name), n=n, per_cell=per_cell, lab_n=lab_n)


def measure(folder: str | Path, n: int = 256, per_cell: int = 4, lab_n: int = LAB_N) -> Path:
    """Everything a shipped checkpoint reports, measured at today's ``DEFAULT_STEPS``: its reported table
    (``eval.json``, the ID set from its own training distribution), for a mechanism-lab preset also its lab tally
    (``experiment.json``, on combinations it never saw), its error map and its card."""
    folder = Path(folder)
    pipe = load_pipeline(folder)  # once, for every measurement
    if pipe.training_distribution.scenario == "phyre":  # a Scenes model: its judged table, no ball error map
        write_phyre_evaluation(folder, pipe, n=min(n, PHYRE_N))
        write_card(folder)
        return folder
    experiment = folder.name.removeprefix("lab-")
    write_evaluation(folder, pipe, n=n)
    if folder.name.startswith("lab-") and experiment in EXPERIMENTS:
        write_lab_tally(folder, pipe, experiment, n=lab_n)
    pipe.set_progress_bar_config(disable=True)
    save_error_map(folder, error_map(pipe, per_cell=per_cell))
    write_card(folder)
    return folder
