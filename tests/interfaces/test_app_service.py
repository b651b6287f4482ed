"""The app's service, without a browser: sampling queue, batching, caps, bounded disk, labels, what each tab ran."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from phydemo.app.batching import LONG, ROLLOUT, SamplingQueue
from phydemo.app.demo import MAX_WORK, Demo
from phydemo.app.plots import velocity_figure
from phydemo.errors import InputError


@pytest.fixture(scope="module")
def demo():
    return Demo()


def test_concurrent_jobs_of_one_key_share_one_call_and_keep_their_own_results():
    calls = []

    def fn(items):
        calls.append(list(items))
        time.sleep(0.05)
        return [x * 10 for x in items]

    queue = SamplingQueue(max_batch=16, gather_s=0.05)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda x: queue.run("k", [x], fn), range(8)))
    assert results == [[x * 10] for x in range(8)]
    assert len(calls) < 8 and sorted(x for c in calls for x in c) == list(range(8))


def test_a_rollout_goes_before_the_rest_of_a_long_job():
    order = []
    started = threading.Event()

    def slow(items):
        started.set()
        order.append(("long", items[0]))
        time.sleep(0.1)
        return items

    queue = SamplingQueue(gather_s=0.0)

    def long_job():
        for chunk in range(3):
            queue.run(("long", 1), [chunk], slow, LONG)

    t = threading.Thread(target=long_job)
    t.start()
    started.wait()
    queue.run("rollout", ["r"], lambda items: order.append(("rollout",)) or items, ROLLOUT)
    t.join()
    assert order.index(("rollout",)) <= 2  # it waited for at most the chunk that was running
    assert [o for o in order if o[0] == "long"] == [("long", 0), ("long", 1), ("long", 2)]


def test_an_error_reaches_every_waiting_request_and_the_queue_lives_on():
    queue = SamplingQueue(gather_s=0.0)
    with pytest.raises(ZeroDivisionError):
        queue.run("k", [1], lambda items: [1 / 0])
    assert queue.run("k", [2], lambda items: items) == [2]


def test_batched_rollouts_match_rollouts_alone(demo):
    """Eight visitors at once: fewer model calls than requests, and each gets the video it gets alone."""
    alone = [demo.run("uniform", v, v, 1.0, 1.0, "red", "circle", i, 2).rollout.generated for i, v in
             enumerate(np.linspace(1, 4, 8))]
    calls = demo.queue.calls
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda a: demo.run("uniform", a[1], a[1], 1.0, 1.0, "red", "circle", a[0], 2),
                                 enumerate(np.linspace(1, 4, 8))))
    assert demo.queue.calls - calls < 8
    for a, b in zip(alone, together):
        assert np.abs(a.astype(int) - b.rollout.generated.astype(int)).max() <= 1  # float rounding at most


def test_the_app_runs_its_frame_models_in_bf16_only_where_it_is_fast(demo):
    from phydemo.model.bf16 import bf16_is_fast

    pipes = list(demo.pipes.values()) + list(demo.scenes.pipes.values())
    frame_models = [m for p in pipes for m in (p.vae, p.upsampler) if m is not None]
    assert any(p.upsampler is not None for p in pipes) and any(p.vae is not None for p in pipes)
    assert all(m.use_bf16 == bf16_is_fast(demo.device) for m in frame_models)


def test_work_per_request_is_capped_with_a_clear_message(demo):
    with pytest.raises(InputError, match=rf"at most 10 steps for 32 rollouts \(rollouts x steps <= {MAX_WORK}"):
        demo.sweep("uniform", 0.2, 6.0, 32, 1.0, "red", "circle", 0, 100)
    with pytest.raises(InputError, match="rollouts x steps"):
        demo.lab("color-shape", 32, 0, 50)


def test_the_videos_on_disk_stay_bounded_under_a_thousand_requests(tmp_path):
    d = Demo.__new__(Demo)
    d.out_dir, d.max_videos, d._cleanup = tmp_path, 20, threading.Lock()
    frames, strip = np.full((2, 16, 16, 3), 255, np.uint8), np.zeros((8, 32, 3), np.uint8)
    for _ in range(1000):
        d._save_video(frames, strip)
    files = list(tmp_path.glob("*.mp4"))
    assert len(files) == 20 and sum(f.stat().st_size for f in files) < 20 * 10_000
    assert {f.with_suffix(".mp4") for f in tmp_path.glob("*.png")} == set(files)  # each strip goes with its video
    with ThreadPoolExecutor(8) as pool:  # concurrent requests never delete a video another is still writing
        paths = list(pool.map(lambda _: d._save_video(frames, strip), range(200)))
    assert len(list(tmp_path.glob("*.mp4"))) == 20 and all(v.endswith(".mp4") and s.endswith(".png") for v, s in paths)
    assert len(list(tmp_path.glob("*.png"))) == 20


def test_sweep_and_lab_say_what_they_ran(demo):
    fig = demo.sweep("parabola", 1.0, 5.0, 3, 0.9, "red", "circle", 7, 2)
    assert fig.layout.title.text == "parabola: r = 0.9, red circle, seed 7, 2 sampling steps"
    _, tally = demo.lab("color-shape", 2, 3, 1)
    assert tally.startswith("Ran `lab-color-shape`, n = 2, seed 3, 1 sampling step.")


def test_collision_labels_say_each_reason_once_and_check_colours_per_ball(demo):
    text = demo.ood_text("collision", 5.5, 5.5, 1.0, 1.0, "red", "circle")
    assert text.count("is 1.5 above the training range") == 1 and "speed1 = speed2=5.5" in text
    blue_left = demo.ood_text("collision", 2.5, 2.5, 1.0, 1.0, "blue", "circle")
    assert "Out of distribution" in blue_left and "color1=blue was never seen for ball 1" in blue_left


def test_velocity_plot_has_no_placeholder_annotation(demo):
    r = demo.run("collision", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 2)
    fig = velocity_figure(r.rollout, demo.distribution("collision"))
    assert all(a.text for a in fig.layout.annotations)  # an annotation without text shows "new text"


def test_the_report_explains_its_terms(demo):
    report = demo.run("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle", 0, 2).report
    assert "*Parse floor*" in report and "*Clean*" in report


def test_checkpoints_are_listed_scenarios_first_then_variants_then_the_lab(demo):
    names = demo.names
    scenarios = [n for n in ("uniform", "parabola", "collision") if n in demo.pipes]
    assert names[:len(scenarios)] == scenarios
    labs = [n for n in names if n.startswith("lab-")]
    assert labs and names[-len(labs):] == sorted(labs)
    assert sorted(names) == sorted(demo.pipes)
    assert names.index("uniform-32px") < names.index(labs[0])
    scene = demo.scene_names  # the Predict and Sweep tabs: no mechanism-lab preset, the hole model kept
    assert "uniform" in scene and "lab-color-shape" not in scene and "lab-case-set1" not in scene
    assert ("lab-interpolation" in scene) == ("lab-interpolation" in names)
