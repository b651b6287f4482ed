"""The PhyWorld protocol's constants (docs/protocol.md) and this project's evaluation and sampling defaults.

Every module takes the world's size, the frame rate, the number of frames and of given frames, the evaluation
seeds and the paper's reference numbers from here; nothing restates them as literals.
"""

# ---------------------------------------------------------------- the world
WORLD_SIZE = 10.0  # the world is WORLD_SIZE x WORLD_SIZE units, y up
PHYSICS_DT = 0.01  # seconds per physics step
STEPS_PER_FRAME = 10  # a frame every 10 steps
FRAME_DT = PHYSICS_DT * STEPS_PER_FRAME  # 0.1 s
NUM_FRAMES = 32  # frames per video
NUM_COND_FRAMES = 3  # frames the model is given; it generates the rest
PARABOLA_GRAVITY = -2.5
PAPER_RESOLUTION = 128

# ---------------------------------------------------------------- evaluation
EVAL_SEED = 20241104  # the fixed, reported evaluation scenes, disjoint in seed from training (seed 0)
TUNE_SEED = EVAL_SEED + 1  # other scenes, for choosing settings without touching the reported ones

# ---------------------------------------------------------------- sampling
# Euler steps of the rectified-flow sampler. Chosen on the TUNE_SEED scenes (n = 256 ID per checkpoint,
# docs/training.md): 1 step beats 2 on both 128 px models, ties on the 32 px ones (and 4 and 10 were worse on every
# checkpoint measured), and samples fastest.
DEFAULT_STEPS = 1
MAX_STEPS = 100  # the most sampling steps any request (library, CLI, app) may ask for


def sampling_steps(k: int) -> str:
    """``k`` as the app, the cards and the readings write it: "1 sampling step", "2 sampling steps"."""
    return f"{k} sampling step{'' if k == 1 else 's'}"

# ---------------------------------------------------------------- the paper's numbers (docs/protocol.md)
PAPER_REFERENCE = {
    "uniform": {"parse_floor": 0.0099, "id_dit_s_30k": 0.022, "id_dit_l_3m": 0.012, "ood_dit_b": "0.33-0.43"},
    "collision": {"parse_floor": 0.0117, "ood": "0.15-0.3"},
    "parabola": {"parse_floor": 0.0210, "ood": "0.3-0.4"},
}
