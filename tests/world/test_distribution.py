"""The training distribution: built as sample_params draws, checked per ball, stored and read back."""

import pytest

from phydemo.eval.lab import EXPERIMENTS
from phydemo.world.distribution import TrainingDistribution
from phydemo.world.scenes import CollisionParams, UniformParams


def test_collision_colours_are_checked_per_ball():
    """A collision model saw red on the left and blue on the right: blue on the left is out of distribution, though
    it has seen blue (it puts red back on the left)."""
    dist = TrainingDistribution.from_data("collision", {}, 30000, 32)
    assert dist.colors == (("red",), ("blue",))
    assert dist.labels(CollisionParams(2.0, 2.0, 1.0, 1.0).validate()) == {}
    labels = dist.labels(CollisionParams(2.0, 2.0, 1.0, 1.0, color1="blue", color2="red").validate())
    assert set(labels) == {"color1", "color2"}
    assert "color1=blue was never seen for ball 1 in training (seen for ball 1: red)" in labels["color1"]


def test_labels_name_speed_radius_shape_direction_and_scenario():
    dist = TrainingDistribution.from_data("uniform", {}, 30000, 32)
    assert dist.labels(UniformParams(2.5, 1.0)) == {}
    labels = dist.labels(UniformParams(5.5, 0.4, shape="square", direction=-1))
    assert labels["speed"] == "speed=5.5 is 1.5 above the training range [1, 4]"
    assert "radius=0.4 is 0.3 below" in labels["radius"] and "shape=square" in labels["shape"]
    assert labels["direction"] == "direction=left was never seen in training"
    both = TrainingDistribution.from_data("uniform", {"directions": [1, -1]}, 30000, 32)
    assert "direction" not in both.labels(UniformParams(2.5, 1.0, direction=-1))
    assert "scenario" in dist.labels(CollisionParams().validate())
    hole = TrainingDistribution.from_data("uniform", {"speed_range": [[1.0, 2.0], [3.0, 4.0]]}, 3000, 128)
    assert hole.labels(UniformParams(2.4, 1.0))["speed"] == \
        "speed=2.4 is 0.4 from the nearest trained value, in a gap of the training range [1, 2] U [3, 4]"
    assert "is 0.5 above the training range [1, 2] U [3, 4]" in hole.labels(UniformParams(4.5, 1.0))["speed"]


def test_an_unseen_combination_of_seen_attributes_is_out_of_distribution():
    dist = TrainingDistribution.from_data("uniform", EXPERIMENTS["color-shape"].data_kwargs, 30000, 32)
    assert dist.colors == (("blue", "red"),) and dist.shapes == (("circle", "square"),)
    assert dist.labels(UniformParams(2.0, 1.0, color="red", shape="circle")) == {}
    label = dist.labels(UniformParams(2.0, 1.0, color="red", shape="square"))["combination"]
    assert "red square" in label and "seen: red circle; blue square" in label
    size = TrainingDistribution.from_data("uniform", EXPERIMENTS["color-size"].data_kwargs, 30000, 32)
    assert size.labels(UniformParams(2.0, 0.8, color="red")) == {}
    assert "seen: red r in [0.7, 1.05]; blue r in [1.05, 1.4]" in size.labels(UniformParams(2.0, 1.3))["combination"]


@pytest.mark.parametrize("scenario,kwargs", [("uniform", {}), ("collision", {}),
                                             ("uniform", EXPERIMENTS["color-size"].data_kwargs),
                                             ("uniform", EXPERIMENTS["case-set2"].data_kwargs)])
def test_round_trip_through_a_dict(scenario, kwargs):
    dist = TrainingDistribution.from_data(scenario, kwargs, 1000, 32)
    assert TrainingDistribution.from_dict(dist.to_dict()) == dist


@pytest.mark.parametrize("broken,needle", [
    ({"scenario": "uniform"}, "missing keys"),
    ({"scenario": "orbit", "speed": [[1, 4]], "radius": [[1, 2]], "colors": [["red"]], "shapes": [["circle"]]}, "scenario"),
    ({"scenario": "uniform", "speed": [[1, 4]], "radius": [[1, 2]], "colors": ["red"], "shapes": [["circle"]]}, "colors"),
    ({"scenario": "collision", "speed": [[1, 4]], "radius": [[1, 2]], "colors": [["red"]], "shapes": [["circle"]] * 2},
     "colors"),
    ({"scenario": "uniform", "speed": "fast", "radius": [[1, 2]], "colors": [["red"]], "shapes": [["circle"]]}, "ranges"),
])
def test_a_malformed_stored_distribution_names_the_key(broken, needle):
    with pytest.raises(ValueError, match=needle):
        TrainingDistribution.from_dict(broken)


def test_describing_text():
    dist = TrainingDistribution.from_data("uniform", {"speed_range": [[1.0, 2.0], [3.0, 4.0]]}, 1000, 32)
    assert dist.range_text("speed") == "training range [1, 2] U [3, 4]"
    assert dist.seen_text("colors") == "trained on red"
    assert dist.summary().startswith("speed [1, 2] U [3, 4], radius [0.7, 1.4], colours red")
