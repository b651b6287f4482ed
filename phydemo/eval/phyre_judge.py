"""The abnormal-rate judge for PHYRE-like videos: a parser that follows every object by its colour, and checks that
a video keeps to what the world allows.

The paper judged its generated scenes by eye; we cannot, so this judge decides, and its validation test holds it to
flagging at most 2% of ground-truth videos and at least 95% of videos corrupted on purpose, for each kind of fault.

**Parser.** Every object type has its own colour (``phydemo.world.phyre.KIND_COLORS``); an anti-aliased pixel is a
blend of white and one colour, so its "ink" (255 - pixel) lies on that colour's line from white. Each inked pixel is
read as the kind whose line is nearest, with a coverage (how far along the line); a pixel far from every line is an
*unexplained colour*. Per frame and kind: area (summed coverage, px), centroid, connected parts, and the coverage map.

**Checks**, frame by frame against the given first frame:
- ``vanishes``: a kind's area falls below a quarter of its first-frame area;
- ``changes size``: its area leaves [0.7, 1.4] x the first frame's (``interpenetrates`` when it shrinks while
  touching another kind: one object drawn into another);
- ``appears``: a kind absent from the first frame is drawn; ``changes colour``: pixels of no scene colour;
- ``splits``: a kind falls into more separate parts than it had;
- ``static moves``: the static (black) objects' coverage map differs from the first frame's by over 30% of its area;
- ``leaves the physics``: where the red ball's path between three frames is clear of every object and wall, the
  third position must be where free fall under the world's gravity puts it (within 0.3 units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from phydemo.world.phyre import FRAME_DT, GRAVITY, KIND_COLORS, STATIC_KINDS, WIDTH

STATIC = "static"
RED = "red_ball"
# the parser's kinds: the static types share one colour, so they are read as one kind
PARSE_KINDS = {STATIC if k in STATIC_KINDS else k: c for k, c in KIND_COLORS.items()}
_INK = np.array([255.0 - np.asarray(c, float) for c in PARSE_KINDS.values()])  # (K, 3) full ink of each kind
_DIR = _INK / np.linalg.norm(_INK, axis=1, keepdims=True)
_NAMES = list(PARSE_KINDS)

MIN_INK = 40.0  # a pixel with less ink (|255 - pixel|) is background
MAX_RESIDUAL = 0.35  # a pixel farther than this from every colour's line (as a share of its ink) is unexplained
PRESENT_PX = 3.0  # a kind with at least this area is drawn
PART_PX = 3  # a connected part smaller than this is a stray pixel, not a part
SIZE_RANGE = (0.7, 1.4)
VANISH_RATIO = 0.25
UNEXPLAINED_PX = 12  # more unexplained pixels than this in a frame is a colour no object has
STATIC_CHANGE = 0.3
PATH_MARGIN = 0.25  # world units of clearance around the red ball's free path
FREE_FALL_TOL = 0.3  # world units


@dataclass
class FrameParse:
    coverage: dict[str, np.ndarray]  # kind -> (H, W) coverage in [0, 1]
    junction: np.ndarray  # (H, W) pixels next to another kind: where two edges blend, a pixel can be misread
    unexplained: int  # pixels of no scene colour, away from junctions

    def area(self, kind: str) -> float:
        return float(self.coverage[kind].sum())

    def centroid(self, kind: str) -> np.ndarray:
        """(x, y) in world units (y up)."""
        c = self.coverage[kind]
        h = c.shape[0]
        rows, cols = np.indices(c.shape)
        total = c.sum()
        px = WIDTH / h
        return np.array([((cols + 0.5) * c).sum() / total * px, WIDTH - ((rows + 0.5) * c).sum() / total * px])

    def parts(self, kind: str) -> int:
        """Connected parts of the kind with at least ``PART_PX`` pixels away from junctions (a blend of two other
        objects' edges can read as a third colour, but only at their junction)."""
        labels, n = ndimage.label(self.coverage[kind] > 0.5, structure=np.ones((3, 3)))
        if not n:
            return 0
        sizes = np.bincount(labels[~self.junction], minlength=n + 1)[1:]
        return int((sizes >= PART_PX).sum())


def parse_frame(frame: np.ndarray) -> FrameParse:
    h, w = frame.shape[:2]
    ink = 255.0 - frame.reshape(-1, 3).astype(np.float64)
    norm = np.linalg.norm(ink, axis=1)
    inked = np.flatnonzero(norm >= MIN_INK)  # only these pixels are read (most of a frame is background)
    ink, norm = ink[inked], norm[inked, None]
    along = ink @ _DIR.T  # (P, K) length along each colour's line
    residual = np.sqrt(np.maximum(norm**2 - along**2, 0.0)) / norm
    best = residual.argmin(axis=1)
    rows = np.arange(len(best))
    explained = residual[rows, best] <= MAX_RESIDUAL
    alpha = np.clip(along[rows, best] / np.linalg.norm(_INK[best], axis=1), 0.0, 1.0)
    coverage = {}
    for k, name in enumerate(_NAMES):
        flat = np.zeros(h * w)
        sel = explained & (best == k)
        flat[inked[sel]] = alpha[sel]
        coverage[name] = flat.reshape(h, w)
    label = np.full(h * w, -1)  # the kind read at each pixel; unexplained pixels count as a kind of their own
    label[inked] = np.where(explained, best, len(_NAMES))
    label = label.reshape(h, w)
    low = ndimage.minimum_filter(np.where(label < 0, len(_NAMES) + 1, label), size=3)
    junction = (low <= len(_NAMES)) & (low != ndimage.maximum_filter(label, size=3))  # two kinds in a 3x3
    odd = np.zeros(h * w, bool)
    odd[inked[~explained]] = True
    return FrameParse(coverage, junction, int((odd & ~junction.ravel()).sum()))


@dataclass
class Verdict:
    abnormal: bool
    reasons: list[str]  # "frame 7: dynamic_bar vanishes", in frame order

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else "nothing abnormal"


def _touches(parse: FrameParse, kind: str) -> bool:
    near = ndimage.binary_dilation(parse.coverage[kind] > 0.1, iterations=2)
    return any((parse.coverage[o][near] > 0.1).any() for o in parse.coverage if o != kind)


def _path_clear(parse: FrameParse, start: np.ndarray, velocity: np.ndarray, radius: float, duration: float,
                side_walls: bool) -> bool:
    """Whether a ball of ``radius`` falling freely from ``start`` with ``velocity`` for ``duration`` s stays clear of
    every other object drawn in ``parse``, of the floor, and (``side_walls``) of the side walls."""
    others = sum(c for k, c in parse.coverage.items() if k != RED) > 0.1
    h = others.shape[0]
    px = WIDTH / h
    rows, cols = np.nonzero(others)
    pts = np.stack([(cols + 0.5) * px, WIDTH - (rows + 0.5) * px], axis=1)
    reach = radius + PATH_MARGIN
    for t in np.linspace(0.0, duration, 12):
        p = start + velocity * t + 0.5 * np.array([0.0, -GRAVITY]) * t * t
        if p[1] < reach or (side_walls and not reach < p[0] < WIDTH - reach):
            return False
        if len(pts) and (np.hypot(*(pts - p).T) < reach).any():
            return False
    return True


def _free_fall_faults(parses: list[FrameParse], red_area0: float) -> list[tuple[int, str]]:
    """Frames where the red ball, clear of everything, does not fall as gravity says. Beside a side wall only the
    height is checked: a wall pushes sideways, and a ball rising along it still falls back as in free flight."""
    dt, g = FRAME_DT, np.array([0.0, -GRAVITY])
    px = WIDTH / parses[0].coverage[RED].shape[0]
    radius = np.sqrt(red_area0 / np.pi) * px
    faults = []
    seen = [p.area(RED) >= SIZE_RANGE[0] * red_area0 for p in parses]
    pos = [p.centroid(RED) if s else None for p, s in zip(parses, seen)]
    for k in range(1, len(parses) - 1):
        if not (seen[k - 1] and seen[k] and seen[k + 1]):
            continue
        v_mid = (pos[k] - pos[k - 1]) / dt  # the velocity at t = k - 1/2 of a free fall
        v_prev, v_k = v_mid - g * dt / 2, v_mid + g * dt / 2
        paths = [(parses[k - 1], pos[k - 1], v_prev), (parses[k], pos[k - 1], v_prev), (parses[k], pos[k], v_k),
                 (parses[k + 1], pos[k], v_k)]
        if not all(_path_clear(p, start, v, radius, dt, side_walls=False) for p, start, v in paths):
            continue
        walls = all(_path_clear(p, start, v, radius, dt, side_walls=True) for p, start, v in paths)
        predicted = pos[k] + v_k * dt + 0.5 * g * dt * dt
        off = pos[k + 1] - predicted
        miss = float(np.hypot(*off)) if walls else abs(float(off[1]))
        if miss > FREE_FALL_TOL:
            faults.append((k + 1, f"the red ball leaves the physics ({miss:.2f} units from free fall)"))
    return faults


def judge(frames: np.ndarray) -> Verdict:
    """Is this PHYRE-like video (T, H, W, 3), whose frame 0 is the given one, physically normal?"""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) < 2:
        raise ValueError(f"frames must be (T >= 2, H, W, 3), got {frames.shape}")
    parses = [parse_frame(f) for f in frames]
    first = parses[0]
    area0 = {k: first.area(k) for k in _NAMES}
    parts0 = {k: first.parts(k) for k in _NAMES}
    faults: list[tuple[int, str]] = []
    for t, p in enumerate(parses[1:], start=1):
        for k in _NAMES:
            a = p.area(k)
            if area0[k] < PRESENT_PX:
                if a >= 2 * PRESENT_PX and p.parts(k):
                    faults.append((t, f"{k} appears"))
                continue
            ratio = a / area0[k]
            if ratio < VANISH_RATIO:
                faults.append((t, f"{k} vanishes"))
            elif not SIZE_RANGE[0] <= ratio <= SIZE_RANGE[1]:
                shrunk_into = ratio < SIZE_RANGE[0] and _touches(p, k)
                faults.append((t, f"{k} interpenetrates another object" if shrunk_into else
                               f"{k} changes size ({ratio:.2f}x)"))
            elif parts0[k] and p.parts(k) > parts0[k]:  # not 0 -> 1: a faint first drawing sharpened
                faults.append((t, f"{k} splits ({parts0[k]} -> {p.parts(k)} parts)"))
        if p.unexplained > UNEXPLAINED_PX:
            faults.append((t, f"changes colour ({p.unexplained} px of no scene colour)"))
        if area0[STATIC] >= PRESENT_PX:
            change = np.abs(p.coverage[STATIC] - first.coverage[STATIC]).sum() / area0[STATIC]
            if change > STATIC_CHANGE:
                faults.append((t, f"a static object moves ({change:.0%} of its area)"))
    if area0[RED] >= PRESENT_PX:
        faults += _free_fall_faults(parses, area0[RED])
    faults.sort(key=lambda f: f[0])
    return Verdict(bool(faults), [f"frame {t}: {why}" for t, why in faults])
