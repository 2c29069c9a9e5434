"""Use case: given an observed response to one therapy, the predicted responses to others (within-tissue joint data).

`chemorad.evidence.conditional` does the science: a tissue copula of the two responses over the bundle's lines,
optionally with a bundle line's molecular profile. Used by `chemorad evidence conditional`, the web explorer's
cross-resistance page and `/api/conditional`. (`chemorad predict --observed` conditions each predicted sample, in
`chemorad.app.predict`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.app.defaults import shown_first
from chemorad.catalog import Catalog
from chemorad.context import Context
from chemorad.errors import ChemoradError, unknown

#: targets when none are given: radiotherapy and the drugs most often given with it (those in the catalog;
#: app/data/defaults.yaml)
COMMON_DRUGS = shown_first("conditional_targets")


@dataclass(frozen=True)
class ConditionalQuery:
    """An observed response (``THERAPY=resistant``, ``=sensitive``, ``=q0.9`` or a value of its primary metric), the
    target therapies (None: radiotherapy and common drugs; an empty list is refused), optionally a bundle line whose
    profile also conditions, and the bootstrap size and seed."""

    observed: str
    targets: list[str] | None = None
    cell_line: str | None = None
    n_boot: int = 200
    seed: int = 0


@dataclass(frozen=True)
class EvidenceData:
    """The bundle tables the conditional needs, when the caller already holds them (the web server's caches):
    mechanism scores (lines x mechanisms), responses (lines x response columns) and tissue per line."""

    scores: pd.DataFrame
    responses: pd.DataFrame
    tissue: pd.Series


@dataclass(frozen=True)
class ConditionalResult:
    """One row per target (and model); `observed` is the observation as parsed (its canonical text)."""

    table: pd.DataFrame
    observed: str


def conditional(ctx: Context, query: ConditionalQuery, *, evidence: EvidenceData | None = None) -> ConditionalResult:
    """Predicted within-tissue percentiles and P(top quarter) of the targets given the observation.

    A malformed observation, an empty or unknown target, or a line without data is a one-line `ChemoradError`.
    `evidence`: the tables, when already loaded; otherwise they are read from the context's data bundle.
    """
    from chemorad.bundle.names import canonical_name
    from chemorad.evidence.conditional import conditional_prediction, parse_observed

    cat = ctx.catalog
    obs = parse_observed(query.observed, cat)
    if query.targets is None:
        targets = _default_targets(cat, obs.therapy)
    else:
        targets = [t.strip() for t in query.targets if t.strip()]
        if not targets:
            raise ChemoradError(
                "--therapies: empty list; give comma-separated therapy ids, e.g. radiotherapy,docetaxel"
            )
        for t in targets:
            cat.therapy(t)
    if evidence is None:
        evidence = _evidence(ctx)
    line = None
    if query.cell_line is not None:
        line = canonical_name(query.cell_line)
        if line not in evidence.scores.index:
            raise unknown("cell line", query.cell_line, evidence.scores.index)
    table = conditional_prediction(
        cat,
        evidence.responses,
        evidence.tissue,
        obs,
        targets,
        np.random.default_rng(query.seed),
        scores=evidence.scores if line else None,
        sample_line=line,
        n_boot=query.n_boot,
    )
    return ConditionalResult(table, obs.text)


def _evidence(ctx: Context) -> EvidenceData:
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.claims import evidence_tables

    sc, resp, _ = evidence_tables(ctx.catalog, ctx.data)
    return EvidenceData(sc.scores, resp, ds.cell_lines(ctx.data)["tissue"])


def _default_targets(cat: Catalog, observed_therapy: str) -> list[str]:
    """Radiotherapy and the drugs most often given with it, without the observed therapy."""
    picks = [cat.radiotherapy.id, *COMMON_DRUGS]
    return [t for t in picks if t != observed_therapy and t in cat.therapies]
