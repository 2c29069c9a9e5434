"""Calibrated prediction of a cell line's response to each therapy from its catalog markers, and an honest
cross-validated account of how well that works: the names of `estimators` (the models), `training` (fitting one per
response column) and `selection` (cross-validation against the baselines) in one place for scripts and notebooks."""

from chemorad.profile.estimators import ALPHAS, TISSUE, TISSUE_ALPHAS, ExpressionRidge, ResponseModel, TissueMeanModel
from chemorad.profile.selection import (
    CONTENDERS,
    CVPlan,
    CVTables,
    chain_prediction,
    cross_validate_models,
    line_folds,
)
from chemorad.profile.training import (
    DATASETS,
    MIN_LINES,
    ModelSet,
    cytotoxic_therapies,
    fit_all,
    response_columns,
    with_tissue,
)

__all__ = [
    "ALPHAS",
    "CONTENDERS",
    "CVPlan",
    "CVTables",
    "DATASETS",
    "MIN_LINES",
    "TISSUE",
    "TISSUE_ALPHAS",
    "ExpressionRidge",
    "ModelSet",
    "ResponseModel",
    "TissueMeanModel",
    "chain_prediction",
    "cross_validate_models",
    "cytotoxic_therapies",
    "fit_all",
    "line_folds",
    "response_columns",
    "with_tissue",
]
