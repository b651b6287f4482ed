"""The diagnostics that stay in tools/ run on a shipped checkpoint and print what their docstring promises."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ball_areas_reports_area_ratio_and_blob_shares():
    res = subprocess.run([sys.executable, "-m", "tools.ball_areas", "uniform", "--n", "2"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    m = re.search(r"uniform: area / true area median ([\d.]+) .*one blob ([\d.]+), none ([\d.]+), several ([\d.]+)",
                  res.stdout)
    assert m, res.stdout
    ratio, one, none, several = map(float, m.groups())
    assert 0.5 < ratio < 2.0 and abs(one + none + several - 1.0) < 0.02


def test_phyre_frames_profile_sees_a_red_ball_removed_from_some_frames():
    import numpy as np

    from phydemo.world.phyre_sets import render_pairs
    from tools.phyre_frames import frame_profile

    truth = render_pairs([(0, 1_000_000)], 128)
    erased = truth.copy()
    inked = np.abs(255 - erased[0, 2:].astype(int)).sum(-1) > 40  # every inked pixel of frames 2 on
    ratio, psnr = frame_profile(truth, truth, 4)
    assert list(ratio) == [1.0, 1.0, 1.0, 1.0] and all(p == float("inf") for p in psnr)
    erased[0, 2:][inked] = 255  # frames 2-3 blank: every object, the red ball with them
    ratio, psnr = frame_profile(truth, erased, 4)
    assert list(ratio[:2]) == [1.0, 1.0] and list(ratio[2:]) == [0.0, 0.0] and psnr[3] < 40


def test_phyre_frames_prints_a_profile_per_checkpoint():
    res = subprocess.run([sys.executable, "-m", "tools.phyre_frames", "checkpoints/phyre-60", "--n", "2",
                          "--frames", "4"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert re.search(r"checkpoints/phyre-60 on 2 in_template scenes \(1 step\): [0-2] judged abnormal", res.stdout)
    areas = re.search(r"red-ball area\s+([\d. ]+)\n", res.stdout).group(1).split()
    assert len(areas) == 4 and float(areas[0]) == 1.0  # frame 0 is the given frame, copied through
