"""Model selection for the profile: an honest cross-validated comparison of chemorad's response model with the
tissue-only and expression-ridge baselines, and the damage chain's zero-parameter prediction on the same lines.

Folds: `line_folds` deals every line of the bundle into K folds once (seeded), so a line is in the same test fold for
every response and contender. Each response's out-of-fold predictions come from `sklearn.model_selection.
cross_val_predict` with `GroupKFold`, the groups being those fold numbers (K groups in K splits: each test fold is
exactly one group, whatever subset of lines the response has). Every contender is fitted on the training folds only
(its penalties by leave-one-out inside them) and predicts the held-out fold; each is scored by the Spearman correlation
of its pooled out-of-fold predictions with the observed response. The chain's prediction (log dose for 50% survival of
the phenotype whose activities are the scores, `chain.survival.dose_for_survival`) has no parameters to fit, so it is
scored on the same lines without folds. Two contenders combine it with the ridges: 'hybrid' (`ChainResidualRidge`) and
'stacked' (`gene_models.StackedResponse`, whose stacking weights come from inner leave-one-out predictions of each
training fold: nested, the held-out fold never chooses them).

Data: Yard et al. 2016, Nat Commun 7:11428 (radiation); GDSC1/GDSC2, Yang et al. 2013, Nucleic Acids Res 41:D955 and
Iorio et al. 2016, Cell 166:740; CTRP v2, Seashore-Ludlow et al. 2015, Cancer Discov 5:1210; CCLE RPPA, Li et al. 2017,
Cancer Cell 31:225.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import ResponseKey
from chemorad.errors import ChemoradError
from chemorad.profile.ridge_terms import CHAIN, GENE
from chemorad.profile.training import DATASETS, MIN_LINES, bundle_tables, response_columns, usable_lines, with_tissue

__all__ = [
    "CONTENDERS",
    "CVPlan",
    "CVTables",
    "chain_prediction",
    "chain_predictions",
    "contender_scores",
    "cross_validate_models",
    "line_folds",
    "out_of_fold",
    "stacked_out_of_fold",
]

CONTENDERS = ("chemorad", "tissue", "expression", "boosted", "hybrid", "stacked")


def _estimators() -> dict[str, type]:
    """Contender name -> estimator class (imported here: `chain_prediction` and `line_folds` serve the prediction
    path, which does not load scikit-learn)."""
    from chemorad.profile.estimators import (
        BoostedTrees,
        ChainResidualRidge,
        ExpressionRidge,
        ResponseModel,
        TissueMeanModel,
    )
    from chemorad.profile.gene_models import StackedResponse

    return {
        "tissue": TissueMeanModel,
        "chemorad": ResponseModel,
        "expression": ExpressionRidge,
        "boosted": BoostedTrees,
        "hybrid": ChainResidualRidge,
        "stacked": StackedResponse,
    }


#: contenders fitted on the expression genes (the others on the catalog markers; 'stacked' on both)
_ON_GENES = ("expression", "hybrid", "stacked")
_ORDER = [
    "therapy",
    "dataset",
    "compound",
    "metric",
    "column",
    "contender",
    "n",
    "spearman",
    "spearman_fold_mean",
    "spearman_fold_sd",
    "spearman_within_tissue",
    "rmse",
    "note",
]


@dataclass(frozen=True)
class CVPlan:
    """What to cross-validate and how.

    datasets, therapies, metrics ('all' or 'primary'): the response columns (`training.response_columns`), unless
    `columns` names them directly. n_splits, seed: the folds (`line_folds`). contenders: among `CONTENDERS`. chain: also
    score the chain's prediction. min_lines: responses with fewer usable lines get one 'skipped' row.
    """

    datasets: tuple[str, ...] = DATASETS
    therapies: tuple[str, ...] | None = None
    columns: tuple[str, ...] | None = None
    metrics: str = "all"
    n_splits: int = 5
    seed: int = 0
    contenders: tuple[str, ...] = ("chemorad", "tissue", "expression")
    chain: bool = True
    min_lines: int = MIN_LINES

    def __post_init__(self) -> None:
        bad = [c for c in self.contenders if c not in CONTENDERS]
        if bad or not self.contenders:
            raise ChemoradError(
                f"contenders: unknown {', '.join(map(repr, bad)) or '(none given)'}; expected {CONTENDERS}"
            )


@dataclass(frozen=True)
class CVTables:
    """The tables a cross-validation reads: features (lines x markers), responses (lines x columns), tissue (per line),
    expression (lines x genes; needed by the expression contender) and chain_scores (lines x mechanisms for the chain;
    default the features)."""

    features: pd.DataFrame
    responses: pd.DataFrame
    tissue: pd.Series
    expression: pd.DataFrame | None = None
    chain_scores: pd.DataFrame | None = None

    @classmethod
    def from_bundle(cls, cat: Catalog, data=None, expression: bool = True) -> CVTables:
        from chemorad.bundle import datasets as ds

        features, resp, tissue, mech = bundle_tables(cat, data)
        expr = ds.load_expression(data=data) if expression else None
        return cls(features, resp, tissue, expr, mech)


def line_folds(lines: Iterable[str], n_splits: int = 5, seed: int | np.random.Generator = 0) -> pd.Series:
    """A fold number (0 .. n_splits - 1) per distinct line: a random permutation dealt round-robin, so folds differ in
    size by at most one line. The same line is in the same fold for every response and every contender."""
    if not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ChemoradError(f"n_splits: expected an integer >= 2, got {n_splits!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    uniq = np.array(sorted({str(x) for x in lines}), dtype=object)
    if len(uniq) < n_splits:
        raise ChemoradError(f"lines: {len(uniq)} distinct line(s), fewer than n_splits={n_splits}")
    perm = rng.permutation(len(uniq))
    fold = np.empty(len(uniq), dtype=int)
    fold[perm] = np.arange(len(uniq)) % n_splits
    return pd.Series(fold, index=pd.Index(uniq, name="cell_line"), name="fold")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def _chain_phenotype(cat: Catalog, scores: pd.DataFrame):
    """The phenotype whose activities are the scores of the catalog's mechanisms (NaN -> 0, the reference cell; other
    columns ignored), read from the table in one block rather than column by column."""
    from chemorad.chain.phenotype import from_array

    col = {m: i for i, m in enumerate(cat.mechanisms)}
    at = [j for j, c in enumerate(scores.columns) if c in col]
    a = np.zeros((len(scores), len(col)))
    a[:, [col[scores.columns[j]] for j in at]] = np.nan_to_num(scores.iloc[:, at].to_numpy(dtype=float), nan=0.0)
    return from_array(cat, a)


def chain_prediction(cat: Catalog, therapy: str, scores: pd.DataFrame) -> pd.Series:
    """The chain's mechanistic prediction, no fitting: ln of the dose (Gy or uM) giving 50% survival for the phenotype
    whose activities are the scores (NaN -> 0, the reference cell); higher = more resistant."""
    from chemorad.chain.survival import dose_for_survival

    dose = dose_for_survival(cat, therapy, 0.5, _chain_phenotype(cat, scores))
    return pd.Series(np.log(dose), index=scores.index, name="chain")


def chain_predictions(cat: Catalog, therapies: Iterable[str], scores: pd.DataFrame) -> pd.DataFrame:
    """`chain_prediction` of several therapies at once (samples x therapies), with NaN for a therapy the chain cannot
    dose (unknown, or lacking a parameter). One phenotype and one bisection for all therapies
    (`chain.survival.doses_for_survival`), so the numbers equal `chain_prediction`'s therapy by therapy, bit for bit."""
    from chemorad.chain.survival import dose_response, doses_for_survival

    therapies = list(therapies)
    ph = _chain_phenotype(cat, scores)
    ln_d50 = np.full((len(therapies), len(scores)), np.nan)
    rows, responses = [], []
    for i, t in enumerate(therapies):
        try:
            responses.append(dose_response(cat, t, ph))
        except ChemoradError:  # the chain cannot dose it: NaN, as `chain_prediction` raising
            continue
        rows.append(i)
    if responses:
        ln_d50[rows] = np.log(doses_for_survival(responses, 0.5))
    return pd.DataFrame(ln_d50.T, index=scores.index, columns=therapies)


def out_of_fold(contender: str, X: pd.DataFrame, y: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Out-of-fold predictions of one contender: `cross_val_predict` over `GroupKFold` with the fold numbers as
    groups, so each test fold is exactly one of the shared folds. X carries the tissue column."""
    from sklearn.model_selection import GroupKFold, cross_val_predict

    n_groups = len(np.unique(fold))
    if n_groups < 2:
        raise ChemoradError(f"folds: the lines of this response fall in {n_groups} fold(s); at least 2 are needed")
    return cross_val_predict(_estimators()[contender](), X, y, groups=fold, cv=GroupKFold(n_splits=n_groups))


def hybrid_out_of_fold(X: pd.DataFrame, y: np.ndarray, fold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of `ChainResidualRidge` on the shared folds and each prediction's mechanistic share
    (|chain part| / (|chain part| + |residual part|))."""
    from chemorad.profile.estimators import ChainResidualRidge

    pred, share = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for k in np.unique(fold):
        test = fold == k
        model = ChainResidualRidge().fit(X.loc[~test], y[~test])
        parts = model.parts(X.loc[test])
        pred[test] = (parts["chain"] + parts["residual"] + parts["constant"]).to_numpy()
        share[test] = parts["mechanistic_share"].to_numpy()
    return pred, share


def stacked_out_of_fold(X: pd.DataFrame, y: np.ndarray, fold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of `gene_models.StackedResponse` (the chain, the marker ridge and the gene ridge,
    non-negative weights from inner leave-one-out predictions of the training folds only: nested) and each
    prediction's mechanistic share. X: genes named ``GENE + symbol``, markers, `CHAIN`, tissue."""
    from chemorad.profile.gene_models import StackedResponse

    pred, share = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for k in np.unique(fold):
        test = fold == k
        iv, _ = StackedResponse().fit(X.loc[~test], y[~test]).explain(X.loc[test])
        pred[test] = iv["prediction"].to_numpy()
        share[test] = iv["mechanistic_share"].to_numpy()
    return pred, share


def _chain_or_nan(cat: Catalog, therapy: str, scores: pd.DataFrame) -> np.ndarray:
    """`chain_prediction` as an array; NaN where the chain cannot dose the therapy."""
    if not therapy:
        return np.full(len(scores), np.nan)
    try:
        pred = chain_prediction(cat, therapy, scores).to_numpy(dtype=float)
    except ChemoradError:
        return np.full(len(scores), np.nan)
    return np.where(np.isfinite(pred), pred, np.nan)


def contender_scores(y: np.ndarray, pred: np.ndarray, fold: np.ndarray, centre: np.ndarray | None) -> dict:
    """Pooled and per-fold Spearman rho, within-tissue rho (both sides minus `centre`, the out-of-fold tissue mean;
    NaN without a centre) and RMSE of out-of-fold predictions."""
    per_fold = np.array([_spearman(y[fold == k], pred[fold == k]) for k in np.unique(fold)])
    good = np.isfinite(per_fold)
    return {
        "spearman": _spearman(y, pred),
        "spearman_fold_mean": float(per_fold[good].mean()) if good.any() else np.nan,
        "spearman_fold_sd": float(per_fold[good].std(ddof=1)) if good.sum() > 1 else np.nan,
        "spearman_within_tissue": _spearman(y - centre, pred - centre) if centre is not None else np.nan,
        "rmse": float(np.sqrt(np.mean((y - pred) ** 2))),
    }


def _chain_row(cat: Catalog, therapy: str, scores: pd.DataFrame, y: np.ndarray, centre: np.ndarray):
    """(row, predictions or None) of the chain's zero-parameter prediction on the same lines."""
    try:
        pred = chain_prediction(cat, therapy, scores).to_numpy()
    except ChemoradError as exc:  # a therapy the chain cannot dose: report it, do not fail the comparison
        return {"contender": "chain", "n": len(y), "note": str(exc)}, None
    finite = np.isfinite(pred)
    row = {
        "contender": "chain",
        "n": int(finite.sum()),
        "spearman": _spearman(y[finite], pred[finite]),
        "spearman_within_tissue": _spearman((y - centre)[finite], pred[finite]),
    }
    return row, np.where(finite, pred, np.nan)


def _stack_input(expr: pd.DataFrame, features: pd.DataFrame, lines, tissue: pd.Series, chain) -> pd.DataFrame:
    """The stack's X: the genes (renamed ``GENE + symbol``), the catalog markers, the chain and the tissue."""
    genes = expr.loc[lines].add_prefix(GENE)
    return with_tissue(pd.concat([genes, features.loc[lines]], axis=1).assign(**{CHAIN: chain}), tissue)


def _columns(cat: Catalog, responses: pd.DataFrame, plan: CVPlan) -> dict[str, str]:
    """Response column -> therapy id ('' when no catalog therapy measures it)."""
    from chemorad.evidence.responses import therapy_columns

    if plan.columns is None:
        return response_columns(cat, responses.columns, plan.datasets, plan.therapies, plan.metrics)
    owner = {c: tid for tid, cs in therapy_columns(cat, responses.columns).items() for c in cs}
    unknown_cols = [c for c in plan.columns if c not in responses.columns]
    if unknown_cols:
        raise ChemoradError(f"columns: unknown response column(s) {', '.join(unknown_cols)}")
    return {c: owner.get(c, "") for c in plan.columns}


def _one_response(cat, col, tid, tables: CVTables, plan: CVPlan, folds: pd.Series, say) -> tuple[list, pd.DataFrame]:
    """(result rows, out-of-fold predictions) of every contender for one response column."""
    key = ResponseKey.parse(col)
    base = {"therapy": tid, "dataset": key.dataset, "compound": key.compound, "metric": key.metric, "column": col}
    expr = tables.expression if set(_ON_GENES) & set(plan.contenders) else None
    lines = usable_lines(tables.responses[col], tables.features, tables.tissue, expr)
    if len(lines) < plan.min_lines:
        return [{**base, "contender": "skipped", "n": len(lines), "note": f"< {plan.min_lines} lines"}], None
    say(f"{col}: {len(lines)} lines")
    y = tables.responses[col].loc[lines].to_numpy(dtype=float)
    t = tables.tissue.loc[lines]
    fold = folds.reindex(lines.astype(str)).to_numpy()
    mech = tables.chain_scores if tables.chain_scores is not None else tables.features
    uses_chain = {"hybrid", "stacked"} & set(plan.contenders)
    chain_ln_d50 = _chain_or_nan(cat, tid, mech.reindex(lines)) if uses_chain else None
    oof, shares = {}, {}
    for c in dict.fromkeys(("tissue", *plan.contenders)):
        X = with_tissue(expr.loc[lines] if c in _ON_GENES else tables.features.loc[lines], t)
        if c == "hybrid":
            oof[c], shares[c] = hybrid_out_of_fold(X.assign(**{CHAIN: chain_ln_d50}), y, fold)
        elif c == "stacked":
            Xs = _stack_input(expr, tables.features, lines, t, chain_ln_d50)
            oof[c], shares[c] = stacked_out_of_fold(Xs, y, fold)
        else:
            oof[c] = out_of_fold(c, X, y, fold)
    centre = oof["tissue"]
    frame = pd.DataFrame({"column": col, "cell_line": lines, "tissue": t.to_numpy(), "fold": fold, "observed": y})
    frame = frame.assign(**{c: oof[c] for c in plan.contenders})
    for c, share in shares.items():
        frame[f"{c}_mechanistic_share"] = share
    rows = []
    for c in plan.contenders:
        scored = contender_scores(y, oof[c], fold, None if c == "tissue" else centre)
        rows.append({**base, "contender": c, "n": len(lines), **scored})
    if plan.chain and tid:
        row, pred = _chain_row(cat, tid, mech.reindex(lines), y, centre)
        rows.append({**base, **row})
        if pred is not None:
            frame["chain"] = pred
    return rows, frame


def cross_validate_models(
    cat: Catalog,
    data: str | os.PathLike[str] | None = None,
    plan: CVPlan = CVPlan(),  # noqa: B008 (frozen, so a shared default is safe)
    tables: CVTables | None = None,
    progress: Callable[[str], None] | None = None,
    predictions: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Grouped K-fold comparison of chemorad's model with the tissue-only and expression-ridge baselines.

    Lines used for a response: a finite response, a tissue, a row of features and (when the expression contender
    runs) a row of expression, so all contenders see the same lines. `tables` skips loading the bundle. The features
    themselves are standardised within tissue over all lines of the bundle (unsupervised: no response enters them).

    Returns one row per response column x contender: therapy, dataset, compound, metric, column, contender, n (lines),
    spearman (pooled out-of-fold predictions vs observed), spearman_fold_mean, spearman_fold_sd, spearman_within_tissue
    (pooled, both sides minus the out-of-fold tissue mean: what the model adds within tissue; NaN for the tissue
    baseline), rmse. With `plan.chain`, a 'chain' row per response scores `chain_prediction` on the same lines.
    Responses with fewer than `plan.min_lines` usable lines get one row with contender 'skipped'. With `predictions`,
    also returns the out-of-fold predictions, one row per response x line: column, cell_line, tissue, fold, observed
    and one column per contender (and 'chain').
    """
    if tables is None:
        tables = CVTables.from_bundle(cat, data, expression=bool(set(_ON_GENES) & set(plan.contenders)))
    if set(_ON_GENES) & set(plan.contenders) and tables.expression is None:
        raise ChemoradError("tables: the expression contender needs an expression matrix")
    say = progress or (lambda _msg: None)
    folds = line_folds(tables.responses.index.union(tables.features.index), plan.n_splits, plan.seed)
    rows, preds = [], []
    for col, tid in _columns(cat, tables.responses, plan).items():
        got, frame = _one_response(cat, col, tid, tables, plan, folds, say)
        rows += got
        if frame is not None:
            preds.append(frame)
    out = pd.DataFrame(rows).reindex(columns=_ORDER)
    out["n"] = out["n"].astype("Int64")
    if predictions:
        return out, (pd.concat(preds, ignore_index=True) if preds else pd.DataFrame())
    return out
