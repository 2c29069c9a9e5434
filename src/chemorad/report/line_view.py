"""What a cell-line page shows: the line's responses with their percentile among lines of the same tissue, its driver
mutations, the expression of the catalog's genes, and its radiation survival curve with the linear-quadratic fit.
Pure functions of tables the caller has already loaded.

Percentile among tissue peers (mid-rank, in %): for a value v and the n peers with a value (the line included),
P = 100 (#{peers < v} + #{peers = v} / 2) / n. Responses are oriented higher = more resistant
(`evidence.responses`), so P = 90 means more resistant than about 90% of the line's tissue.

Survival curve: Yard et al. 2016 (Nat Commun 7:11428) surviving fractions at 1-10 Gy (9-day proliferation assay; SF can
exceed 1 at low dose), fitted with `evidence.curves.fit_lq` (SF = exp(-alpha D - beta D^2), exact non-negative least
squares on ln SF); the RadioGx fit of the same curve (Manem et al. 2019, Cancer Res 79:6227) is shown beside it when
the bundle has it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.bundle.names import canonical_name
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import RESPONSE_DATASETS, ResponseKey
from chemorad.errors import ChemoradError, unknown
from chemorad.evidence.curves import fit_lq, lq_survival, sf_columns

__all__ = [
    "SurvivalCurve",
    "driver_mutations",
    "gene_expression",
    "line_responses",
    "peer_percentile",
    "resolve_line",
    "survival_curve",
]


def resolve_line(name: str, lines: pd.DataFrame) -> str:
    """The bundle's canonical name of a cell line from any spelling (`names.canonical_name`, then the aliases).

    `lines` is `datasets.cell_lines()` (index: canonical name; column `aliases`). An unknown line is a
    `ChemoradError` naming the closest known lines.
    """
    text = str(name).strip()
    key = canonical_name(text)
    if key in lines.index:
        return key
    if text.upper() in lines.index:
        return text.upper()
    known = list(lines.index) + [a for al in lines["aliases"].dropna() for a in str(al).split("; ")]
    raise unknown("cell line", text, known)


def peer_percentile(values: pd.DataFrame, peers: pd.Index, line: str) -> pd.Series:
    """Mid-rank percentile (%) of `line`'s value in each column of `values` among the rows `peers` (see module doc).

    NaN where the line has no value. `peers` should include the line.
    """
    v = values.loc[line]
    group = values.loc[values.index.intersection(peers)]
    n = group.notna().sum()
    below = group.lt(v).sum()
    equal = group.eq(v).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * (below + 0.5 * equal) / n
    return pct.where(v.notna() & (n > 0))


def line_responses(cat: Catalog, resp: pd.DataFrame, tissue: pd.Series, line: str) -> pd.DataFrame:
    """The line's measured responses: therapy name and id, data set, metric, value, the tissue's lines with a value,
    the tissue median, the percentile among them, and the percentile among all lines. Most resistant first."""
    cols = ["therapy", "id", "dataset", "metric", "value", "tissue_lines", "tissue_median", "tissue_percentile",
            "all_percentile", "column"]  # fmt: skip
    if line not in resp.index:
        return pd.DataFrame(columns=cols)
    own = resp.loc[line]
    measured = own.index[own.notna()]
    sub = resp[measured]
    t = tissue.get(line)
    peers = tissue.index[tissue == t] if isinstance(t, str) else pd.Index([line])
    peers = peers.union(pd.Index([line]))
    group = sub.loc[sub.index.intersection(peers)]
    keys = [ResponseKey.parse(c) for c in measured]
    therapies = [cat.therapy_for_response(k) for k in keys]
    rows = {
        "therapy": [th.name if th else k.compound for th, k in zip(therapies, keys, strict=True)],
        "id": [th.id if th else "" for th in therapies],
        "dataset": [RESPONSE_DATASETS[k.dataset].name if k.dataset in RESPONSE_DATASETS else k.dataset for k in keys],
        "metric": [k.metric for k in keys],
        "value": own[measured].to_numpy(dtype=float),
        "tissue_lines": group.notna().sum().to_numpy(dtype=int),
        "tissue_median": group.median().to_numpy(dtype=float),
        "tissue_percentile": peer_percentile(sub, peers, line).to_numpy(dtype=float),
        "all_percentile": peer_percentile(sub, sub.index, line).to_numpy(dtype=float),
        "column": list(measured),
    }
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("tissue_percentile", ascending=False, kind="stable").reset_index(drop=True)


def driver_mutations(features: pd.DataFrame, line: str) -> list[str]:
    """Genes whose GDSC driver-mutation feature (`<GENE>_mut`, Iorio et al. 2016) is 1 for the line, sorted."""
    if line not in features.index:
        return []
    cols = [c for c in features.columns if str(c).endswith("_mut")]
    row = features.loc[line, cols]
    return sorted(str(c).removesuffix("_mut") for c in row.index[row.astype(float) == 1.0])


def gene_expression(expr: pd.DataFrame, tissue: pd.Series, line: str, genes: list[str]) -> pd.DataFrame:
    """The line's expression of `genes` (those measured): value, z-score across all lines ((v - mean) / sd), and its
    percentile among the line's tissue. Sorted by |z|, largest first."""
    cols = ["gene", "value", "z_all", "tissue_percentile"]
    genes = [g for g in genes if g in expr.columns]
    if line not in expr.index or not genes:
        return pd.DataFrame(columns=cols)
    sub = expr[genes].astype(float)
    z = (sub.loc[line] - sub.mean()) / sub.std()
    t = tissue.get(line)
    peers = (tissue.index[tissue == t] if isinstance(t, str) else pd.Index([])).union(pd.Index([line]))
    pct = peer_percentile(sub, peers, line)
    out = pd.DataFrame({"gene": genes, "value": sub.loc[line].to_numpy(), "z_all": z.to_numpy(),
                        "tissue_percentile": pct.to_numpy()})  # fmt: skip
    order = np.argsort(-np.abs(out["z_all"].to_numpy(dtype=float)), kind="stable")
    return out.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class SurvivalCurve:
    """A line's measured survival and its LQ fits; `points` has dose_gy, sf, sf_lq (and sf_radiogx when known)."""

    line: str
    points: pd.DataFrame
    alpha: float
    beta: float
    sf2: float
    r_squared: float
    radiogx: tuple[float, float] | None  # (alpha, beta) of RadioGx, when the bundle has them

    def fitted(self, dose_gy: np.ndarray) -> np.ndarray:
        return lq_survival(dose_gy, self.alpha, self.beta)


def survival_curve(yard: pd.DataFrame, radiogx: pd.DataFrame | None, line: str) -> SurvivalCurve:
    """Yard 2016 surviving fractions of `line` with chemorad's LQ fit (`fit_lq`) and, if present, RadioGx's."""
    if line not in yard.index:
        raise ChemoradError(f"cell line {line!r}: not in the radiation screen (Yard et al. 2016)")
    doses, cols = sf_columns(yard)
    sf = yard.loc[[line], cols].astype(float)
    fit = fit_lq(doses, sf).iloc[0]
    points = pd.DataFrame({"dose_gy": doses, "sf": sf.to_numpy()[0]})
    points["sf_lq"] = lq_survival(doses, fit["alpha"], fit["beta"])
    rgx = None
    if radiogx is not None and line in radiogx.index and np.isfinite(radiogx.loc[line, ["alpha", "beta"]]).all():
        rgx = (float(radiogx.loc[line, "alpha"]), float(radiogx.loc[line, "beta"]))
        points["sf_radiogx"] = lq_survival(doses, *rgx)
    return SurvivalCurve(line, points, float(fit["alpha"]), float(fit["beta"]), float(fit["sf2"]),
                         float(fit["r_squared"]), rgx)  # fmt: skip
