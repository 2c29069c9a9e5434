"""`chemorad demo` (what `make demo` runs) writes every output it names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from chemorad.cli import app


def test_demo_writes_tables_and_figures_and_says_when_data_are_missing(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--data", str(tmp_path / "no-data")])
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
    assert "evidence skipped" in res.stderr and (out / "evidence_SKIPPED.txt").exists()
    verdicts = pd.read_csv(out / "specificity_verdicts.csv")
    assert verdicts.set_index("mechanism").loc["efflux_abcb1", "verdict"] == "chemotherapy_only"
