"""The attribute order from the pair experiments: Wilson intervals, decided and undecided pairs, the ranking, and
where it differs from the paper."""

import pytest

from phydemo.eval.attribute_order import attribute_order, pair_experiments, pair_result, wilson_interval


def summary(name: str, first: int, second: int, other: int = 0) -> dict:
    a, b = name.replace("color", "colour").split("-")
    return {"experiment": name, "n": first + second + other,
            "counts": {f"kept {a}": first, f"kept {b}": second, "kept both": other}}


def test_wilson_interval_matches_known_values():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson_interval(10, 10)
    assert lo == pytest.approx(0.7225, abs=1e-4) and hi == pytest.approx(1.0)


def test_a_pair_is_decided_only_when_its_interval_excludes_one_half():
    assert pair_result(summary("color-shape", 110, 0, 18))["winner"] == "colour"
    assert pair_result(summary("velocity-shape", 3, 40))["winner"] == "shape"
    undecided = pair_result(summary("size-velocity", 12, 9))
    assert undecided["winner"] is None and not undecided["agrees"] and undecided["other"] == 0


def test_the_paper_order_is_recovered_and_differences_are_named():
    paper = [summary("color-shape", 60, 2), summary("color-size", 50, 5), summary("color-velocity", 40, 3),
             summary("size-velocity", 30, 4), summary("size-shape", 45, 1), summary("velocity-shape", 35, 6)]
    assert [p for p in pair_experiments()] == [s["experiment"] for s in paper]
    out = attribute_order(paper)
    assert out["order"] == "colour > size > velocity > shape" == out["paper_order"]
    assert out["consistent"] and out["differences"] == [] and out["missing"] == []

    flipped = paper[:3] + [summary("size-velocity", 4, 30)] + paper[4:5]
    out = attribute_order(flipped)
    assert out["order"] == "colour > velocity > size > shape" and out["consistent"]
    assert attribute_order(paper[:2])["order"] == "colour > size ? velocity ? shape"
    assert attribute_order([summary("size-velocity", 12, 9)])["order"] == "colour ? size ~ velocity ? shape"
    assert out["missing"] == ["velocity/shape"]
    assert len(out["differences"]) == 1 and out["differences"][0].startswith("size/velocity: velocity wins, 4 of 34")


def test_a_cycle_is_reported_as_inconsistent():
    cycle = [summary("color-size", 40, 2), summary("size-velocity", 40, 2), summary("color-velocity", 2, 40)]
    assert not attribute_order(cycle)["consistent"]


def test_the_figure_labels_each_pair_with_its_models_resolution_counts_and_any_disagreement():
    from phydemo.app.finding_plots import finding_figure

    pairs = [summary("color-shape", 60, 2), summary("size-velocity", 30, 4), summary("velocity-shape", 5, 9),
             summary("size-shape", 2, 30)]
    result = attribute_order(pairs)
    result.update(finding="attribute-order", resolution={f"lab-{p['experiment']}": 128 for p in pairs}
                  | {"lab-color-shape": 32})
    assert list(finding_figure(result).data[0].y) == [
        "colour vs shape (32 px)<br>60 : 2 decisive", "size vs velocity (128 px)<br>30 : 4 decisive",
        "velocity vs shape (128 px)<br>5 : 9 decisive, undecided (the paper: velocity)",
        "size vs shape (128 px)<br>2 : 30 decisive, shape wins (the paper: size)"]
