"""The explorer's drug, cell-line, scatter, search and glossary routes, in process on the real data bundle: every route
answers, CSV downloads parse, figures are SVG, unknown names are 404 pages in the page's own words (no server path),
permalinks restore a filtered view, and the numbers shown are the data's."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import pytest
from _asgi import get
from _crawl import crawl, kind
from _web_helpers import model_answer, with_answer

from chemorad.bundle import datasets as ds
from chemorad.context import Context
from chemorad.evidence.curves import fit_lq, sf_columns
from chemorad.web.app import create_app
from chemorad.web.services import Explorer

LINE = "42MGBA"  # in the radiation screen, GDSC, expression and the RadioGx fits; published as 42-MG-BA


@pytest.fixture(scope="module")
def app(shared_data):
    ctx = Context.create(data=shared_data)
    return create_app(with_answer(Explorer(ctx, n_boot=20), *model_answer(ctx)))


PAGES = [
    ("/drugs/", "Drugs and radiation", 'id="drugs"'),
    ("/drugs/cisplatin", "Cisplatin", 'id="mechanisms"'),
    ("/drugs/radiotherapy", "adiotherapy", 'id="tissues"'),
    ("/drugs/cisplatin?response=gdsc1|Cisplatin|auc", "gdsc1|Cisplatin|auc", 'id="tissues"'),
    ("/cell-lines/", "Cell lines", 'id="lines"'),
    (f"/cell-lines/{LINE}", "42-MG-BA", 'class="fit"'),
    ("/scatter", "Scatter", 'id="scatter-form"'),
    ("/scatter?gene=ABCB1&response=docetaxel", "Spearman", 'id="points"'),
    ("/scatter?gene=TP53&kind=mutation", "mutant (n=", 'id="spearman"'),
    ("/search?q=cisplatin", "Cisplatin", 'class="hits"'),
    ("/glossary", "equivalence margin", 'id="glossary"'),
]


@pytest.mark.parametrize(("url", "text", "marker"), PAGES)
def test_every_page_answers_with_its_content(app, url, text, marker) -> None:
    r = get(app, url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert text.lower() in r.text.lower() and marker in r.text


CSVS = [
    ("/drugs.csv", {"name", "id", "class", "datasets", "lines"}),
    ("/drugs/cisplatin/mechanisms.csv", {"name", "mechanism", "rf_oxic", "rf_hypoxic", "strongest"}),
    ("/drugs/cisplatin/datasets.csv", {"dataset", "metric", "lines", "median"}),
    ("/drugs/cisplatin/tissues.csv", {"tissue", "lines", "median", "q25", "q75"}),
    ("/drugs/cisplatin/tests.csv", {"name", "mechanism", "effect_sd", "fdr", "verdict"}),
    ("/cell-lines.csv", {"name", "cell_line", "tissue"}),
    (f"/cell-lines/{LINE}/responses.csv", {"therapy", "value", "tissue_percentile"}),
    (f"/cell-lines/{LINE}/expression.csv", {"gene", "value", "z_all"}),
    (f"/cell-lines/{LINE}/survival.csv", {"dose_gy", "sf", "sf_lq", "sf_radiogx"}),
    ("/scatter.csv?gene=ABCB1&response=docetaxel&tissue=lung", {"cell_line", "tissue", "x", "y"}),
    ("/glossary.csv", {"key", "term", "formula", "source"}),
]


@pytest.mark.parametrize(("url", "columns"), CSVS)
def test_every_table_downloads_as_csv_that_parses(app, url, columns) -> None:
    r = get(app, url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    table = pd.read_csv(io.StringIO(r.text))
    assert len(table) > 0 and columns <= set(table.columns)


@pytest.mark.parametrize(
    "url", ["/drugs/cisplatin/tissues.svg", f"/cell-lines/{LINE}/survival.svg", "/scatter.svg?gene=ABCB1"]
)
def test_every_figure_downloads_as_svg(app, url) -> None:
    r = get(app, url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in r.text and "<title>" in r.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/drugs/nodrug", "unknown drug &#39;nodrug&#39;"),
        ("/drugs/cisplatn", "closest: "),
        ("/drugs/nodrug/tissues.csv", "unknown drug"),
        ("/drugs/cisplatin?response=gdsc2|Docetaxel|auc", "not a response of Cisplatin"),
        ("/cell-lines/NOSUCHLINE", "unknown cell line &#39;NOSUCHLINE&#39;"),
        (f"/cell-lines/{LINE}/nothing.csv", "table &#39;nothing&#39;: expected one of"),
        ("/scatter?gene=NOSUCHGENE", "unknown gene &#39;NOSUCHGENE&#39;"),
        ("/scatter?gene=ABCB1&tissue=mars", "unknown tissue &#39;mars&#39;"),
        ("/scatter?gene=ABCB1&response=nodrug", "unknown response &#39;nodrug&#39;"),
    ],
)
def test_unknown_names_are_404_pages_in_their_own_words(app, shared_data, url, message) -> None:
    r = get(app, url)
    assert r.status_code == 404 and message in r.text
    assert str(shared_data) not in r.text and "Traceback" not in r.text and str(shared_data.parent) not in r.text
    assert '<nav id="nav">' in r.text  # the site's page, with its navigation, not a bare error


def test_json_twins_say_404_for_unknown_names(app) -> None:
    for url in ("/api/drugs/nodrug", "/api/cell-lines/NOSUCHLINE"):
        r = get(app, url)
        assert r.status_code == 404 and r.json()["error"].startswith("unknown")


def test_any_spelling_of_a_line_redirects_to_its_page(app) -> None:
    r = get(app, "/cell-lines/42-MG-BA")
    assert r.status_code == 307 and r.headers["location"] == f"/cell-lines/{LINE}"


def test_drug_json_carries_the_chain_rf_and_the_data(app, shared_data) -> None:
    d = get(app, "/api/drugs/cisplatin").json()
    assert d["class"] and d["response"] == "gdsc2|Cisplatin|ln_ic50"  # GDSC2 preferred, ln IC50 primary
    assert all(m["strongest"] >= 1.2 or m["strongest"] <= 1 / 1.2 for m in d["mechanisms"])
    assert {x["dataset"] for x in d["datasets"]} == {"GDSC1", "GDSC2"}
    long = ds.load_gdsc_response("gdsc2", shared_data)
    measured = long[long["drug"] == "Cisplatin"].index.unique()
    assert sum(t["lines"] for t in d["tissues"]) <= len(measured)
    assert all(t["q25"] <= t["median"] <= t["q75"] for t in d["tissues"])


def test_cell_line_json_matches_the_screen_and_the_lq_fit(app, shared_data) -> None:
    d = get(app, f"/api/cell-lines/{LINE}").json()
    assert d["name"] == "42-MG-BA" and d["tissue"] == "central_nervous_system"
    yard = ds.load_yard(shared_data)
    doses, cols = sf_columns(yard)
    fit = fit_lq(doses, yard.loc[[LINE], cols]).iloc[0]
    assert d["lq_fit"]["alpha"] == pytest.approx(fit["alpha"], rel=1e-5)
    assert d["lq_fit"]["beta"] == pytest.approx(fit["beta"], rel=1e-5)
    assert [p["sf"] for p in d["survival"]] == pytest.approx(yard.loc[LINE, cols].to_numpy(dtype=float), rel=1e-5)
    pct = np.array([r["tissue_percentile"] for r in d["responses"]])
    assert len(pct) and ((pct > 0) & (pct < 100)).all()
    rad = [r for r in d["responses"] if r["id"] == "radiotherapy" and r["metric"] == "auc"]
    assert rad and rad[0]["value"] == pytest.approx(yard.loc[LINE, "auc_yard"], rel=1e-5)


def test_a_scatter_permalink_restores_its_filtered_view(app) -> None:
    url = "/scatter?gene=TP53&kind=mutation&response=cisplatin&tissue=lung&tissue=breast"
    page = get(app, url).text
    assert '<option value="lung" selected>' in page and '<option value="breast" selected>' in page
    assert 'value="mutation" selected' in page and 'value="gdsc2|Cisplatin|ln_ic50" selected' in page
    permalink = page.split('id="permalink" href="')[1].split('"')[0].replace("&amp;", "&")
    again = get(app, permalink).text
    assert again.count('class="pt"') == page.count('class="pt"') > 0
    table = pd.read_csv(io.StringIO(get(app, permalink.replace("/scatter?", "/scatter.csv?")).text))
    assert set(table["tissue"]) == {"lung", "breast"} and set(table["x"]) <= {0, 1}
    assert f"n = {len(table)} lines" in page


def test_search_finds_drugs_genes_mechanisms_and_lines_by_any_spelling(app) -> None:
    first = {q: get(app, f"/api/search?q={q}").json()[0] for q in ("cisplatin", "abcb1", "42-MG-BA", "Hypoxia")}
    assert (first["cisplatin"]["kind"], first["cisplatin"]["href"]) == ("drug", "/drugs/cisplatin")
    assert (first["abcb1"]["kind"], first["abcb1"]["href"]) == ("gene", "/genes/ABCB1")
    assert first["42-MG-BA"]["href"] == f"/cell-lines/{LINE}"
    assert first["Hypoxia"]["kind"] == "mechanism"
    assert get(app, "/api/search?q=").json() == []


#: a two-row stand-in for the cross-resistance table (the real one, minutes of bootstrap, is the browser tests')
CROSSRES = pd.DataFrame(
    {
        "therapy_a": ["radiotherapy"] * 2,
        "therapy_b": ["cisplatin", "docetaxel"],
        "response_a": ["yard|radiotherapy|auc"] * 2,
        "response_b": ["gdsc2|Cisplatin|ln_ic50", "gdsc2|Docetaxel|ln_ic50"],
        "dataset": ["gdsc2"] * 2,
        "n": [300, 310],
        "partial_r": [0.3, -0.1],
        "p_value": [1e-4, 0.2],
        "ci_low": [0.2, -0.2],
        "ci_high": [0.4, 0.0],
        "fdr": [1e-3, 0.3],
        "explained_by": ["hr_repair", ""],
    }
)


#: the in-suite crawl's bundle subset (the complete crawl, every link of the whole bundle, is
#: benchmarks/bench_web_crawl.py: about 6,400 URLs, minutes): the cell lines of one tissue (head and neck, 42 lines)
#: and the scatters of the marker genes of three mechanisms; every other link is followed
SUBSET_TISSUE = "upper_aerodigestive_tract"
SUBSET_MECHANISMS = ("efflux_abcb1", "hr_repair", "tp53_pathway_loss")


def in_subset(lines: set[str], genes: set[str]) -> Callable[[str], bool]:
    """Whether the crawl follows `link`: a cell line's pages only for `lines`, a scatter only for `genes`."""

    def follow(link: str) -> bool:
        path, _, query = link.partition("#")[0].partition("?")
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            parts = parts[1:] or [""]
        if parts[0] == "cell-lines" and len(parts) > 1:
            return parts[1] in lines
        if parts[0] in ("scatter", "scatter.csv", "scatter.svg") and query:
            return all(g in genes for g in parse_qs(query).get("gene", []))
        return True

    return follow


def test_a_crawl_of_a_bundle_subset_finds_every_link_answering_and_every_anchor(app, shared_data, monkeypatch) -> None:
    """Breadth-first from /, every internal link found is fetched once (`_crawl.crawl`), except the cell lines outside
    `SUBSET_TISSUE` and the scatters of genes outside `SUBSET_MECHANISMS`' markers: each answers 200 (a redirect
    followed once), and every `#anchor` of a link and every in-page `#anchor` is an element id of its page. The
    cross-resistance page shows `CROSSRES` here."""
    monkeypatch.setattr(app.state.explorer, "crossres", lambda: CROSSRES)
    tissue = ds.cell_lines(shared_data)["tissue"]
    lines = set(tissue.index[tissue == SUBSET_TISSUE])
    cat = app.state.explorer.cat
    genes = {mk.gene for m in SUBSET_MECHANISMS for mk in cat.mechanisms[m].markers}
    found = crawl(app, in_subset(lines, genes))
    assert found.bad == []
    kinds = {kind(p).split("/")[0] for p in found.pages}
    assert {
        "",
        "matrix",
        "mechanisms",
        "alterations",
        "answer.csv",
        "drugs",
        "cell-lines",
        "scatter",
        "glossary",
    } <= kinds
    fetched_lines = {p.split("/")[2] for p in found.pages if p.startswith("/cell-lines/") and p.count("/") >= 2}
    assert fetched_lines - {""} == lines  # every line of the tissue is linked (from /cell-lines/) and fetched
    assert {f"/scatter?gene={g}" for g in genes} & set(found.pages)
    skipped = {link.partition("#")[0] for link in found.links} - set(found.pages)
    assert all(not in_subset(lines, genes)(link) for link in skipped)  # nothing else was left out


def test_the_api_page_links_only_what_a_plain_get_answers(app) -> None:
    page = get(app, "/api").text
    assert 'href="/api/conditional"' not in page and "/api/conditional?observed=&hellip;" in page
    assert 'href="/api/answer"' in page and 'href="/api/drugs/{name}"' not in page
