"""Sample N rollouts of a shipped checkpoint with the package of a given source tree: a whole process to time with
farm-bench, the same checkpoint against two versions of the code (not a timed test).

    git worktree add /tmp/old <commit>
    farm-bench --vs "python tools/rollouts.py /tmp/old" -- python tools/rollouts.py .
"""

import argparse
import sys
from pathlib import Path

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "uniform"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", help="the source tree whose phydemo package samples")
    ap.add_argument("--checkpoint", default=str(CHECKPOINT))
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--steps", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.tree).resolve()))
    import torch

    from phydemo.model.checkpoint import load_pipeline
    from phydemo.world.physics import simulate
    from phydemo.world.render import render
    from phydemo.world.scenes import make_params

    pipe = load_pipeline(args.checkpoint)
    pipe.set_progress_bar_config(disable=True)
    scene = make_params(pipe.training_distribution.scenario, speed=2.5, radius=1.0, color="red", shape="circle")
    given = render(simulate(scene), pipe.frame_size)[None, :4]
    for i in range(args.n):
        pipe(given, num_inference_steps=args.steps, generator=torch.Generator().manual_seed(i))


if __name__ == "__main__":
    main()
