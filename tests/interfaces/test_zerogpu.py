"""The ZeroGPU decorator: app.py's sampling endpoints wear ``spaces.GPU``, which off a ZeroGPU Space (here, CI, a
laptop) hands each function back unchanged, so the endpoints answer on the CPU as they would on a Space's GPU."""

import os

import gradio as gr
import pytest
import spaces


@pytest.fixture(scope="module")
def app_module():
    assert not os.environ.get("SPACES_ZERO_GPU")  # this test is about running off ZeroGPU
    import app

    return app


def test_the_endpoints_wear_spaces_gpu_a_no_op_off_zerogpu(app_module):
    assert app_module.gpu is spaces.GPU
    assert spaces.GPU(app_module.run) is app_module.run and spaces.GPU(duration=60)(app_module.run) is app_module.run
    video, strip, figure, report, law, nearest, link = app_module.run("uniform", 2.5, 2.5, 1.0, 1.0, "red", "circle",
                                                                      3, 1)
    assert video.endswith(".mp4") and os.path.getsize(video) > 1000 and strip.endswith(".png")
    assert "speed=2.5" in link and "checkpoint=uniform" in link and "velocity error" in report.lower()
    with pytest.raises(gr.Error, match="speed"):
        app_module.run("uniform", "fast", 2.5, 1.0, 1.0, "red", "circle", 3, 1)
