"""Reader (and a tiny writer, for tests and interchange) of the official PhyWorld HDF5 layout.

The released files (``magicr/phyworld`` on the Hugging Face Hub) hold three groups, each keyed by
chunk names "00000", "00001", ...: ``video_streams`` (variable-length uint8 arrays, each an MP4 file),
``position_streams`` (per-video (T, ...) positions) and ``init_streams`` (per-video initial parameters,
e.g. [radius, speed] for one ball, [r1, r2, v1, v2] for a collision). Their frames are stored
upside down (y up), so rows are flipped back on reading, as the paper's ``evaluate.py`` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from phydemo.video import encode_mp4, read_video

GROUPS = ("video_streams", "position_streams", "init_streams")


@dataclass
class PhyWorldItem:
    frames: np.ndarray  # uint8 (T, H, W, 3), row 0 at the top
    positions: np.ndarray
    init: np.ndarray
    key: tuple[str, int]


class PhyWorldHDF5:
    """Random access to the videos of an official PhyWorld HDF5 file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as e:
            raise ValueError(f"{self.path}: not a readable HDF5 file ({e})") from None
        missing = [g for g in GROUPS if g not in self.file]
        if missing:
            self.file.close()
            raise ValueError(f"{self.path}: missing group(s) {', '.join(missing)}; expected {', '.join(GROUPS)}")
        self.index = [(chunk, i) for chunk in sorted(self.file["video_streams"])
                      for i in range(len(self.file["video_streams"][chunk]))]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> PhyWorldItem:
        chunk, local = self.index[i]
        stream = self.file["video_streams"][chunk][local]
        frames, _ = read_video(np.asarray(stream, dtype=np.uint8).tobytes())
        return PhyWorldItem(frames[:, ::-1].copy(), np.asarray(self.file["position_streams"][chunk][local]),
                            np.asarray(self.file["init_streams"][chunk][local]), (chunk, local))

    def __iter__(self) -> Iterator[PhyWorldItem]:
        return (self[i] for i in range(len(self)))

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> "PhyWorldHDF5":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_phyworld_hdf5(path: str | Path, videos: list[np.ndarray], positions: list[np.ndarray],
                        inits: list[np.ndarray], chunk_size: int = 1000) -> Path:
    """Write videos in the official layout (frames flipped to y-up, MP4 bytes as vlen uint8)."""
    path = Path(path)
    vlen = h5py.vlen_dtype(np.dtype("uint8"))
    with h5py.File(path, "w") as f:
        groups = {g: f.create_group(g) for g in GROUPS}
        for c, start in enumerate(range(0, len(videos), chunk_size)):
            key = f"{c:05d}"
            sl = slice(start, start + chunk_size)
            streams = groups["video_streams"].create_dataset(key, (len(videos[sl]),), dtype=vlen)
            for j, v in enumerate(videos[sl]):
                streams[j] = np.frombuffer(encode_mp4(np.ascontiguousarray(v[:, ::-1])), dtype=np.uint8)
            groups["position_streams"].create_dataset(key, data=np.stack(positions[sl]))
            groups["init_streams"].create_dataset(key, data=np.stack(inits[sl]))
    return path
