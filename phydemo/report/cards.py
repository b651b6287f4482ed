"""Model cards: Hugging Face model cards (YAML metadata with the measured metrics, then the text) written from a
checkpoint folder's own files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from phydemo.model.checkpoint import checkpoint_state, read_training_distribution, total_training
from phydemo.protocol import EVAL_SEED, NUM_COND_FRAMES, NUM_FRAMES, PAPER_REFERENCE, sampling_steps
from phydemo.report.messages import PAPER
from phydemo.report.tables import breakdowns, format_autoencoder_floor, pair_order, result_sets, summary_lines

SCENARIO_TITLES = {"uniform": "uniform motion", "collision": "elastic collision", "parabola": "parabolic motion",
                   "phyre": "PHYRE-like scenes"}
LICENSE = "apache-2.0"
CLEAN = ("the share of rollouts showing one clean object per ball (a single blob within 35% of the true area) in every "
         "scored frame")


def _training_text(folder: Path, name: str, cfg: dict, state: dict) -> str:
    """Data, model, training and the commands that reproduce the folder, from its own files."""
    m, dist = cfg["model"], read_training_distribution(folder)
    weights = (f"the final weights, annealed to lr 0 (EMA {cfg['ema_decay']} for the logged evaluations)"
               if cfg.get("final_weights") == "raw" else f"EMA {cfg['ema_decay']}")
    ends = cfg.get("anneal_at") or []
    cycles = (f"; the lr also decayed to 0 at step {', '.join(f'{e:,}' for e in ends)} and warmed up again" if ends else "")
    latent = bool(cfg.get("autoencoder"))
    thing = "an object" if cfg["scenario"] == "phyre" else "a ball"
    unit, where = ("cells", f"latent cells of {thing} (unlike an empty frame's)") if latent else ("px", "ball pixels")
    near = (f" and within {cfg['ball_loss_dilate']} {unit if cfg['ball_loss_dilate'] > 1 or not latent else 'cell'} of them"
            if cfg.get("ball_loss_dilate") else "")
    equal = (f", a ball smaller than {cfg['ball_loss_area']} {unit} weighted up as if of that size"
             if cfg.get("ball_loss_area") else "")
    ball = (f", squared error on {where}{near} weighted {1 + cfg['ball_loss_weight']:g}x{equal}"
            if cfg.get("ball_loss_weight") else "")
    space = "pixel space, patch"
    if latent:
        vae = json.loads((folder / "vae" / "config.json").read_text())
        side = vae["sample_size"] // (vae["unshuffle"] * 2 ** (len(vae["block_out_channels"]) - 1))  # as FrameAutoencoder
        space = (f"in the latent space of the frozen autoencoder in `vae/` (`{cfg['autoencoder']}`: each "
                 f"{vae['sample_size']} px frame <-> {side}x{side}x{vae['latent_channels']} latents), patch")
    base = state.get("init_from")
    start = (f"fine-tuned from the final weights of `{base['config']}` ({base.get('step', 0):,} steps, "
             f"{base.get('elapsed_min', 0):.0f} minutes) for " if base else "")
    steps, minutes = total_training(state)
    total = f"\n- In all: {steps:,} steps, {minutes:.0f} minutes of wall time on a 2-core CPU machine." if base else ""
    first = f" (it trains `{base['config']}` first if that run is missing)" if base else ""
    res = cfg["resolution"]
    head = json.loads((folder / "transformer" / "config.json").read_text()).get("prediction_type", "sample")
    target = {"sample": "x-prediction", "flow": "velocity prediction"}[head]
    return f"""- Data: {cfg['train_size']:,} simulated videos ({dist.scenario}, seed {cfg.get('data_seed', 0)}), {res}x{res} px, {NUM_FRAMES} frames:
  {dist.summary()}.
- Model: `VideoDiT`, {space} {m.get('patch_size_t')}x{m.get('patch_size')}x{m.get('patch_size')} (t x h x w), width {m.get('hidden_size')}, depth {m.get('depth')},
  {m.get('num_heads')} heads, adaLN-Zero, {target}, rectified flow; weights stored in fp16 (safetensors).
- Training: {start}{state.get('step', '?'):,} steps of batch {cfg['batch_size']}, AdamW lr {cfg['lr']} (warmup {cfg.get('warmup_steps', 0)},
  linear decay to 0 over the last {cfg.get('decay_steps', 0)}){cycles}, {cfg.get('high_noise_fraction', 0):.0%} of each batch at t = 1 from step {cfg.get('high_noise_from_step', 0)}{ball};
  shipped: {weights}; {state.get('elapsed_min', 0):.0f} minutes of wall time on a 2-core CPU machine, no GPU
  (on one thread or two, at times beside another run).{total}
- Reproduce: `phydemo train --config configs/{cfg['name']}.yaml`{first}, then
  `phydemo export runs/{cfg['name']} checkpoints/{name}`.
""" + _upsampler_text(folder, name, res)


def _upsampler_text(folder: Path, name: str, base_res: int) -> str:
    """A cascade's second stage, from its ``upsampler/`` files (nothing for a single-stage model)."""
    up = folder / "upsampler"
    if not up.is_dir():
        return ""
    model = json.loads((up / "config.json").read_text())
    cfg = yaml.safe_load((up / "train_config.yaml").read_text())
    state = json.loads((up / "train_state.json").read_text())
    size, scale = model["sample_size"], model["scale"]
    return f"""- Cascade: the DiT above generates {base_res} px frames (the given {size} px frames reduced by area); each generated
  frame is then upsampled {scale}x to {size} px by the `FrameUpsampler` in `upsampler/` (bicubic plus a learned residual,
  width {model['width']}, depth {model['depth']}, modulated by the last given {size} px frame), trained on ground-truth renders
  ({', '.join(cfg['scenarios'])}; {cfg['scenes']:,} scenes, every colour and shape, ID and OOD ranges): {state['step']:,} steps of
  batch {cfg['batch_size']}, {state['elapsed_min']:.0f} minutes. `phydemo train-upsampler --config configs/{cfg['name']}.yaml`, then
  `phydemo cascade <the DiT's folder> runs/{cfg['name']}/checkpoint checkpoints/{name}`.
""" + _upsampler_floor_text(up)


def _upsampler_floor_text(up: Path) -> str:
    if not (up / "floor.json").is_file():
        return ""
    floor = json.loads((up / "floor.json").read_text())
    return f"""
The upsampler's floor: the parser on upsampled low-resolution renders of the ground truth (the frames of a perfect base
model) against the parser on the full-resolution renders (`phydemo upsampler-floor --checkpoint <this folder> --n {floor['n']} --save`, seed {floor['seed']}):

{format_autoencoder_floor(floor['floor'], 'the upsampler')}
"""


def own_text(results: dict) -> str:
    """For a model trained on part of the ID ranges: that its ID row is drawn from what it was trained on."""
    kw = results.get("data_kwargs")
    return f"; ID drawn from its own training distribution, {json.dumps(kw)}" if kw else ""


def _measured_text(name: str, results: dict) -> str:
    ref = PAPER_REFERENCE[results["scenario"]]
    rows = [f"| {name} | {r['error']:.4f} ± {r.get('error_se', float('nan')):.4f} | {r['error_median']:.4f} | "
            f"{r['parse_floor']:.4f} | {r['clean_fraction']:.2f} | {r.get('n_scored', r['n'])} / {r['n']} |"
            for name, r in result_sets(results)]
    return f"""## Measured

`phydemo evaluate --checkpoint {name} --n {results['n']} --steps {results['steps']} --card` (the fixed evaluation
scenes, seed {results.get('seed', EVAL_SEED)}{own_text(results)}). Velocity error in world units / s, {sampling_steps(results['steps'])}; "clean" is {CLEAN};
"scored" counts the scenes with a scored frame (a collision scene is not scored when no frame after the contact
shows both balls wholly in view).

| set | mean error ± standard error | median | parse floor | clean | scored |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Paper ({results['scenario']}): {', '.join(f'{k} {v}' for k, v in ref.items())}.

""" + "".join(f"{title}:\n\n" + "".join(f"- {name}: {line}\n" for name, line in lines) + "\n"
                for title, lines in breakdowns(results))


def _phyre_measured_text(name: str, results: dict) -> str:
    """A PHYRE-like model's table: abnormal rate, PSNR and SSIM in and out of template, beside the baseline."""
    rows = []
    for split in ("in_template", "out_of_template"):
        r, b = results[split], results[split]["baseline"]
        rows.append(f"| {split.replace('_', '-')} | {r['abnormal']:.0%} ± {r['abnormal_se']:.0%} | {r['psnr']:.1f} dB | "
                    f"{r['ssim']:.3f} | {b['psnr']:.1f} dB | {b['ssim']:.3f} | {r['n']} |")
    gt = results["ground_truth"]
    return f"""## Measured

`phydemo evaluate --checkpoint {name} --n {results['in_template']['n']} --card` ({sampling_steps(results['steps'])}, seed
{results.get('seed', EVAL_SEED)}): the first frame of held-out seeds of its own templates (in-template) and of the 10
templates no model saw (out-of-template). "Abnormal" is the share of generated videos the automatic judge flags
(`phydemo/eval/phyre_judge.py`: an object vanishes, appears, splits, changes size or colour, a static object moves,
the red ball leaves free fall); it flags {gt['abnormal']:.0%} of the {gt['n']} ground-truth videos of the same scenes.
PSNR and SSIM over the generated frames; the baseline repeats the given frame.

| set | abnormal | PSNR | SSIM | baseline PSNR | baseline SSIM | scenes |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Paper (people judging, out-of-template): 67% abnormal with 6 templates, 10% with 60.

"""


def _experiment_text(name: str, summary: dict) -> str:
    rows = [f"| {o} | {summary['counts'][o]} | {summary['percent'][o]:.1f}% |" for o in summary["counts"]]
    order = pair_order(summary)
    order = f" Attribute order found by the paper: {order}." if order else ""
    return f"""## Experiment

{summary['title']}. Tested only on combinations it never saw in training:
`phydemo experiment {summary['experiment']} --checkpoint {name} --n {summary['n']} --seed {summary['seed']} --steps {summary['steps']} --card`.

| outcome | rollouts | share |
|---|---|---|
{chr(10).join(rows)}

""" + "".join(f"- {line}\n" for line in summary_lines(summary)) + f"""
Paper: {summary['paper']}{order}
"""


def card_metadata(name: str, scenario: str, results: dict | None) -> ModelCardData:
    """The card's YAML: library, license, tags and, where measured, the ID and OOD errors as model-index results."""
    evals = []
    if results and scenario == "phyre":
        evals = [EvalResult(task_type="image-to-video", dataset_type="phydemo/phyre",
                            dataset_name=f"PHYRE-like scenes, simulated ({results[s]['n']} scenes)", dataset_split=s,
                            metric_type="abnormal_rate", metric_value=round(results[s]["abnormal"], 4),
                            metric_name=f"{s} abnormal rate (automatic judge)")
                 for s in ("in_template", "out_of_template")]
    for split, r in result_sets(results) if results and scenario != "phyre" else []:
        evals.append(EvalResult(task_type="image-to-video", dataset_type=f"phydemo/{scenario}",
                                dataset_name=f"PhyWorld {scenario}, simulated (seed {results.get('seed', EVAL_SEED)})",
                                dataset_split=split, metric_type="velocity_error", metric_value=round(r["error"], 5),
                                metric_name=f"{split} velocity error (world units / s)"))
    return ModelCardData(library_name="diffusers", license=LICENSE, pipeline_tag="image-to-video",
                         tags=["video-diffusion", "dit", "physics", "phyworld", "world-model"],
                         model_name=f"phydemo-{name}", eval_results=evals or None)


def _phyre_data_text(cfg: dict) -> str:
    n = cfg.get("phyre_scenes", 0)
    return (f"\n- Also {n:,} PHYRE-like scenes of the 60 training templates ({n // 60} each, {cfg['frames_per_scene']} "
            "frames of each; the 10 out-of-template ones never seen), crops centred near a drawn pixel.") if n else ""


def _autoencoder_card(folder: Path, name: str) -> str:
    """The card of the frozen frame autoencoder: what it is, how it was trained, its measured floor."""
    model = json.loads((folder / "config.json").read_text())
    cfg = yaml.safe_load((folder / "train_config.yaml").read_text())
    state = json.loads((folder / "train_state.json").read_text())
    size, f = model["sample_size"], model["unshuffle"] * 2 ** (len(model["block_out_channels"]) - 1)
    meta = ModelCardData(library_name="diffusers", license=LICENSE, tags=["autoencoder", "phyworld", "video-diffusion"],
                         model_name=f"phydemo-{name}")
    body = f"""# {name}: the frame autoencoder of phydemo's latent DiTs

`FrameAutoencoder` (`phydemo/model/autoencoder.py`, a diffusers `ModelMixin`): {size}x{size}x3 frames <->
{size // f}x{size // f}x{model['latent_channels']} latents ({f}x per side), frame by frame; pixel-unshuffle, residual stages of widths
{model['block_out_channels']}, a mirrored decoder; deterministic. Per-channel latent statistics (for normalising the DiT's
inputs) are in `config.json` (`latents_mean`, `latents_std`).

- Data: {cfg['scenes']:,} scenes of all three scenarios, every colour and shape, {cfg['ood_fraction']:.0%} of them from the OOD ranges,
  both directions; {cfg['frames_per_scene']} frames of each, rendered at {cfg['resolution']} px; trained on {cfg['crop']} px crops,
  {cfg['ball_crop_fraction']:.0%} of them centred near a ball.{_phyre_data_text(cfg)}
- Training: {state['step']:,} steps of batch {cfg['batch_size']}, Adam lr {cfg['lr']} with cosine decay, squared error with pixels within
  {cfg['ball_dilate']} px of a ball weighted {1 + cfg['ball_weight']:g}x; {state['elapsed_min']:.0f} minutes on one CPU thread.
- Reproduce: `phydemo train-autoencoder --config configs/{cfg['name']}.yaml`, then
  `phydemo export runs/{cfg['name']} checkpoints/{name}`.
"""
    if (folder / "floor.json").is_file():
        floor = json.loads((folder / "floor.json").read_text())
        body += f"""
## Its floor

The paper's parser on decode(encode(ground truth)) at {size} px against the parser on the ground truth itself (the pixel
parse floor): the error of a perfect latent model. `phydemo autoencoder-floor --checkpoint {name} --n {floor['n']} --save`
(the fixed evaluation scenes, seed {floor['seed']}; a collision scene is scored only where a frame after the contact
shows both balls wholly in view, as the paper's metric requires; "clean": every ball one blob of the right size):

{format_autoencoder_floor(floor['floor'])}
"""
    return f"---\n{meta.to_yaml()}\n---\n\n{body}"


def write_card(folder: str | Path, name: str | None = None) -> Path:
    """(Re)write a checkpoint folder's README.md from its own files: train_config.yaml, train_state.json, the
    distribution in model_index.json, and eval.json or experiment.json where measured (floor.json for the
    autoencoder). ``name``: the checkpoint's name where the folder is a staging copy of it."""
    folder = Path(folder)
    name = name or folder.name
    if not (folder / "model_index.json").is_file() and (folder / "config.json").is_file():
        card = ModelCard(_autoencoder_card(folder, name))
        card.save(folder / "README.md")
        return folder / "README.md"
    cfg = yaml.safe_load((folder / "train_config.yaml").read_text())
    state = checkpoint_state(folder)
    results = json.loads((folder / "eval.json").read_text()) if (folder / "eval.json").is_file() else None
    summary = json.loads((folder / "experiment.json").read_text()) if (folder / "experiment.json").is_file() else None
    what = f"mechanism lab ({summary['experiment']})" if summary else SCENARIO_TITLES[cfg["scenario"]]
    given = cfg["model"].get("num_cond_frames", NUM_COND_FRAMES)
    body = f"""# {name}: a frame-conditioned video DiT, {what}

Trained by phydemo, which re-creates *How Far is Video Generation from World Model: A Physical Law
Perspective* ([Kang et al., 2024]({PAPER})); the paper released no weights. It sees the {'first frame' if given == 1 else f'first {given} frames'}
of a simulated video and generates the other {NUM_FRAMES - given}.

{_training_text(folder, name, cfg, state)}
"""
    if results:
        body += _phyre_measured_text(name, results) if cfg["scenario"] == "phyre" else _measured_text(name, results)
    if summary:
        body += _experiment_text(name, summary)
    if not results and not summary:
        body += f"Not measured yet: `phydemo evaluate --checkpoint {name} --card` writes its table.\n"
    card = ModelCard(f"---\n{card_metadata(name, cfg['scenario'], results).to_yaml()}\n---\n\n{body}")
    path = folder / "README.md"
    card.save(path)
    return path
