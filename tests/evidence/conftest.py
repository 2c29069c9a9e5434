"""Fixtures shared by the evidence tests: the bundle's scores, responses and covariates, computed once."""

from __future__ import annotations

import pytest

from chemorad.catalog import catalog
from chemorad.evidence.claims import evidence_tables


@pytest.fixture(scope="session")
def bundle_tables(shared_data):
    """(scores, responses, covariates) of the data bundle (`claims.evidence_tables`)."""
    return evidence_tables(catalog(), shared_data)
