"""`chemorad answer`: bad input refused in one line (exit 2), a missing bundle said on the first line, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chemorad.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_posterior(monkeypatch):
    """The shipped posterior's verdicts take ~20 s; these tests are about the command, not the posterior."""
    monkeypatch.setattr("chemorad.report.answer_doc._posterior_table", lambda cat: None)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--therapies", "cisplatin,cisplatinum"], "unknown therapy 'cisplatinum'; closest: cisplatin"),
        (["--therapies", "radiotherapy", "--therapies", "doxorubicine"], "unknown therapy 'doxorubicine'"),
        (["--format", "pdf"], "pdf"),
    ],
)
def test_bad_input_is_refused_in_one_line(args, needle) -> None:
    res = runner.invoke(app, ["answer", *args])
    assert res.exit_code == 2, res.output
    assert needle in res.stderr


def test_unknown_tissue_names_the_closest(shared_data: Path) -> None:
    res = runner.invoke(app, ["answer", "--tissue", "lungg", "--data", str(shared_data)])
    assert res.exit_code == 2, res.output
    assert "unknown tissue 'lungg'; closest:" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_absent_data_folder_gives_the_model_only_document_then_the_cache(tmp_path: Path) -> None:
    args = ["answer", "--data", str(tmp_path / "no-such-folder"), "--out", str(tmp_path / "out")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    md = (tmp_path / "out" / "answer.md").read_text(encoding="utf-8")
    assert md.splitlines()[0].startswith("**The data part is missing**")
    assert "computed" in first.stderr
    second = runner.invoke(app, [*args, "--format", "html"])
    assert second.exit_code == 0 and "from the cache" in second.stderr
    assert "<h1" in (tmp_path / "out" / "answer.html").read_text(encoding="utf-8")


def test_json_is_the_kb_export_with_the_answer(tmp_path: Path) -> None:
    from chemorad.evidence.kb_models import KB_SCHEMA_VERSION

    res = runner.invoke(app, ["answer", "--format", "json", "--data", str(tmp_path / "none")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == KB_SCHEMA_VERSION and doc["records"] == [] and doc["answer"]["data_missing"]


def test_an_existing_answer_is_refused_without_force_and_replaced_with_it(tmp_path):
    """Issue 27's rule for every --out: an earlier output is kept unless --force, and refused before any work."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "answer.md").write_text("earlier answer\n")
    res = CliRunner().invoke(app, ["answer", "--out", str(out), "--data", str(tmp_path / "none")])
    assert res.exit_code == 2 and "already holds answer.md" in res.output and "--force" in res.output
    assert (out / "answer.md").read_text() == "earlier answer\n"
