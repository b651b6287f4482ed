"""Videos corrupted on purpose, one kind of fault each, to validate the abnormal-rate judge (``phyre_judge``).

``corrupt(traj, fault, rng)`` re-renders a simulated PHYRE-like scene with one fault from a random frame on; every
fault breaks the world's rules for certain (an object is removed, added, cut in two, resized, recoloured, a static one
displaced, the red ball pushed into another object or lifted against gravity).

A split is made of a one-body object (the red ball, a ball, a bar, the jar, the sticks): the judge counts an
object type's separate parts against the first frame, and where one of several standing bars splits while two others
fall against each other, the count does not change; that fault goes unseen (docs/combinatorial.md).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from phydemo.world.phyre import (
    KIND_COLORS,
    OBJECT_TYPES,
    WIDTH,
    BodySpec,
    Part,
    PhyreTrajectory,
    body_extent,
    make_scene,
    render_scene,
    simulate_scene,
)

# the words of the judge's reasons that name each fault (a recoloured object reads as one type gone, another come)
OWN_REASON = {"vanishes": ["vanishes"], "appears": ["appears"], "splits": ["splits"], "changes size": ["size"],
              "changes colour": ["vanishes", "appears"], "static moves": ["static object moves"],
              "interpenetrates": ["interpenetrates"], "leaves the physics": ["leaves the physics"]}
FAULTS = ("vanishes", "appears", "splits", "changes size", "changes colour", "static moves", "interpenetrates",
          "leaves the physics")


def applicable(traj: PhyreTrajectory, fault: str) -> bool:
    """Whether ``fault`` can be applied to this scene (a static object to move)."""
    if fault == "static moves":
        return any(b.static for b in traj.scene.bodies)
    return True


def _with_bodies(traj: PhyreTrajectory, bodies, positions, angles) -> PhyreTrajectory:
    scene = dataclasses.replace(traj.scene, bodies=tuple(bodies))
    return PhyreTrajectory(scene, np.asarray(positions), np.asarray(angles), np.zeros(np.shape(angles)))


def _scaled(spec: BodySpec, k: float) -> BodySpec:
    parts = tuple(dataclasses.replace(p, x=p.x * k, y=p.y * k, half_w=p.half_w * k, half_h=p.half_h * k)
                  for p in spec.parts)
    return dataclasses.replace(spec, parts=parts)


def corrupt(traj: PhyreTrajectory, fault: str, rng: np.random.Generator, resolution: int = 128) -> np.ndarray:
    """Frames of ``traj`` with ``fault`` from a random frame (2 to T - 4) on."""
    if fault not in FAULTS:
        raise ValueError(f"fault={fault!r}: allowed {', '.join(FAULTS)}")
    if not applicable(traj, fault):
        raise ValueError(f"fault={fault!r} needs a static object; template {traj.scene.template} has none")
    bodies = list(traj.scene.bodies)
    pos, ang = traj.positions.copy(), traj.angles.copy()
    start = int(rng.integers(2, traj.num_frames - 3))
    late = slice(start, None)
    dynamic = [i for i, b in enumerate(bodies) if not b.static]
    colors = None
    if fault == "vanishes":
        kind = bodies[int(rng.choice(dynamic))].kind
        keep = [i for i, b in enumerate(bodies) if b.kind != kind]
        after = _with_bodies(traj, [bodies[i] for i in keep], pos[:, keep], ang[:, keep])
    elif fault == "appears":
        absent = [k for k in OBJECT_TYPES if k not in traj.scene.kinds and not k.startswith("static")]
        kind = str(rng.choice(absent))
        new = BodySpec(kind, 0.0, 0.0, 0.0, False, (Part("circle", 0, 0, float(rng.uniform(0.4, 0.7))),))
        spot = np.array([rng.uniform(1.5, WIDTH - 1.5), rng.uniform(6.0, 9.0)])
        after = _with_bodies(traj, bodies + [new], np.concatenate([pos, np.broadcast_to(spot, (len(pos), 1, 2))], 1),
                             np.concatenate([ang, np.zeros((len(ang), 1))], 1))
    elif fault == "splits":  # a one-body object becomes two halves of its area, side by side
        kinds = [b.kind for b in bodies]
        i = int(rng.choice([j for j in dynamic if kinds.count(kinds[j]) == 1]))
        half = _scaled(bodies[i], 1 / np.sqrt(2))
        gap = np.array([body_extent(bodies[i]) * 0.9 + 0.2, 0.0])
        reach = body_extent(half)
        centre = pos[:, i].copy()  # moved inwards where a half would leave the scene
        centre[:, 0] = np.clip(centre[:, 0], gap[0] + reach, WIDTH - gap[0] - reach)
        moved = np.concatenate([pos, (centre + gap)[:, None]], 1)
        moved[:, i] = centre - gap
        after = _with_bodies(traj, bodies[:i] + [half] + bodies[i + 1:] + [half], moved,
                             np.concatenate([ang, ang[:, i:i + 1]], 1))
    elif fault == "changes size":  # an object (every body of one type: all its standing bars) grows or shrinks
        kind, scale = bodies[int(rng.choice(dynamic))].kind, float(rng.choice([0.55, 1.6]))
        bodies = [_scaled(b, scale) if b.kind == kind else b for b in bodies]
        after = _with_bodies(traj, bodies, pos, ang)
    elif fault == "changes colour":  # one object type drawn in the colour of a type the scene does not have
        kind = bodies[int(rng.choice(dynamic))].kind
        absent = [k for k in OBJECT_TYPES if k not in traj.scene.kinds and not k.startswith("static")]
        colors = {**KIND_COLORS, kind: KIND_COLORS[str(rng.choice(absent))]}
        after = traj
    elif fault == "static moves":
        statics = [i for i, b in enumerate(bodies) if b.static]
        shift = np.array([rng.choice([-1, 1]) * rng.uniform(0.6, 1.2), rng.uniform(-0.5, 0.5)])
        pos[:, statics] += shift
        after = _with_bodies(traj, bodies, pos, ang)
    elif fault == "interpenetrates":  # the red ball sinks into the middle of another object
        other = int(rng.choice([i for i in range(1, len(bodies))]))
        pos[late, 0] = pos[late, other]
        after = _with_bodies(traj, bodies, pos, ang)
    else:  # "leaves the physics": the red ball rises against gravity
        rise = float(rng.uniform(0.4, 0.8))
        steps = np.arange(1, traj.num_frames - start + 1)[:, None] * np.array([0.0, rise])
        pos[late, 0] = np.minimum(pos[start - 1, 0] + steps, WIDTH - 0.7)
        after = _with_bodies(traj, bodies, pos, ang)
    before = render_scene(traj, resolution)[:start]
    return np.concatenate([before, render_scene(after, resolution, colors)[start:]])


def validate_judge(judge, n_truth: int = 140, n_fault: int = 40, seed: int = 0) -> dict:
    """The judge on ``n_truth`` ground-truth videos (every template in turn, held-out seeds) and on ``n_fault``
    corrupted videos of each fault: how many it flags, and for a fault how many with that fault's own reason."""
    flagged = []
    for i in range(n_truth):
        template, scene_seed = i % 70, 2_000_000 + seed * 100_000 + i
        verdict = judge(render_scene(simulate_scene(make_scene(template, scene_seed))))
        if verdict.abnormal:
            flagged.append({"template": template, "seed": scene_seed, "reason": verdict.reason})
    out = {"ground_truth": {"n": n_truth, "flagged": len(flagged), "cases": flagged}, "faults": {}}
    for fault in FAULTS:
        rng = np.random.default_rng([seed, *map(ord, fault)])
        missed, right, n, scene_seed = [], 0, 0, 3_000_000 + seed * 100_000
        while n < n_fault:
            scene_seed += 1
            traj = simulate_scene(make_scene(int(rng.integers(70)), scene_seed))
            if not applicable(traj, fault):
                continue
            n += 1
            verdict = judge(corrupt(traj, fault, rng))
            if not verdict.abnormal:
                missed.append({"template": traj.scene.template, "seed": scene_seed})
            right += all(any(word in r for r in verdict.reasons) for word in OWN_REASON[fault])
        out["faults"][fault] = {"n": n, "flagged": n - len(missed), "own_reason": right, "missed": missed}
    return out
