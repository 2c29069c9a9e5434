"""Provenance classes of effect sizes: typed at load (read needs its quote), `data` computed from the posterior."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chemorad.catalog import catalog, load_catalog
from chemorad.catalog.provenance import DATA_WIDTH_RATIO, effect_provenance, provenance_counts
from chemorad.cli import app
from chemorad.errors import ChemoradError

SHIPPED = Path(str(resources.files("chemorad") / "catalog" / "data"))


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    for f in SHIPPED.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _edit_first_effect(path: Path, fn) -> str:
    entries = yaml.safe_load(path.read_text())
    m = next(e for e in entries if e.get("effects"))
    fn(m["effects"][0])
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    return m["id"]


def test_every_shipped_effect_has_a_class_and_read_ones_a_quote() -> None:
    for m in catalog().mechanisms.values():
        for e in m.effects:
            assert e.provenance in {"read", "bounded", "recalled", "placeholder"}, m.id
            if e.provenance == "read":
                assert e.quote and e.read_from, m.id
            # a basis that says "order of magnitude" is a placeholder, whatever else it says
            if "order of magnitude" in e.basis[:40].lower():
                assert e.provenance == "placeholder", (m.id, e.basis[:40])


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda e: e.pop("provenance"), "provenance"),
        (lambda e: e.update(provenance="read", quote=None), "quote"),
        (lambda e: e.update(provenance="read", read_from=""), "read_from"),
        (lambda e: e.update(provenance="data"), "provenance"),
        (lambda e: e.update(provenance="guessed"), "provenance"),
        (lambda e: e.update(loss=0.5, loss_basis="x", loss_provenance=None), "loss_provenance"),
    ],
)
def test_bad_provenance_is_refused_in_one_line_naming_mechanism_and_field(catalog_dir: Path, edit, field) -> None:
    mid = _edit_first_effect(catalog_dir / "mechanisms.yaml", edit)
    with pytest.raises(ChemoradError) as err:
        load_catalog(catalog_dir)
    msg = str(err.value)
    assert repr(mid) in msg and f"effects.0.{field}" in msg and "\n" not in msg


def test_data_needs_a_narrow_posterior_and_never_overrides_read() -> None:
    cat = catalog()
    keys = effect_provenance(cat)["effect"]
    typed = effect_provenance(cat).set_index("effect")["typed"]
    ratios = {k: (0.1 if i % 2 else 0.9) for i, k in enumerate(keys)}
    t = effect_provenance(cat, ratios).set_index("effect")
    for k, r in ratios.items():
        if typed[k] == "read":
            assert t.loc[k, "provenance"] == "read"
        else:
            assert (t.loc[k, "provenance"] == "data") == (r < DATA_WIDTH_RATIO)
    counts = provenance_counts(t.reset_index()).set_index("provenance")["effects"]
    assert counts["total"] == len(keys) == counts.drop("total").sum()
    assert effect_provenance(cat)["provenance"].ne("data").all()  # no posterior: nothing is data


def test_cli_provenance_json_counts_and_placeholders() -> None:
    res = CliRunner().invoke(app, ["catalog", "provenance", "--no-posterior", "-f", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)[0]
    counts = {c["provenance"]: c["effects"] for c in out["counts"]}
    assert counts["total"] == len(out["effects"]) == sum(len(m.effects) for m in catalog().mechanisms.values())
    assert counts["data"] == 0 and "0.5" in out["rule"]
    res = CliRunner().invoke(app, ["catalog", "provenance", "--no-posterior", "-f", "csv"])
    assert res.exit_code == 0 and "placeholder" in res.stdout


def test_cli_provenance_with_the_shipped_posterior_finds_identified_effects() -> None:
    res = CliRunner().invoke(app, ["catalog", "provenance", "-f", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)[0]
    data = [e for e in out["effects"] if e["provenance"] == "data"]
    assert data and all(e["width_ratio"] < DATA_WIDTH_RATIO and e["typed"] != "read" for e in data)


def test_cli_provenance_bad_posterior_is_one_line() -> None:
    res = CliRunner().invoke(app, ["catalog", "provenance", "--posterior", "/nonexistent/post.nc"])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
