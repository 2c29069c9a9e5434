"""The knowledge base: grading rules, directions, and the export validated against its versioned JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog import catalog
from chemorad.evidence.kb import (
    TSV_COLUMNS,
    build_records,
    evidence_level,
    kb_export,
    kb_jsonld,
    knowledge_base,
    records_table,
    therapy_named,
)
from chemorad.evidence.kb_models import KB_SCHEMA_VERSION, json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "src" / "chemorad" / "evidence" / "kb_schema.json"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "kb.md"


def _validate(value, schema: dict, root: dict, where: str = "$") -> None:
    """A JSON-Schema check of the subset the schema uses: $ref, anyOf, type, enum, const, properties, required,
    additionalProperties, items. Raises AssertionError naming the path of the first violation."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return _validate(value, root["$defs"][name], root, where)
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                return _validate(value, option, root, where)
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: matches no option ({errors})")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "number": (int, float),
        "integer": int,
        "boolean": bool,
        "null": type(None),
    }
    if "type" in schema:
        expected = types[schema["type"]]
        ok = isinstance(value, expected) and not (schema["type"] in ("number", "integer") and isinstance(value, bool))
        assert ok, f"{where}: expected {schema['type']}, got {type(value).__name__}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: expected {schema['const']!r}"
    if isinstance(value, dict) and schema.get("type") == "object":
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key!r}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(props)
            assert not extra, f"{where}: unexpected {sorted(extra)}"
        for key, sub in props.items():
            if key in value:
                _validate(value[key], sub, root, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _validate(item, schema["items"], root, f"{where}[{i}]")


def test_shipped_schema_is_the_models_schema_and_versioned() -> None:
    shipped = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(json_schema()))
    assert shipped["version"] == KB_SCHEMA_VERSION and KB_SCHEMA_VERSION.count(".") == 2


def test_validator_rejects_a_bad_record() -> None:
    schema = json_schema()
    doc = {"schema_version": "1", "generator": "x", "data_sources": [], "grading": {}, "records": [{"id": "x"}]}
    with pytest.raises(AssertionError, match="missing"):
        _validate(doc, schema, schema)


def test_evidence_levels() -> None:
    assert evidence_level("glioblastoma patients randomised to radiotherapy with or without temozolomide", True) == "B"
    assert evidence_level("relapse biopsy of a gefitinib-responsive NSCLC", True) == "C"
    assert evidence_level("fibroblasts from ataxia-telangiectasia patients", True) == "D"
    assert evidence_level("doxorubicin-resistant MCF-7 cells", True) == "D"
    assert evidence_level("review of breast cancer drug resistance", True) == "E"
    assert evidence_level("doxorubicin-resistant MCF-7 cells", False) == "E"  # another therapy: indirect
    cat = catalog()
    assert therapy_named("MCF10A cells, Ku70 shRNA, 6 MV X-rays", cat, "radiotherapy")
    assert therapy_named("docetaxel-resistant lung adenocarcinoma cells", cat, "docetaxel")
    assert not therapy_named("docetaxel-resistant lung adenocarcinoma cells", cat, "cisplatin")


def _fake_tests(rows: list[dict]) -> pd.DataFrame:
    base = {
        "primary": True,
        "effect": 0.5,
        "ci_low": 0.3,
        "ci_high": 0.7,
        "margin": 0.1,
        "n": 300,
        "fdr": 0.001,
        "q_pos": 0.001,
        "q_neg": 1.0,
        "q_eq": 1.0,
        "n_to_decide": np.nan,
        "compound": "X",
        "metric": "ln_ic50",
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_collateral_sensitivity_is_a_direction() -> None:
    """A resistance mechanism whose score goes with sensitivity to an unlinked drug (decided beyond the margin) gets a
    data record with direction collateral_sensitivity; ABCB1 and cisplatin (not a substrate) have no catalog link."""
    cat = catalog()
    assert "cisplatin" not in cat.therapies_for(cat.mechanism("efflux_abcb1"))
    tests = _fake_tests(
        [
            {
                "mechanism": "efflux_abcb1",
                "therapy": "cisplatin",
                "dataset": "gdsc2",
                "conclusion": "negative",
                "effect": -0.5,
                "ci_low": -0.7,
                "ci_high": -0.3,
                "q_pos": 1.0,
                "q_neg": 0.001,
            },
            {"mechanism": "efflux_abcb1", "therapy": "paclitaxel", "dataset": "gdsc2", "conclusion": "positive"},
        ]
    )
    empty = tests.iloc[:0]
    cov = pd.DataFrame(columns=["mechanism", "gene", "alteration", "feature"])
    recs = build_records(cat, tests, empty, cov)
    by_id = {r["id"]: r for r in recs}
    col = by_id["mechanism:efflux_abcb1|cisplatin|collateral_sensitivity"]
    assert col["basis"] == "cell-line data" and col["cell_line_verdict"] == "supported"
    assert col["evidence_grade"] == "D"
    pac = by_id["mechanism:efflux_abcb1|paclitaxel|resistance"]
    assert pac["basis"] == "catalog" and pac["cell_line_verdict"] == "supported"
    assert by_id["mechanism:efflux_abcb1|radiotherapy|no_effect"]["basis"] == "catalog claim"


@pytest.fixture(scope="module")
def export(shared_data, bundle_tables):
    return kb_export(knowledge_base(catalog(), shared_data, tables=bundle_tables))


def test_export_validates_against_the_schema(export) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    _validate(json.loads(json.dumps(export, allow_nan=False)), schema, schema)
    ld = kb_jsonld(export)
    assert "@context" in ld and all(r["id"].startswith("https://") for r in ld["records"])


def test_export_covers_radiotherapy_with_cell_line_evidence(export) -> None:
    recs = export["records"]
    rad = [r for r in recs if r["therapy"] == "radiotherapy"]
    assert {r["entity_type"] for r in rad} == {"mechanism", "marker"}
    tested = [r for r in rad if r["cell_line_tests"]]
    assert tested and all(t["dataset"] == "yard" for r in tested for t in r["cell_line_tests"])
    metrics = {t["metric"] for r in tested for t in r["cell_line_tests"]}
    assert {"auc", "sf_2gy", "neg_alpha"} <= metrics  # radiation at full resolution
    assert len({r["id"] for r in recs}) == len(recs)
    assert all(r["amp_tier"] in (None, "II") for r in recs)
    assert all((r["amp_tier"] == "II") == (r["evidence_grade"] in ("B", "C")) for r in recs)


def test_tsv_columns_are_documented(export) -> None:
    table = records_table(export["records"])
    assert list(table.columns) == TSV_COLUMNS
    text = DOCS.read_text(encoding="utf-8")
    missing = [c for c in TSV_COLUMNS if f"`{c}`" not in text]
    assert not missing, missing


def test_perturbations_are_included_when_the_catalog_has_them() -> None:
    """The catalog branch adds `Catalog.perturbations` (id -> entry with mechanism, gene, therapy): records pick the
    entries for their mechanism (or marker gene) and therapy; a catalog without the attribute gives none."""
    from types import SimpleNamespace

    from chemorad.evidence.kb import _perturbations

    class Entry(SimpleNamespace):
        def model_dump(self, mode: str = "python") -> dict:
            return dict(vars(self))

    entries = {
        "p1": Entry(id="p1", mechanism="efflux_abcb1", gene="ABCB1", therapy="paclitaxel", value=12.0),
        "p2": Entry(id="p2", mechanism="efflux_abcb1", gene="ABCB1", therapy="cisplatin", value=1.1),
        "p3": Entry(id="p3", mechanism="nhej_repair", gene="XRCC5", therapy="radiotherapy", value=0.5),
    }
    cat = SimpleNamespace(perturbations=entries)
    assert [p["id"] for p in _perturbations(cat, "paclitaxel", mechanism="efflux_abcb1")] == ["p1"]
    assert [p["id"] for p in _perturbations(cat, "radiotherapy", gene="XRCC5")] == ["p3"]
    assert _perturbations(SimpleNamespace(), "paclitaxel", mechanism="efflux_abcb1") == []
