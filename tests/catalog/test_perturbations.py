"""The perturbation table: schema validated at load, sources traceable, cross-checked against the catalog."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chemorad.catalog import catalog, load_catalog
from chemorad.catalog.perturbations import read_perturbations
from chemorad.cli.app import app
from chemorad.errors import ChemoradError

SHIPPED = Path(str(resources.files("chemorad") / "catalog" / "data"))
CAT = catalog()


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    for f in SHIPPED.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _edit(path: Path, fn) -> None:
    entries = yaml.safe_load(path.read_text())
    fn(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_shipped_table_meets_the_issue_counts() -> None:
    """Issue 12: >= 80 entries, >= 25 radiation, >= 40 drugs, >= 40 read (not recalled)."""
    p = list(CAT.perturbations.values())
    assert len(p) >= 80
    assert sum(x.therapy_as_published == "radiotherapy" for x in p) >= 25
    assert sum(x.therapy_as_published != "radiotherapy" for x in p) >= 40
    assert sum(x.obtained == "read" for x in p) >= 40


def test_every_read_value_says_where_it_was_read() -> None:
    for p in CAT.perturbations.values():
        assert p.source.doi or p.source.pmid or p.read_from, p.id
        if p.obtained == "read":
            assert p.read_from and p.quote, p.id


def test_read_value_without_address_is_refused(catalog_dir: Path) -> None:
    path = catalog_dir / "perturbations.yaml"
    first = yaml.safe_load(path.read_text())[0]
    first_id = first["id"]

    def strip(entries):
        entries[0].update(obtained="read", read_from=None)

    _edit(path, strip)
    with pytest.raises(ChemoradError, match=rf"perturbations.yaml, entry '{first_id}'.*read_from"):
        load_catalog(catalog_dir)


def test_bad_metric_names_entry_and_field(catalog_dir: Path) -> None:
    path = catalog_dir / "perturbations.yaml"
    _edit(path, lambda e: e[0].update(metric="lethal_dose"))
    with pytest.raises(ChemoradError, match=r"field metric"):
        read_perturbations(path)


def test_unknown_mechanism_is_refused(catalog_dir: Path) -> None:
    path = catalog_dir / "perturbations.yaml"
    _edit(path, lambda e: e[0].update(mechanism="telepathy"))
    with pytest.raises(ChemoradError, match=r"field mechanism: unknown mechanism 'telepathy'"):
        load_catalog(catalog_dir)


def test_effect_sizes_name_existing_entries(catalog_dir: Path) -> None:
    used = next(pid for m in CAT.mechanisms.values() for e in m.effects for pid in e.from_perturbations)
    _edit(catalog_dir / "perturbations.yaml", lambda e: e.__setitem__(slice(None), [x for x in e if x["id"] != used]))
    with pytest.raises(ChemoradError, match=rf"from_perturbations: '{used}' is not in perturbations.yaml"):
        load_catalog(catalog_dir)


def test_duplicate_id_is_refused(catalog_dir: Path) -> None:
    path = catalog_dir / "perturbations.yaml"
    _edit(path, lambda e: e.append(dict(e[0])))
    with pytest.raises(ChemoradError, match="duplicate id"):
        read_perturbations(path)


def test_cli_lists_read_and_recalled() -> None:
    res = CliRunner().invoke(app, ["perturbations", "-f", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert len(recs) == len(CAT.perturbations)
    assert {r["obtained"] for r in recs} <= {"read", "recalled"}
    only = json.loads(CliRunner().invoke(app, ["perturbations", "--obtained", "recalled", "-f", "json"]).stdout)
    assert only and all(r["obtained"] == "recalled" for r in only)


def test_cli_check_reports_model_next_to_measured() -> None:
    res = CliRunner().invoke(app, ["perturbations", "--check", "-f", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    keys = {"mechanism", "therapy", "measured", "model", "ratio", "within_2_fold"}
    assert all(keys <= set(r) for r in out["results"])
    assert set(out["summary"]) == {"radiation", "drug"}
    assert any(line.startswith("radiation: ") and "reproduced within 2-fold" in line for line in out["summary_lines"])
    for r in out["results"]:
        if r["model"] is not None:
            assert r["ratio"] == pytest.approx(r["model"] / r["measured"])
            assert r["within_2_fold"] == (0.5 <= r["ratio"] <= 2.0)


def test_cli_check_table_output_ends_with_the_summary() -> None:
    res = CliRunner().invoke(app, ["perturbations", "--check", "-f", "csv"])
    assert res.exit_code == 0, res.output
    tail = res.stdout.strip().splitlines()[-2:]
    assert tail[0].startswith("radiation: ") and tail[1].startswith("drug: ")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["perturbations", "--obtained", "guessed"], "--obtained"),
        (["perturbations", "--table", "/nonexistent/p.yaml"], "/nonexistent/p.yaml"),
    ],
)
def test_cli_bad_inputs_are_one_line_errors(args: list[str], needle: str) -> None:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_cli_malformed_table_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("- id: x\n  value: -3\n")
    res = CliRunner().invoke(app, ["perturbations", "--table", str(bad)])
    assert res.exit_code == 2 and "p.yaml" in res.stderr and len(res.stderr.strip().splitlines()) == 1
