"""Plotly figures of the paper's findings (``phydemo.eval.findings``): the attribute order with confidence intervals,
interpolation inside a hole against extrapolation, the data-scaling curve beside the paper's numbers, and the
abnormal rate against the training templates."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

LAYOUT = dict(height=420, margin=dict(l=60, r=10, t=50, b=50), legend=dict(orientation="h", y=-0.18))


def pair_disagreement(pair: dict) -> str:
    """How a pair's verdict differs from the paper's, for its label: ", undecided (the paper: size)"."""
    ours = "undecided" if pair["winner"] is None else f"{pair['winner']} wins"
    return f", {ours} (the paper: {pair['paper']})"


def attribute_order_figure(result: dict) -> go.Figure:
    """Per pair, the share of decisive rollouts that kept the first attribute, with its 95% Wilson interval (each
    pair labelled with its model's resolution)."""
    pairs, resolution = result["pairs"], result["resolution"]
    labels = [f"{p['first']} vs {p['second']} ({resolution['lab-' + p['experiment']]} px)<br>"
              f"{p['kept_first']} : {p['kept_second']} decisive" + ("" if p["agrees"] else pair_disagreement(p))
              for p in pairs]
    share = [p["share_first"] for p in pairs]
    lo = [p["share_first"] - p["interval"][0] if p["share_first"] is not None else None for p in pairs]
    hi = [p["interval"][1] - p["share_first"] if p["share_first"] is not None else None for p in pairs]
    fig = go.Figure(go.Bar(y=labels, x=share, orientation="h",
                           error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                           marker_color=["seagreen" if p["agrees"] else "darkorange" for p in pairs]))
    fig.add_vline(x=0.5, line_dash="dash", line_color="gray")
    fig.update_layout(xaxis=dict(title="share that kept the first attribute (of rollouts keeping exactly one)",
                                 range=[0, 1]),
                      title=dict(text=f"ours: {result['order']}  |  paper: {result['paper_order']}", font=dict(size=13)),
                      **LAYOUT)
    return fig


def interpolation_figure(result: dict) -> go.Figure:
    """Left: mean error with standard errors per test set, the hole model beside the full model. Right: the generated
    against the true speed per bin, the law as the diagonal, the hole shaded."""
    sets, speeds, hole = list(result["sets"]), result["speeds"], result["hole"]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.12)
    models = (("hole_model", f"trained without [{hole[0]:g}, {hole[1]:g}]", "darkorange"),
              ("full_model", "trained on every speed", "steelblue"))
    for key, name, color in models:
        rows = [result["sets"][s][key] for s in sets]
        fig.add_trace(go.Bar(x=sets, y=[r["error"] for r in rows], name=name, marker_color=color, legendgroup=key,
                             error_y=dict(type="data", array=[r["se"] for r in rows]),
                             text=[f"{r['error']:.3f}" for r in rows], textposition="outside"), row=1, col=1)
    fig.update_layout(barmode="group", title=dict(text="Interpolation: error inside the hole and outside the range",
                                                  font=dict(size=13)), **LAYOUT)
    fig.update_yaxes(title_text="velocity error (world units / s), log", type="log", row=1, col=1)
    top = max((r["speed"][1] for rows in speeds.values() for r in rows), default=hole[1])
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line=dict(dash="dash", color="gray"),
                             name="the law", showlegend=False), row=1, col=2)
    for key, name, color in models:
        rows = speeds[key]
        fig.add_trace(go.Scatter(x=[r["true"] for r in rows], y=[r["generated"] for r in rows], mode="markers",
                                 marker=dict(color=color, size=7), name=name, legendgroup=key, showlegend=False,
                                 error_y=dict(type="data", array=[r["se"] for r in rows])), row=1, col=2)
    fig.add_vrect(x0=hole[0], x1=hole[1], fillcolor="darkorange", opacity=0.12, line_width=0,
                  annotation_text="held out", annotation_position="top left", row=1, col=2)  # after the traces:
    fig.update_xaxes(title_text="true speed", row=1, col=2)  # plotly skips shapes on a subplot without data
    fig.update_yaxes(title_text="generated speed (mean per 0.25 bin)", row=1, col=2)
    return fig


def _scaling_figure(result: dict, x_key: str, x_title: str, title: str) -> go.Figure:
    """ID and OOD-speed error against ``x_key`` of each point (log-log) with standard errors, the paper's numbers as
    hollow markers and our parse floor as a line."""
    pts = result["points"]
    x = [p[x_key] for p in pts]
    fig = go.Figure()
    for key, name, color in (("id", "ID (ours)", "steelblue"), ("ood", "OOD speed (ours)", "firebrick")):
        fig.add_trace(go.Scatter(x=x, y=[p[key]["error"] for p in pts], name=name, mode="lines+markers",
                                 marker=dict(size=9, color=color),
                                 error_y=dict(type="data", array=[p[key]["se"] for p in pts])))
        paper = result["paper"][key]
        fig.add_trace(go.Scatter(x=[int(k) for k in paper], y=list(paper.values()), name=name.replace("ours", "paper"),
                                 mode="markers", marker=dict(size=11, color=color, symbol="circle-open")))
    fig.add_hline(y=pts[-1]["parse_floor"], line_dash="dot", line_color="gray", annotation_text="parse floor")
    fig.update_layout(xaxis=dict(title=x_title, type="log"),
                      yaxis=dict(title="velocity error (world units / s), log", type="log"),
                      title=dict(text=title, font=dict(size=13)), **LAYOUT)
    return fig


def data_scaling_figure(result: dict) -> go.Figure:
    return _scaling_figure(result, "videos", "training videos", "Data scaling, the same steps for every size")


def model_size_figure(result: dict) -> go.Figure:
    return _scaling_figure(result, "parameters", "DiT parameters", "Model scaling, the same data and steps")


def combinatorial_figure(result: dict) -> go.Figure:
    """The abnormal rate in and out of template against the training templates, with standard errors, the paper's
    out-of-template rates as hollow markers and the judge's rate on the ground truth as a line."""
    models = sorted(result["models"], key=lambda m: m["templates"])
    x = [m["templates"] for m in models]
    fig = go.Figure()
    for key, name, color in (("in_template", "in template (ours)", "steelblue"),
                             ("out_of_template", "out of template (ours)", "firebrick")):
        fig.add_trace(go.Scatter(x=x, y=[m[key]["abnormal"] for m in models], name=name, mode="lines+markers",
                                 marker=dict(size=9, color=color),
                                 error_y=dict(type="data", array=[m[key]["abnormal_se"] for m in models])))
    paper = result["paper"]["out_of_template_abnormal"]
    fig.add_trace(go.Scatter(x=[int(k) for k in paper], y=list(paper.values()), name="out of template (paper, by eye)",
                             mode="markers", marker=dict(size=11, color="firebrick", symbol="circle-open")))
    fig.add_hline(y=result["ground_truth"]["abnormal"], line_dash="dot", line_color="gray",
                  annotation_text="judge on ground truth")
    # the y range reaches past 1 so that a rate of 1 (every rollout abnormal) is not drawn cut in half at the edge
    fig.update_layout(xaxis=dict(title="training templates", type="log", tickvals=[6, 30, 60]),
                      yaxis=dict(title="abnormal rate (automatic judge)", range=[0, 1.05]),
                      title=dict(text="Combinatorial generalisation: the same videos and steps, more templates",
                                 font=dict(size=13)), **LAYOUT)
    return fig


def visual_ambiguity_figure(result: dict) -> go.Figure:
    """The truth's outcome (passed = 1) and the model's pass rate against the red ball's radius in pixels."""
    rows = result["rows"]
    x = [r["radius_px"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=[float(r["truth"] == "passed") for r in rows], name="truth (pymunk)",
                             mode="lines", line=dict(shape="hv", color="gray", dash="dash")))
    fig.add_trace(go.Scatter(x=x, y=[r["model_pass_rate"] for r in rows], name=f"{result['checkpoint']}: share passed",
                             mode="lines+markers", marker=dict(size=7, color="firebrick")))
    fig.update_layout(xaxis=dict(title=f"red ball radius (px at {result['frame_size']} px)"),
                      yaxis=dict(title="passed through the gap", range=[-0.05, 1.05]),
                      title=dict(text="Visual ambiguity: the radius swept in sub-pixel steps", font=dict(size=13)),
                      **LAYOUT)
    return fig


FIGURES = {"attribute-order": attribute_order_figure, "interpolation": interpolation_figure,
           "data-scaling": data_scaling_figure, "model-size": model_size_figure, "combinatorial": combinatorial_figure,
           "visual-ambiguity": visual_ambiguity_figure}


def finding_figure(result: dict) -> go.Figure:
    return FIGURES[result["finding"]](result)
