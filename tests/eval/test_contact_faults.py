import numpy as np

from phydemo.eval.clean import frame_fault
from phydemo.eval.contact_faults import first_faults
from phydemo.eval.metrics import collision_index
from phydemo.world.physics import simulate
from phydemo.world.render import render
from phydemo.world.scenes import CollisionParams


def disc(cx: int, r: int, size: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return (xx - cx) ** 2 + (yy - 16) ** 2 <= r * r


def test_each_kind_of_fault_is_named():
    truth = disc(10, 4)
    assert frame_fault(truth, truth) is None
    assert frame_fault(np.zeros_like(truth), truth) == "vanishes"
    assert frame_fault(disc(8, 2) | disc(20, 2), truth) == "splits"
    assert frame_fault(disc(10, 7), truth) == "changes size"


def test_the_ground_truth_has_no_fault_and_a_lost_ball_is_found_where_it_went():
    params = CollisionParams().validate()
    traj = simulate(params)
    frames = render(traj, 64)
    assert first_faults(frames, frames, traj) == []
    broken = frames.copy()
    contact = collision_index(np.diff(traj.positions, axis=0) / 0.1)
    broken[contact + 2:] = 255  # both balls erased from two frames after the contact on
    faults = first_faults(broken, frames, traj)
    assert [f["kind"] for f in faults] == ["vanishes", "vanishes"]
    assert [f["from_contact"] for f in faults] == [2, 2] and faults[0]["frame"] == contact + 2


def test_a_fault_names_its_ball_radius_and_whether_it_is_the_smaller_ball():
    params = CollisionParams(radius1=0.6, radius2=1.2).validate()
    traj = simulate(params)
    frames = render(traj, 64)
    broken = frames.copy()
    broken[3:] = 255
    faults = first_faults(broken, frames, traj)
    assert [(f["radius"], f["smaller"]) for f in faults] == [(0.6, True), (1.2, False)]
