"""The abnormal-rate judge, validated: at most 2% of ground-truth videos flagged, at least 95% of videos corrupted
on purpose flagged, for each kind of fault."""

import numpy as np
import pytest

from phydemo.eval.phyre_faults import FAULTS, corrupt, validate_judge
from phydemo.eval.phyre_judge import judge
from phydemo.world.phyre import make_scene, render_scene, simulate_scene


@pytest.mark.slow
def test_the_judge_passes_ground_truth_and_flags_each_kind_of_fault():
    result = validate_judge(judge, n_truth=140, n_fault=40)
    truth = result["ground_truth"]
    assert truth["flagged"] <= 0.02 * truth["n"], truth["cases"]
    assert set(result["faults"]) == set(FAULTS)
    for fault, r in result["faults"].items():
        assert r["n"] == 40 and r["flagged"] >= 0.95 * r["n"], (fault, r["missed"])


def test_a_corrupted_video_is_flagged_with_its_reason_and_frame():
    traj = simulate_scene(make_scene(5, 11))
    frames = render_scene(traj)
    assert judge(frames).reasons == []
    gone = corrupt(traj, "vanishes", np.random.default_rng(0))
    verdict = judge(gone)
    assert verdict.abnormal and "vanishes" in verdict.reason and verdict.reason.startswith("frame ")
    with pytest.raises(ValueError, match="fault='melts'"):
        corrupt(traj, "melts", np.random.default_rng(0))
    with pytest.raises(ValueError, match="frames must be"):
        judge(frames[0])
