"""What the frame autoencoder does to PHYRE-like scenes before any model sees them: each video encoded and decoded
(``autoencoder_floor.reconstruct``), then judged (``phyre_judge``) and scored by PSNR and SSIM against the render. A
latent model cannot do better than its autoencoder, so a judge that flags the reconstructions says the autoencoder
must be retrained or extended before a PHYRE-like model can be trained in its space."""

from __future__ import annotations

import numpy as np

from phydemo.eval.autoencoder_floor import reconstruct
from phydemo.eval.image_quality import video_psnr, video_ssim
from phydemo.eval.phyre_judge import judge
from phydemo.world.phyre import make_scene, render_scene, simulate_scene
from phydemo.world.phyre_sets import split_pairs


def phyre_floor(autoencoder, n: int = 100, split: str = "out_of_template", templates: int = 60) -> dict:
    """The judge's abnormal rate, PSNR and SSIM of ``n`` reconstructed videos of ``split`` (every scene scored;
    the flagged ones listed with the judge's first reason)."""
    flagged, psnr, ssim = [], [], []
    for template, seed in split_pairs(split, templates, n):
        truth = render_scene(simulate_scene(make_scene(template, seed)))
        recon = reconstruct(autoencoder, truth[None])[0]
        verdict = judge(recon)
        if verdict.abnormal:
            flagged.append({"template": template, "seed": seed, "reason": verdict.reason})
        psnr.append(video_psnr(truth, recon))
        ssim.append(video_ssim(truth, recon))
    return {"split": split, "n": n, "abnormal": len(flagged) / n, "psnr": float(np.mean(psnr)),
            "ssim": float(np.mean(ssim)), "flagged": flagged}
