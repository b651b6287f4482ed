import numpy as np
import pytest

from phydemo.video import caption, encode_mp4, frame_strip, read_video, side_by_side, upscale, write_mp4
from phydemo.world import dataset as data
from phydemo.world.physics import simulate
from phydemo.world.phyworld_hdf5 import PhyWorldHDF5, write_phyworld_hdf5
from phydemo.world.render import render
from phydemo.world.scenes import UniformParams


def test_mp4_is_h264_yuv420p_with_all_frames(tmp_path):
    import av

    frames = render(simulate(UniformParams(3.0, 1.0).validate()), 64)
    path = write_mp4(tmp_path / "v.mp4", frames)
    decoded, codec = read_video(path)
    assert codec == "h264" and decoded.shape == (32, 64, 64, 3)
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert np.abs(decoded.astype(int) - frames).mean() < 3  # visually lossless
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left


@pytest.mark.parametrize("width", [96, 112, 516])
def test_the_same_frames_encode_to_the_same_bytes(width):
    """A cached video must be the video computed afresh. x264's lookahead threads, then its macroblock-tree pass,
    made the same frames encode to different bytes (2-11 distinct files in 12 encodes at these widths, 516 px being
    the app's side-by-side frame); phydemo/video.py turns both off."""
    rng = np.random.default_rng(0)
    frames = np.full((32, 64, width, 3), 255, np.uint8)
    for t in range(32):
        frames[t, 20:30, 2 * t:2 * t + 10] = (255, 0, 0)
        frames[t, 40:46, width - 6 - 2 * t:width - 2 * t] = (0, 0, 255)
    frames[:, 56:] = rng.integers(0, 256, (32, 8, width, 3), dtype=np.uint8)  # texture: work for the rate control
    assert len({encode_mp4(frames) for _ in range(12)}) == 1


def test_bad_frames_leave_no_file(tmp_path):
    with pytest.raises(ValueError):
        write_mp4(tmp_path / "bad.mp4", np.zeros((3, 8, 8), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_side_by_side_and_strip_shapes():
    frames = render(simulate(UniformParams(3.0, 1.0).validate()), 32)
    sbs = side_by_side([frames, frames], ["ground truth", "generated"], size=128, gap=4)
    assert sbs.shape == (32, 128 + 14, 2 * 128 + 4, 3)
    assert (sbs[:, :14] < 255).any()  # a caption was drawn
    strip = frame_strip(frames, every=4, size=64)
    assert strip.shape == (64, 8 * 64 + 7 * 2, 3)


def test_side_by_side_places_each_upscaled_panel_under_its_caption():
    rng = np.random.default_rng(0)
    panels = [rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8), rng.integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)]
    sbs = side_by_side(panels, ["ground truth", "generated"], size=128, gap=4)
    assert sbs.shape == (5, 14 + 128, 128 + 4 + 128, 3)
    assert np.array_equal(sbs[:, 14:, :128], upscale(panels[0], 128))
    assert np.array_equal(sbs[:, 14:, 132:], upscale(panels[1], 128))
    assert (sbs[:, :, 128:132] == 160).all()  # the grey gap
    assert np.array_equal(sbs[0, :14, :128], caption("ground truth", 128))
    assert np.array_equal(sbs[3, :14, 132:], caption("generated", 128))


def test_dataset_is_deterministic_and_independent_of_workers(tmp_path):
    a = data.generate("uniform", "train", 40, seed=7, resolution=32, workers=1, progress=False, chunk=16)
    b = data.generate("uniform", "train", 40, seed=7, resolution=32, workers=2, progress=False, chunk=16)
    assert np.array_equal(a.frames, b.frames) and a.params == b.params
    c = data.generate("uniform", "train", 40, seed=8, resolution=32, workers=1, progress=False, chunk=16)
    assert not np.array_equal(a.frames, c.frames)
    path = data.save(a, tmp_path / "set.npz")
    back = data.load(path)
    assert np.array_equal(back.frames, a.frames) and back.params == a.params
    assert np.allclose(back.positions, a.positions)


def test_splits_use_their_ranges():
    ood = data.generate("uniform", "ood_eval", 20, seed=1, resolution=32, level="v", workers=1, progress=False)
    assert all(not 1.0 <= p.speed <= 4.0 for p in ood.params)


def test_phyworld_hdf5_layout_roundtrip(tmp_path):
    videos = data.generate("uniform", "train", 3, seed=0, resolution=64, workers=1, progress=False)
    inits = [np.array([p.radius, p.speed]) for p in videos.params]
    path = write_phyworld_hdf5(tmp_path / "tiny.hdf5", list(videos.frames), list(videos.positions[:, :, 0]), inits,
                               chunk_size=2)
    import h5py

    with h5py.File(path) as f:
        assert sorted(f["video_streams"]) == ["00000", "00001"]
        assert bytes(f["video_streams"]["00000"][0][4:8]) == b"ftyp"  # raw MP4 bytes
    with PhyWorldHDF5(path) as ds:
        assert len(ds) == 3
        item = ds[2]
        assert item.key == ("00001", 0)
        assert item.frames.shape == (32, 64, 64, 3)
        assert np.abs(item.frames.astype(int) - videos.frames[2]).mean() < 3  # flipped back to row 0 = top
        assert np.allclose(item.init, inits[2])


def test_hdf5_reader_rejects_other_files(tmp_path):
    bad = tmp_path / "x.hdf5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5"):
        PhyWorldHDF5(bad)
