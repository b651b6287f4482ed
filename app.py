"""phydemo: has a video diffusion model learned physics? Layout and wiring only; logic is in phydemo.demo."""

import gradio as gr

from phydemo.demo import MAX_SWEEP, Demo
from phydemo.errors import InputError
from phydemo.protocol import DEFAULT_STEPS, MAX_STEPS
from phydemo.world.scenes import COLORS, SHAPES

try:  # Hugging Face ZeroGPU; a no-op decorator elsewhere
    import spaces

    gpu = spaces.GPU
except ImportError:  # pragma: no cover
    def gpu(fn):
        return fn

demo_models = Demo()
NAMES = demo_models.names
DEFAULT = "uniform" if "uniform" in NAMES else NAMES[0]


def _range_info(name: str, key: str) -> str:
    return demo_models.distribution(name).range_text(key)


@gpu
def run(name, speed, speed2, radius, radius2, color, shape, seed, steps, progress=gr.Progress()):
    try:
        res = demo_models.run(name, speed, speed2, radius, radius2, color, shape, seed, steps, progress)
    except InputError as e:
        raise gr.Error(str(e))
    return res.video_path, res.strip, res.figure, res.report


@gpu
def sweep(name, speed_min, speed_max, count, radius, color, shape, seed, steps):
    try:
        return demo_models.sweep(name, speed_min, speed_max, count, radius, color, shape, seed, steps)
    except InputError as e:
        raise gr.Error(str(e))


@gpu
def lab(experiment, n, seed, steps):
    try:
        return demo_models.lab(experiment, n, seed, steps)
    except InputError as e:
        raise gr.Error(str(e))


def label(name, speed, speed2, radius, radius2, color, shape):
    return demo_models.ood_text(name, speed, speed2, radius, radius2, color, shape)


def on_checkpoint(name):
    dist = demo_models.distribution(name)
    collision = dist.scenario == "collision"
    return (gr.update(info=_range_info(name, "speed")), gr.update(visible=collision, info=_range_info(name, "speed")),
            gr.update(info=_range_info(name, "radius")), gr.update(visible=collision, info=_range_info(name, "radius")),
            gr.update(info=dist.seen_text("colors")), gr.update(info=dist.seen_text("shapes")),
            demo_models.measured_text(name))


with gr.Blocks(title="phydemo: has a video model learned physics?") as app:
    gr.Markdown(
        "# Has a video diffusion model learned physics?\n"
        "A small video DiT, trained by us on simulated balls, sees the first 3 frames and generates the rest "
        "(Kang et al., 2024, *How Far is Video Generation from World Model*). Inside its training ranges it follows "
        "the law; outside them it does not. Set a ball, run, and compare with the pymunk ground truth.")
    with gr.Tab("Rollout"):
        with gr.Row():
            with gr.Column(scale=1):
                ckpt = gr.Dropdown(NAMES, value=DEFAULT, label="scenario / checkpoint")
                measured = gr.Markdown(demo_models.measured_text(DEFAULT), elem_id="measured")
                speed = gr.Slider(0.0, 8.0, value=2.5, step=0.05, label="initial speed", info=_range_info(DEFAULT, "speed"))
                speed2 = gr.Slider(0.0, 8.0, value=2.5, step=0.05, label="speed of ball 2 (moving left)", visible=False)
                radius = gr.Slider(0.2, 2.5, value=1.0, step=0.05, label="radius", info=_range_info(DEFAULT, "radius"))
                radius2 = gr.Slider(0.2, 2.5, value=1.0, step=0.05, label="radius of ball 2", visible=False)
                color = gr.Dropdown(list(COLORS), value="red", label="colour",
                                    info=demo_models.distribution(DEFAULT).seen_text("colors"))
                shape = gr.Dropdown(list(SHAPES), value="circle", label="shape",
                                    info=demo_models.distribution(DEFAULT).seen_text("shapes"))
                with gr.Row():
                    seed = gr.Number(0, precision=0, label="seed")
                    steps = gr.Slider(1, MAX_STEPS, value=DEFAULT_STEPS, step=1, label="sampling steps")
                ood = gr.Markdown(label(DEFAULT, 2.5, 2.5, 1.0, 1.0, "red", "circle"))
                go = gr.Button("Run", variant="primary", elem_id="run-button")
            with gr.Column(scale=2):
                video = gr.Video(label="ground truth | generated", autoplay=True, loop=True, elem_id="rollout-video")
                plot = gr.Plot(label="velocity over time", elem_id="velocity-plot")
                report = gr.Markdown()
                strip = gr.Image(label="frame strip (every 4th frame; top: ground truth, bottom: generated)", type="numpy")
        inputs = [ckpt, speed, speed2, radius, radius2, color, shape]
        for comp in inputs:
            comp.change(label, inputs, ood, queue=False)
        ckpt.change(on_checkpoint, ckpt, [speed, speed2, radius, radius2, color, shape, measured], queue=False)
        go.click(run, inputs + [seed, steps], [video, strip, plot, report], api_name="run")
        gr.Examples(
            examples=[[DEFAULT, 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 10],
                      [DEFAULT, 0.4, 0.4, 1.0, 1.0, "red", "circle", 0, 10],
                      [DEFAULT, 5.5, 5.5, 1.0, 1.0, "red", "circle", 0, 10],
                      [DEFAULT, 2.5, 2.5, 1.0, 1.0, "blue", "circle", 0, 10],
                      [DEFAULT, 2.5, 2.5, 1.0, 1.0, "red", "square", 0, 10]],
            example_labels=["in distribution", "slow (OOD)", "fast (OOD)", "unseen colour", "unseen shape"],
            inputs=inputs + [seed, steps], cache_examples=False)
    with gr.Tab("Sweep"):
        gr.Markdown("Generate for a range of input speeds (one batch) and compare the generated speed with the "
                    "true one: the paper's central figure, live. The green band is the training range. For a collision "
                    "checkpoint both balls get the speed and the first ball's size; equal balls swap velocities, so "
                    "the law is ball 1 leaving at its input speed.")
        with gr.Row():
            s_min = gr.Slider(0.0, 8.0, value=0.2, step=0.1, label="lowest speed")
            s_max = gr.Slider(0.0, 8.0, value=6.0, step=0.1, label="highest speed")
            s_count = gr.Slider(2, MAX_SWEEP, value=12, step=1, label="number of speeds")
        s_go = gr.Button("Sweep", variant="primary", elem_id="sweep-button")
        s_plot = gr.Plot(label="generated vs true speed")
        s_go.click(sweep, [ckpt, s_min, s_max, s_count, radius, color, shape, seed, steps], s_plot, api_name="sweep")

    if demo_models.lab_experiments:
        with gr.Tab("Lab"):
            gr.Markdown("The paper's section-5 mechanism experiments: each checkpoint was trained on a restricted set "
                        "of cases and is tested on combinations it never saw. Which attribute does it keep?")
            with gr.Row():
                l_exp = gr.Dropdown(demo_models.lab_experiments, value=demo_models.lab_experiments[0], label="experiment")
                l_n = gr.Slider(1, MAX_SWEEP, value=16, step=1, label="batch size")
            l_go = gr.Button("Run experiment", variant="primary", elem_id="lab-button")
            l_tally = gr.Markdown(elem_id="lab-tally")
            l_grid = gr.Image(label="generated rollouts (every 4th frame; caption: asked -> generated: outcome)",
                              type="numpy", elem_id="lab-grid")
            l_go.click(lab, [l_exp, l_n, seed, steps], [l_grid, l_tally], api_name="lab")

app.queue(default_concurrency_limit=1, max_size=64)

if __name__ == "__main__":
    app.launch()
