"""`chemorad data`: each file's source and terms, a checksum computed from the content on every run, optional sets."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from chemorad.bundle import datasets as ds
from chemorad.cli import app


def _links(shared_data: Path, dest: Path) -> Path:
    dest.mkdir()
    for spec in ds.DATASETS.values():
        (dest / spec.filename).symlink_to(shared_data / spec.filename)
    return dest


def test_lists_every_file_with_source_licence_and_a_verified_checksum(shared_data, tmp_path):
    res = CliRunner().invoke(app, ["data", "--data", str(_links(shared_data, tmp_path / "b")), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["dataset"]: r for r in json.loads(res.stdout)}
    for name, spec in ds.DATASETS.items():
        assert rows[name]["sha256"] == "ok" and rows[name]["source"] == spec.source and rows[name]["licence"]
    assert "found by: --data" in " ".join(res.stderr.split())


def test_a_changed_file_with_the_same_size_and_time_is_caught(shared_data, tmp_path):
    """The check re-hashes the content: a memo keyed on size and modification time would miss this edit."""
    bundle = _links(shared_data, tmp_path / "b")
    target = bundle / "yard2016_clonogenic_vs_proliferative.csv"
    original = target.read_bytes()
    target.unlink()
    target.write_bytes(original)
    runner = CliRunner()
    assert runner.invoke(app, ["data", "--data", str(bundle)]).exit_code == 0  # hashed once: any memo is now warm
    stat = target.stat()
    changed = bytearray(original)
    changed[-2] = ord("7") if changed[-2] != ord("7") else ord("8")  # one digit, same length
    target.write_bytes(bytes(changed))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    res = runner.invoke(app, ["data", "--data", str(bundle)])
    assert res.exit_code == 2
    error = res.stderr.strip().splitlines()[-1]
    assert error.startswith("chemorad: error: ")
    assert "yard2016_clonogenic_vs_proliferative.csv (checksum differs)" in error


def test_a_missing_file_is_named_and_optional_sets_say_where_they_go(shared_data, tmp_path, monkeypatch):
    bundle = _links(shared_data, tmp_path / "b")
    (bundle / "ccle_rppa.csv").unlink()
    monkeypatch.setattr(ds, "_default_candidates", lambda: [])  # no shared folder beside: PIDE only inside `bundle`
    res = CliRunner().invoke(app, ["data", "--data", str(bundle), "--format", "json"])
    assert res.exit_code == 2 and "ccle_rppa.csv (missing)" in res.stderr.strip().splitlines()[-1]
    assert f"optional pide: absent; to use it put pide34.csv, pide34_photon_curves.dat in {bundle / 'pide'}/" in (
        " ".join(res.stderr.split())
    )


def test_pide_inside_the_data_folder_is_found(shared_data, tmp_path, monkeypatch):
    bundle = _links(shared_data, tmp_path / "b")
    (bundle / "pide").mkdir()
    for name in ("pide34.csv", "pide34_photon_curves.dat"):
        (bundle / "pide" / name).write_text("placeholder for the lookup test\n")
    monkeypatch.setattr(ds, "_default_candidates", lambda: [])
    res = CliRunner().invoke(app, ["data", "--data", str(bundle), "--format", "json"])
    pide = next(r for r in json.loads(res.stdout) if r["dataset"] == "pide (optional)")
    assert pide["file"] == f"{(bundle / 'pide').resolve()}/ (present)"


def test_a_data_folder_that_does_not_exist_is_one_line(tmp_path):
    res = CliRunner().invoke(app, ["data", "--data", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and "nowhere" in res.stderr
