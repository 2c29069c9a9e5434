"""Reading the data bundle safely: where it is found, damaged files refused with their checksum, the parse cache.

Issue 11 (item 2): the default data path must not come from the source tree, checksums use pooch, and parsed tables are
cached on disk by the files' SHA-256 with results identical to a fresh parse. Issue 17: a corrupt Parquet file or a
CSV cut off mid-row gives one line naming the file, never a traceback or a silently shortened table.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chemorad.bundle import cache as bundle_cache
from chemorad.bundle import datasets as ds
from chemorad.cli import app
from chemorad.errors import ChemoradError


@pytest.fixture(autouse=True)
def _fresh():
    ds.clear_cache()
    yield
    ds.clear_cache()


def _bundle_copy(shared_data: Path, dest: Path) -> Path:
    """Links to every bundle file in `dest`, so one of them can be replaced by a damaged copy."""
    dest.mkdir()
    for spec in ds.DATASETS.values():
        (dest / spec.filename).symlink_to(shared_data / spec.filename)
    return dest


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chemorad: error: "), result.stderr
    return lines[0]


def test_default_is_not_computed_inside_an_installed_package(tmp_path, monkeypatch):
    """An installed wheel has no pyproject.toml above the package: only ../shared/data from the current directory,
    and no repository copy (a non-editable install carries no data)."""
    fake = tmp_path / "site-packages" / "chemorad" / "bundle" / "datasets.py"
    fake.parent.mkdir(parents=True)
    fake.touch()
    monkeypatch.setattr(ds, "__file__", str(fake))
    monkeypatch.chdir(tmp_path)
    assert [p for p, _ in ds._default_candidates()] == [tmp_path / ".." / "shared" / "data"]
    assert ds.repository_data() is None


def test_registry_is_pooch_format_and_verify_all_names_the_bad_file(shared_data, tmp_path):
    assert all(v.startswith("sha256:") and len(v) == 71 for v in ds.REGISTRY.values())
    bundle = _bundle_copy(shared_data, tmp_path / "b")
    (bundle / "ctrpv2_auc.parquet").unlink()
    (bundle / "ctrpv2_auc.parquet").write_bytes(b"PAR1 not really parquet")
    report = {r["dataset"]: r for r in ds.verify_all(bundle)}
    assert not report["ctrp"]["ok"]
    assert report["ctrp"]["sha256"] == hashlib.sha256(b"PAR1 not really parquet").hexdigest()
    assert all(r["ok"] for name, r in report.items() if name != "ctrp")


def test_corrupt_parquet_is_one_line_naming_file_and_checksum(tmp_path):
    bad = tmp_path / "gdsc2_response.parquet"
    bad.write_bytes(os.urandom(2048))
    with pytest.raises(ChemoradError) as info:
        ds.load_gdsc_response("gdsc2", tmp_path)
    message = str(info.value)
    assert str(bad) in message and "Parquet" in message
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in message and "differs from the registry" in message
    assert "\n" not in message


def test_truncated_parquet_is_refused(shared_data, tmp_path):
    raw = (shared_data / "gdsc2_response.parquet").read_bytes()
    (tmp_path / "gdsc2_response.parquet").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ChemoradError, match="gdsc2_response.parquet: cannot be read as Parquet"):
        ds.load_gdsc_response("gdsc2", tmp_path)


def test_csv_cut_off_mid_row_is_refused_with_the_line(tmp_path):
    cols = ds.DATASETS["radiogx"].required_columns
    text = ",".join(cols) + "\nA549,3.1,0.2,0.03,3.0,0.99\nH460,2.9,0.3"  # the last row stops after 3 of 6 fields
    (tmp_path / "radiogx_lq_fits.csv").write_text(text)
    with pytest.raises(ChemoradError, match=r"radiogx_lq_fits.csv: 1 row\(s\) .*line 3 has 3"):
        ds.load_radiogx(tmp_path)


def test_evidence_data_verify_reports_a_corrupt_parquet(shared_data, tmp_path):
    bundle = _bundle_copy(shared_data, tmp_path / "b")
    (bundle / "gdsc1_response.parquet").unlink()
    (bundle / "gdsc1_response.parquet").write_bytes(b"garbage" * 100)
    res = CliRunner().invoke(app, ["evidence", "data", "--verify", "--data", str(bundle)])
    line = _one_line_error(res)
    assert "gdsc1_response.parquet" in line and hashlib.sha256(b"garbage" * 100).hexdigest() in line


def test_fit_radiation_refuses_a_truncated_yard_file(shared_data, tmp_path):
    """Issue 17: a Yard file cut mid-row was fitted as 149 of 384 curves, including a half row."""
    bundle = _bundle_copy(shared_data, tmp_path / "b")
    raw = (shared_data / "yard2016_radiation.csv").read_bytes()
    (bundle / "yard2016_radiation.csv").unlink()
    (bundle / "yard2016_radiation.csv").write_bytes(raw[: len(raw) * 2 // 5])
    res = CliRunner().invoke(app, ["evidence", "fit-radiation", "--data", str(bundle)])
    assert "yard2016_radiation.csv" in _one_line_error(res)


def test_parse_cache_gives_identical_tables_and_can_be_disabled(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv(bundle_cache.ENV_VAR, "off")
    fresh = {
        "cell_lines": ds.cell_lines(shared_data),
        "yard": ds.load_yard(shared_data),
        "ctrp": ds.load_ctrp(shared_data),
        "mutations": ds.load_mutations(data=shared_data),
        "dropped": ds.dropped(data=shared_data),
    }
    assert bundle_cache.cache_dir() is None
    monkeypatch.setenv(bundle_cache.ENV_VAR, str(tmp_path / "cache"))
    for _ in range(2):  # first run writes the entries, second reads them
        ds.clear_cache()
        again = {
            "cell_lines": ds.cell_lines(shared_data),
            "yard": ds.load_yard(shared_data),
            "ctrp": ds.load_ctrp(shared_data),
            "mutations": ds.load_mutations(data=shared_data),
            "dropped": ds.dropped(data=shared_data),
        }
        for key, frame in fresh.items():
            pd.testing.assert_frame_equal(again[key], frame, check_exact=True)
    entries = sorted(p.name for p in (tmp_path / "cache").glob("*.arrow"))
    assert any(e.startswith("cell_lines-") for e in entries) and any(e.startswith("wide-mutations-") for e in entries)


def test_cache_entry_follows_the_file_contents(tmp_path, monkeypatch):
    monkeypatch.setenv(bundle_cache.ENV_VAR, str(tmp_path / "cache"))
    src = tmp_path / "f.csv"
    src.write_text("a\n1\n")
    calls = []

    def parse():
        calls.append(1)
        return pd.read_csv(src)

    assert bundle_cache.cached("t", (), [src], parse)["a"].tolist() == [1]
    assert bundle_cache.cached("t", (), [src], parse)["a"].tolist() == [1]
    src.write_text("a\n2\n")  # new contents, new key
    os.utime(src, ns=(1, 1))
    assert bundle_cache.cached("t", (), [src], parse)["a"].tolist() == [2]
    assert len(calls) == 2
    for entry in (tmp_path / "cache").glob("t-*.arrow"):
        entry.write_bytes(b"broken")  # a damaged entry is parsed again, not an error
    assert bundle_cache.cached("t", (), [src], parse)["a"].tolist() == [2]
    assert len(calls) == 3
