"""Mechanism activity scores from catalog markers: coverage reported, floor values never used, within-tissue scale."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.catalog import catalog
from chemorad.evidence.scores import mechanism_scores, within_tissue_standardise


@pytest.fixture(scope="module")
def scores(shared_data):
    return mechanism_scores(catalog(), shared_data)


def test_every_marker_is_accounted_for(scores) -> None:
    cat = catalog()
    n_markers = sum(len(m.markers) for m in cat.mechanisms.values())
    assert len(scores.coverage) == n_markers
    assert set(scores.coverage["status"]) <= {"used", "unusable"}
    assert scores.coverage.loc[scores.coverage["status"] == "unusable", "note"].str.len().gt(0).all()


def test_floor_value_genes_are_reported_and_not_used(scores) -> None:
    """DHFR and TUBB3 are floor values in GDSC expression (data README): never silently used."""
    cov = scores.coverage
    for gene in ("DHFR", "TUBB3"):
        rows = cov[(cov["gene"] == gene) & (cov["alteration"] == "overexpression")]
        assert rows["note"].str.contains("floor values").all()
        assert not (rows["layer"] == "expression").any()


def test_missing_expression_genes_fall_back_to_protein(scores) -> None:
    """RAD51 and ERCC1 are absent from GDSC expression; the RPPA antibodies measure them (data README)."""
    cov = scores.coverage
    for gene in ("RAD51", "ERCC1"):
        rows = cov[(cov["gene"] == gene) & (cov["alteration"] == "overexpression")]
        assert set(rows["layer"]) == {"protein"}


def test_scores_are_centred_within_tissue(scores) -> None:
    s = scores.scores
    means = s.groupby(scores.tissue.reindex(s.index)).mean()
    assert np.nanmax(np.abs(means.to_numpy())) < 1e-9


def test_within_tissue_standardise_closed_form() -> None:
    import pandas as pd

    x = pd.DataFrame({"f": [1.0, 2.0, 3.0, 10.0, 12.0, 14.0]}, index=list("abcdef"))
    t = pd.Series(["u", "u", "u", "v", "v", "v"], index=x.index)
    z = within_tissue_standardise(x, t)["f"]
    # residuals -1, 0, 1, -2, 0, 2; pooled sd = sqrt(10 / (6 - 2)) = 1.5811
    assert z.to_numpy() == pytest.approx(np.array([-1, 0, 1, -2, 0, 2]) / np.sqrt(10 / 4))
