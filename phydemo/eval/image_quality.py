"""PSNR and SSIM of a generated video against its ground truth, from scikit-image (a well-kept implementation, with
SSIM's Gaussian window and constants as in Wang et al. 2004, rather than our own). The paper's combinatorial table
reports both beside its abnormal rate; LPIPS and FVD need pretrained networks that cannot be downloaded here, so they
are left out (docs/combinatorial.md)."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def _check(truth: np.ndarray, generated: np.ndarray, given: int) -> None:
    if truth.shape != generated.shape or truth.ndim != 4 or truth.shape[-1] != 3:
        raise ValueError(f"truth and generated must be (T, H, W, 3) of one shape, got {truth.shape} and "
                         f"{generated.shape}")
    if not 0 <= given < len(truth):
        raise ValueError(f"given={given!r}: expected a number of given frames in [0, {len(truth) - 1}]")


def video_psnr(truth: np.ndarray, generated: np.ndarray, given: int = 0) -> float:
    """PSNR in dB over the frames after the ``given`` ones (uint8 RGB, data range 255); inf for identical frames."""
    _check(truth, generated, given)
    if np.array_equal(truth[given:], generated[given:]):
        return float("inf")
    return float(peak_signal_noise_ratio(truth[given:], generated[given:], data_range=255))


def video_ssim(truth: np.ndarray, generated: np.ndarray, given: int = 0) -> float:
    """Mean per-frame SSIM over the frames after the ``given`` ones (colour channels averaged, Gaussian window)."""
    _check(truth, generated, given)
    return float(np.mean([structural_similarity(a, b, channel_axis=-1, data_range=255, gaussian_weights=True,
                                                sigma=1.5, use_sample_covariance=False)
                          for a, b in zip(truth[given:], generated[given:])]))


def last_frame_baseline(truth: np.ndarray, given: int) -> np.ndarray:
    """The baseline beside every model: the given frames, then the last of them repeated (nothing moves)."""
    if not 1 <= given <= len(truth):
        raise ValueError(f"given={given!r}: expected a number of given frames in [1, {len(truth)}]")
    return np.concatenate([truth[:given], np.repeat(truth[given - 1:given], len(truth) - given, axis=0)])
