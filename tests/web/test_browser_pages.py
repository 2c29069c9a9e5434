"""The drug, cell-line and scatter pages in a real browser (Debian chromium through Selenium, a real `chemorad serve`):
a drug page with its sortable tables, a cell-line page with its survival curve, a scatter whose tissue filter works
(arrow keys do not reload, the button applies), a CSV download that parses, and a permalink that restores the filtered
view. Load times are recorded, never asserted."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from _web_helpers import console_errors, load_seconds, record

LINE = "42MGBA"


def _wait(driver, css: str, timeout: float = 120):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _column(browser, table: str, index: int) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        tr.find_elements(By.TAG_NAME, "td")[index].text
        for tr in browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    ]


def test_a_drug_page_shows_mechanisms_tissues_and_sorts_its_tables(server, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/drugs/cisplatin")
    _wait(browser, "#tissues")
    record("drug_page_load_s", load_seconds(browser))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Cisplatin"
    assert browser.find_elements(By.CSS_SELECTOR, "#mechanisms tbody tr")
    assert browser.find_elements(By.CSS_SELECTOR, "#drug-tissues svg rect.iqr")
    header = browser.find_elements(By.CSS_SELECTOR, "#tissues thead th")
    lines_col = [h.text for h in header].index("lines")
    button = header[lines_col].find_element(By.CSS_SELECTOR, "button.sort")
    button.click()
    values = [int(v) for v in _column(browser, "tissues", lines_col)]
    assert values == sorted(values) and header[lines_col].get_attribute("aria-sort") == "ascending"
    button.click()
    values = [int(v) for v in _column(browser, "tissues", lines_col)]
    assert values == sorted(values, reverse=True)
    link = browser.find_element(By.CSS_SELECTOR, "#mechanisms tbody tr a")
    target = link.get_attribute("href")
    link.click()
    _wait(browser, "#card")
    assert browser.current_url == target and console_errors(browser) == []


def test_a_cell_line_page_shows_its_survival_curve_with_the_lq_fits(server, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/cell-lines/42-MG-BA")  # a published spelling: redirected to the line's page
    _wait(browser, "#line-survival svg")
    record("cell_line_page_load_s", load_seconds(browser))
    assert browser.current_url.endswith(f"/cell-lines/{LINE}")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("42-MG-BA")
    svg = browser.find_element(By.CSS_SELECTOR, "#line-survival svg")
    assert len(svg.find_elements(By.CSS_SELECTOR, "polyline.fit")) == 2  # chemorad's and RadioGx's fits
    assert len(svg.find_elements(By.CSS_SELECTOR, "circle.pt")) == 8  # Yard's 8 doses
    assert "LQ fit (chemorad)" in svg.text and "measured" in svg.text
    assert browser.find_elements(By.CSS_SELECTOR, "#responses tbody tr")
    assert "central_nervous_system" in browser.find_element(By.ID, "line-card").text
    assert console_errors(browser) == []


def _points(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    return [p.get_attribute("data-tissue") for p in browser.find_elements(By.CSS_SELECTOR, "#scatter-figure .pt")]


def test_scatter_tissue_filter_csv_download_and_permalink(server, browser, tmp_path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/scatter?gene=ABCB1&response=docetaxel")
    _wait(browser, "#scatter-figure svg")
    every = _points(browser)
    assert len(set(every)) > 5
    url = browser.current_url
    select = browser.find_element(By.ID, "tissue-filter")
    select.send_keys(Keys.ARROW_DOWN)  # choosing with the keyboard does not reload the page
    time.sleep(0.5)
    assert browser.current_url == url
    Select(select).deselect_all()
    Select(select).select_by_value("lung")
    browser.find_element(By.ID, "apply").click()
    deadline = time.time() + 60
    while "tissue=lung" not in browser.current_url and time.time() < deadline:
        time.sleep(0.1)
    _wait(browser, "#scatter-figure svg")
    lung = _points(browser)
    assert lung and set(lung) == {"lung"} and len(lung) == every.count("lung")
    assert "tissues: lung" in browser.find_element(By.ID, "spearman").text

    # the CSV link downloads a file that parses, with the filtered rows
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.find_element(By.CSS_SELECTOR, "#scatter a.csv").click()
    deadline = time.time() + 30
    while not [p for p in Path(tmp_path).glob("*.csv")] and time.time() < deadline:
        time.sleep(0.2)
    (path,) = Path(tmp_path).glob("*.csv")
    table = pd.read_csv(path)
    assert len(table) == len(lung) and set(table["tissue"]) == {"lung"} and {"cell_line", "x", "y"} <= set(table)

    # the permalink restores the filtered view in a fresh load
    permalink = browser.find_element(By.ID, "permalink").get_attribute("href")
    browser.get("about:blank")
    browser.get(permalink)
    _wait(browser, "#scatter-figure svg")
    chosen = [
        o.get_attribute("value") for o in Select(browser.find_element(By.ID, "tissue-filter")).all_selected_options
    ]
    assert chosen == ["lung"] and _points(browser) == lung
    assert browser.find_element(By.NAME, "gene").get_attribute("value") == "ABCB1"
    assert console_errors(browser) == []
