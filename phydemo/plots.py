"""Plotly figures of rollouts: velocity over time, and the sweep's generated against true speed."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from phydemo.eval.rollout import Rollout, per_frame_velocity
from phydemo.protocol import FRAME_DT, NUM_COND_FRAMES
from phydemo.world.distribution import TrainingDistribution


def sweep_figure(speeds, generated, dist: TrainingDistribution, title: str = "") -> go.Figure:
    """Generated against true speed over the swept speeds, the training range shaded; ``title`` says what ran."""
    collision = dist.scenario == "collision"
    fig = go.Figure()
    for lo, hi in dist.speed:
        fig.add_vrect(x0=lo, x1=hi, fillcolor="green", opacity=0.1, line_width=0, annotation_text="training range")
    fig.add_trace(go.Scatter(x=speeds, y=speeds, mode="lines", name="true speed (the law)", line=dict(color="black")))
    fig.add_trace(go.Scatter(x=speeds, y=generated, mode="markers+lines", name="generated speed",
                             marker=dict(size=9, color="red")))
    fig.update_layout(xaxis_title="input speed (world units / s)" + (", both balls, equal sizes" if collision else ""),
                      yaxis_title="speed of ball 1 after the collision" if collision else "speed in the generated video",
                      title=dict(text=title, font=dict(size=13)), height=420, margin=dict(l=50, r=10, t=40, b=50),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def velocity_figure(r: Rollout, dist: TrainingDistribution) -> go.Figure:
    """Velocity over time: ground truth vs generated, the ID band shaded, conditioning frames marked."""
    t = (np.arange(r.traj.num_frames - 1) + 0.5) * FRAME_DT
    gen = per_frame_velocity(r.generated, r.traj)
    fig = go.Figure()
    axes = [("vx", 0)] + ([("vy", 1)] if r.params.scenario == "parabola" else [])
    for i, ball in enumerate(r.traj.balls):
        for label, ax in axes:
            name = f"{label}" + (f" ball {i + 1} ({ball.color})" if len(r.traj.balls) > 1 else "")
            true = np.diff(r.traj.positions[:, i, ax]) / FRAME_DT
            fig.add_trace(go.Scatter(x=t, y=true, mode="lines", name=f"ground truth {name}", line=dict(width=3)))
            fig.add_trace(go.Scatter(x=t, y=gen[:, i, ax], mode="lines+markers", name=f"generated {name}",
                                     line=dict(dash="dot")))
    for lo, hi in dist.speed:
        for sign in ([1, -1] if r.params.scenario == "collision" else [1]):
            a, b = sorted((sign * lo, sign * hi))
            label = dict(annotation_text="training speeds", annotation_position="top left") if sign == 1 else {}
            fig.add_hrect(y0=a, y1=b, fillcolor="green", opacity=0.08, line_width=0, **label)
    fig.add_vrect(x0=0, x1=(NUM_COND_FRAMES - 1) * FRAME_DT, fillcolor="gray", opacity=0.15, line_width=0,
                  annotation_text="given frames", annotation_position="bottom left")
    values = [v for tr in fig.data for v in tr.y if v is not None and np.isfinite(v)]
    bands = [x for lo, hi in dist.speed for x in (lo, hi)]
    top = max(values + bands) + 0.5
    bottom = min(values + [0.0] + ([-b for b in bands] if r.params.scenario == "collision" else [])) - 0.5
    fig.update_yaxes(range=[bottom, top])
    fig.update_layout(xaxis_title="time (s)", yaxis_title="velocity (world units / s)", height=380,
                      margin=dict(l=40, r=10, t=30, b=40), legend=dict(orientation="h", y=-0.25))
    return fig
