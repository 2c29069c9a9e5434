"""Computed specificity: the verdicts the issue names come out of the model, not out of labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chemorad.catalog import catalog
from chemorad.chain.specificity import resistance_factors, verdict, verdicts
from chemorad.cli import app

CAT = catalog()


@pytest.fixture(scope="module")
def table():
    return verdicts(CAT, resistance_factors(CAT)).set_index("mechanism")


def marked(*genes: str, quantity: str | None = None) -> list[str]:
    return [
        m.id
        for m in CAT.mechanisms.values()
        if set(genes) & {mk.gene for mk in m.markers}
        and (quantity is None or any(e.quantity.value == quantity for e in m.effects))
    ]


def test_verdict_rules() -> None:
    assert verdict(1.0, np.array([1.0, 1.1])) == "none"
    assert verdict(1.0, np.array([5.0, 1.0])) == "chemotherapy_only"
    assert verdict(1.5, np.ones(10)) == "radiotherapy_only"
    assert verdict(3.0, np.array([1.5] + [1.0] * 9)) == "radiotherapy_dominant"
    assert verdict(1.6, np.array([2.0] * 6 + [1.0] * 4)) == "shared"


def test_delivery_and_target_mechanisms_are_chemotherapy_only(table) -> None:
    ids = ["efflux_abcb1", "efflux_abcc1", "efflux_abcg2"]
    ids += marked("GSTP1", quantity="inactivation") + marked("DHFR", "EGFR", "TUBB3", quantity="target_ec50")
    for mid in ids:
        assert table.loc[mid, "verdict"] == "chemotherapy_only", mid


def test_oxygen_and_scavenging_are_radiotherapy_dominant_with_oxygen_dependent_drugs_as_exceptions(table) -> None:
    hyp = [m.id for m in CAT.mechanisms.values() if any(e.quantity.value == "po2" for e in m.effects)]
    assert hyp
    rf = resistance_factors(CAT)
    hypoxia = rf[(rf["mechanism"] == hyp[0]) & (rf["condition"] == "oxic")].set_index("therapy")["resistance_factor"]
    assert hypoxia["bleomycin"] > 1.2 and hypoxia["bleomycin"] < hypoxia["radiotherapy"]
    assert hypoxia["cisplatin"] == pytest.approx(1.0)
    # the one drug hypoxia helps: bioreductive mitomycin C (Shibata et al. 1995), which makes hypoxia 'shared'
    assert hypoxia["mitomycin_c"] < 1 / 1.2
    assert table.loc[hyp[0], "verdict"] == "shared"
    for mid in marked("NFE2L2", "KEAP1", "GCLC", quantity="radical_scavenging"):
        assert table.loc[mid, "radiation_rf"] > 1.2, mid


def test_repair_mechanisms_are_shared(table) -> None:
    for mid in marked("RAD51", "XRCC6", quantity="lesion_lethality"):
        assert table.loc[mid, "verdict"] == "shared", mid


def test_bcl2_protects_more_in_short_drug_assays_than_in_clonogenic_radiation(table) -> None:
    """Ohmori et al. 1993 (SBC-3/Bcl2: 3.4-7.6-fold to doxorubicin, irinotecan, mitomycin C, none to cisplatin); two
    clonogenic radiation measurements, HeLa Bcl-2 1.64-fold (PIDE hamada08) and PC-3/LNCaP none (Kyprianou et al. 1997):
    chemotherapy-dominant (issue 22: both radiation measurements encoded, their geometric mean 1.28)."""
    assert table.loc["bcl2_family_antiapoptotic", "verdict"] == "chemotherapy_dominant"
    assert table.loc["bcl2_family_antiapoptotic", "radiation_rf"] == pytest.approx(1.28, rel=0.02)


def test_cli_json_covers_every_mechanism_and_therapy() -> None:
    res = CliRunner().invoke(app, ["specificity", "--format", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {r["mechanism"] for r in recs} == set(CAT.mechanisms)
    assert {r["therapy"] for r in recs} == set(CAT.therapies)
    assert {r["condition"] for r in recs} == {"oxic", "hypoxic"}
    assert set(recs[0]) == {
        "mechanism",
        "therapy",
        "condition",
        "resistance_factor",
        "verdict",
        "loss_resistance_factor",
        "loss_verdict",
    }


def test_cli_reports_gain_and_loss_verdicts() -> None:
    """Issue 22: both directions. HR loss touches platinum far more than radiation (11.6x vs 2x): a loss verdict."""
    res = CliRunner().invoke(app, ["specificity", "--format", "csv"])
    assert res.exit_code == 0, res.output
    import io

    df = pd.read_csv(io.StringIO(res.stdout)).set_index("mechanism")
    assert {"gain_verdict", "loss_verdict", "loss_radiation_rf"} <= set(df.columns)
    assert (df["gain_verdict"] == df["verdict"]).all()  # at the default activity 1 the gain is the old verdict
    assert df.loc["hr_repair", "loss_radiation_rf"] < 1 / 1.2  # HR loss sensitises to radiation


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--po2", "-3"], "--po2"), (["--activity", "nan"], "--activity"), (["--activity", "1e300"], "--activity")],
)
def test_cli_bad_numbers(args, needle) -> None:
    res = CliRunner().invoke(app, ["specificity", *args])
    assert res.exit_code == 2 and needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
