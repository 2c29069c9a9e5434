"""`chemorad demo` (what `make demo` runs) writes every output it names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from chemorad.bundle import datasets as ds
from chemorad.cli import app


def test_demo_writes_tables_and_figures_and_says_when_data_are_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(ds.ENV_VAR, raising=False)
    monkeypatch.setattr(ds, "_default_candidates", lambda: [(tmp_path / "no-data", "a test folder")])
    monkeypatch.setattr("chemorad.report.answer_doc._posterior_table", lambda cat: None)  # ~20 s, tested elsewhere
    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for name in (
        "catalog_mechanisms.csv",
        "catalog_mechanisms.json",
        "claimed_specificity.png",
        "claimed_specificity.svg",
        "specificity_verdicts.csv",
        "specificity_computed_vs_claimed.png",
        "survival_curves.png",
        "dynamics_simulation.png",
        "dynamics_summary.csv",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "evidence, profiles and the cohort skipped" in res.stderr and (out / "evidence_SKIPPED.txt").exists()
    for k in (1, 2, 3, 8):  # issue 17: progress per stage, with its time
        assert f"[{k}/8] " in res.stderr and f"[{k}/8] done in " in res.stderr
    answer = (out / "answer.md").read_text(encoding="utf-8")  # issue 23: the demo writes the answer
    assert answer.startswith("**The data part is missing**") and (out / "answer.html").stat().st_size > 0
    verdicts = pd.read_csv(out / "specificity_verdicts.csv")
    assert verdicts.set_index("mechanism").loc["efflux_abcb1", "verdict"] == "chemotherapy_only"


def test_an_explicit_missing_data_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "no-data")])
    assert res.exit_code == 2 and "no-data" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
