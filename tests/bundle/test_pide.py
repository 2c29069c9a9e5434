"""PIDE 3.4, the optional clonogenic radiation data set (`bundle.pide`) and its registry entry."""

from __future__ import annotations

import numpy as np
import pytest

from chemorad.bundle import datasets as ds
from chemorad.bundle.pide import FILE, pide_curves, pide_lines
from chemorad.catalog.registry import datasets_for, response_dataset


def test_registry_keeps_yard_the_preferred_radiation_set():
    pide = response_dataset("pide")
    assert pide.primary_metric == "sf2" and pide.modality.value == "radiation"
    assert [d.id for d in datasets_for("radiation")] == ["yard", "pide"]


def test_absent_file_gives_none(tmp_path, monkeypatch):
    monkeypatch.setattr(ds, "_default_candidates", lambda: [])  # no shared bundle beside the checkout either
    assert pide_curves(tmp_path) is None and pide_lines(tmp_path) is None


@pytest.fixture(scope="module")
def curves(shared_data):
    if not (shared_data / "pide" / FILE).is_file():
        pytest.skip("no PIDE file in the data folder")
    return pide_curves(shared_data)


def test_curves_are_deduplicated_human_tumour_photon_fits(curves, shared_data):
    """SF2 is the LQ survival at 2 Gy, exp(-2 alpha - 4 beta), and photon curves shared by several ion experiments
    appear once."""
    np.testing.assert_allclose(curves["sf2"], np.exp(-2 * curves["alpha"] - 4 * curves["beta"]))
    assert curves["sf2"].between(0, 1).all()
    assert not curves.duplicated(["cells", "publication", "alpha", "beta", "photon_radiation"]).any()
    assert "V79" not in set(curves["cells"])  # a hamster line


def test_lines_match_bundle_spellings(shared_data, curves):
    lines = pide_lines(shared_data)
    matched = lines[lines["in_bundle"]]
    assert len(matched) >= 20
    assert "DU-145" in matched.loc["DU145", "pide_names"]
    assert not any("mp53" in n for n in matched["pide_names"])  # isogenic variants match no bundle line
