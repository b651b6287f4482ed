"""phydemo: has a video diffusion model learned physics? Layout and wiring only; the logic is in phydemo.demo."""

import logging

import gradio as gr

from phydemo.demo import MAX_ROLLOUTS, Demo
from phydemo.errors import InputError
from phydemo.gradio_inputs import Dropdown, Number, Slider
from phydemo.protocol import DEFAULT_STEPS, MAX_STEPS
from phydemo.report import PAPER, TERMS
from phydemo.world.scenes import COLORS, SHAPES

try:  # Hugging Face ZeroGPU; a no-op decorator elsewhere
    import spaces

    gpu = spaces.GPU
except ImportError:  # pragma: no cover
    def gpu(fn):
        return fn

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
log = logging.getLogger("phydemo.app")
demo_models = Demo()
NAMES = demo_models.names
DEFAULT = "uniform" if "uniform" in NAMES else NAMES[0]
SCENE_NAMES = [n for n in NAMES if not n.startswith("lab-")] or NAMES
CSS = """
#rollout-video, #lab-grid, #frame-strip {min-height: 120px}
#sweep-plot {min-height: 420px}
#lab-tally table th {white-space: nowrap; word-break: keep-all}
"""


def refused(endpoint: str, e: InputError):
    """One log line per refused request, and the message (field, value, allowed values) for the visitor."""
    log.info("refused %s: %s", endpoint, e)
    return gr.Error(str(e), print_exception=False)


@gpu
def run(name, speed, speed2, radius, radius2, color, shape, seed, steps):
    try:
        res = demo_models.run(name, speed, speed2, radius, radius2, color, shape, seed, steps)
    except InputError as e:
        raise refused("run", e) from None
    return res.video_path, res.strip, res.figure, res.report


@gpu
def sweep(name, speed_min, speed_max, count, radius, color, shape, seed, steps, progress=gr.Progress()):
    try:
        return demo_models.sweep(name, speed_min, speed_max, count, radius, color, shape, seed, steps,
                                 progress=lambda done, total: progress(done / total, desc=f"{done} of {total} rollouts"))
    except InputError as e:
        raise refused("sweep", e) from None


@gpu
def lab(experiment, n, seed, steps, progress=gr.Progress()):
    try:
        return demo_models.lab(experiment, n, seed, steps,
                               progress=lambda done, total: progress(done / total, desc=f"{done} of {total} rollouts"))
    except InputError as e:
        raise refused("lab", e) from None


def label(name, speed, speed2, radius, radius2, color, shape):
    return demo_models.ood_text(name, speed, speed2, radius, radius2, color, shape)


def on_checkpoint(name):
    dist = demo_models.distribution(name)
    collision = dist.scenario == "collision"
    return (gr.update(info=dist.range_text("speed")), gr.update(visible=collision, info=dist.range_text("speed")),
            gr.update(info=dist.range_text("radius")), gr.update(visible=collision, info=dist.range_text("radius")),
            gr.update(info=dist.seen_text("colors")), gr.update(info=dist.seen_text("shapes")),
            demo_models.measured_text(name))


def ball_controls(name):
    """Radius, colour and shape of the ball, with the checkpoint's training values as their info."""
    dist = demo_models.distribution(name)
    radius = Slider(0.2, 2.5, value=1.0, step=0.05, label="radius", info=dist.range_text("radius"))
    color = Dropdown(list(COLORS), value="red", label="colour", info=dist.seen_text("colors"))
    shape = Dropdown(list(SHAPES), value="circle", label="shape", info=dist.seen_text("shapes"))
    return radius, color, shape


def sampling_controls():
    with gr.Row():
        seed = Number(0, precision=0, label="seed", minimum=0)
        steps = Slider(1, MAX_STEPS, value=DEFAULT_STEPS, step=1, label="sampling steps",
                          info=f"{DEFAULT_STEPS}: measured best")
    return seed, steps


with gr.Blocks(title="phydemo: has a video model learned physics?", delete_cache=(300, 900)) as app:
    gr.Markdown(
        "# Has a video diffusion model learned physics?\n"
        "A small video DiT, trained by us on simulated balls, sees the first 3 frames and generates the rest, as in "
        f"Kang et al., 2024, [*How Far is Video Generation from World Model*]({PAPER}). Inside its training ranges it "
        "follows the law; outside them it does not. Set a ball, run, and compare with the pymunk ground truth. "
        "The code, the model cards and how each model was trained are in this Space's *Files*.")
    with gr.Tab("Rollout"):
        with gr.Row():
            with gr.Column(scale=1):
                ckpt = Dropdown(NAMES, value=DEFAULT, label="scenario / checkpoint")
                measured = gr.Markdown(demo_models.measured_text(DEFAULT), elem_id="measured")
                speed = Slider(0.0, 8.0, value=2.5, step=0.05, label="initial speed",
                                  info=demo_models.distribution(DEFAULT).range_text("speed"))
                speed2 = Slider(0.0, 8.0, value=2.5, step=0.05, label="speed of ball 2 (moving left)", visible=False)
                radius, color, shape = ball_controls(DEFAULT)
                radius2 = Slider(0.2, 2.5, value=1.0, step=0.05, label="radius of ball 2", visible=False)
                seed, steps = sampling_controls()
                ood = gr.Markdown(label(DEFAULT, 2.5, 2.5, 1.0, 1.0, "red", "circle"))
                go = gr.Button("Run", variant="primary", elem_id="run-button")
            with gr.Column(scale=2):
                gr.Markdown("**Ground truth (left) and generated (right)**, 10 frames a second")
                video = gr.Video(show_label=False, autoplay=True, loop=True, elem_id="rollout-video")
                plot = gr.Plot(label="velocity over time", elem_id="velocity-plot")
                report = gr.Markdown(elem_id="report")
                gr.Markdown("**Every 4th frame**: ground truth above, generated below")
                strip = gr.Image(show_label=False, type="numpy", elem_id="frame-strip")
        inputs = [ckpt, speed, speed2, radius, radius2, color, shape]
        for comp in inputs:
            comp.change(label, inputs, ood, queue=False, api_visibility="private")
        ckpt.change(on_checkpoint, ckpt, [speed, speed2, radius, radius2, color, shape, measured], queue=False,
                    api_visibility="private")
        go.click(run, inputs + [seed, steps], [video, strip, plot, report], api_name="run",
                 concurrency_id="rollout", concurrency_limit=8)
        gr.Examples(
            examples=[[DEFAULT, v, v, 1.0, 1.0, c, s, 0, DEFAULT_STEPS] for v, c, s in
                      [(2.5, "red", "circle"), (0.4, "red", "circle"), (5.5, "red", "circle"), (2.5, "blue", "circle"),
                       (2.5, "red", "square")]],
            example_labels=["in distribution", "slow (OOD)", "fast (OOD)", "unseen colour", "unseen shape"],
            inputs=inputs + [seed, steps], outputs=[video, strip, plot, report], fn=run, cache_examples=True,
            cache_mode="lazy")
    with gr.Tab("Sweep"):
        gr.Markdown("Generate for a range of input speeds (one batch) and compare the generated speed with the "
                    "true one: the paper's central figure, live. The green band is the training range. For a collision "
                    "checkpoint both balls get the speed and the radius; equal balls swap velocities, so the law is "
                    "ball 1 leaving at its input speed.")
        with gr.Row():
            with gr.Column(scale=1):
                s_ckpt = Dropdown(SCENE_NAMES, value=DEFAULT, label="checkpoint")
                with gr.Row():
                    s_min = Slider(0.0, 8.0, value=0.2, step=0.1, label="lowest speed")
                    s_max = Slider(0.0, 8.0, value=6.0, step=0.1, label="highest speed")
                s_count = Slider(2, MAX_ROLLOUTS, value=12, step=1, label="number of speeds")
                s_radius, s_color, s_shape = ball_controls(DEFAULT)
                s_seed, s_steps = sampling_controls()
                s_go = gr.Button("Sweep", variant="primary", elem_id="sweep-button")
            with gr.Column(scale=2):
                s_plot = gr.Plot(label="generated vs true speed", elem_id="sweep-plot")
        s_go.click(sweep, [s_ckpt, s_min, s_max, s_count, s_radius, s_color, s_shape, s_seed, s_steps], s_plot,
                   api_name="sweep", concurrency_id="long", concurrency_limit=1)
    if demo_models.lab_experiments:
        with gr.Tab("Lab"):
            gr.Markdown("The paper's section-5 mechanism experiments: each checkpoint was trained on a restricted set "
                        "of cases and is tested on combinations it never saw. Which attribute does it keep?")
            with gr.Row():
                l_exp = Dropdown(demo_models.lab_experiments, value=demo_models.lab_experiments[0],
                                    label="experiment")
                l_n = Slider(1, MAX_ROLLOUTS, value=16, step=1, label="rollouts")
            l_seed, l_steps = sampling_controls()
            l_go = gr.Button("Run experiment", variant="primary", elem_id="lab-button")
            l_tally = gr.Markdown(elem_id="lab-tally")
            gr.Markdown("**Generated rollouts**, every 4th frame; caption: what was asked -> what the model did")
            l_grid = gr.Image(show_label=False, type="numpy", elem_id="lab-grid")
            l_go.click(lab, [l_exp, l_n, l_seed, l_steps], [l_grid, l_tally], api_name="lab", concurrency_id="long",
                       concurrency_limit=1)
    with gr.Accordion("What the numbers mean", open=False):
        gr.Markdown(TERMS)

app.queue(default_concurrency_limit=1, max_size=256)

if __name__ == "__main__":
    app.launch(css=CSS)
