"""The index of training cases: the same scenes the data set holds, the nearest ones first, small on disk."""

from pathlib import Path

import pytest

from phydemo.model.checkpoint import shipped_checkpoints
from phydemo.world.dataset import chunk_scene_params, generate, scene_params
from phydemo.world.scenes import make_params
from phydemo.world.training_index import INDEX_FILE, TrainingIndex

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = shipped_checkpoints(ROOT / "checkpoints", world="balls")  # a PHYRE-like model has no training balls


@pytest.mark.parametrize("scenario,kwargs", [("uniform", {}), ("collision", {}),
                                             ("uniform", {"speed_range": [[2.5, 4.0]], "directions": [1, -1]})])
def test_index_holds_the_training_set_and_re_simulates_its_cases(scenario, kwargs, tmp_path):
    videos = generate(scenario, "train", 300, 0, 16, workers=1, progress=False, **kwargs)
    index = TrainingIndex.build(scenario, 300, 0, kwargs)
    for i in (0, 255, 256, 299):  # both sides of a chunk boundary
        assert index.scene(i) == videos.params[i]
        assert abs(float(index.speed[i, 0]) - abs(videos.params[i].balls()[0].vx)) < 2e-3
    index.save(tmp_path)
    loaded = TrainingIndex.load(tmp_path)
    assert loaded.scene(42) == videos.params[42] and (loaded.radius == index.radius).all()


def test_a_chunk_of_cases_is_the_slice_of_the_data_set_that_holds_it():
    every = scene_params("parabola", "train", 300, 7)
    assert chunk_scene_params("parabola", "train", 300, 7, 3) == (0, every[:256])
    assert chunk_scene_params("parabola", "train", 300, 7, 299) == (256, every[256:])
    with pytest.raises(IndexError, match="scene 300 of a data set of 300"):
        chunk_scene_params("parabola", "train", 300, 7, 300)
    index = TrainingIndex.build("parabola", 300, 7, {})
    assert index.scene(260) == every[260] and len(index._cache) == 44  # the last chunk, drawn once


def test_nearest_cases_of_a_fast_ball_are_the_fastest_training_balls():
    index = TrainingIndex.build("uniform", 2000, 0, {})
    near = index.nearest(make_params("uniform", speed=5.5, radius=1.0), k=3)
    assert len(near) == 3 and all(index.speed[i, 0] > 3.8 for i in near)
    assert index.nearest(make_params("uniform", speed=2.0, radius=1.0), k=1)[0] in \
        index.nearest(make_params("uniform", speed=2.0, radius=1.0), k=5)
    assert "v " in index.describe(near[0]) and ", r " in index.describe(near[0])


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_checkpoint_carries_a_small_index(folder):
    assert (folder / INDEX_FILE).stat().st_size < 1_000_000
    index = TrainingIndex.load(folder)
    assert index is not None and len(index.speed) == index.train_size
