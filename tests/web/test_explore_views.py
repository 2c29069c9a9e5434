"""The explorer pages' data functions (report.drug_view, line_view, scatter_view, search, glossary) and SVG figures,
on small hand-made tables: closed forms, parameter recovery and properties. No data bundle needed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chemorad.catalog.load import catalog
from chemorad.errors import ChemoradError
from chemorad.evidence.curves import lq_survival
from chemorad.report import drug_view as dv
from chemorad.report import line_view as lv
from chemorad.report.glossary import GLOSSARY
from chemorad.report.scatter_view import scatter_table, spearman
from chemorad.report.search import Entry, score, search
from chemorad.web import svg_plots


def test_peer_percentile_is_the_mid_rank_among_peers() -> None:
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 10.0], "b": [5.0, 5.0, 5.0, np.nan, 1.0]}, index=list("pqrst"))
    pct = lv.peer_percentile(values, pd.Index(list("pqrs")), "r")
    # a: peers 1,2,3,4 -> 2 below, 1 equal -> (2 + 0.5) / 4; b: peers 5,5,5 (s missing) -> (0 + 1.5) / 3
    assert pct["a"] == pytest.approx(62.5) and pct["b"] == pytest.approx(50.0)
    assert np.isnan(lv.peer_percentile(values, pd.Index(list("pqrs")), "s")["b"])  # no value, no percentile


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=30, unique=True))
def test_peer_percentiles_of_distinct_values_are_the_mid_ranks(xs) -> None:
    frame = pd.DataFrame({"v": xs}, index=[f"l{i}" for i in range(len(xs))])
    got = sorted(lv.peer_percentile(frame, frame.index, line)["v"] for line in frame.index)
    assert got == pytest.approx([100 * (k + 0.5) / len(xs) for k in range(len(xs))])


def test_tissue_distribution_counts_and_sorts_by_median() -> None:
    values = pd.Series([1.0, 2.0, 3.0, 10.0, 11.0, np.nan], index=list("abcdef"))
    tissue = pd.Series(["lung", "lung", "lung", "skin", "skin", "skin"], index=list("abcdef"))
    out = dv.tissue_distribution(values, tissue)
    assert list(out["tissue"]) == ["skin", "lung"]  # most resistant (highest median) first
    lung = out.set_index("tissue").loc["lung"]
    assert (lung["lines"], lung["median"], lung["q25"], lung["q75"]) == (3, 2.0, 1.5, 2.5)
    assert out.set_index("tissue").loc["skin", "lines"] == 2  # the missing value is not a line


def test_drug_mechanisms_keeps_those_past_the_threshold_strongest_first() -> None:
    cat = catalog()
    mids = list(cat.mechanisms)[:4]
    rf = pd.DataFrame(
        {
            "mechanism": [m for m in mids for _ in range(2)],
            "therapy": "cisplatin",
            "condition": ["oxic", "hypoxic"] * 4,
            "resistance_factor": [1.0, 1.1, 3.0, 2.0, 0.5, 0.9, 1.19, 1.0 / 1.19],
        }
    )
    out = dv.drug_mechanisms(cat, rf, "cisplatin", threshold=1.2)
    assert list(out["mechanism"]) == [mids[1], mids[2]]  # |ln 3| > |ln 0.5|; 1.1 and 1.19 fall short
    assert list(out["strongest"]) == [3.0, 0.5] and list(out["direction"]) == ["resistance", "sensitisation"]
    assert list(out["name"]) == [cat.mechanisms[mids[1]].name, cat.mechanisms[mids[2]].name]  # names before ids


def test_therapies_resolve_by_id_name_or_data_set_name_and_unknown_ones_name_the_closest() -> None:
    cat = catalog()
    assert dv.resolve_therapy(cat, "cisplatin") == "cisplatin"
    assert dv.resolve_therapy(cat, " Cisplatin ") == "cisplatin"  # GDSC's spelling, any case
    with pytest.raises(ChemoradError, match=r"unknown drug 'cisplatn'; closest: (?i:cisplatin)"):
        dv.resolve_therapy(cat, "cisplatn")


def test_unknown_cell_line_names_the_closest_and_aliases_resolve() -> None:
    lines = pd.DataFrame({"aliases": ["NCI-H23; NCIH23", "A-204; A204"]}, index=["NCIH23", "A204"])
    assert lv.resolve_line("nci-h23", lines) == "NCIH23"
    with pytest.raises(ChemoradError, match=r"unknown cell line 'NCI-H2'; closest:"):
        lv.resolve_line("NCI-H2", lines)


def test_survival_curve_recovers_the_lq_parameters_of_exact_data() -> None:
    doses = [1, 2, 3, 4, 5, 6, 8, 10]
    sf = lq_survival(np.array(doses, float), 0.3, 0.03)
    yard = pd.DataFrame([sf], index=["L1"], columns=[f"sf_{d}gy" for d in doses])
    radiogx = pd.DataFrame({"alpha": [0.31], "beta": [0.029]}, index=["L1"])
    c = lv.survival_curve(yard, radiogx, "L1")
    assert (c.alpha, c.beta) == pytest.approx((0.3, 0.03), abs=1e-10)
    assert c.sf2 == pytest.approx(np.exp(-0.6 - 0.12)) and c.r_squared == pytest.approx(1.0)
    assert c.radiogx == (0.31, 0.029) and list(c.points.columns) == ["dose_gy", "sf", "sf_lq", "sf_radiogx"]
    with pytest.raises(ChemoradError, match="not in the radiation screen"):
        lv.survival_curve(yard, None, "L2")


def test_driver_mutations_and_expression_z() -> None:
    features = pd.DataFrame(
        {"TP53_mut": [1, 0], "KRAS_mut": [1, 1], "TISSUE_FACTOR": ["lung", "lung"]}, index=["a", "b"]
    )
    assert lv.driver_mutations(features, "a") == ["KRAS", "TP53"] and lv.driver_mutations(features, "zz") == []
    expr = pd.DataFrame({"G1": [1.0, 2.0, 3.0], "G2": [5.0, 5.0, 8.0]}, index=["a", "b", "c"])
    tissue = pd.Series(["lung", "lung", "skin"], index=["a", "b", "c"])
    out = lv.gene_expression(expr, tissue, "c", ["G1", "G2", "NOPE"]).set_index("gene")
    assert out.loc["G1", "z_all"] == pytest.approx(1.0)  # (3 - 2) / sd 1
    assert out.loc["G2", "tissue_percentile"] == 50.0  # alone in its tissue


def test_scatter_table_filters_tissues_and_spearman_is_rank_based() -> None:
    idx = [f"l{i}" for i in range(6)]
    x = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, np.nan], index=idx)
    y = pd.Series([2.0, 4.0, 8.0, 16.0, 32.0, 1.0], index=idx)
    tissue = pd.Series(["lung", "lung", "skin", "skin", None, "lung"], index=idx)
    table = scatter_table(x, y, tissue)
    assert len(table) == 5 and "unknown" in set(table["tissue"])  # no x, no point; no tissue, 'unknown'
    assert spearman(table["x"], table["y"]).rho == pytest.approx(1.0)  # monotone, not linear
    only = scatter_table(x, y, tissue, ["skin"])
    assert list(only["cell_line"]) == ["l2", "l3"]
    assert np.isnan(spearman([1, 2], [2, 1]).rho) and np.isnan(spearman([1, 1, 1], [1, 2, 3]).rho)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=4, max_size=40))
def test_spearman_is_invariant_under_monotone_transforms(pairs) -> None:
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    a, b = spearman(x, y), spearman(np.exp(x / 10), y**3)
    assert a.n == b.n and (np.isnan(a.rho) and np.isnan(b.rho) or a.rho == pytest.approx(b.rho, abs=1e-9))


def test_search_ranks_exact_then_prefix_then_substring_then_fuzzy() -> None:
    entries = [
        Entry("drug", "cisplatin", "Cisplatin"),
        Entry("drug", "carboplatin", "Carboplatin"),
        Entry("gene", "CIS", "CIS"),
        Entry("cell line", "NCIH23", "NCI-H23", ("NCI-H23",)),
    ]
    assert [e.key for e, _ in search("cis", entries)][:2] == ["CIS", "cisplatin"]
    assert score("platin", ["carboplatin"]) == 0.8 and score("cispltin", ["cisplatin"]) < 0.8
    assert [e.key for e, _ in search("nci-h23", entries)] == ["NCIH23"]
    assert search("   ", entries) == [] and search("zzzzzz", entries) == []


def test_glossary_has_every_term_with_formula_and_source() -> None:
    keys = {t.key for t in GLOSSARY}
    assert {"rf", "dmf", "tcp", "fdr", "margin", "sf2", "auc", "ln-ic50"} <= keys
    assert len(keys) == len(GLOSSARY)
    assert all(t.formula and t.source and t.meaning for t in GLOSSARY)


def test_svg_figures_are_complete_documents_with_a_title_per_mark() -> None:
    pts = pd.DataFrame({"dose_gy": [1.0, 2.0, 4.0], "sf": [0.9, 0.7, 0.3]})
    grid = np.linspace(0, 10, 11)
    svg = str(svg_plots.survival_plot(pts, [("fit <a>", grid, lq_survival(grid, 0.2, 0.02))], "t"))
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg and svg.endswith("</svg>")
    assert svg.count('class="pt"') == 3 and svg.count('class="fit"') == 1 and "fit &lt;a&gt;" in svg
    table = pd.DataFrame({"cell_line": ["a", "b", "c"], "tissue": ["lung", "skin", "lung"], "x": [0, 1, 1],
                          "y": [1.0, 2.0, 3.0]})  # fmt: skip
    svg = str(svg_plots.scatter_plot(table, "TP53 mutation", "AUC", strip=True))
    assert svg.count('class="pt"') == 3 and "lung (2)" in svg and "skin (1)" in svg and "mutant (n=2)" in svg
    assert re.findall(r'data-tissue="(\w+)"', svg) == ["lung", "skin", "lung"]
    rows = pd.DataFrame({"tissue": ["lung"], "lines": [3], "median": [2.0], "q25": [1.5], "q75": [2.5], "min": [1.0],
                         "max": [3.0]})  # fmt: skip
    assert "lung (3)" in str(svg_plots.range_chart(rows, "x"))
    assert svg_plots.nice_ticks(0, 10) == [0, 2, 4, 6, 8, 10]
    style = svg_plots.group_style([f"t{i}" for i in range(13)])
    assert style["t0"] != style["t12"]  # the 13th group repeats the first colour, not its shape


def test_page_memo_is_a_bounded_lru_that_does_not_keep_errors() -> None:
    from chemorad.web.routers._explore import Bundle

    b = Bundle(ex=None)
    calls = []
    for i in range(Bundle.MEMO_SIZE + 10):
        b.memo(("k", i), lambda i=i: calls.append(i) or i)
    assert len(b._memo) == Bundle.MEMO_SIZE and ("k", 0) not in b._memo  # memory stays bounded
    assert b.memo(("k", Bundle.MEMO_SIZE + 9), lambda: -1) == Bundle.MEMO_SIZE + 9  # kept, not recomputed

    def fail():
        raise ChemoradError("unknown drug 'x'")

    with pytest.raises(ChemoradError):
        b.memo(("bad",), fail)
    assert ("bad",) not in b._memo
