"""The tumour page's SVG figures (`chemorad.web.report_svg`): well-formed SVG documents as data URIs, each mark where
its number puts it (the same data as the report's matplotlib figures), in milliseconds."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from chemorad.report.profile_report import PNG, Thresholds, waterfall_steps
from chemorad.web import report_svg as rs

NS = "{http://www.w3.org/2000/svg}"
TH = Thresholds(0.9, 75.0, 25.0, 1.0, 40.0, 0.1)


def _doc(uri: str) -> ET.Element:
    head, _, payload = uri.partition(",")
    assert head == "data:image/svg+xml;base64"
    return ET.fromstring(base64.b64decode(payload))


def test_predictions_put_each_dot_at_its_percentile_coloured_by_the_cut_offs() -> None:
    table = pd.DataFrame(
        {"label": ["a", "b", "c"], "percentile": [10.0, 50.0, 90.0], "low": [0.0, 30.0, 80.0], "high": [20, 70, 100]}
    )
    svg = _doc(rs.SVG.predictions(table, TH))
    dots = svg.findall(f"{NS}circle")
    x = [float(c.get("cx")) for c in dots]
    assert [c.get("fill") for c in dots] == [rs.BLUE, "#000000", rs.RED]
    assert x == pytest.approx([rs._x(p, 0, 100) for p in (10, 50, 90)], abs=0.1)
    assert (x[1] - x[0]) == pytest.approx(x[2] - x[1], abs=0.2)  # a linear percentile axis
    assert "80" in dots[2].find(f"{NS}title").text and "100" in dots[2].find(f"{NS}title").text


def test_a_waterfall_walks_from_the_tissue_baseline_to_the_prediction() -> None:
    terms = pd.Series({"intercept": 1.0, "tissue": 0.5, "m1": 0.8, "m2": -0.3, "missingness": 0.0})
    base, steps = waterfall_steps(terms)
    svg = _doc(rs.SVG.waterfall(terms, "t", "unit"))
    rects = svg.findall(f"{NS}rect")
    assert len(rects) == len(steps) + 2  # baseline, each step, prediction
    titles = [r.find(f"{NS}title").text for r in rects]
    assert titles[0] == "tissue baseline: 1.5" and titles[-1] == "prediction: 2"
    assert titles[1:-1] == ["m1: +0.8", "m2: -0.3"]
    # each step starts where the one before ended
    right_of_m1 = float(rects[1].get("x")) + float(rects[1].get("width"))
    assert float(rects[2].get("x")) + float(rects[2].get("width")) == pytest.approx(right_of_m1, abs=0.2)


def test_activities_are_one_bar_per_measured_mechanism() -> None:
    scores = pd.Series({"a": 1.0, "b": -2.0, "c": float("nan")})
    svg = _doc(rs.SVG.activities(scores, 61))
    assert len(svg.findall(f"{NS}rect")) == 2 and "2 of the catalog's 61 mechanisms" in svg.get("aria-label")


def test_svg_drawing_is_much_faster_than_the_pngs() -> None:
    terms = pd.Series({"intercept": 1.0, "tissue": 0.5, **{f"m{i}": (-1) ** i * i / 10 for i in range(20)}})
    t0 = time.perf_counter()
    for _ in range(5):
        rs.SVG.waterfall(terms, "t", "unit")
    svg_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    PNG.waterfall(terms, "t", "unit")
    assert svg_s < time.perf_counter() - t0  # five SVGs cost less than one PNG
