"""The answer matrix view model: one cell per mechanism x therapy, agreement by the stated rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chemorad.catalog.load import catalog
from chemorad.chain.specificity import THRESHOLD
from chemorad.report.answer import AGREEMENTS, agreement, answer_matrix, evidence_cells, filter_matrix


@pytest.mark.parametrize(
    ("claim", "model", "evidence", "expected"),
    [
        (True, True, "supported", "agree, data support"),
        (False, False, "inconclusive", "agree"),
        (True, False, "supported", "model differs"),
        (True, True, "contradicted", "data differ"),
        (True, False, "contradicted", "claim alone"),
        (False, True, "not testable", "model differs"),
    ],
)
def test_agreement_rules(claim, model, evidence, expected) -> None:
    assert agreement(claim, model, evidence) == expected and expected in AGREEMENTS


def test_evidence_cells_summarise_claims_and_datasets() -> None:
    claims = pd.DataFrame(
        {
            "mechanism": ["m"] * 4,
            "therapy": ["t"] * 4,
            "dataset": ["gdsc1", "gdsc2", "gdsc1", "gdsc2"],
            "metric": ["ln_ic50"] * 4,
            "verdict": ["supported", "inconclusive", "contradicted", "inconclusive"],
            "effect_sd": [0.3, 0.1, 0.3, 0.1],
            "fdr": [0.01, 0.5, 0.01, 0.5],
        }
    )
    cell = evidence_cells(claims).loc[("m", "t")]
    assert cell["evidence"] == "mixed" and cell["n_tests"] == 2 and cell["fdr"] == 0.01


@pytest.fixture(scope="module")
def rf() -> pd.DataFrame:
    """A resistance-factor table with known values: mechanism i has RF 2 on every drug in one condition only."""
    cat = catalog()
    rows = []
    for i, m in enumerate(cat.mechanisms):
        for t in cat.therapies.values():
            for cond in ("oxic", "hypoxic"):
                r = 2.0 if (i % 2 == 0 and t.modality == "drug" and cond == "hypoxic") else 1.0
                rows.append({"mechanism": m, "therapy": t.id, "modality": t.modality, "condition": cond,
                             "resistance_factor": r})  # fmt: skip
    return pd.DataFrame(rows)


def test_answer_matrix_without_data(rf) -> None:
    cat = catalog()
    m = answer_matrix(cat, rf, None)
    assert len(m) == len(cat.mechanisms) * len(cat.therapies)
    assert set(m["evidence"]) == {"no data"}
    first = list(cat.mechanisms)[0]
    cell = m[(m["mechanism"] == first) & (m["therapy"] == "cisplatin")].iloc[0]
    assert cell["model_rf"] == 2.0 and cell["model_condition"] == "hypoxic" and cell["model"] == "acts"
    assert 2.0 >= THRESHOLD
    second = m[(m["mechanism"] == list(cat.mechanisms)[1])]
    assert set(second["model"]) == {"no effect"}
    # agreement follows the claim and the model only
    expect = [agreement(c == "acts", md == "acts", "no data") for c, md in zip(m["claim"], m["model"], strict=True)]
    assert list(m["agreement"]) == expect


def test_filter_matrix(rf) -> None:
    cat = catalog()
    m = answer_matrix(cat, rf, None)
    delivery = filter_matrix(m, stage="delivery")
    assert set(delivery["mechanism"]) == {x.id for x in cat.mechanisms.values() if "delivery" in x.stages}
    drugs = filter_matrix(m, therapy="drug")
    assert set(drugs["modality"]) == {"drug"}
    assert filter_matrix(m, therapy="cisplatin")["therapy"].unique().tolist() == ["cisplatin"]
    assert filter_matrix(m, verdict="supported").empty
    assert np.all(filter_matrix(m)["model_rf"] > 0)
