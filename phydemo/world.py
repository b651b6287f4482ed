"""Constants of the PhyWorld protocol (see ../shared/PHYWORLD.md)."""

WORLD_SIZE = 10.0  # world is WORLD_SIZE x WORLD_SIZE units, y up
PHYSICS_DT = 0.01  # seconds per physics step
STEPS_PER_FRAME = 10  # a frame every 10 steps
FRAME_DT = PHYSICS_DT * STEPS_PER_FRAME  # 0.1 s
NUM_FRAMES = 32
NUM_COND_FRAMES = 3
PARABOLA_GRAVITY = -2.5
PAPER_RESOLUTION = 128
