"""The landing page (the answer at a glance), in process: the verdict grid shows the calibrated verdicts of `chemorad
answer` with their probability or `undetermined`, each cell with a symbol and a label; filters keep what they say;
a verdict's evidence panel opens (as a page, in the landing page, and as a fragment); an alteration's cross-resistance
row and its page; CSV downloads parse and match the grid; bad filters are one-line 400s, unknown names 404s.

The answer document is `compute_answer` without the data bundle (catalog and model: fast) with one planted alteration;
the calibrated verdicts are the real ones (`app.answer.calibrated_verdicts`, cached in the session's cache folder, so
the browser tests' server reads them back)."""

from __future__ import annotations

import io
import re
from html import unescape

import pandas as pd
import pytest
from _asgi import get
from _web_helpers import model_answer, with_answer

from chemorad.context import Context
from chemorad.report import answer_view as av
from chemorad.web.app import create_app
from chemorad.web.services import Explorer


@pytest.fixture(scope="module")
def tables():
    ctx = Context.create()
    return (ctx, *model_answer(ctx))


@pytest.fixture(scope="module")
def app(tables):
    ctx, doc, cal = tables
    return create_app(with_answer(Explorer(ctx, n_boot=20), doc, cal))


def _cells(html: str) -> list[tuple[str, str, str]]:
    """(mechanism, direction, verdict) of every verdict cell of the grid."""
    out = []
    for row in re.findall(r'<tr data-mechanism="([^"]+)">(.*?)</tr>', html, re.S):
        for d, v in re.findall(r'data-verdict="([^"]+)" data-direction="([^"]+)"', row[1]):
            out.append((row[0], v, d))
    return out


def test_the_grid_shows_every_mechanism_with_the_answers_verdict_and_probability(app, tables) -> None:
    ctx, doc, cal = tables
    r = get(app, "/")
    assert r.status == 200 and 'id="verdict-grid"' in r.text and 'class="skip" href="#main"' in r.text
    cells = _cells(r.text)
    expected = {(m["mechanism"], m["direction"], m["verdict"]) for m in doc["mechanisms"]}
    assert set(cells) == expected and len(cells) == 2 * len(ctx.catalog.mechanisms)
    grid = av.grid_table(av.verdict_grid(ctx.catalog, doc, cal))
    undetermined = grid[grid["verdict"] == "undetermined"]
    assert undetermined["probability"].isna().all()  # undetermined has no probability
    decided = grid[grid["verdict"] != "undetermined"].iloc[0]
    text = unescape(re.search(rf'<tr data-mechanism="{decided["mechanism"]}">(.*?)</tr>', r.text, re.S).group(1))
    style = av.VERDICTS[decided["verdict"]]
    assert f'{style.symbol}</span> {style.label} <span class="p">P {decided["probability"]:.2f}' in text
    # the class cells carry the calibrated posterior median and a state symbol, not colour alone
    row = cal[(cal["mechanism"] == decided["mechanism"]) & (cal["direction"] == decided["direction"])].iloc[0]
    assert f"{row['rf_radiation']:.3g}" in text and re.search(r'class="sym" aria-hidden="true">[▲▼○–?]<', text)


def test_filters_keep_what_they_say_and_bad_ones_are_one_line_400s(app, tables) -> None:
    ctx, doc, _ = tables
    cells = _cells(get(app, "/?verdict=chemotherapy_only").text)
    mechs = {m for m, _, _ in cells}
    assert mechs == {m["mechanism"] for m in doc["mechanisms"] if m["verdict"] == "chemotherapy_only"}
    delivery = {m for m, _, _ in _cells(get(app, "/?stage=delivery").text)}
    assert delivery == {m.id for m in ctx.catalog.mechanisms.values() if "delivery" in {s.value for s in m.stages}}
    assert {m for m, _, _ in _cells(get(app, "/?q=abcb1").text)} == {"efflux_abcb1"}
    bad = get(app, "/?verdict=chemo")
    assert bad.status == 400 and "verdict 'chemo': expected one of" in unescape(bad.text)
    assert get(app, "/?stage=nowhere").status == 400


def test_a_verdict_opens_its_evidence_panel_with_labelled_provenance(app, tables) -> None:
    ctx, doc, _ = tables
    page = get(app, "/?open=efflux_abcb1/gain")
    assert page.status == 200 and 'id="panel"' in page.text and 'data-mechanism="efflux_abcb1"' in page.text
    for r in (page, get(app, "/answer/efflux_abcb1/gain"), get(app, "/answer/efflux_abcb1/gain?partial=1")):
        assert r.status == 200
        assert "seed answer (unreviewed)" in r.text  # every shipped claim cites the seeds' answers
        assert 'id="panel-posterior"' in r.text and 'id="panel-perturbations"' in r.text
    assert "<nav" not in get(app, "/answer/efflux_abcb1/gain?partial=1").text  # the fragment only
    # the grid's links open it without script (a link with the query) and with (the fragment)
    assert 'href="/?open=efflux_abcb1/gain#evidence" data-panel="/answer/efflux_abcb1/gain?partial=1"' in unescape(
        get(app, "/").text
    )
    missing = get(app, "/answer/efflux_abcb/gain")
    assert missing.status == 404 and "efflux_abcb1" in missing.text
    assert get(app, "/answer/efflux_abcb1/sideways").status == 404
    assert get(app, "/?open=nothing").status == 400


def test_an_alterations_cross_resistance_row_and_its_page(app) -> None:
    html = get(app, "/").text
    rows = re.findall(r'<tr data-alteration="([^"]+)">(.*?)</tr>', html, re.S)
    assert [a for a, _ in rows] == ["expr_high:ABCB1"]  # called only, by default
    row = unescape(rows[0][1])
    assert "ABCB1 expression high" in row and '▲</span><span class="sr">resistant' in row
    assert '=</span><span class="sr">no effect' in row
    assert re.findall(r'data-alteration="([^"]+)"', get(app, "/?show=all").text) == ["expr_high:ABCB1", "TP53_mut"]
    assert re.findall(r'data-alteration="([^"]+)"', get(app, "/?show=all&gene=tp53").text) == ["TP53_mut"]
    page = get(app, "/alterations/expr_high%3AABCB1")
    assert page.status == 200 and 'id="crossres-row"' in page.text and "efflux_abcb1" in page.text
    tds = re.search(r'<tr data-therapy="docetaxel">(.*?)</tr>', page.text, re.S).group(1)
    assert "resistant" in tds and "3.5" in tds
    unknown = get(app, "/alterations/expr_high%3AABCB2")
    assert unknown.status == 404 and "closest: expr_high:ABCB1" in unescape(unknown.text)


def test_csv_downloads_parse_and_match_the_grid(app, tables) -> None:
    ctx, doc, cal = tables
    grid = pd.read_csv(io.StringIO(get(app, "/answer.csv").text))
    assert len(grid) == 2 * len(ctx.catalog.mechanisms)
    merged = grid.merge(cal, on=["mechanism", "direction"])
    assert (merged["radiation_rf"] - merged["rf_radiation"]).abs().max() < 1e-5
    assert (merged["radiotherapy_state"] == merged["state_radiation"]).all()
    only = pd.read_csv(io.StringIO(get(app, "/answer.csv?verdict=undetermined").text))
    assert set(only["mechanism"]) == {m["mechanism"] for m in doc["mechanisms"] if m["verdict"] == "undetermined"}
    alts = pd.read_csv(io.StringIO(get(app, "/alterations.csv?show=all").text))
    assert list(alts["alteration"]) == ["expr_high:ABCB1", "TP53_mut"] and alts.loc[0, "docetaxel"] == "resistant"
    assert get(app, "/api/answer?verdict=undetermined").json()[0]["probability"] is None


def test_the_rendered_page_is_kept_and_the_memo_is_bounded(tables) -> None:
    ctx, doc, cal = tables
    ex = Explorer(ctx)
    calls = []
    for k in range(Explorer.MEMO_SIZE + 5):
        ex.memo(("p", k), lambda k=k: calls.append(k) or k)
    assert ex.memo(("p", 7), lambda: -1) == 7 and len(calls) == Explorer.MEMO_SIZE + 5
    assert ex.memo(("p", 0), lambda: -1) == -1  # the oldest were dropped
    assert len(ex._memo) == Explorer.MEMO_SIZE


def _tiny():
    """A two-mechanism catalog view, answer and calibrated table made by hand (no posterior)."""
    from types import SimpleNamespace

    from chemorad.calibration.verdicts import COLUMNS

    stage = SimpleNamespace(value="delivery")
    cat = SimpleNamespace(
        mechanisms={
            "pump": SimpleNamespace(name="A pump", stages=[stage]),
            "repair": SimpleNamespace(name="DNA repair", stages=[SimpleNamespace(value="repair")]),
        }
    )
    verdict = {("pump", "gain"): ("chemotherapy_only", 0.97), ("pump", "loss"): ("none", 0.9),
               ("repair", "gain"): ("shared", 0.85), ("repair", "loss"): ("undetermined", None)}  # fmt: skip
    doc = {
        "radiation": "radiotherapy",
        "mechanisms": [
            {"mechanism": m, "direction": d, "verdict": v, "probability": p, "basis": "model alone"}
            for (m, d), (v, p) in verdict.items()
        ],  # fmt: skip
    }
    rows = []
    for (m, d), (v, _) in verdict.items():
        touched = v in ("chemotherapy_only", "shared")
        rows.append(dict.fromkeys(COLUMNS) | {
            "mechanism": m, "direction": d, "verdict": v, "rf_radiation": 1.5 if v == "shared" else 1.0,
            "rf_low_radiation": 1.3, "rf_high_radiation": 1.7, "state_radiation": "touched" if v == "shared" else
            "no_effect", "strongest_drug": "cisplatin", "rf_drug": 3.0 if touched else 0.5, "rf_low_drug": 2.0,
            "rf_high_drug": 4.0, "state_drugs": "touched" if touched else "undetermined"})  # fmt: skip
    return cat, doc, pd.DataFrame(rows)


def test_the_grid_takes_the_answers_verdict_and_the_calibrated_states() -> None:
    cat, doc, cal = _tiny()
    rows = av.verdict_grid(cat, doc, cal)
    assert [r["id"] for r in rows] == ["pump", "repair"]
    pump, repair = rows
    assert pump["gain"]["style"].label == "chemotherapy only" and pump["gain"]["probability"] == 0.97
    assert pump["gain"]["chemo"]["style"].symbol == "▲" and pump["gain"]["radiation"]["style"].symbol == "–"
    assert repair["loss"]["probability"] is None and repair["loss"]["style"].symbol == "?"
    assert repair["gain"]["radiation"]["rf"] == 1.5 and repair["gain"]["radiation"]["style"].symbol == "▲"
    assert av.verdict_counts(rows)["shared"] == 1 and sum(av.verdict_counts(rows).values()) == 4
    assert [r["id"] for r in av.filter_grid(rows, verdict="shared")] == ["repair"]
    assert [r["id"] for r in av.filter_grid(rows, stage="delivery")] == ["pump"]
    assert [r["id"] for r in av.filter_grid(rows, q="REPAIR")] == ["repair"]
    flat = av.grid_table(rows)
    assert len(flat) == 4 and flat.loc[flat["verdict"] == "undetermined", "probability"].isna().all()
    # a mechanism missing from the calibrated table is left out, not shown with made-up states
    assert [r["id"] for r in av.verdict_grid(cat, doc, cal[cal["mechanism"] == "pump"])] == ["pump"]


def test_alterations_are_named_by_their_genes_and_kind() -> None:
    assert av.alteration_label({"genes": ["TP53"], "kind": "mutation"}) == "TP53 mutation"
    assert av.alteration_label({"genes": ["A", "B", "C", "D"], "kind": "copy-number gain"}) == (
        "A, B, C ... copy-number gain"
    )
    assert av.alteration_label({"genes": [], "kind": "copy-number loss"}) == "copy-number loss region"
