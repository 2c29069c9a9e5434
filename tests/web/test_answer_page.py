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

from chemorad.app.answer import calibrated_verdicts
from chemorad.context import Context
from chemorad.report import answer_view as av
from chemorad.web.app import create_app
from chemorad.web.services import Explorer

PLANTED = {
    "alteration": "expr_high:ABCB1",
    "kind": "expression high",
    "genes": ["ABCB1"],
    "n_altered": 40,
    "radiation": "inconclusive",
    "call": "drug effect, radiation undecided",
    "call_without_general_factor": "undecided",
    "drugs_resistant": ["docetaxel"],
    "drugs_sensitive": [],
    "drugs_no_effect": ["cisplatin"],
    "drugs_inconclusive": [],
    "radiation_altered_needed": 35.0,
    "tests": {
        t: {
            "call": c,
            "response": f"x|{t}|auc",
            "dataset": "gdsc2",
            "effect": e,
            "effect_sd": e,
            "ci_low": e - 0.1,
            "ci_high": e + 0.1,
            "margin": 0.05,
            "q": q,
            "n": 300,
        }
        for t, c, e, q in (
            ("radiotherapy", "inconclusive", 0.02, 0.5),
            ("docetaxel", "resistant", 0.8, 0.001),
            ("cisplatin", "no effect", 0.0, 0.01),
        )
    },  # fmt: skip
    "explanation": {
        "mechanisms": [{"mechanism": "efflux_abcb1", "gene": "ABCB1", "marker": "overexpression", "change": 1}],
        "predicted_rf": {"radiotherapy": 1.0, "docetaxel": 3.5, "cisplatin": 1.0},
        "predicted_call": {"radiotherapy": "no effect", "docetaxel": "resistant", "cisplatin": "no effect"},
        "model_predicts": {"agree": 1, "decided": 1},
        "share_explained_radiation": None,
        "perturbations": [],
    },
}
UNDECIDED = {**PLANTED, "alteration": "TP53_mut", "kind": "mutation", "genes": ["TP53"], "call": "undecided"}


@pytest.fixture(scope="module")
def tables():
    from chemorad.report import answer_doc

    ctx = Context.create()
    cal = calibrated_verdicts(ctx)
    mp = pytest.MonkeyPatch()  # the answer takes the same calibrated table instead of computing it again
    mp.setattr(answer_doc, "_posterior_table", lambda cat: cal.set_index(["mechanism", "direction"]))
    doc = answer_doc.compute_answer(ctx.catalog, None)
    mp.undo()
    doc["alterations"] = [PLANTED, UNDECIDED]
    return ctx, doc, cal


@pytest.fixture(scope="module")
def app(tables):
    ctx, doc, cal = tables
    ex = Explorer(ctx, n_boot=20)
    ex.answer_doc, ex.calibrated = (lambda: doc), (lambda: cal)
    return create_app(ex)


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
