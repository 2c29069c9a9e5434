"""`chemorad regimens`: a tumour's predictions as patient parameters, TCP per regimen, GARD/RSI; bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chemorad.catalog import catalog
from chemorad.cli import app
from chemorad.errors import ChemoradError
from chemorad.profile.regimens import (
    RSI_RANK,
    TumourParameters,
    gard_alpha,
    regimen_tcp,
    rsi,
    tumour_parameters,
)

runner = CliRunner()
CAT = catalog()


def test_rsi_depends_only_on_within_sample_ranks_and_gard_follows_its_definition() -> None:
    rng = np.random.default_rng(0)
    levels = pd.Series(rng.uniform(1, 100, len(RSI_RANK)), index=list(RSI_RANK))
    assert rsi(levels) == pytest.approx(rsi(np.log2(levels + 1)))  # monotone scale change: same ranks
    swapped = levels.copy()
    swapped["ABL1"], swapped["IRF1"] = levels.max() + 1, levels.min() - 0.5  # ABL1 top, IRF1 bottom
    ranks = swapped.rank()
    assert rsi(swapped) == pytest.approx(sum(RSI_RANK[g] * ranks[g] for g in RSI_RANK))
    # alpha from SF2 = RSI under LQ with beta 0.05: RSI 0.5 -> alpha = ln 2 / 2 - 0.1 = 0.2466 /Gy
    assert gard_alpha(0.5) == pytest.approx(np.log(2) / 2 - 0.1)
    with pytest.raises(ChemoradError, match="lacks"):
        rsi(levels.drop("AR"))
    with pytest.raises(ChemoradError, match="outside"):
        gard_alpha(1.2)


def test_percentiles_become_population_quantiles() -> None:
    rec = pd.DataFrame(
        {
            "sample": ["s", "s"],
            "therapy": ["radiotherapy", "cisplatin"],
            "percentile_in_tissue": [84.134, 50.0],
        }
    )
    p = tumour_parameters(rec, "s", "radiotherapy")
    assert p.radiosensitivity_z == pytest.approx(-1.0, abs=1e-3)  # resistant: one sd below the median
    assert p.drug_potency["cisplatin"] == pytest.approx(1.0)


def test_a_more_radioresistant_tumour_has_lower_tcp_on_the_same_patients() -> None:
    reg = {"70/35": [{"kind": "radiotherapy", "dose_gy": 2.0, "fractions": 35}]}
    tcp = [
        regimen_tcp(CAT, TumourParameters("s", z, None, {}, {}), reg, patients=60)["tcp"].iat[0]
        for z in (-1.0, 0.0, 1.0)
    ]
    assert tcp[0] < tcp[1] < tcp[2]


@pytest.fixture(scope="module")
def line(shared_data) -> str:
    from chemorad.bundle import datasets as ds

    cl = ds.cell_lines(shared_data)
    full = cl[(cl["n_datasets"] == cl["n_datasets"].max()) & cl["tissue"].notna()]
    return str(full.index[0])


def test_regimens_for_a_bundle_line_and_a_user_regimen(shared_data, line, tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text(
        "split course:\n  - kind: radiotherapy\n    dose_gy: 2.0\n    fractions: 35\n    gaps_days: [14, 15]\n"
    )
    res = runner.invoke(
        app,
        [
            "regimens",
            "--cell-line",
            line,
            "--data",
            str(shared_data),
            "--regimen-file",
            str(f),
            "--patients",
            "40",
            "-f",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = {r["regimen"]: r for r in json.loads(res.stdout)}
    assert len(rows) == 7 and "split course" in rows
    for r in rows.values():
        assert 0 <= r["tcp_low"] <= r["tcp"] <= r["tcp_high"] <= 1
    # acceleration shortens the course and cannot lower control on the same patients
    assert rows["accelerated 70 Gy/35 (6/week)"]["tcp"] >= rows["conventional 70 Gy/35 (5/week)"]["tcp"]
    assert rows["split course"]["tcp"] <= rows["conventional 70 Gy/35 (5/week)"]["tcp"]


@pytest.mark.parametrize(
    ("text", "args", "needle"),
    [
        ("- 1\n", [], "expected a mapping"),
        ("a: []\n", [], "non-empty list"),
        ("a:\n  - kind: radiotherapy\n    dose_gy: -2\n    fractions: 3\n", [], "a: schedule[0].dose_gy"),
        (None, ["--no-standard"], "nothing to simulate"),
    ],
)
def test_regimens_bad_inputs(tmp_path: Path, text, args, needle) -> None:
    cmd = ["regimens", "--cell-line", "X", *args]
    if text is not None:
        f = tmp_path / "r.yaml"
        f.write_text(text)
        cmd += ["--regimen-file", str(f)]
    res = runner.invoke(app, cmd)
    assert res.exit_code == 2 and needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_regimens_help_imports_no_science() -> None:
    """The command's module imports the prediction and the simulator only when it runs (not for --help)."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom chemorad.cli import app\n"
        "try:\n    app(['regimens', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('numpy', 'pandas', 'scipy', 'sklearn', 'xarray', 'chemorad.app.regimens', 'chemorad.dynamics')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(src)}
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_regimens_needs_an_input() -> None:
    res = runner.invoke(app, ["regimens"])
    assert res.exit_code == 2 and "give exactly one of" in res.stderr


def test_regimen_figure_draws_one_bar_per_regimen() -> None:
    from chemorad.report.regimen_figures import regimen_figure

    panel = {
        "sample": "s",
        "patients": 40,
        "table": [
            {"regimen": "a", "tcp": 0.5, "tcp_low": 0.4, "tcp_high": 0.6, "gard": 30.0},
            {"regimen": "b", "tcp": 0.7, "tcp_low": 0.6, "tcp_high": 0.8, "gard": float("nan")},
        ],
    }
    fig = regimen_figure(panel)
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    assert sorted(p.get_width() for p in ax.patches) == [0.5, 0.7]
    assert any("GARD 30" in t.get_text() for t in ax.texts)


def test_site_model_uses_the_tumours_drug_potency_as_dose_equivalence() -> None:
    from chemorad.profile.regimens import site_regimen_tcp

    def tcp(potency):
        t = site_regimen_tcp("hnscc", TumourParameters("s", 0.0, None, potency, {}), patients=300)
        return t.set_index("regimen")["tcp"]

    weak, median, strong, none = tcp({"cisplatin": 0.2}), tcp({"cisplatin": 1.0}), tcp({"cisplatin": 5.0}), tcp({})
    cis = [r for r in median.index if "cisplatin" in r]
    alone = [r for r in median.index if "cisplatin" not in r]
    assert cis and alone
    assert (median == none).all()  # potency 1 is the trial average the drug effect was fitted to
    assert (weak[cis] < median[cis]).all()
    # stronger: higher TCP, up to the cap (3 x 100 mg/m2 is already 1.5 x the 200 mg/m2 reference)
    assert (median[cis] <= strong[cis]).all() and (median[cis] < strong[cis]).any()
    assert (weak[alone] == strong[alone]).all()  # radiotherapy alone does not see the drug's potency
    # above 1.5 x the reference dose the effect is capped: a 5-fold and a 50-fold potency give the same TCP
    assert (tcp({"cisplatin": 50.0})[cis] == strong[cis]).all()


def test_report_regimen_panel_is_the_site_model(monkeypatch) -> None:
    import types

    import chemorad.profile.predict as pp
    from chemorad.dynamics.sites import load_site
    from chemorad.profile.regimens import regimen_panel, site_regimen_tcp

    rec = pd.DataFrame({"sample": ["s", "s"], "therapy": [CAT.radiotherapy.id, "cisplatin"]})
    rec["percentile_in_tissue"] = [84.134, 15.866]  # radioresistant (z = -1), cisplatin-sensitive
    monkeypatch.setattr(pp, "primary_records", lambda r: r)
    panel = regimen_panel(CAT, types.SimpleNamespace(records=rec), types.SimpleNamespace(), "s", patients=200)
    assert panel["calibration"] == "hnscc"
    table = pd.DataFrame(panel["table"]).set_index("regimen")
    assert set(table.index) == set(load_site("hnscc").regimens)
    params = tumour_parameters(rec, "s", CAT.radiotherapy.id)
    want = site_regimen_tcp("hnscc", params, patients=200).set_index("regimen")["tcp"]
    assert np.allclose(table["tcp"], want[table.index])
    other = regimen_panel(CAT, types.SimpleNamespace(records=rec), types.SimpleNamespace(), "s", 200, site="prostate")
    assert {r["regimen"] for r in other["table"]} == set(load_site("prostate").regimens)
