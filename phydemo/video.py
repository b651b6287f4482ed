"""H.264 / yuv420p MP4 writing (PyAV, no system ffmpeg), reading, and side-by-side composition."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import av
import numpy as np

from phydemo.atomic import atomic_path

FPS = 10  # one frame per 0.1 s of simulated time: the video plays in real time


def upscale_factor(height: int, size: int) -> int:
    """The whole-number factor by which frames ``height`` px high are upscaled toward ``size`` (1: left as they are)."""
    return max(1, size // height)


def upscale(frames: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour upscaling (T, h, w, 3) -> (T, size, size, 3) so small frames stay crisp."""
    k = upscale_factor(frames.shape[1], size)
    return frames.repeat(k, axis=1).repeat(k, axis=2) if k > 1 else frames


def _encode_to(path: str, frames: np.ndarray, fps: int, crf: int) -> None:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise ValueError(f"frames must be uint8 (T >= 1, H, W, 3), got {frames.dtype} {frames.shape}")
    pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2  # yuv420p needs even sizes
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), constant_values=255)
    with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        # veryfast on one thread: 40 ms for the app's 32-frame 516x270 video against 77 ms at preset medium (18.7 against
        # 12.1 KB); requests encode in parallel, so one thread each serves a busy Space best
        # x264-params too, so that the same frames encode to the same bytes (a cached answer is the answer computed
        # afresh): "threads" alone left lookahead threads on (5 distinct files in 16 encodes); with one lookahead
        # thread, most widths still gave 2-11 distinct files in 12 encodes (96, 100, 112, 516, 520, 544 px; 512 and
        # 528 did not; CI saw 3 in 12 at 96 px). asm=0, rc-lookahead=0 or mbtree=0 each removed it, so x264's
        # macroblock-tree pass reads something unset in its asm; without that pass, 1 file in 12 at every width tried,
        # for 4% more bytes (the app's 516 px video: see tests/world/test_video_data.py)
        stream.codec_context.options = {"crf": str(crf), "preset": "veryfast", "profile": "high", "threads": "1",
                                        "x264-params": "threads=1:lookahead-threads=1:mbtree=0"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_mp4(path: str | Path, frames: np.ndarray, fps: int = FPS, crf: int = 18) -> Path:
    """Write uint8 (T, H, W, 3) frames as an H.264 yuv420p MP4 (faststart) that Chrome, Firefox and
    Safari play. Atomic: encoded to a temporary file, then moved into place, so no partial file is left."""
    with atomic_path(path, ".mp4") as tmp:
        _encode_to(tmp, frames, fps, crf)
    return Path(path)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write a uint8 (H, W, 3) image as a PNG, atomically. Fast compression (level 1): for the app's frame strip it
    is 3x smaller than raw and encodes in a few ms, where Gradio's own WebP encoding of an array took most of the
    time of serving a cached answer (docs/serving.md)."""
    from PIL import Image

    with atomic_path(path, ".png") as tmp:
        Image.fromarray(np.ascontiguousarray(image)).save(tmp, format="PNG", compress_level=1)
    return Path(path)


def encode_mp4(frames: np.ndarray, fps: int = FPS, crf: int = 18) -> bytes:
    """The MP4 of ``write_mp4`` as bytes."""
    with tempfile.TemporaryDirectory() as d:
        return write_mp4(Path(d) / "video.mp4", frames, fps, crf).read_bytes()


def read_video(source: str | Path | bytes) -> tuple[np.ndarray, str]:
    """Decode a video file or bytes to uint8 (T, H, W, 3) RGB; also returns the codec name."""
    handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else str(source)
    with av.open(handle) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return np.stack(frames), stream.codec_context.name


# ---------------------------------------------------------------- composition

_FONT = {  # 3x5 bitmap glyphs for captions (no font files needed)
    "A": "010101111101101", "B": "110101110101110", "C": "011100100100011", "D": "110101101101110",
    "E": "111100110100111", "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101", "L": "100100100100111",
    "M": "101111111101101", "N": "110101101101101", "O": "010101101101010", "P": "110101110100100",
    "Q": "010101101110011", "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101", "X": "101101010101101",
    "Y": "101101010010010", "Z": "111001010100111", "0": "111101101101111", "1": "010110010010111",
    "2": "110001010100111", "3": "110001010001110", "4": "101101111001001", "5": "111100110001110",
    "6": "011100110101010", "7": "111001010010010", "8": "010101010101010", "9": "010101011001110",
    ".": "000000000000010", "=": "000111000111000", "-": "000000111000000", "/": "001001010100100",
    ":": "000010000010000", ">": "100010001010100", "|": "010010010010010", " ": "000000000000000", "+": "000010111010000",
}


CAPTION_HEIGHT = 14


def caption(text: str, width: int, height: int = CAPTION_HEIGHT, scale: int = 2) -> np.ndarray:
    """A white strip (height, width, 3) with ``text`` drawn in black block capitals."""
    strip = np.full((height, width, 3), 255, dtype=np.uint8)
    x = 2
    y = max(0, (height - 5 * scale) // 2)
    for ch in text.upper():
        glyph = _FONT.get(ch, _FONT[" "])
        g = np.array([int(b) for b in glyph], dtype=bool).reshape(5, 3)
        g = g.repeat(scale, 0).repeat(scale, 1)
        if x + g.shape[1] > width:
            break
        strip[y:y + g.shape[0], x:x + g.shape[1]][g] = 0
        x += 4 * scale
    return strip


def side_by_side(panels: list[np.ndarray], captions: list[str], size: int = 256, gap: int = 4) -> np.ndarray:
    """Compose (T, h, w, 3) videos left to right, each upscaled to ``size`` and captioned on top. Each panel is
    written into one preallocated video through a broadcast view (no upscaled copy, no concatenation): a third of
    the time of building it piece by piece, for the same pixels."""
    t = len(panels[0])
    ks = [upscale_factor(f.shape[1], size) for f in panels]
    heights, widths = [f.shape[1] * k for f, k in zip(panels, ks)], [f.shape[2] * k for f, k in zip(panels, ks)]
    out = np.full((t, CAPTION_HEIGHT + max(heights), sum(widths) + gap * (len(panels) - 1), 3), 160, dtype=np.uint8)
    x = 0
    for frames, text, k, h, w in zip(panels, captions, ks, heights, widths):
        out[:, :CAPTION_HEIGHT, x:x + w] = caption(text, w)
        block = out[:, CAPTION_HEIGHT:CAPTION_HEIGHT + h, x:x + w].reshape(t, h // k, k, w // k, k, 3)
        block[...] = frames[:, :, None, :, None]
        x += w + gap
    return out


def frame_strip(frames: np.ndarray, every: int = 4, size: int = 96) -> np.ndarray:
    """One image of every ``every``-th frame in a row (for slides and print)."""
    picked = upscale(frames[::every], size)
    sep = np.full((picked.shape[1], 2, 3), 160, dtype=np.uint8)
    row = []
    for f in picked:
        row += [f, sep]
    return np.concatenate(row[:-1], axis=1)


def stack_rows(rows: list[np.ndarray], gap: int = 4) -> np.ndarray:
    """Images (h, w, 3) of one width stacked top to bottom with a grey line between them."""
    sep = np.full((gap, rows[0].shape[1], 3), 160, dtype=np.uint8)
    out = []
    for row in rows:
        out += [row, sep]
    return np.concatenate(out[:-1], axis=0)
