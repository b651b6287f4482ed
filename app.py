"""phydemo: has a video diffusion model learned physics? Layout and wiring only; the logic is in phydemo.app.demo."""

import logging

import gradio as gr

from phydemo.app.demo import MAX_ROLLOUTS, Demo
from phydemo.app.gradio_inputs import Dropdown, Number, Slider
from phydemo.errors import InputError
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
SCENE_NAMES = demo_models.scene_names
MAPPED = [n for n in NAMES if demo_models.maps.get(n)] or NAMES[:1]
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
def run(name, speed, speed2, radius, radius2, color, shape, seed, steps, request: gr.Request = None):
    try:
        res = demo_models.run(name, speed, speed2, radius, radius2, color, shape, seed, steps)
        base = (request.headers.get("referer") if request else None) or "/"
        link = demo_models.permalink(base, name, speed, speed2, radius, radius2, color, shape, seed, steps)
    except InputError as e:
        raise refused("run", e) from None
    return res.video_path, res.strip_path, res.figure, res.report, res.law, res.nearest, link


@gpu
def predict(name, speed, radius, color, shape, seed, steps, guess_x, guess_y):
    try:
        res, figure, text = demo_models.predict(name, speed, speed, radius, radius, color, shape, seed, steps,
                                                guess_x, guess_y)
    except InputError as e:
        raise refused("predict", e) from None
    return res.video_path, figure, text


def given_frames(name, speed, radius, color, shape):
    try:
        return demo_models.given_frames(name, speed, speed, radius, radius, color, shape)
    except InputError as e:
        raise refused("given_frames", e) from None


def show_map(name):
    figure, rows, speeds, _ = demo_models.error_map(name)
    return figure, gr.update(value=rows, headers=["radius \\ speed"] + [f"{v:g}" for v in speeds])


def pick_cell(name, evt: gr.SelectData):
    """A cell of the error map -> that ball in the Rollout tab (run next)."""
    v, r = demo_models.map_cell(name, *evt.index)
    return gr.update(value=name), v, v, r, r, gr.Tabs(selected="rollout")


def from_link(request: gr.Request):
    """Open the page as a permalink left it: the ball, checkpoint, seed and steps in its query."""
    query = dict(request.query_params) if request else {}
    keys = ["checkpoint", "speed", "speed2", "radius", "radius2", "color", "shape", "seed", "steps"]
    if not query:
        return [gr.update()] * len(keys)
    try:
        values = demo_models.from_query(query)
    except InputError as e:
        gr.Warning(f"This link could not be opened: {e}")
        return [gr.update()] * len(keys)
    return [gr.update(value=values[k]) for k in keys]


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


@gpu
def scene(template, seed, steps):
    try:
        res = demo_models.scenes.run(template, seed, steps)
    except InputError as e:
        raise refused("scene", e) from None
    return res.video_path, res.strip_path, res.report


def show_finding(name):
    try:
        return demo_models.finding(name)
    except InputError as e:
        raise refused("finding", e) from None


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
    with gr.Tabs() as tabs:
        with gr.Tab("Rollout", id="rollout"):
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
                    link = gr.Textbox(label="link to this ball (for a slide)", buttons=["copy"], elem_id="permalink")
                with gr.Column(scale=2):
                    gr.Markdown("**Ground truth, generated, and the nearest training video**, 10 frames a second")
                    video = gr.Video(show_label=False, autoplay=True, loop=True, elem_id="rollout-video")
                    nearest = gr.Markdown(elem_id="nearest")
                    law = gr.Plot(label="position over time: the law, and both videos read by the parser", elem_id="law-plot")
                    plot = gr.Plot(label="velocity over time", elem_id="velocity-plot")
                    report = gr.Markdown(elem_id="report")
                    gr.Markdown("**Every 4th frame**: ground truth above, generated below")
                    strip = gr.Image(show_label=False, type="numpy", elem_id="frame-strip")
            inputs = [ckpt, speed, speed2, radius, radius2, color, shape]
            outputs = [video, strip, plot, report, law, nearest, link]
            for comp in inputs:
                comp.change(label, inputs, ood, queue=False, api_visibility="private")
            ckpt.change(on_checkpoint, ckpt, [speed, speed2, radius, radius2, color, shape, measured], queue=False,
                        api_visibility="private")
            go.click(run, inputs + [seed, steps], outputs, api_name="run", concurrency_id="rollout", concurrency_limit=8)
            gr.Examples(
                examples=[[DEFAULT, v, v, 1.0, 1.0, c, s, 0, DEFAULT_STEPS] for v, c, s in
                          [(2.5, "red", "circle"), (0.4, "red", "circle"), (5.5, "red", "circle"), (2.5, "blue", "circle"),
                           (2.5, "red", "square")]],
                example_labels=["in distribution", "slow (OOD)", "fast (OOD)", "unseen colour", "unseen shape"],
                inputs=inputs + [seed, steps], outputs=outputs, fn=run, cache_examples=True, cache_mode="lazy")
        with gr.Tab("Error map", id="map"):
            gr.Markdown("Where does the law hold? The velocity error over a grid of speeds and radii, inside the training "
                        "box (white) and around it, measured beforehand (`phydemo evaluate --error-map`). Pick a cell in the "
                        "table to load that ball into the Rollout tab and run it.")
            m_ckpt = Dropdown(MAPPED, value=DEFAULT if DEFAULT in MAPPED else MAPPED[0], label="checkpoint")
            m_plot = gr.Plot(label="error map", elem_id="map-plot")
            m_table = gr.Dataframe(interactive=False, label="error per cell (rows: radius, columns: speed); pick one",
                                   elem_id="map-table")
            m_ckpt.change(show_map, m_ckpt, [m_plot, m_table], api_visibility="private")
            app.load(show_map, m_ckpt, [m_plot, m_table], api_visibility="private")
            m_table.select(pick_cell, m_ckpt, [ckpt, speed, speed2, radius, radius2, tabs], api_visibility="private").then(
                run, inputs + [seed, steps], outputs, api_visibility="private", concurrency_id="rollout")
        with gr.Tab("Predict first", id="predict"):
            gr.Markdown("Lecture mode: show the audience the three frames the model is given, let them commit to a guess of "
                        "where the ball will be 1.5 s in (frame 15 of 32), then reveal the law, the model and the guess together.")
            with gr.Row():
                with gr.Column(scale=1):
                    p_ckpt = Dropdown(SCENE_NAMES, value=DEFAULT, label="checkpoint")
                    p_speed = Slider(0.0, 8.0, value=5.5, step=0.05, label="initial speed")
                    p_radius, p_color, p_shape = ball_controls(DEFAULT)
                    p_seed, p_steps = sampling_controls()
                    p_show = gr.Button("Show the given frames", elem_id="predict-show")
                    p_given = gr.Image(show_label=False, type="numpy", elem_id="predict-given")
                    with gr.Row():
                        p_x = Slider(0.0, 10.0, value=5.0, step=0.1, label="your guess: x at t = 1.5 s")
                        p_y = Slider(0.0, 10.0, value=5.0, step=0.1, label="your guess: y at t = 1.5 s")
                    p_go = gr.Button("Commit and reveal", variant="primary", elem_id="predict-button")
                with gr.Column(scale=2):
                    p_video = gr.Video(show_label=False, autoplay=True, loop=True, elem_id="predict-video")
                    p_plot = gr.Plot(label="the law, the model and your guess", elem_id="predict-plot")
                    p_text = gr.Markdown(elem_id="predict-text")
            p_show.click(given_frames, [p_ckpt, p_speed, p_radius, p_color, p_shape], p_given, api_name="given_frames")
            p_go.click(predict, [p_ckpt, p_speed, p_radius, p_color, p_shape, p_seed, p_steps, p_x, p_y],
                       [p_video, p_plot, p_text], api_name="predict", concurrency_id="rollout")
        with gr.Tab("Sweep", id="sweep"):
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
        if demo_models.scenes.names:
            with gr.Tab("Scenes", id="scenes"):
                gr.Markdown("**PHYRE-like scenes** (the paper's section 4): a red ball and four kinds of object. Each "
                            f"model ({', '.join(demo_models.scenes.names)}) was trained on the same number of videos "
                            "of 6, 30 or 60 templates and is given the first frame; on a template it never saw, does "
                            "it still keep the objects whole and the ball falling? An automatic judge decides.")
                with gr.Row():
                    with gr.Column(scale=1):
                        sc_template = Dropdown(demo_models.scenes.template_choices(), value=60, label="template",
                                               info="60-69 are held out of every model's training",
                                               elem_id="scene-template")
                        sc_seed = Number(0, precision=0, label="seed (places the objects)", minimum=0)
                        sc_steps = Slider(1, MAX_STEPS, value=DEFAULT_STEPS, step=1, label="sampling steps")
                        sc_go = gr.Button("Run", variant="primary", elem_id="scene-button")
                    with gr.Column(scale=3):
                        sc_video = gr.Video(show_label=False, autoplay=True, loop=True, elem_id="scene-video")
                        sc_strip = gr.Image(show_label=False, type="filepath", elem_id="scene-strip")
                        sc_report = gr.Markdown(elem_id="scene-report")
                sc_go.click(scene, [sc_template, sc_seed, sc_steps], [sc_video, sc_strip, sc_report], api_name="scene",
                            concurrency_id="long", concurrency_limit=1)
        if demo_models.lab_experiments:
            with gr.Tab("Lab", id="lab"):
                if demo_models.findings:
                    gr.Markdown("**Findings across several models**, measured once and saved; the command under each "
                                "reproduces it.")
                    first = next(iter(demo_models.findings))
                    f_name = Dropdown(list(demo_models.findings), value=first, label="finding (measured, saved)",
                                      elem_id="finding-name")
                    f_fig, f_text = demo_models.finding(first)
                    f_plot = gr.Plot(f_fig, show_label=False, elem_id="finding-plot")
                    f_reading = gr.Markdown(f_text, elem_id="finding-reading")
                    f_name.change(show_finding, f_name, [f_plot, f_reading], api_visibility="private")
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
    app.load(from_link, None, [ckpt, speed, speed2, radius, radius2, color, shape, seed, steps],
             api_visibility="private")

app.queue(default_concurrency_limit=1, max_size=256)

if __name__ == "__main__":
    app.launch(css=CSS)
