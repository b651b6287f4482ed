"""The app: its functions without a browser, the running server through gradio_client, a real browser."""

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from phydemo.app.demo import Demo
from phydemo.errors import InputError
from phydemo.eval.findings import load_all
from phydemo.model.checkpoint import shipped_checkpoints
from phydemo.video import read_video

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    return Demo()


def test_demo_run_returns_video_plot_and_report(demo):
    res = demo.run("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 4)
    frames, codec = read_video(res.video_path)
    assert codec == "h264" and len(frames) == 32
    names = [t.name for t in res.figure.data]
    assert any(n.startswith("ground truth") for n in names) and any(n.startswith("generated") for n in names)
    assert "In distribution" in res.report and res.strip.ndim == 3
    assert math.isfinite(res.rollout.report.error)


def test_demo_labels_ood(demo):
    assert "In distribution" in demo.ood_text("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle")
    text = demo.ood_text("uniform", 5.5, 5.5, 1.0, 1.0, "red", "square")
    assert "Out of distribution" in text and "speed=5.5 is 1.5 above" in text and "shape=square" in text
    assert "Invalid request" in demo.ood_text("uniform", float("nan"), 1, 1, 1, "red", "circle")


def test_demo_states_each_checkpoints_measured_errors(demo, tmp_path):
    import json

    measured = json.loads((ROOT / "checkpoints/uniform/eval.json").read_text())
    text = demo.measured_text("uniform")
    assert f"ID error {measured['id']['error']:.3f}" in text
    assert f"OOD speed {measured['ood']['v']['error']:.3f}" in text and f"on {measured['n']} scenes" in text
    lab = demo.measured_text("lab-case-set1")  # a lab model: its own distribution's numbers, then where to go next
    assert lab.startswith("**Measured**") and "ID error" in lab and lab.endswith("in the Lab tab.")
    with pytest.raises(InputError, match="checkpoint"):
        demo.measured_text("nope")
    broken = Demo.__new__(Demo)  # the same pipelines, one folder whose eval.json is corrupt
    broken.pipes, broken.folders = demo.pipes, {**demo.folders, "uniform": tmp_path}
    (tmp_path / "eval.json").write_text("{not json")
    assert "unreadable" in broken.measured_text("uniform") and str(tmp_path) in broken.measured_text("uniform")
    (tmp_path / "eval.json").unlink()  # a checkpoint copied without its table
    assert "Not measured yet" in broken.measured_text("uniform") and "--card" in broken.measured_text("uniform")


@pytest.mark.parametrize("args,msg", [
    ((float("nan"), 1.0, "red", "circle", 0, 10), "speed"),
    ((-1, 1.0, "red", "circle", 0, 10), "speed"),
    ((1e300, 1.0, "red", "circle", 0, 10), "speed"),
    (("fast", 1.0, "red", "circle", 0, 10), "speed"),
    ((2.0, None, "red", "circle", 0, 10), "radius"),
    ((2.0, 1.0, "pink", "circle", 0, 10), "color"),
    ((2.0, 1.0, "red", "star", 0, 10), "shape"),
    ((2.0, 1.0, ["red"], "circle", 0, 10), "color"),
    ((2.0, 1.0, "red", "circle", 0, 10**9), "steps"),
    ((2.0, 1.0, "red", "circle", 0.5, 10), "seed"),
])
def test_demo_rejects_bad_input(demo, args, msg):
    speed, radius, color, shape, seed, steps = args
    with pytest.raises(InputError, match=msg):
        demo.run("uniform", speed, speed, radius, radius, color, shape, seed, steps)


def test_demo_sweep(demo):
    fig = demo.sweep("uniform", 1.0, 5.0, 3, 1.0, "red", "circle", 0, 2)
    gen = [t for t in fig.data if t.name == "generated speed"][0]
    assert len(gen.x) == 3
    with pytest.raises(InputError, match="count"):
        demo.sweep("uniform", 1.0, 5.0, 1000, 1.0, "red", "circle", 0, 2)


@pytest.mark.parametrize("scenario,kwargs", [("uniform", dict(speed=2.0, radius=1.0)),
                                             ("collision", dict(speed1=2.0, speed2=2.0, radius1=1.0, radius2=1.0))])
def test_sweep_speed_of_a_lawful_video_is_the_input_speed(scenario, kwargs):
    """On ground truth the sweep's y value is the x value: for a collision of equal balls too, where ball 1
    leaves moving left at its input speed; a ball going the wrong way reads negative."""
    from phydemo.eval.metrics import velocity_error
    from phydemo.eval.rollout import Rollout, generated_speed
    from phydemo.world.physics import simulate
    from phydemo.world.render import render
    from phydemo.world.scenes import make_params

    p = make_params(scenario, **kwargs)
    traj = simulate(p)
    gt = render(traj, 64)
    report = velocity_error(scenario, gt, traj)
    assert generated_speed(Rollout(p, traj, gt, gt, report, report)) == pytest.approx(2.0, abs=0.1)
    mirrored = gt[:, :, ::-1].copy()  # the same motion, the wrong way
    wrong = velocity_error(scenario, mirrored, traj)
    if scenario == "uniform":
        assert generated_speed(Rollout(p, traj, gt, mirrored, report, wrong)) < 0


HAS_LAB = (ROOT / "checkpoints" / "lab-color-shape" / "model_index.json").exists()
HAS_SCENES = bool(shipped_checkpoints(ROOT / "checkpoints", world="phyre"))  # the Scenes tab's PHYRE-like models


@pytest.mark.skipif(not HAS_LAB, reason="no lab checkpoint shipped")
def test_demo_lab_grid_and_tally(demo):
    assert "color-shape" in demo.lab_experiments
    grid, tally = demo.lab("color-shape", 4, 0, 2)
    assert grid.ndim == 3 and grid.shape[2] == 3 and grid.shape[0] > 4 * 64  # 4 captioned strips
    assert "| kept colour |" in tally and "red square (n=2)" in tally
    assert "Paper: Colour > shape: a red square" in tally
    assert "The paper's order of all four attributes: colour > size > velocity > shape;" in tally
    assert "found" not in tally  # the paper's order is not presented as ours
    with pytest.raises(InputError, match="experiment"):
        demo.lab("nope", 4, 0, 2)
    with pytest.raises(InputError, match="n"):
        demo.lab("color-shape", 10**6, 0, 2)


def test_demo_shows_each_saved_finding_with_its_figure_and_reading(demo):
    assert "attribute-order" in demo.findings  # assets/findings/attribute-order.json is shipped
    figure, text = demo.finding("attribute-order")
    assert figure.data and "colour > size" in figure.layout.title.text
    assert "the paper found colour > size > velocity > shape" in text and "experiment attribute-order" in text
    with pytest.raises(InputError, match="invalid finding='nope': allowed one of attribute-order"):
        demo.finding("nope")


# ---------------------------------------------------------------- the running server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_command(marker: str) -> str:
    """The command in the fenced block after ``marker`` in README.md."""
    after = (ROOT / "README.md").read_text().split(marker, 1)[1]
    return after.split("```", 2)[1].strip()


def test_readme_app_command_installs_then_starts_the_app():
    steps = [step.strip() for step in readme_command("<!-- app -->").split("&&")]
    assert "pip install -r requirements.txt" in steps and steps[-1] == "python app.py"


SERVER_LOG = Path(os.environ.get("TMPDIR", "/tmp")) / f"phydemo-test-server-{os.getpid()}.log"


@pytest.fixture(scope="module")
def server():
    """The README's app command, run the way a visitor runs it (after its install steps, which the suite's own
    environment has already done), with no network; its output goes to SERVER_LOG."""
    launch = readme_command("<!-- app -->").split("&&")[-1].split()
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", HF_HUB_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False")
    log = open(SERVER_LOG, "w")
    proc = subprocess.Popen([sys.executable if launch[0] == "python" else launch[0], *launch[1:]], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app.py exited:\n" + SERVER_LOG.read_text())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("app.py did not start in 180 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _call(url, *args):
    from gradio_client import Client

    return Client(url, verbose=False).predict(*args, api_name="/run")


GOOD = ("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 4)


@pytest.mark.slow
def test_client_gets_h264_video_and_plot(server):
    video, strip, plot, report, law, nearest, link = _call(server, *GOOD)
    path = video["video"] if isinstance(video, dict) else video
    frames, codec = read_video(path)
    assert codec == "h264" and len(frames) == 32
    from PIL import Image

    with Image.open(strip["path"] if isinstance(strip, dict) else strip) as image:  # the PNG the app wrote once
        assert image.format in ("PNG", "WEBP") and image.size[0] > 100
    import json

    fig = json.loads(plot["plot"]) if isinstance(plot, dict) else plot
    names = [t.get("name", "") for t in fig["data"]]
    assert any(n.startswith("ground truth") for n in names) and any(n.startswith("generated") for n in names)
    assert "velocity error" in report and "Nearest of the 12,000 training videos" in nearest  # uniform's data set
    assert "checkpoint=uniform" in link and "seed=0" in link
    law = json.loads(law["plot"]) if isinstance(law, dict) else law
    assert any(t.get("name", "").startswith("the law") for t in law["data"])


BAD = [  # (inputs, the field the message must name)
    (("uniform", -3, 1, 1, 1, "red", "circle", 0, 4), "speed"),
    (("uniform", 1e308, 1, 1, 1, "red", "circle", 0, 4), "speed"),
    (("uniform", "abc", 1, 1, 1, "red", "circle", 0, 4), "speed"),
    (("uniform", None, 1, 1, 1, "red", "circle", 0, 4), "speed"),
    (("uniform", 2, 1, "big", 1, "red", "circle", 0, 4), "radius"),
    (("uniform", 2, 1, 1, 1, "pink", "circle", 0, 4), "color"),
    (("uniform", 2, 1, 1, 1, "red", "star", 0, 4), "shape"),
    (("uniform", 2, 1, 1, 1, "red", "circle", "seven", 4), "seed"),
    (("uniform", 2, 1, 1, 1, "red", "circle", None, 4), "seed"),
    (("uniform", 2, 1, 1, 1, "red", "circle", 0, 10**9), "steps"),
    (("uniform", 2, 1, 1, 1, "red", "circle", 0, None), "steps"),
    (("nope", 2, 1, 1, 1, "red", "circle", 0, 4), "checkpoint"),
]


@pytest.mark.slow
@pytest.mark.parametrize("bad,field", BAD, ids=[f"{f}-{b[1]!r}-{b[-2]!r}" for b, f in BAD])
def test_client_bad_input_gets_a_message_naming_the_field_and_the_next_request_succeeds(server, bad, field):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=rf"invalid {field}=.*: allowed "):
        _call(server, *bad)
    video, *_ = _call(server, *GOOD)
    assert read_video(video["video"] if isinstance(video, dict) else video)[1] == "h264"


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LAB, reason="no lab checkpoint shipped")
def test_client_runs_a_lab_experiment_and_bad_names_get_an_error(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server, verbose=False)
    grid, tally = client.predict("color-shape", 2, 0, 2, api_name="/lab")
    assert "kept colour" in tally
    with pytest.raises((AppError, ValueError)):
        client.predict("nope", 2, 0, 2, api_name="/lab")


@pytest.mark.slow
def test_twenty_concurrent_clients(server):
    speeds = np.linspace(1.0, 4.0, 20)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda v: _call(server, "uniform", float(v), 2.0, 1.0, 1.0, "red", "circle", 1, 2), speeds))
    assert len(results) == 20
    for v, (video, _, _, report, *_) in zip(speeds, results):
        frames, codec = read_video(video["video"] if isinstance(video, dict) else video)
        assert codec == "h264" and len(frames) == 32
        assert "In distribution" in report


# ---------------------------------------------------------------- a real browser

def open_tab(page, name: str) -> None:
    """Click a tab; on a narrow screen Gradio folds the last tabs into a "More tabs" menu."""
    page.wait_for_selector("[role=tablist]", timeout=60_000)
    tab = page.get_by_role("tab", name=name).filter(visible=True)
    if not tab.count():
        page.get_by_label("More tabs").click()
        tab = page.locator("button", has_text=name).filter(visible=True).last  # the menu's item, after the tab bar
        tab.click()
        return
    tab.first.click()


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (.ci/run installs Debian's)")
def test_browser_click_run_shows_video_and_plot(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(server, wait_until="domcontentloaded")
        assert "ID error" in page.locator("#measured").inner_text()  # the checkpoint's measured table
        page.locator("#run-button").click()
        page.wait_for_selector("#rollout-video video", timeout=120_000)
        page.wait_for_selector("#velocity-plot .js-plotly-plot, #velocity-plot .plot-container", timeout=120_000)
        src = page.locator("#rollout-video video").get_attribute("src")
        assert src and ".mp4" in src
        shot = tmp_path / "screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("PHYDEMO_SCREENSHOTS"):  # a folder: regenerates the README's screenshot there
            shutil.copy(shot, Path(os.environ["PHYDEMO_SCREENSHOTS"]) / "screenshot.png")
        browser.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or not HAS_LAB, reason="no chromium or no lab checkpoint")
def test_browser_lab_tab_runs_an_experiment(server, tmp_path):
    """The Lab shows its saved findings (figure and reading) and runs an experiment; a screenshot of the view."""
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("PHYDEMO_SCREENSHOTS") or tmp_path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(server, wait_until="domcontentloaded")
        open_tab(page, "Lab")
        page.wait_for_selector("#finding-plot .js-plotly-plot", timeout=60_000)
        assert "the paper found" in page.locator("#finding-reading").inner_text()
        page.locator("#finding-plot").screenshot(path=str(shots / "finding-attribute-order.png"))
        page.locator("#lab-button").click()
        page.wait_for_selector("#lab-tally table", timeout=120_000)
        assert "outcome" in page.locator("#lab-tally").inner_text()
        page.wait_for_selector("#lab-grid img", timeout=60_000)
        page.screenshot(path=str(shots / "view-lab.png"), full_page=True)
        if "interpolation" in load_all():  # another saved finding: its figure and reading replace the first's
            page.locator("#finding-name input").click()
            page.get_by_role("option", name="interpolation").click()
            page.get_by_text("Inside the hole its mean generated speed").wait_for(timeout=60_000)
            page.wait_for_selector("#finding-plot .js-plotly-plot .scatterlayer", timeout=60_000)
            page.locator("#finding-plot").screenshot(path=str(shots / "finding-interpolation.png"))
        browser.close()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SCENES, reason="no PHYRE-like checkpoint shipped")
def test_client_runs_a_scene_and_a_bad_template_gets_an_error(server):
    """The Scenes tab's endpoint: the truth and every PHYRE-like model as one H.264 video, each judged in the report."""
    from gradio_client import Client

    client = Client(server, verbose=False)
    video, strip, report = client.predict(65, 4, 1, api_name="/scene")
    path = video["video"] if isinstance(video, dict) else video
    frames, codec = read_video(path)
    assert codec == "h264" and frames.shape[0] == 32
    assert "| ground truth | - |" in report and report.count("| **no** |") >= 1  # 65 is out of every model's templates
    with pytest.raises(Exception, match="template"):
        client.predict(70, 0, 1, api_name="/scene")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or not HAS_SCENES, reason="no chromium or no PHYRE-like checkpoint")
@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_browser_scenes_tab_shows_every_model_judged(server, width, height, tmp_path):
    """Scenes: pick a held-out template, run; the video, the frame strip and the judge's table under it."""
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("PHYDEMO_SCREENSHOTS") or tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(server, wait_until="domcontentloaded")
        open_tab(page, "Scenes")
        page.locator("#scene-button").click()
        page.wait_for_selector("#scene-video video", timeout=120_000)
        page.wait_for_selector("#scene-report table", timeout=60_000)
        text = page.locator("#scene-report").inner_text()
        assert "Template 60" in text and "ground truth" in text and "held out" in text
        # no block label lies over the videos' burnt-in captions or over the red ball of the strip's first frame
        labels = page.locator("#scene-video [data-testid='block-label'], #scene-strip [data-testid='block-label']")
        assert not [el for el in labels.all() if el.is_visible()]
        box = page.locator("#scene-video video").bounding_box()
        assert box["width"] >= min(300, width - 40)
        page.screenshot(path=str(shots / f"view-scenes{'' if width > 500 else '-phone'}.png"), full_page=True)
        browser.close()


@pytest.mark.slow
def test_a_nan_seed_over_plain_http_gets_a_message(server):
    """JSON clients other than gradio_client may send NaN; the answer names the field (it was {"error": null})."""
    import httpx

    body = '{"data": ["uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", NaN, 2]}'
    event = httpx.post(server + "gradio_api/call/run", content=body, headers={"content-type": "application/json"})
    answer = httpx.get(server + f"gradio_api/call/run/{event.json()['event_id']}", timeout=60).text
    assert "event: error" in answer and "invalid seed=nan: allowed an integer" in answer


@pytest.mark.slow
def test_only_the_tasks_are_api_endpoints_and_examples_use_the_default_steps(server):
    import httpx
    from gradio_client import Client

    from phydemo.protocol import DEFAULT_STEPS

    info = Client(server, verbose=False).view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/run", "/sweep", "/lab", "/predict", "/given_frames"} | (
        {"/scene"} if HAS_SCENES else set())
    assert not info["unnamed_endpoints"]
    config = httpx.get(server + "config").json()
    examples = [c for c in config["components"] if c.get("type") == "dataset"]
    assert examples and all(row[-1] == DEFAULT_STEPS for c in examples for row in c["props"]["samples"])


@pytest.mark.slow
def test_zz_refused_requests_log_one_line_each_and_no_traceback(server):
    """Runs after the bad-input tests (module order): each refusal is one log line, never a traceback."""
    log = SERVER_LOG.read_text()
    assert "Traceback" not in log
    assert log.count("phydemo.app refused run: invalid ") >= len(BAD)




@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or not HAS_LAB, reason="no chromium or no lab checkpoint")
def test_browser_on_a_phone_sees_every_view_whole(server):
    """390 x 844: the sweep plot keeps its width, the lab table's header does not wrap mid-word, no component label
    covers a burned-in caption; the page links the paper and explains its terms."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(server, wait_until="domcontentloaded")
        page.wait_for_selector("#run-button", timeout=60_000)
        assert page.locator("a[href*='arxiv.org/abs/2411.02385']").count() >= 1
        page.get_by_text("What the numbers mean").click()
        page.get_by_text("the best any model can score at this resolution").first.wait_for(timeout=10_000)
        page.locator("#run-button").click()
        page.wait_for_selector("#rollout-video video", timeout=120_000)
        for elem in ("#rollout-video", "#frame-strip"):  # the captions are in the frames: no label drawn over them
            assert page.locator(f"{elem} label").count() == 0 or not page.locator(f"{elem} label").first.is_visible()
        open_tab(page, "Sweep")
        page.locator("#sweep-button").click()
        page.wait_for_selector("#sweep-plot .js-plotly-plot", timeout=120_000)
        box = page.locator("#sweep-plot .js-plotly-plot").bounding_box()
        assert box["width"] >= 300 and box["height"] >= 300
        open_tab(page, "Lab")
        page.wait_for_selector("#finding-plot .js-plotly-plot", timeout=60_000)
        assert "the paper found" in page.locator("#finding-reading").inner_text()
        page.locator("#lab-button").click()
        page.wait_for_selector("#lab-tally table", timeout=120_000)
        heights = [th.bounding_box()["height"] for th in page.locator("#lab-tally table th").all()]
        assert heights and max(heights) < 2 * min(heights) + 1  # one line each
        browser.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_browser_lecture_views(server, width, height, tmp_path):
    """The error map (a picked cell runs that ball in the Rollout tab), predict first, the law view and the nearest
    training case, a permalink that reopens the page on the same ball; screenshots of each view."""
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("PHYDEMO_SCREENSHOTS") or tmp_path)
    suffix = "" if width > 500 else "-phone"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(server, wait_until="domcontentloaded")
        page.wait_for_selector("#run-button", timeout=60_000)
        open_tab(page, "Error map")
        page.wait_for_selector("#map-plot .js-plotly-plot", timeout=60_000)
        page.screenshot(path=str(shots / f"view-error-map{suffix}.png"), full_page=True)
        page.locator("#map-table .body-cell").nth(13 * 3 + 11).click()  # row 3 (radius in the box), speed 5.25 (OOD)
        page.wait_for_selector("#rollout-video video", timeout=120_000)
        page.wait_for_selector("#law-plot .js-plotly-plot", timeout=60_000)
        assert "Nearest of the" in page.locator("#nearest").inner_text()
        link = page.locator("#permalink textarea, #permalink input").first.input_value()
        assert "checkpoint=uniform" in link and "speed=" in link
        page.screenshot(path=str(shots / f"view-rollout{suffix}.png"), full_page=True)
        open_tab(page, "Predict first")
        page.locator("#predict-show").click()
        page.wait_for_selector("#predict-given img", timeout=60_000)
        page.locator("#predict-button").click()
        page.wait_for_selector("#predict-plot .js-plotly-plot", timeout=120_000)
        page.get_by_text("your guess (5.00, 5.00)").first.wait_for(timeout=60_000)
        page.screenshot(path=str(shots / f"view-predict{suffix}.png"), full_page=True)
        query = link.split("?", 1)[1]
        page.goto(server + "?" + query.replace("seed=0", "seed=7"), wait_until="domcontentloaded")
        page.wait_for_selector("#run-button", timeout=60_000)
        page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value === '7')",
                               timeout=30_000)  # the permalink's seed is in the seed box
        browser.close()
