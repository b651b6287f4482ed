"""Plotly figures: velocity and position over time, the sweep's generated against true speed, the error map and the
prediction view."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from phydemo.eval.metrics import parse
from phydemo.eval.rollout import Rollout, per_frame_velocity
from phydemo.protocol import FRAME_DT, NUM_COND_FRAMES, WORLD_SIZE
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


def _band(axis: str, lo: float, hi: float, color: str, opacity: float) -> dict:
    """A shaded band across the plot from ``lo`` to ``hi`` on ``axis``: what ``add_hrect`` / ``add_vrect`` make,
    written as a layout shape (plotly's helpers cost 15 ms a band, a tenth of serving a rollout)."""
    other = "x" if axis == "y" else "y"
    return {"type": "rect", "fillcolor": color, "opacity": opacity, "line": {"width": 0}, f"{axis}0": lo,
            f"{axis}1": hi, f"{axis}ref": axis, f"{other}0": 0, f"{other}1": 1, f"{other}ref": f"{other} domain"}


GIVEN_FRAMES_BAND = _band("x", 0, (NUM_COND_FRAMES - 1) * FRAME_DT, "gray", 0.15)
GIVEN_FRAMES_NOTE = dict(showarrow=False, text="given frames", x=0, xanchor="left", xref="x", y=0, yanchor="bottom",
                         yref="y domain")


def velocity_figure(r: Rollout, dist: TrainingDistribution) -> go.Figure:
    """Velocity over time: ground truth vs generated, the ID band shaded, conditioning frames marked."""
    t = (np.arange(r.traj.num_frames - 1) + 0.5) * FRAME_DT
    gen, gt = per_frame_velocity(r.generated, r.traj), per_frame_velocity(r.gt_frames, r.traj)
    fig = go.Figure()
    axes = [("vx", 0)] + ([("vy", 1)] if r.params.scenario == "parabola" else [])
    for i, ball in enumerate(r.traj.balls):
        for label, ax in axes:
            name = f"{label}" + (f" ball {i + 1} ({ball.color})" if len(r.traj.balls) > 1 else "")
            true = np.diff(r.traj.positions[:, i, ax]) / FRAME_DT
            fig.add_trace(go.Scatter(x=t, y=true, mode="lines", name=f"the law {name}", line=dict(width=3)))
            fig.add_trace(go.Scatter(x=t, y=gt[:, i, ax], mode="markers", name=f"ground truth, parsed {name}",
                                     marker=dict(symbol="circle-open", size=8)))
            fig.add_trace(go.Scatter(x=t, y=gen[:, i, ax], mode="lines+markers", name=f"generated, parsed {name}",
                                     line=dict(dash="dot")))
    shapes, notes = [], []
    for lo, hi in dist.speed:
        for sign in ([1, -1] if r.params.scenario == "collision" else [1]):
            a, b = sorted((sign * lo, sign * hi))
            shapes.append(_band("y", a, b, "green", 0.08))
            if sign == 1:
                notes.append(dict(showarrow=False, text="training speeds", x=0, xanchor="left", xref="x domain", y=b,
                                  yanchor="top", yref="y"))
    fig.update_layout(shapes=shapes + [GIVEN_FRAMES_BAND], annotations=notes + [GIVEN_FRAMES_NOTE])
    values = [v for tr in fig.data for v in tr.y if v is not None and np.isfinite(v)]
    bands = [x for lo, hi in dist.speed for x in (lo, hi)]
    top = max(values + bands) + 0.5
    bottom = min(values + [0.0] + ([-b for b in bands] if r.params.scenario == "collision" else [])) - 0.5
    fig.update_yaxes(range=[bottom, top])
    fig.update_layout(xaxis_title="time (s)", yaxis_title="velocity (world units / s)", height=380,
                      margin=dict(l=40, r=10, t=30, b=40), legend=dict(orientation="h", y=-0.25))
    return fig


def law_figure(r: Rollout) -> go.Figure:
    """Position over time: the law (the simulation), the ground truth and the generated video both read by the
    parser, the given frames marked: a straight line for uniform motion, a parabola in y, the collision's exchange."""
    t = np.arange(r.traj.num_frames) * FRAME_DT
    fig = go.Figure()
    axes = [("x", 0)] + ([("y", 1)] if r.params.scenario == "parabola" else [])
    for i, ball in enumerate(r.traj.balls):
        gt, gen = parse(r.gt_frames, ball.color).positions, parse(r.generated, ball.color).positions
        for label, ax in axes:
            name = f"{label}" + (f" ball {i + 1} ({ball.color})" if len(r.traj.balls) > 1 else "")
            fig.add_trace(go.Scatter(x=t, y=r.traj.positions[:, i, ax], mode="lines", name=f"the law {name}",
                                     line=dict(width=3)))
            fig.add_trace(go.Scatter(x=t, y=gt[:, ax], mode="markers", name=f"ground truth, parsed {name}",
                                     marker=dict(symbol="circle-open", size=8)))
            fig.add_trace(go.Scatter(x=t, y=gen[:, ax], mode="lines+markers", name=f"generated, parsed {name}",
                                     line=dict(dash="dot")))
    fig.update_layout(shapes=[GIVEN_FRAMES_BAND], annotations=[GIVEN_FRAMES_NOTE])
    fig.update_yaxes(range=[-0.5, WORLD_SIZE + 0.5])
    fig.update_layout(xaxis_title="time (s)", yaxis_title="position (world units)", height=380,
                      margin=dict(l=40, r=10, t=30, b=40), legend=dict(orientation="h", y=-0.25))
    return fig


def error_map_figure(result: dict, dist: TrainingDistribution, title: str = "") -> go.Figure:
    """The error map as a heatmap (log colour scale), the training box drawn on it."""
    z = np.array([[np.nan if v is None else v for v in row] for row in result["error"]], dtype=float)
    fig = go.Figure(go.Heatmap(x=result["speeds"], y=result["radii"], z=np.log10(np.clip(z, 1e-3, None)),
                               customdata=z, colorscale="Viridis", zmin=-2, zmax=1,
                               hovertemplate="speed %{x}, radius %{y}: error %{customdata:.3f}<extra></extra>",
                               colorbar=dict(title="error", tickvals=[-2, -1, 0, 1], ticktext=["0.01", "0.1", "1", "10"])))
    _, _, speeds, radii = dist.first_case()
    for v0, v1 in speeds:
        for r0, r1 in radii:
            fig.add_shape(type="rect", x0=v0, x1=v1, y0=r0, y1=r1, line=dict(color="white", width=3))
    fig.add_annotation(x=speeds[0][0], y=radii[-1][1], text="training box", showarrow=False,
                       font=dict(color="white"), xanchor="left", yanchor="bottom")
    fig.update_layout(xaxis_title="speed (world units / s)", yaxis_title="radius", height=420,
                      title=dict(text=title, font=dict(size=13)), margin=dict(l=50, r=10, t=40, b=50))
    return fig


def prediction_figure(r: Rollout, guess: tuple[float, float], frame: int) -> go.Figure:
    """The world seen from the front: each ball's path under the law and where the generated video put it, with ball
    1's place at ``frame`` under the law, in the model and in the audience's guess."""
    fig = go.Figure()
    for i, ball in enumerate(r.traj.balls):
        law = r.traj.positions[:, i]
        gen = parse(r.generated, ball.color).positions
        color = ball.color if ball.color != "black" else "gray"
        fig.add_trace(go.Scatter(x=law[:, 0], y=law[:, 1], mode="lines", name=f"the law, ball {i + 1}",
                                 line=dict(width=3, color=color)))
        fig.add_trace(go.Scatter(x=gen[:, 0], y=gen[:, 1], mode="markers", name=f"the model, ball {i + 1}",
                                 marker=dict(size=6, symbol="circle-open", color=color)))
    t = f"t = {frame * FRAME_DT:.1f} s"
    fig.add_trace(go.Scatter(x=[r.traj.positions[frame, 0, 0]], y=[r.traj.positions[frame, 0, 1]], mode="markers",
                             name=f"the law at {t}", marker=dict(size=14, symbol="diamond", color="green")))
    model = parse(r.generated[frame:frame + 1], r.traj.balls[0].color).positions[0]
    fig.add_trace(go.Scatter(x=[model[0]], y=[model[1]], mode="markers", name=f"the model at {t}",
                             marker=dict(size=14, symbol="square", color="orange")))
    fig.add_trace(go.Scatter(x=[guess[0]], y=[guess[1]], mode="markers", name=f"your guess at {t}",
                             marker=dict(size=16, symbol="x", color="black")))
    fig.update_xaxes(range=[0, WORLD_SIZE], constrain="domain")
    fig.update_yaxes(range=[0, WORLD_SIZE], scaleanchor="x")
    fig.update_layout(height=440, margin=dict(l=40, r=10, t=30, b=40), legend=dict(orientation="h", y=-0.15),
                      xaxis_title="x", yaxis_title="y")
    return fig
