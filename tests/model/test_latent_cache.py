"""The cache of a training set's latents: a stopped build continues where it stopped, a larger set starts from the
whole chunks of a smaller one, and either way the cache equals one built in one go."""

from pathlib import Path

import numpy as np
import pytest

from phydemo.model import latents
from phydemo.model.autoencoder import FrameAutoencoder

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 4


@pytest.fixture(scope="module")
def vae():
    return FrameAutoencoder.from_pretrained(ROOT / "checkpoints/autoencoder").eval()


def cache(folder: Path, n: int) -> Path:
    return folder / f"uniform-train-n{n}-r128-s3-latents-test.npy"


def build(vae, path: Path, n: int) -> np.ndarray:
    return np.asarray(latents.load_or_build_latents(path, vae, "uniform", n, 3, chunk=CHUNK))


def test_a_stopped_build_continues_after_its_last_chunk(vae, tmp_path, monkeypatch):
    whole = build(vae, cache(tmp_path / "once", 10), 10)
    path = cache(tmp_path / "stopped", 10)
    encode, calls = latents.encode_videos, []

    def stop_at_the_third_chunk(model, frames):
        calls.append(len(frames))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return encode(model, frames)

    monkeypatch.setattr(latents, "encode_videos", stop_at_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        build(vae, path, 10)
    assert not path.exists() and path.with_suffix(".partial.json").read_text() == '{"chunks": 2}'
    calls.clear()
    resumed = build(vae, path, 10)
    assert calls == [2]  # only the last chunk (videos 8-9) was encoded again
    np.testing.assert_array_equal(resumed, whole)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_larger_set_starts_from_the_whole_chunks_of_a_smaller_one(vae, tmp_path, monkeypatch):
    whole = build(vae, cache(tmp_path / "once", 10), 10)
    build(vae, cache(tmp_path / "grown", 6), 6)  # one whole chunk and two videos of the next
    encode, calls = latents.encode_videos, []
    monkeypatch.setattr(latents, "encode_videos", lambda model, frames: calls.append(len(frames)) or encode(model, frames))
    grown = build(vae, cache(tmp_path / "grown", 10), 10)
    assert calls == [4, 2]
    np.testing.assert_array_equal(grown, whole)


def test_a_smaller_set_is_the_first_videos_of_a_larger_one(vae, tmp_path, monkeypatch):
    whole = build(vae, cache(tmp_path / "once", 6), 6)
    build(vae, cache(tmp_path / "cut", 10), 10)
    calls = []
    monkeypatch.setattr(latents, "encode_videos", lambda model, frames: calls.append(len(frames)))
    np.testing.assert_array_equal(build(vae, cache(tmp_path / "cut", 6), 6), whole)
    assert calls == []  # nothing encoded
