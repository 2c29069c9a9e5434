"""The web explorer in a real browser: every page loads without console errors, the matrix filters, an upload returns a
prediction, a bad upload shows its one-line error, the API returns JSON. Load times are measured in the page
(Navigation Timing) and printed / recorded (`record`), never asserted (they depend on the machine)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _web_helpers import console_errors, get_json, load_seconds, record

from chemorad.bundle import datasets as ds
from chemorad.catalog.load import catalog

PAGES = [
    ("/", "The answer at a glance", "verdict-grid"),
    ("/matrix", "Claims, model and data", "matrix"),
    ("/mechanisms/efflux_abcb1", "ABCB1", "references"),
    ("/genes/ABCB1", "ABCB1", "gene-mechanisms"),
    ("/crossres", "Cross-resistance", "radiation-vs-drug"),
    ("/tumour", "One tumour", "tumour-form"),
    ("/simulations", "Simulations", "runs"),
    ("/runs/hn/run1", "Run", "nav"),
    ("/api", "JSON API", "api-routes"),
]


def _wait(driver, css: str, timeout: float = 600):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


@pytest.mark.parametrize(("path", "title", "element"), PAGES)
def test_every_page_loads_without_console_errors(server, browser, path, title, element) -> None:
    browser.get(server + path)
    assert title in browser.title
    _wait(browser, f"#{element}", 30)
    assert console_errors(browser) == []
    if path in ("/", "/matrix"):
        record(f"{'answer' if path == '/' else 'matrix'}_page_load_s", load_seconds(browser))


def test_matrix_filters_by_stage_therapy_and_verdict(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/matrix")
    table = _wait(browser, "#matrix")
    n_all, cols_all = int(table.get_attribute("data-rows")), int(table.get_attribute("data-cols"))
    assert n_all == len(catalog().mechanisms) and cols_all == len(catalog().therapies)
    Select(browser.find_element(By.NAME, "stage")).select_by_value("delivery")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    _wait(browser, "#matrix")
    deadline = time.time() + 30
    while "stage=delivery" not in browser.current_url and time.time() < deadline:
        time.sleep(0.1)
    rows = browser.find_elements(By.CSS_SELECTOR, "#matrix tbody tr")
    expected = [m.id for m in catalog().mechanisms.values() if "delivery" in {s.value for s in m.stages}]
    assert [r.get_attribute("data-mechanism") for r in rows] == expected
    Select(browser.find_element(By.NAME, "therapy")).select_by_value("radiotherapy")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    deadline = time.time() + 30
    while "therapy=radiotherapy" not in browser.current_url and time.time() < deadline:
        time.sleep(0.1)
    table = _wait(browser, "#matrix")
    assert table.get_attribute("data-cols") == "1"
    cells = browser.find_elements(By.CSS_SELECTOR, "#matrix td.cell")
    assert len(cells) == len(expected) and all("radiotherapy" in c.get_attribute("title") for c in cells)
    browser.get(server + "/matrix?verdict=supported")
    cells = browser.find_elements(By.CSS_SELECTOR, "#matrix td.cell:not(.dim)")
    assert cells and all("evidence: supported" in c.get_attribute("title") for c in cells)
    link = browser.find_element(By.CSS_SELECTOR, "#matrix tbody th a")
    target = link.get_attribute("href")
    link.click()
    _wait(browser, "#card")
    assert browser.current_url == target and console_errors(browser) == []


@pytest.fixture(scope="module")
def patient_files(shared_data, tmp_path_factory) -> dict[str, Path]:
    """A new sample's expression (catalog genes, log2, from a bundle line) and a small MAF."""
    root = tmp_path_factory.mktemp("upload")
    lines = ds.cell_lines(shared_data)
    line = str(lines[(lines["n_datasets"] == lines["n_datasets"].max()) & lines["tissue"].notna()].index[0])
    genes = sorted({mk.gene for m in catalog().mechanisms.values() for mk in m.markers})
    expr = ds.load_expression(data=shared_data)
    table = expr.loc[[line], [g for g in genes if g in expr.columns]].T.rename(columns={line: "PATIENT-1"})
    table.index.name = "Hugo_Symbol"
    table.to_csv(root / "expression.tsv", sep="\t")
    maf = ["Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode", "TP53\tNonsense_Mutation\tPATIENT-1"]
    (root / "mutations.maf").write_text("\n".join(maf) + "\n")
    (root / "bad.maf").write_text("Hugo_Symbol\tVariant_Classification\nTP53\tNonsense_Mutation\n")
    return {"expression": root / "expression.tsv", "maf": root / "mutations.maf", "bad": root / "bad.maf",
            "tissue": str(lines.loc[line, "tissue"])}  # fmt: skip


def _submit_tumour(browser, server, files: dict[str, Path], tissue: str) -> float:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/tumour")
    for name, path in files.items():
        browser.find_element(By.NAME, name).send_keys(str(path))
    Select(browser.find_element(By.NAME, "tissue")).select_by_value(tissue)  # one of the bundle's tissues
    therapies = browser.find_element(By.NAME, "therapies")
    therapies.clear()
    therapies.send_keys("radiotherapy,cisplatin")
    t0 = time.perf_counter()
    browser.find_element(By.ID, "predict").click()
    return t0


def test_upload_maf_and_expression_returns_the_prediction_report(server, browser, patient_files) -> None:
    from selenium.webdriver.common.by import By

    files = {"maf": patient_files["maf"], "expression": patient_files["expression"]}
    t0 = _submit_tumour(browser, server, files, patient_files["tissue"])
    _wait(browser, "article.report #references")
    record("prediction_wall_s", time.perf_counter() - t0)
    record("prediction_page_load_s", load_seconds(browser))
    assert browser.find_element(By.CSS_SELECTOR, "h2.sample").text == "PATIENT-1"
    for section in ("summary", "predictions", "activities", "attributions", "crossres", "coverage", "references"):
        assert browser.find_elements(By.ID, section), section
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#prediction-table th")]
    assert "predicted [90% interval]" in header
    rows = browser.find_elements(By.CSS_SELECTOR, "#prediction-table tbody tr")
    therapies = {tr.find_elements(By.TAG_NAME, "td")[0].text for tr in rows}
    assert therapies == {"radiotherapy", "cisplatin"}
    ok = browser.execute_script("return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert ok and console_errors(browser) == []


def test_bad_upload_shows_its_one_line_error(server, browser, patient_files) -> None:
    from selenium.webdriver.common.by import By

    _submit_tumour(browser, server, {"maf": patient_files["bad"]}, patient_files["tissue"])
    error = _wait(browser, "#error", 120).text
    assert "Tumor_Sample_Barcode" in error and "bad.maf" in error and "\n" not in error
    assert "chemorad-upload" not in error  # the user's file name, not the temporary copy's
    assert browser.find_element(By.ID, "tumour-form")  # the form is back, ready for another try
    assert [m for m in console_errors(browser) if "400" not in m] == []  # the page itself came with status 400


def test_api_returns_valid_json_and_serves_its_schema(server, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/api/matrix?therapy=radiotherapy")
    rows = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert len(rows) == len(catalog().mechanisms) and {r["therapy"] for r in rows} == {"radiotherapy"}
    assert {"claim", "model_rf", "evidence", "agreement"} <= set(rows[0])
    schema = get_json(server + "/api/openapi.json")
    assert {"/api/matrix", "/api/mechanisms/{mid}", "/api/crossres", "/api/predict", "/api/runs"} <= set(
        schema["paths"]
    )
    mech = get_json(server + "/api/mechanisms/efflux_abcb1")
    assert mech["card"]["id"] == "efflux_abcb1" and len(mech["cells"]) == len(catalog().therapies)
    cr = get_json(server + "/api/crossres")
    assert cr and all(-1 <= r["partial_r"] <= 1 for r in cr)


def test_a_simulation_runs_with_progress_and_its_results_show(server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/simulations")
    Select(browser.find_element(By.NAME, "example")).select_by_value("hn_radiotherapy_70gy.yaml")
    browser.find_element(By.NAME, "replicates").send_keys("2")
    browser.find_element(By.CSS_SELECTOR, "#run-scenario button").click()
    _wait(browser, "#job")
    assert "/simulations/" in browser.current_url
    _wait(browser, "#summary", 300)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#summary tbody tr")) == 2
    assert console_errors(browser) == []
