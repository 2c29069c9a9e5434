"""The answer document on synthetic cell-line inputs: planted calls reach the document, every number in the Markdown
links to a source, the JSON rides in the versioned KB export, the HTML renders in headless Chromium."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog import catalog
from chemorad.evidence.alterations import alteration_features, general_factor
from chemorad.evidence.associations import covariate_design
from chemorad.evidence.kb import kb_export
from chemorad.evidence.kb_models import KB_SCHEMA_VERSION
from chemorad.report.answer_doc import compute_answer
from chemorad.report.answer_render import NUMBER, answer_html, answer_markdown

DRUGS = ["cisplatin", "doxorubicin", "paclitaxel", "gemcitabine"]


def synthetic_inputs(seed: int = 0, n: int = 400) -> dict:
    """Bundle-like inputs: TP53_mut planted cross-resistant (radiation and cisplatin +0.5), KEAP1_mut planted
    radiotherapy-only (+0.5), 20 null mutations, mechanism scores for three catalog mechanisms; SEM 0.4 (margin 0.1)."""
    cat = catalog()
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"L{i}" for i in range(n)])
    tissue = pd.Series(rng.choice(["lung", "breast", "skin"], n), index=idx)
    genomic = pd.DataFrame(
        (rng.random((n, 20)) < 0.15).astype(float), index=idx, columns=[f"G{i}_mut" for i in range(20)]
    )
    genomic["TP53_mut"] = (rng.random(n) < 0.2).astype(float)
    genomic["KEAP1_mut"] = (rng.random(n) < 0.2).astype(float)
    X, meta = alteration_features(genomic)
    rad = cat.radiotherapy.id
    resp, therapy_of = {}, {}
    for t in [rad, *DRUGS]:
        for ds in ["yard"] if t == rad else ["gdsc1", "gdsc2"]:
            y = rng.normal(0, 0.2, n) + tissue.map({"lung": 0.2, "breast": 0.0, "skin": -0.2}).to_numpy()
            if t in (rad, "cisplatin"):
                y += 0.5 * genomic["TP53_mut"].to_numpy()
            if t == rad:
                y += 0.5 * genomic["KEAP1_mut"].to_numpy()
            col = f"{ds}|{t}|{'auc' if ds == 'yard' else 'ln_ic50'}"
            resp[col], therapy_of[col] = y, t
    resp = pd.DataFrame(resp, index=idx)
    mechs = list(cat.mechanisms)[:3]
    scores = pd.DataFrame(rng.normal(size=(n, 3)), index=idx, columns=mechs)
    sem = pd.Series(0.4, index=resp.columns)
    noise = pd.DataFrame(
        {"therapy": pd.Series(therapy_of), "rho": 0.5, "noise_source": "synthetic", "sd": resp.std(), "sem": sem}
    )
    noise.index.name = "response"
    return {
        "X": X,
        "meta": meta,
        "resp": resp,
        "therapy_of": therapy_of,
        "cov": covariate_design(tissue),
        "sem": sem,
        "noise": noise,
        "general": general_factor(resp, therapy_of, tissue, pool=set(DRUGS)),
        "scores": scores,
        "n_lines": n,
    }


@pytest.fixture(scope="module")
def doc() -> dict:
    return compute_answer(catalog(), None, posterior=False, inputs=synthetic_inputs())


@pytest.fixture(scope="module")
def doc_no_data() -> dict:
    return compute_answer(catalog(), None, posterior=False)


def unlinked_numbers(md: str) -> list[str]:
    """Numbers left once every Markdown link and every HTML tag is removed."""
    text = re.sub(r"\[[^\]]*\]\([^)]*\)", "", md)
    text = re.sub(r"<[^>]+>", "", text)
    return [m.group() for m in NUMBER.finditer(text)]


def test_planted_calls_reach_the_document(doc):
    by = {a["alteration"]: a for a in doc["alterations"]}
    assert by["TP53_mut"]["call"] == "cross-resistant" and by["TP53_mut"]["drugs_resistant"] == ["cisplatin"]
    assert by["KEAP1_mut"]["call"] == "radiotherapy-only"
    # the explanation goes through the catalog's markers of the alteration's gene
    assert any(m["gene"] == "TP53" for m in by["TP53_mut"]["explanation"]["mechanisms"])
    assert doc["counts"]["calls"]["cross-resistant"] >= 1


@pytest.mark.parametrize("which", ["doc", "doc_no_data"])
def test_every_number_in_the_markdown_links_to_a_source(which, request):
    md = answer_markdown(request.getfixturevalue(which))
    assert unlinked_numbers(md) == []
    assert len(re.findall(r"\]\((?:#|https://)", md)) > 50


def test_the_link_check_catches_a_bare_number():
    assert unlinked_numbers("effect [0.5](#t-x) on 12 lines, TP53 in gdsc2") == ["12"]


def test_cited_tests_have_anchors(doc):
    md = answer_markdown(doc)
    targets = set(re.findall(r"\]\(#(t-[a-z0-9-]+)\)", md))
    anchors = set(re.findall(r'<a id="(t-[a-z0-9-]+)"></a>', md))
    assert targets and targets <= anchors


def test_missing_data_is_said_on_the_first_line(doc_no_data):
    md = answer_markdown(doc_no_data)
    assert md.splitlines()[0].startswith("**The data part is missing**")
    assert doc_no_data["alterations"] == [] and doc_no_data["counts"]["mechanism_verdicts"] > 0


def test_mechanism_rows_cover_gain_and_loss_sorted_by_decidedness(doc_no_data):
    rows = doc_no_data["mechanisms"]
    assert {r["direction"] for r in rows} == {"gain", "loss"}
    score = [r["decidedness"] for r in rows]
    assert all(isinstance(x, float) for x in score)  # a loss row has no probability: its score is still a number
    assert score == sorted(score, reverse=True)


def test_json_rides_in_the_versioned_kb_export(doc):
    out = kb_export([], answer=doc)
    assert out["schema_version"] == KB_SCHEMA_VERSION and out["answer"]["counts"] == doc["counts"]
    assert "answer" not in kb_export([])
    json.dumps(out, allow_nan=False)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian chromium through its chromedriver (as tests/web does); skipped when either is missing."""
    import shutil
    from pathlib import Path

    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium or chromedriver not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={Path(tmp_path_factory.mktemp('chromium-profile'))}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def test_html_renders_in_headless_chromium_without_console_errors(doc, tmp_path, browser):
    path = tmp_path / "answer.html"
    path.write_text(answer_html(doc), encoding="utf-8")
    browser.get(path.as_uri())
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert browser.find_element("css selector", "h1").text.startswith("The answer")


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ({"radiotherapy": "resistant", "cisplatin": "resistant", "docetaxel": "no effect"}, "shared"),
        ({"radiotherapy": "sensitive", "cisplatin": "no effect", "docetaxel": "no effect"}, "radiotherapy_only"),
        ({"radiotherapy": "resistant", "cisplatin": "inconclusive", "docetaxel": "no effect"}, "undetermined"),
        ({"radiotherapy": "no effect", "cisplatin": "sensitive", "docetaxel": "inconclusive"}, "chemotherapy_only"),
        ({"radiotherapy": "no effect", "cisplatin": "no effect"}, "none"),
        ({"radiotherapy": "inconclusive", "cisplatin": "resistant"}, "undetermined"),
    ],
)
def test_data_verdict_rules(calls, expected):
    from chemorad.report.answer_doc import data_verdict

    assert data_verdict(calls, "radiotherapy") == expected


def test_final_verdict_rules():
    from chemorad.report.answer_doc import _final

    assert _final("chemotherapy_only", "chemotherapy_only", 0.95)[:2] == ("chemotherapy_only", "model and data agree")
    assert _final("shared", "radiotherapy_only", 0.95)[0] == "undetermined"
    assert _final("shared", "undetermined", 0.5)[0] == "undetermined"
    assert _final("shared", "undetermined", None)[:2] == ("shared", "model alone")
    # agreement ranks above the model alone, which ranks above a disagreement
    assert (
        _final("shared", "shared", 0.5)[2] > _final("shared", "undetermined", 1.0)[2] > _final("shared", "none", 1)[2]
    )
