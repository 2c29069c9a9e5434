"""Report figures: drawn without pyplot, on a given axis, with short therapy names."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import numpy as np
import pandas as pd

from chemorad.catalog.load import catalog
from chemorad.report.evidence_figures import crossres_labels, crossres_matrix, draw_crossres, draw_lq_fit, draw_volcano
from chemorad.report.figures import subplots
from chemorad.report.html import percent, table_view
from chemorad.report.profile_report import activities_figure, waterfall_figure, waterfall_steps


def _report_modules() -> list[str]:
    import chemorad.report

    return sorted(f"chemorad.report.{m.name}" for m in pkgutil.iter_modules(chemorad.report.__path__))


def test_importing_the_report_layer_chooses_no_backend() -> None:
    """Every module of the report layer (found, not listed by hand: regimen_figures was once missed) imports without
    pyplot and without choosing a backend."""
    modules = _report_modules()
    assert "chemorad.report.regimen_figures" in modules and len(modules) >= 8
    code = (
        "import importlib, matplotlib, sys; before = matplotlib.rcParams._get_backend_or_none(); "
        f"[importlib.import_module(m) for m in {modules!r}]; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert matplotlib.rcParams._get_backend_or_none() == before, 'backend chosen at import'"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]


def test_the_regimen_figure_draws_on_the_axis_given_without_pyplot() -> None:
    rows = [
        {"regimen": "70 Gy / 35 fx", "tcp": 0.6, "tcp_low": 0.5, "tcp_high": 0.7, "gard": 60.0},
        {"regimen": "66 Gy / 33 fx", "tcp": 0.5, "tcp_low": 0.4, "tcp_high": 0.6, "gard": None},
    ]
    code = (
        "import sys; from chemorad.report.regimen_figures import regimen_figure; "
        f"fig = regimen_figure({{'table': {rows!r}, 'sample': 'X', 'patients': 10}}); "
        "assert len(fig.axes[0].patches) == 2 and 'matplotlib.pyplot' not in sys.modules"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    fig, ax = subplots(figsize=(6, 2))
    from chemorad.report.regimen_figures import regimen_figure

    assert regimen_figure({"table": rows, "sample": "X", "patients": 10}, ax=ax) is fig


def test_figures_draw_on_the_axis_given_and_return_its_figure() -> None:
    fig, (a1, a2) = subplots(1, 2, figsize=(8, 3))
    scores = pd.Series({"m1": 0.5, "m2": -1.0, "m3": np.nan})
    assert activities_figure(scores, 10, ax=a1) is fig
    assert [t.get_text() for t in a1.get_yticklabels()] == ["m2", "m1"]
    terms = pd.Series({"intercept": 1.0, "tissue": 0.5, "a": 0.3, "b": -0.1})
    assert waterfall_figure(terms, "t", "u", ax=a2) is fig
    assert len(a2.patches) == 4  # baseline, two steps, prediction
    fig2, (b1, b2) = subplots(1, 2, figsize=(8, 3))
    fit = pd.Series({"alpha": 0.3, "beta": 0.03, "r_squared": 0.99, "sf2": 0.5, "d10": 5.0})
    assert draw_lq_fit(np.array([0.0, 2.0]), np.array([1.0, 0.5]), fit, "X", ax=b1) is fig2
    table = pd.DataFrame({"feature": ["g1", "g2"], "effect": [0.5, -0.1], "p_value": [1e-4, 0.5], "fdr": [1e-3, 0.6]})
    assert draw_volcano(table, "t", ax=b2) is fig2 and len(b2.collections) == 1


def test_waterfall_steps_sum_to_the_prediction() -> None:
    terms = pd.Series({"intercept": 2.0, "tissue": -0.5, "a": 0.05, "b": -0.7, "c": 0.9, "d": 0.3, "e": -0.02})
    base, steps = waterfall_steps(terms, k=3)
    assert base == 1.5
    assert [n for n, _ in steps] == ["c", "b", "d", "all others"] and np.isclose(steps[-1][1], 0.03)
    assert np.isclose(base + sum(v for _, v in steps), terms.sum())


def test_crossres_labels_are_short_catalog_names() -> None:
    cols = [
        "ctrp|5-FU|auc",
        "gdsc1|5-Fluorouracil|ln_ic50",
        "ctrp|Imidazo[5,1-d]-1,2,3,5-tetrazine-8-carboxamide, 3,4-dihydro-3-methyl-4-oxo-|auc",
        "yard|radiotherapy|auc",
        "ctrp|some-unlisted-compound-with-a-long-name|auc",
    ]
    labels = crossres_labels(catalog(), cols)
    assert labels[cols[0]] == "fluorouracil (ctrp)" and labels[cols[1]] == "fluorouracil (gdsc1)"
    assert labels[cols[2]] == "temozolomide (ctrp)" and labels[cols[3]] == "radiotherapy (yard)"
    assert len(labels[cols[4]]) <= 24 + len(" (ctrp)")
    table = pd.DataFrame(
        {
            "response_a": [cols[3], cols[0]],
            "response_b": [cols[1], cols[2]],
            "partial_r": [0.2, -0.4],
            "fdr": [0.01, 0.5],
        }
    )
    m, s = crossres_matrix(table, catalog())
    assert m.index[0] == "radiotherapy (yard)"  # radiation first
    assert m.loc["fluorouracil (gdsc1)", "radiotherapy (yard)"] == 0.2 and s.loc["radiotherapy (yard)"].sum() == 1
    fig = draw_crossres(m, s)
    assert min(t.get_fontsize() for t in fig.axes[0].get_xticklabels()) >= 9


def test_percent_and_table_view() -> None:
    assert percent(0.9) == "90%" and percent(0.5) == "50%" and percent(0.975) == "97.5%"
    t = table_view(pd.DataFrame({"a": [1.23456, np.nan], "b": [["x", "y"], None]}))
    assert t.rows == [["1.23", "x, y"], ["-", "-"]]
