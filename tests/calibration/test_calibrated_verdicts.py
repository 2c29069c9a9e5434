"""Verdicts per mechanism for gain and for loss: decided only where the interval excludes no effect on identified
sizes; otherwise `undetermined`, without a probability, naming the measurement that would decide it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from chemorad.calibration.verdicts import COLUMNS, _state, mechanism_verdicts
from chemorad.catalog import catalog
from chemorad.chain.specificity import THRESHOLD
from chemorad.cli import app

CAT = catalog()


@pytest.fixture(scope="module")
def table():
    return mechanism_verdicts(CAT).set_index(["mechanism", "direction"])


def test_one_row_per_mechanism_and_direction(table) -> None:
    assert set(table.reset_index().columns) == set(COLUMNS)
    assert len(table) == 2 * len(CAT.mechanisms)
    assert set(table.index.get_level_values("direction")) == {"gain", "loss"}


def test_undetermined_has_no_probability_and_a_deciding_measurement(table) -> None:
    und = table[table["verdict"] == "undetermined"]
    assert len(und) and und["probability"].isna().all()
    assert und["deciding_measurement"].str.contains("isogenic").all()
    dec = table[table["verdict"] != "undetermined"]
    assert dec["probability"].between(0, 1, inclusive="right").all()
    assert dec["deciding_measurement"].isna().all()


def test_a_decided_radiation_effect_excludes_no_effect(table) -> None:
    lt = np.log(THRESHOLD)
    for (mid, d), r in table.iterrows():
        if r["state_radiation"] == "touched":
            lo, hi = np.log(r["rf_low_radiation"]), np.log(r["rf_high_radiation"])
            assert lo >= lt - 1e-9 or hi <= -lt + 1e-9, (mid, d)


def test_placeholder_sizes_never_decide(table) -> None:
    """No unidentified parameter gets a verdict probability: T790M's 100-fold is a placeholder."""
    assert table.loc[("target_egfr_t790m", "gain"), "verdict"] == "undetermined"
    assert "placeholder" in table.loc[("target_egfr_t790m", "gain"), "reason"]


def test_read_pump_sizes_decide_gain_and_the_absent_pump_decides_no_loss(table) -> None:
    assert table.loc[("efflux_abcb1", "gain"), "verdict"] == "chemotherapy_only"
    assert table.loc[("efflux_abcb1", "loss"), "verdict"] == "none"


@pytest.mark.parametrize(
    ("lo", "hi", "classes", "state"),
    [
        (1.0, 1.0, [], "no_effect"),
        (1.5, 3.0, ["read"], "touched"),
        (0.2, 0.5, ["data"], "touched"),
        (1.5, 3.0, ["placeholder"], "unidentified"),
        (0.9, 1.1, ["bounded"], "untouched"),
        (0.9, 1.1, ["recalled"], "unidentified"),
        (0.7, 2.0, ["read"], "spans"),
        (0.7, 2.0, ["read", "placeholder"], "unidentified"),
    ],
)
def test_state_rule(lo, hi, classes, state) -> None:
    assert _state(lo, hi, classes, THRESHOLD) == state


def test_cli_calibrated_json_carries_verdict_probability_or_deciding_measurement() -> None:
    res = CliRunner().invoke(app, ["specificity", "--calibrated", "-f", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {(r["mechanism"], r["direction"]) for r in recs} == {
        (m, d) for m in CAT.mechanisms for d in ("gain", "loss")
    }
    for r in recs:
        if r["verdict"] == "undetermined":
            assert r["probability"] is None and r["deciding_measurement"]
        else:
            assert 0 < r["probability"] <= 1


def test_cli_calibrated_zero_activity_is_one_line() -> None:
    res = CliRunner().invoke(app, ["specificity", "--calibrated", "--activity", "0"])
    assert res.exit_code == 2 and "--activity" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_verdict_basis_names_each_source_and_their_agreement(table) -> None:
    from chemorad.calibration.verdicts import verdict_basis

    basis = verdict_basis(CAT, table.reset_index()).set_index(["mechanism", "direction"])
    assert len(basis) == len(table)
    tp53 = basis.loc[("tp53_pathway_loss", "gain")]
    # the PIDE pairs (1.19-1.52) and HCT116 (0.8, recalled) are both listed: their range shows the conflict
    assert tp53["perturbations_radiation"].startswith("resists") and "0.8-" in tp53["perturbations_radiation"]
    assert basis.loc[("efflux_abcb1", "gain"), "perturbations_drugs"].startswith("resists")
    assert basis.loc[("immune_microenvironment", "gain"), "agreement_radiation"] == "no experiment"
    allowed = {"agree", "conflict", "posterior open", "no experiment"}
    assert set(basis["agreement_radiation"]) | set(basis["agreement_drugs"]) <= allowed


def test_no_decided_verdict_rests_on_an_interval_as_wide_as_a_placeholder_prior(table) -> None:
    """Issue 22: intervals reaching RF 5.6 million got a verdict; a touched therapy now needs hi/lo < MAX_SPAN."""
    from chemorad.calibration.verdicts import MAX_SPAN

    rad = table[table["state_radiation"] == "touched"]
    assert (rad["rf_high_radiation"] / rad["rf_low_radiation"] < MAX_SPAN).all()
    decided = table[table["verdict"] != "undetermined"]
    # a decided row shows the most affected of the drugs that decided it: never one with a placeholder-wide interval
    assert (decided["rf_high_drug"] / decided["rf_low_drug"] < MAX_SPAN).all()
    erbb2 = table.loc[("target_erbb2_loss", "gain")]
    assert erbb2["verdict"] == "undetermined" and "as wide as a placeholder" in erbb2["reason"]


def test_cli_calibrated_cell_lines_json_carries_the_adjusted_associations(shared_data) -> None:
    res = CliRunner().invoke(
        app, ["specificity", "--calibrated", "--cell-lines", "-f", "json"], env={"CHEMORAD_DATA": str(shared_data)}
    )
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert len(recs) == 2 * len(CAT.mechanisms)
    kinds = ("resists", "sensitises", "conflict", "open", "untested", "no chain effect")
    for r in recs:
        assert r["cell_lines_radiation"].startswith(kinds) and r["cell_lines_drugs"].startswith(kinds)
        assert r["agreement_cell_lines_drugs"] in {
            "agree",
            "conflict",
            "posterior open",
            "cell lines mixed",
            "no association",
        }
        if r["verdict"] == "undetermined":
            assert r["probability"] is None and r["deciding_measurement"]
    abcb1 = next(r for r in recs if r["mechanism"] == "efflux_abcb1" and r["direction"] == "gain")
    assert abcb1["cell_lines_radiation"] == "no chain effect"


def test_cli_cell_lines_needs_calibrated() -> None:
    res = CliRunner().invoke(app, ["specificity", "--cell-lines"])
    assert res.exit_code == 2 and "--cell-lines needs --calibrated" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
