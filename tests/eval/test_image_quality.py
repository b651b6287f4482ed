import numpy as np
import pytest

from phydemo.eval.image_quality import last_frame_baseline, video_psnr, video_ssim
from phydemo.world.phyre import make_scene, render_scene, simulate_scene


@pytest.fixture(scope="module")
def truth():
    return render_scene(simulate_scene(make_scene(0, 1_000_000)))


def test_identical_videos_score_the_top(truth):
    assert video_psnr(truth, truth) == np.inf and video_ssim(truth, truth) == pytest.approx(1.0)


def test_a_known_error_gives_its_psnr(truth):
    """PSNR = 10 log10(255^2 / MSE): every pixel off by 5 grey levels is 34.15 dB."""
    off = truth.astype(int)
    off = np.where(off >= 128, off - 5, off + 5).astype(np.uint8)
    assert video_psnr(truth, off) == pytest.approx(10 * np.log10(255 ** 2 / 25), abs=1e-6)


def test_the_given_frames_are_not_scored(truth):
    wrong_start = truth.copy()
    wrong_start[0] = 0
    assert video_psnr(truth, wrong_start, given=1) == np.inf
    assert video_ssim(truth, wrong_start, given=1) == pytest.approx(1.0)
    assert video_ssim(truth, wrong_start) < 1


def test_the_last_frame_baseline_stands_still_and_scores_below_the_truth(truth):
    base = last_frame_baseline(truth, given=1)
    assert base.shape == truth.shape and (base == truth[0]).all()
    assert video_psnr(truth, base, given=1) < np.inf and video_ssim(truth, base, given=1) < 1


def test_mismatched_or_bad_inputs_name_the_problem(truth):
    with pytest.raises(ValueError, match="one shape"):
        video_psnr(truth, truth[:-1])
    with pytest.raises(ValueError, match="given"):
        video_ssim(truth, truth, given=len(truth))
    with pytest.raises(ValueError, match="given"):
        last_frame_baseline(truth, given=0)
