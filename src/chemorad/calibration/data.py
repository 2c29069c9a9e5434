"""The data the calibration sees, as arrays: line covariates, response observations, Yard survival curves.

`CalibrationData` holds (NumPy, no JAX):

- lines (N), tissue index per line (tissues: names), Z (N, J): the catalog markers' within-tissue z-scores
  (`evidence.scores`, missing -> 0, the tissue average), marker_mechanism (J, M) 0/1: which mechanism each marker
  feature belongs to (the catalog's markers), G (N, P): the line-factor covariates from expression
  (`ExpressionBasis`: a proliferation score and the leading principal components; 0 for a line without expression),
  factors: how many line sensitivity factors the model has;
- drug observations in long form: obs_line, obs_column (index into `columns`), obs_value; per column its dataset,
  therapy index, kind ('ln_ic50': GDSC ln IC50 in ln uM, modelled on that scale; 'auc': CTRP AUC standardised per
  column, modelled through an affine link), centre and scale (to undo the standardisation);
- Yard surviving fractions: yard_line, yard_dose_gy, yard_sf (9-day proliferation assay, may exceed 1);
- clonogenic curves (optional, PIDE 3.4: only when asked for, `bundle_data(optional=("pide",))`): clono_line,
  clono_value, the LQ log-kill at 2 Gy ln(2 alpha + 4 beta) of each published curve (`calibration.clonogenic`);
- perturbations (the catalog's table): pert_line (index, or -1: the reference cell), pert_mechanism, pert_activity
  (activity change of the knockdown/overexpression), pert_therapy, pert_ln_fold (measured ln ratio, perturbed /
  control), pert_target_sf (the surviving fraction at which doses are compared; NaN for an SF2 ratio), pert_id.

Covariates of the line factors (`ExpressionBasis`): column 0 is a proliferation score, the mean z-score of the
meta-PCNA proliferation signature genes present in GDSC expression (Venet, Dumont & Detours 2011, PLoS Comput Biol
7:e1002240; Whitfield et al. 2002, Mol Biol Cell 13:1977; gene list recalled, not read); columns 1..P-1 are the leading
principal components of the BASIS_GENES most variable genes (standardised over the bundle's lines), each scaled to unit
variance. The basis is fitted on expression only (no response enters it) and travels with the posterior, so a new
line's expression is projected on exactly the axes the calibration used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from chemorad.calibration.spec import ChainSpec
from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import Likelihood, Modality, calibrated_datasets, response_dataset
from chemorad.errors import ChemoradError

PROLIFERATION_GENES = (
    "MKI67",
    "TOP2A",
    "PCNA",
    "MCM2",
    "MCM3",
    "MCM6",
    "CCNB1",
    "BUB1B",
    "CDK1",
    "CDC20",
    "AURKA",
    "TYMS",
    "RRM2",
    "CCNE1",
    "FOXM1",
    "MYBL2",
    "E2F1",
    "CENPF",
    "PLK1",
    "CCNA2",
    "UBE2C",
)
#: the data sets the calibration fits, in the order `col_dataset` indexes them (`registry.calibrated_datasets`)
DATASETS = tuple(d.id for d in calibrated_datasets())
#: the primary drug metric modelled per drug data set; a radiation survival curve enters as surviving fractions at each
#: dose instead
DRUG_KIND = {d.id: d.primary_metric for d in calibrated_datasets() if d.modality is Modality.drug}
#: the one radiation survival-curve data set (`yard_line`, `yard_dose_gy`, `yard_sf` hold its curves)
CURVE_DATASET = next(d.id for d in calibrated_datasets() if d.likelihood is Likelihood.survival_curve)
#: the one clonogenic data set (`clono_line`, `clono_value` hold its curves' log-kill), optional
CLONO_DATASET = next(d.id for d in calibrated_datasets() if d.likelihood is Likelihood.clonogenic_log_kill)
#: genes (most variable over the bundle's lines) and principal components of the expression basis
BASIS_GENES = 2000
BASIS_COMPONENTS = 60
#: line sensitivity factors: one general (positive loading on every therapy) and two free axes
FACTORS = 3


@dataclass(frozen=True)
class ExpressionBasis:
    """Expression -> line-factor covariates (module docstring). genes: the basis genes; mean, sd: their mean and sd
    over the bundle's lines; components (P-1, genes): principal axes of the standardised genes; pc_sd: the sd of each
    component's scores (each covariate is a score / its sd); prolif: which basis genes are proliferation genes;
    prolif_sd: sd of the proliferation score."""

    genes: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray
    components: np.ndarray
    pc_sd: np.ndarray
    prolif: np.ndarray
    prolif_sd: float

    @property
    def n_covariates(self) -> int:
        return 1 + len(self.components)

    def transform(self, expr: pd.DataFrame) -> np.ndarray:
        """(lines, P) covariates of the rows of `expr` (lines x genes, GDSC RMA scale). A basis gene the frame lacks
        and a missing value count as the bundle's mean (z = 0); a line with no value at all gets 0 (the average)."""
        x = expr.reindex(columns=list(self.genes)).to_numpy(dtype=float)
        z = np.nan_to_num((x - self.mean) / self.sd, nan=0.0)
        prolif = z[:, self.prolif].mean(axis=1, keepdims=True) / self.prolif_sd if self.prolif.any() else z[:, :0]
        return np.hstack([prolif, (z @ self.components.T) / self.pc_sd])

    @classmethod
    def fit(cls, expr: pd.DataFrame, n_genes: int = BASIS_GENES, n_components: int = BASIS_COMPONENTS):
        """Fit on the lines with expression: the `n_genes` most variable genes (plus the proliferation genes), PCA by
        SVD of the standardised matrix (numpy.linalg.svd), each axis's sign fixed so its largest loading is positive."""
        expr = expr.dropna(how="all")
        var = expr.var(axis=0)
        top = list(var.sort_values(ascending=False).index[:n_genes])
        genes = tuple(dict.fromkeys(top + [g for g in PROLIFERATION_GENES if g in expr.columns]))
        x = expr[list(genes)].to_numpy(dtype=float)
        mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
        sd[sd == 0] = 1.0
        z = np.nan_to_num((x - mean) / sd, nan=0.0)
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        comp = vt[:n_components]
        comp = comp * np.sign(comp[np.arange(len(comp)), np.abs(comp).argmax(axis=1)])[:, None]
        prolif = np.array([g in PROLIFERATION_GENES for g in genes])
        ps = z[:, prolif].mean(axis=1).std() if prolif.any() else 1.0
        return cls(genes, mean, sd, comp, (z @ comp.T).std(axis=0), prolif, float(ps) or 1.0)


@dataclass(frozen=True)
class CalibrationData:
    lines: tuple[str, ...]
    tissues: tuple[str, ...]
    tissue: np.ndarray
    Z: np.ndarray
    features: tuple[str, ...]
    marker_mechanism: np.ndarray
    G: np.ndarray
    columns: tuple[str, ...]
    col_dataset: np.ndarray  # index into DATASETS
    col_therapy: np.ndarray
    col_is_auc: np.ndarray
    col_centre: np.ndarray
    col_scale: np.ndarray
    obs_line: np.ndarray
    obs_column: np.ndarray
    obs_value: np.ndarray
    yard_line: np.ndarray
    yard_dose_gy: np.ndarray
    yard_sf: np.ndarray
    pert_line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    pert_mechanism: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    pert_activity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pert_therapy: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    pert_ln_fold: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pert_target_sf: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN: an SF-at-2-Gy ratio
    pert_id: tuple[str, ...] = ()
    basis: ExpressionBasis | None = None
    factors: int = FACTORS
    clono_line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    clono_value: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_lines(self) -> int:
        return len(self.lines)

    @property
    def yard_therapy(self) -> int:
        return int(self.radiation[0]) if len(self.radiation) else -1

    def mask(self) -> Mask:
        """Every observation in."""
        return Mask(
            np.ones(len(self.obs_value), bool),
            np.ones(len(self.yard_sf), bool),
            np.ones(len(self.pert_ln_fold), bool),
            np.ones(len(self.clono_value), bool),
        )

    def mask_lines(self, drop: np.ndarray, base: Mask | None = None) -> Mask:
        """Observations of the lines in boolean mask `drop` (over `lines`) left out, their perturbations too."""
        m = base or self.mask()
        keep_p = (self.pert_line < 0) | ~drop[np.maximum(self.pert_line, 0)]
        clono = m.clonogenic_or_all(len(self.clono_value)) & ~drop[self.clono_line]
        return Mask(m.drug & ~drop[self.obs_line], m.yard & ~drop[self.yard_line], m.pert & keep_p, clono)

    def mask_therapy(self, therapy: int, base: Mask | None = None) -> Mask:
        """Every observation of one therapy left out (its responses, its radiation curves if it is radiation, its
        perturbations)."""
        m = base or self.mask()
        yard = m.yard & (self.yard_therapy != therapy)
        clono = m.clonogenic_or_all(len(self.clono_value)) & (self.yard_therapy != therapy)
        return Mask(
            m.drug & (self.col_therapy[self.obs_column] != therapy),
            yard,
            m.pert & (self.pert_therapy != therapy),
            clono,
        )

    radiation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


@dataclass(frozen=True)
class Mask:
    """Which observations enter the likelihood (True) : drug responses, Yard surviving fractions, perturbations, and
    clonogenic curves (None: every one there is)."""

    drug: np.ndarray
    yard: np.ndarray
    pert: np.ndarray
    clonogenic: np.ndarray | None = None

    def clonogenic_or_all(self, n: int) -> np.ndarray:
        return np.ones(n, bool) if self.clonogenic is None else np.asarray(self.clonogenic, bool)


def bundle_data(
    cat: Catalog,
    spec: ChainSpec,
    data: str | os.PathLike[str] | None = None,
    progress=None,
    basis: ExpressionBasis | None = None,
    optional: tuple[str, ...] = (),
) -> CalibrationData:
    """Assemble `CalibrationData` from the evidence bundle for the catalog's therapies (module docstring). `basis`:
    the expression basis of a posterior (predictions), else fitted on the bundle's expression (calibration).
    `optional`: optional data sets to add (`OPTIONAL_LIKELIHOODS`; each must be present, `attach_optional`)."""
    from chemorad.bundle import datasets as ds
    from chemorad.evidence.responses import drug_responses, split, therapy_columns
    from chemorad.evidence.scores import mechanism_scores

    say = progress or (lambda _m: None)
    say("markers")
    sc = mechanism_scores(cat, data)
    markers = sc.markers.dropna(how="all")
    tissue = sc.tissue.reindex(markers.index)
    markers = markers[tissue.notna().to_numpy()]
    tissue = tissue.loc[markers.index]
    lines = markers.index.astype(str)
    tissues = tuple(sorted(tissue.unique()))
    t_idx = np.array([tissues.index(t) for t in tissue], dtype=int)
    features = tuple(markers.columns)
    mm = np.zeros((len(features), len(spec.mechanisms)))
    used = sc.coverage[sc.coverage["status"] == "used"]
    for feat, mech in zip(used["feature"], used["mechanism"], strict=True):
        if feat in features and mech in spec.mechanisms:
            mm[features.index(feat), spec.mechanisms.index(mech)] = 1.0
    say("expression basis")
    expr = ds.load_expression(data=data)
    expr.index = expr.index.astype(str)
    basis = basis or ExpressionBasis.fit(expr)
    G = basis.transform(expr.reindex(lines))
    say("responses")
    resp = drug_responses(cat, data)
    owner = {c: tid for tid, cs in therapy_columns(cat, resp.columns).items() for c in cs}
    cols, c_ds, c_t, c_auc, c_mu, c_sd, o_line, o_col, o_val = [], [], [], [], [], [], [], [], []
    pos = {name: i for i, name in enumerate(lines)}
    for col in resp.columns:
        dataset, _, metric = split(col)
        if col not in owner or metric != DRUG_KIND.get(dataset):
            continue
        y = resp[col].dropna()
        y = y[y.index.isin(pos)]
        if len(y) < 10:
            continue
        is_auc = response_dataset(dataset).likelihood is Likelihood.affine_auc
        mu, sd = (float(y.mean()), float(y.std(ddof=0)) or 1.0) if is_auc else (0.0, 1.0)
        k = len(cols)
        cols.append(col)
        c_ds.append(DATASETS.index(dataset))
        c_t.append(spec.therapy_index(owner[col]))
        c_auc.append(is_auc)
        c_mu.append(mu)
        c_sd.append(sd)
        o_line += [pos[x] for x in y.index]
        o_col += [k] * len(y)
        o_val += list((y.to_numpy(dtype=float) - mu) / sd)
    say("Yard survival curves")
    yard = ds.load_response(CURVE_DATASET, data)
    sf_cols = [c for c in yard.columns if c.startswith("sf_") and c.endswith("gy")]
    y_line, y_dose, y_sf = [], [], []
    for name, row in yard[sf_cols].iterrows():
        if name not in pos:
            continue
        for c in sf_cols:
            if np.isfinite(row[c]):
                y_line.append(pos[name])
                y_dose.append(float(c[3:-2]))
                y_sf.append(float(row[c]))
    rad = np.flatnonzero(spec.is_radiation)
    out = CalibrationData(
        lines=tuple(lines),
        tissues=tissues,
        tissue=t_idx,
        Z=markers.fillna(0.0).to_numpy(dtype=float),
        features=features,
        marker_mechanism=mm,
        G=G,
        columns=tuple(cols),
        col_dataset=np.array(c_ds, dtype=int),
        col_therapy=np.array(c_t, dtype=int),
        col_is_auc=np.array(c_auc, dtype=bool),
        col_centre=np.array(c_mu),
        col_scale=np.array(c_sd),
        obs_line=np.array(o_line, dtype=int),
        obs_column=np.array(o_col, dtype=int),
        obs_value=np.array(o_val),
        yard_line=np.array(y_line, dtype=int),
        yard_dose_gy=np.array(y_dose),
        yard_sf=np.array(y_sf),
        radiation=rad[:1],
        basis=basis,
    )
    out = attach_optional(out, optional, data, say)
    return attach_perturbations(cat, spec, out)


#: the optional data sets (`bundle.optional.OPTIONAL`) the calibration can use, each with its registered likelihood
OPTIONAL_LIKELIHOODS = {CLONO_DATASET: Likelihood.clonogenic_log_kill}


def missing_optional(name: str, data) -> str:
    """The one-line reason optional set `name` cannot be used ('' when it can): unknown to the calibration, or absent
    from the data folder (naming its files, where to put them and where to get them)."""
    from chemorad.bundle import optional as opt

    if name not in OPTIONAL_LIKELIHOODS:
        return f"optional data set {name!r}: the calibration uses {', '.join(OPTIONAL_LIKELIHOODS)}"
    if opt.find(name, data) is not None:
        return ""
    spec = opt.OPTIONAL[name]
    where = os.path.join(os.fspath(data), spec.folder) if data is not None else spec.folder
    return f"optional data set {name!r} not found: put {', '.join(spec.files)} in {where} ({spec.source})"


def attach_optional(d: CalibrationData, optional: tuple[str, ...], data, say=None) -> CalibrationData:
    """`d` with the observations of each optional set in `optional` (PIDE: one log-kill per clonogenic curve of a
    line in `d.lines`, `calibration.clonogenic`); an unknown or absent set is a ChemoradError naming what is missing."""
    from chemorad.bundle import datasets as ds
    from chemorad.bundle.pide import named_curves
    from chemorad.calibration.clonogenic import curve_observations

    for name in optional:
        folder = ds.data_dir(data)
        why = missing_optional(name, folder)
        if why:
            raise ChemoradError(why)
        (say or (lambda _m: None))(f"{name} clonogenic curves")
        curves, _ = named_curves(folder)
        line, value = curve_observations(curves, d.lines)
        d = replace(d, clono_line=line, clono_value=value)
    return d


def attach_perturbations(cat: Catalog, spec: ChainSpec, d: CalibrationData) -> CalibrationData:
    """Add the catalog's perturbation table as observations: each entry's measured ln ratio (perturbed / control) for
    its therapy under an activity change of +-1 of its mechanism (`chain.perturbations.activity_for`: the catalog
    marker decides the sign), in the reference cell at the oxic pO2 (the entries' cell lines are free text and
    mostly outside the bundle). Entries without a catalog mechanism or therapy are left out (none is invented).
    """
    from chemorad.catalog.perturbations import TARGET_SF
    from chemorad.chain.perturbations import activity_for

    rows = []
    for e in getattr(cat, "perturbations", {}).values():
        if e.mechanism not in spec.mechanisms or e.therapy not in spec.therapies:
            continue
        activity, _ = activity_for(cat, e)
        target = TARGET_SF[e.metric]
        rows.append(
            (
                spec.mechanisms.index(e.mechanism),
                activity,
                spec.therapies.index(e.therapy),
                float(np.log(e.value)),
                np.nan if target is None else float(target),
                e.id,
            )
        )
    if not rows:
        return d
    pm, pa, pt, pf, ps, pid = zip(*rows, strict=True)
    return replace(
        d,
        pert_line=np.full(len(rows), -1, dtype=int),
        pert_mechanism=np.array(pm, dtype=int),
        pert_activity=np.array(pa, dtype=float),
        pert_therapy=np.array(pt, dtype=int),
        pert_ln_fold=np.array(pf, dtype=float),
        pert_target_sf=np.array(ps, dtype=float),
        pert_id=tuple(pid),
    )


def check_nonempty(d: CalibrationData) -> None:
    if len(d.obs_value) + len(d.yard_sf) + len(d.pert_ln_fold) + len(d.clono_value) == 0:
        raise ChemoradError("data: no observations to calibrate on (no responses, Yard curves or perturbations)")
