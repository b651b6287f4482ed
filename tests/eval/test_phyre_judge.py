"""The abnormal-rate judge, validated: at most 2% of ground-truth videos flagged, at least 95% of videos corrupted
on purpose flagged, for each kind of fault."""

import numpy as np
import pytest

from phydemo.eval.phyre_faults import FAULTS, applicable, corrupt
from phydemo.eval.phyre_judge import judge
from phydemo.world.phyre import make_scene, render_scene, simulate_scene

GROUND_TRUTH_N, FAULT_N = 140, 40


@pytest.mark.slow
def test_the_judge_passes_ground_truth_videos():
    flagged = []
    for i in range(GROUND_TRUTH_N):  # every template twice, held-out seeds
        template, seed = i % 70, 2_000_000 + i
        verdict = judge(render_scene(simulate_scene(make_scene(template, seed))))
        if verdict.abnormal:
            flagged.append((template, seed, verdict.reason))
    assert len(flagged) <= 0.02 * GROUND_TRUTH_N, flagged


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
def test_the_judge_flags_each_kind_of_fault(fault):
    rng = np.random.default_rng(list(map(ord, fault)))
    missed, n, seed = [], 0, 3_000_000
    while n < FAULT_N:
        seed += 1
        traj = simulate_scene(make_scene(int(rng.integers(70)), seed))
        if not applicable(traj, fault):
            continue
        n += 1
        if not judge(corrupt(traj, fault, rng)).abnormal:
            missed.append((traj.scene.template, seed))
    assert len(missed) <= 0.05 * FAULT_N, missed


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
