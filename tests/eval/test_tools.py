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
