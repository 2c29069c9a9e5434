"""The catalog commands end to end through typer's CliRunner, including bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chemorad.catalog import catalog
from chemorad.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_mechanisms_json_lists_every_mechanism_with_stage_therapies_markers_and_doi() -> None:
    res = run("mechanisms", "--format", "json")
    assert res.exit_code == 0, res.output
    records = json.loads(res.stdout)
    assert {r["id"] for r in records} == set(catalog().mechanisms)
    for r in records:
        assert r["stages"] and r["markers"] and r["claims"]
        assert any(ref["doi"] or ref["pmid"] or ref["url"] for ref in r["references"]), r["id"]
        assert set(r) >= {
            "id",
            "name",
            "summary",
            "stages",
            "direction",
            "therapies",
            "markers",
            "claims",
            "effects",
            "evidence",
            "references",
        }


def test_gene_abcb1_names_efflux_and_substrates_only() -> None:
    """Issue: names efflux and the pump-substrate drugs, and not cisplatin, 5-fluorouracil or radiotherapy (any row)."""
    res = run("gene", "ABCB1", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert "efflux_abcb1" in {r["mechanism"] for r in rows}
    touched = {t for r in rows for t in r["therapies"]}
    assert {"paclitaxel", "docetaxel", "doxorubicin", "etoposide", "vincristine"} <= touched
    assert not touched & {"cisplatin", "fluorouracil", "radiotherapy"}


def test_gene_tp53_names_drugs_and_radiotherapy() -> None:
    res = run("gene", "tp53", "--format", "json")  # symbols are case-insensitive
    assert res.exit_code == 0, res.output
    touched = {t for r in json.loads(res.stdout) for t in r["therapies"]}
    # measured effects only: HCT116 p53-/- 5-FU (2.4-fold) and clonogenic radiation (recalled); see mechanisms.yaml
    assert "radiotherapy" in touched and "fluorouracil" in touched


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("gene", "NOTAGENE"), "unknown gene 'NOTAGENE'"),
        (("mechanism", "effflux_abcb1"), "closest: efflux_abcb1"),
        (("mechanisms", "--therapy", "cisplatinn"), "closest: cisplatin"),
        (("mechanisms", "--stage", "digestion"), "unknown stage 'digestion'"),
        (("mechanisms", "--format", "xml"), "--format"),
        (("mechanism", "efflux_abcb1", "--format", "pdf"), "--format must be text or json"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    res = run(*args)
    assert res.exit_code == 2
    assert needle in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["table", "csv", "md", "json"])
def test_every_listing_in_every_format(fmt: str) -> None:
    for cmd in (["mechanisms"], ["therapies"], ["references"], ["mechanisms", "--stage", "repair"]):
        res = run(*cmd, "--format", fmt)
        assert res.exit_code == 0, (cmd, res.output)
        assert res.stdout.strip()


def test_mechanism_card_shows_references() -> None:
    res = run("mechanism", "efflux_abcb1")
    assert res.exit_code == 0, res.output
    assert "References" in res.stdout and "doi:" in res.stdout


def test_filters_combine() -> None:
    res = run("mechanisms", "--therapy", "radiotherapy", "--stage", "repair", "--format", "json")
    ids = {r["id"] for r in json.loads(res.stdout)}
    cat = catalog()
    assert ids and all("radiotherapy" in cat.therapies_for(cat.mechanisms[i]) for i in ids)
    assert all("repair" in [s.value for s in cat.mechanisms[i].stages] for i in ids)


def test_gene_nqo1_is_found_and_says_why_it_is_not_a_marker() -> None:
    """Issue 22: NQO1 is named in bioreductive_activation and in two perturbation entries; it marks no mechanism."""
    res = run("gene", "NQO1", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert not [r for r in rows if r["role"] == "marker"]
    perturbed = [r for r in rows if r["role"].startswith("perturbed")]
    assert perturbed and "nqo1_nih3t3_transfected_mitomycin_c" in perturbed[0]["detail"]
    bio = [r for r in rows if r["mechanism"] == "bioreductive_activation"]
    assert bio and "not a marker because NQO1 transfection" in bio[0]["detail"]


@pytest.mark.parametrize(("symbol", "mechanism"), [("NFKB2", "nfkb_survival_signalling"), ("XRCC3", "hr_repair")])
def test_perturbed_pathway_members_are_named_not_markers(symbol: str, mechanism: str) -> None:
    res = run("gene", symbol, "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r for r in rows if r["mechanism"] == mechanism and "named, not a marker" in r["role"]]


def test_every_perturbed_gene_is_found() -> None:
    from chemorad.catalog.genes import perturbed_symbols

    for p in catalog().perturbations.values():
        for g in perturbed_symbols(p.gene):
            assert run("gene", g, "--format", "json").exit_code == 0, g
