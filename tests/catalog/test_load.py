"""The loader: malformed catalog files give errors naming the file, the entry and the field."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from chemorad.catalog import load_catalog
from chemorad.errors import ChemoradError

SHIPPED = Path(str(resources.files("chemorad") / "catalog" / "data"))


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    for f in SHIPPED.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _edit(path: Path, fn) -> None:
    entries = yaml.safe_load(path.read_text())
    fn(entries)
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_shipped_copy_loads(catalog_dir: Path) -> None:
    cat = load_catalog(catalog_dir)
    assert cat.mechanisms and cat.therapies and cat.references


def test_bad_field_names_file_entry_and_field(catalog_dir: Path) -> None:
    path = catalog_dir / "mechanisms.yaml"
    first = yaml.safe_load(path.read_text())[0]["id"]
    _edit(path, lambda e: e[0].update(stages=["digestion"]))
    with pytest.raises(ChemoradError) as err:
        load_catalog(catalog_dir)
    msg = str(err.value)
    assert "mechanisms.yaml" in msg and repr(first) in msg and "stages" in msg
    assert "\n" not in msg


def test_unknown_key_is_rejected(catalog_dir: Path) -> None:
    _edit(catalog_dir / "therapies.yaml", lambda e: e[1].update(halflife="3 h"))
    with pytest.raises(ChemoradError, match=r"therapies.yaml, entry .*field halflife"):
        load_catalog(catalog_dir)


def test_missing_required_field(catalog_dir: Path) -> None:
    _edit(catalog_dir / "mechanisms.yaml", lambda e: e[2].pop("markers"))
    with pytest.raises(ChemoradError, match=r"field markers: Field required"):
        load_catalog(catalog_dir)


def test_dangling_reference(catalog_dir: Path) -> None:
    _edit(catalog_dir / "mechanisms.yaml", lambda e: e[0]["claims"][0].update(sources=["nobody1999"]))
    with pytest.raises(ChemoradError, match=r"reference 'nobody1999' is not in references.yaml"):
        load_catalog(catalog_dir)


def test_article_needs_doi_or_pmid(catalog_dir: Path) -> None:
    def strip(entries):
        art = next(r for r in entries if r.get("kind", "article") == "article")
        art.pop("doi", None)
        art.pop("pmid", None)
        art.pop("url", None)

    _edit(catalog_dir / "references.yaml", strip)
    with pytest.raises(ChemoradError, match=r"references.yaml, entry .*needs a doi, a pmid or the url"):
        load_catalog(catalog_dir)


def test_duplicate_id(catalog_dir: Path) -> None:
    _edit(catalog_dir / "therapies.yaml", lambda e: e.append(dict(e[0])))
    with pytest.raises(ChemoradError, match=r"duplicate id"):
        load_catalog(catalog_dir)


def test_not_yaml_and_missing_file(catalog_dir: Path) -> None:
    (catalog_dir / "therapies.yaml").write_text("- id: [unclosed\n")
    with pytest.raises(ChemoradError, match=r"therapies.yaml: not valid YAML at line"):
        load_catalog(catalog_dir)
    (catalog_dir / "therapies.yaml").unlink()
    with pytest.raises(ChemoradError, match=r"therapies.yaml not found"):
        load_catalog(catalog_dir)


def test_fold_effect_must_be_positive(catalog_dir: Path) -> None:
    def negate(entries):
        m = next(m for m in entries if any(e["quantity"] == "target_ec50" for e in m.get("effects", [])))
        next(e for e in m["effects"] if e["quantity"] == "target_ec50")["size"] = -2

    _edit(catalog_dir / "mechanisms.yaml", negate)
    with pytest.raises(ChemoradError, match=r"effects\.\d+: Value error, size of a fold quantity"):
        load_catalog(catalog_dir)
