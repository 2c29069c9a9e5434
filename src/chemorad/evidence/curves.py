"""Linear-quadratic fits of radiation survival curves, imitating RadioGx.

Model: SF(D) = exp(-alpha D - beta D^2), alpha >= 0 (Gy^-1), beta >= 0 (Gy^-2), D in Gy.

Fit (as RadioGx `linearQuadraticModel`, Manem et al. 2019, Cancer Res 79:6227; RadioGx R/linearQuadraticModel.R with
CoreGx `.fitCurve`, family "normal"): least squares on the natural-log scale, y = ln SF, every measured point weighted
equally, with the point (0 Gy, SF = 1) added when no 0 Gy point is given. The model passes through ln SF = 0 at 0 Gy, so
that added point changes no parameter; it only enters r_squared. RadioGx minimises the same loss numerically
(L-BFGS-B from a grid guess, bounds [0, 1]); here the two-parameter non-negative least-squares problem is solved
exactly in closed form, for many curves at once: the unconstrained normal equations, and the three faces
(beta = 0, alpha = 0, both 0) of the feasible quadrant, keeping the feasible candidate of least squared error (the
problem is convex, so that is the global optimum).

Points: SF > 1 (Yard's 9-day proliferation readout exceeds 1 at low dose for 22 of 3,072 points) are kept as measured,
giving ln SF > 0 (RadioGx `trunc = FALSE`); SF <= 0 or NaN cannot be log-transformed and are left out of that curve,
counted in `n_points`. A curve with fewer than 3 usable positive-dose points gives NaN (two points fit any LQ
curve exactly, so R^2 = 1 there would say nothing).

Outputs per curve: alpha, beta, sf2 = SF(2 Gy), d10 = dose (Gy) at SF 0.1 (= 2 ln 10 / (alpha + sqrt(alpha^2 +
4 beta ln 10)); inf when alpha = beta = 0), auc = integral of the fitted SF over 0-10 Gy in Gy, not divided by the range
(the RadioGx `auc_lq` convention: `computeAUC` of the fitted curve, "Fitted" area type; analytic via the scaled
complementary error function), r_squared = 1 - var(residuals) / var(y) on the ln SF scale over the fitted points
including (0, 0) (the CoreGx `.fitCurve` convention; var, not sums of squares, so a non-zero mean residual is not
counted), n_points (points used, including the added 0 Gy point).

Agreement with `radiogx_lq_fits.csv` (all 358 lines, Yard 2016 curves at 1, 2, 3, 4, 5, 6, 8, 10 Gy):

| quantity  | median abs diff | 95th pct abs diff | max abs diff | median rel diff | 95th pct rel diff | Pearson r |
| --------- | --------------: | ----------------: | -----------: | --------------: | ----------------: | --------: |
| alpha     | 5.5e-14         | 1.4e-03           | 3.1e-02      | 3.9e-13         | 1.1e-02           | 0.99987   |
| beta      | 0               | 1.8e-04           | 4.0e-03      | 2.1e-10         | 5.7e-02           | 0.99962   |
| auc_lq    | 6.5e-07         | 7.3e-03           | 1.3e-01      | 1.4e-07         | 1.6e-03           | 0.99996   |
| r_squared | 2.0e-14         | 3.6e-05           | 6.0e-03      | 2.0e-14         | 4.1e-05           | 0.99999   |

(relative differences over lines with a non-zero RadioGx value; fitting all 358 curves takes ~3 ms.)

Half of the lines agree to rounding error. The rest differ because RadioGx's numerical optimiser stops short
of the optimum (its grid step and precision are 0.005): for every line the squared error of these fits is <=
that of the RadioGx parameters (tested), and the largest differences (SW403, NCI-H196, BHT-101) are lines
where RadioGx returned beta = 0 while the exact optimum has beta > 0. RadioGx's upper bounds (alpha, beta <=
1) are not imposed here; no line reaches them. Yard's own `auc_yard` is a different quantity (not reproduced
by this fit; median ratio auc_lq / auc_yard 1.19).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.special import erfcx

from chemorad.errors import ChemoradError

__all__ = ["AUC_RANGE_GY", "fit_lq", "lq_auc", "lq_d10", "lq_survival", "sf_columns"]

#: dose range of the area under the curve, Gy (Yard 2016; RadioGx `auc_lq`)
AUC_RANGE_GY = (0.0, 10.0)
_LN10 = np.log(10.0)
_SF_COLUMN = re.compile(r"^sf_(\d+(?:\.\d+)?)gy$")


def lq_survival(dose_gy, alpha, beta) -> np.ndarray:
    """SF(D) = exp(-alpha D - beta D^2) (D in Gy, alpha in Gy^-1, beta in Gy^-2); broadcasts."""
    dose = np.asarray(dose_gy, dtype=float)
    return np.exp(-np.asarray(alpha, dtype=float) * dose - np.asarray(beta, dtype=float) * dose**2)


def lq_d10(alpha, beta) -> np.ndarray:
    """Dose (Gy) at SF = 0.1: root of alpha D + beta D^2 = ln 10, = 2 ln10 / (alpha + sqrt(alpha^2 + 4 beta ln10))."""
    a = np.asarray(alpha, dtype=float)
    b = np.asarray(beta, dtype=float)
    with np.errstate(divide="ignore"):
        return 2.0 * _LN10 / (a + np.sqrt(a * a + 4.0 * b * _LN10))


def lq_auc(alpha, beta, lower_gy: float = AUC_RANGE_GY[0], upper_gy: float = AUC_RANGE_GY[1]) -> np.ndarray:
    """Integral of exp(-alpha D - beta D^2) dD over [lower_gy, upper_gy], in Gy (RadioGx `computeAUC`, fitted area).

    beta > 0: sqrt(pi)/(2 sqrt(beta)) [E(lower) - E(upper)], E(D) = exp(-alpha D - beta D^2) erfcx(sqrt(beta) D +
    alpha / (2 sqrt(beta))), which cannot overflow; beta = 0: (exp(-alpha lower) - exp(-alpha upper)) / alpha;
    both 0: upper - lower.
    """
    a, b = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
    a = np.atleast_1d(a).astype(float)
    b = np.atleast_1d(b).astype(float)
    out = np.full(a.shape, np.nan)
    quad = b > 0
    if quad.any():
        sb = np.sqrt(b[quad])
        shift = a[quad] / (2.0 * sb)

        def e(d):
            return np.exp(-a[quad] * d - b[quad] * d * d) * erfcx(sb * d + shift)

        out[quad] = np.sqrt(np.pi) / (2.0 * sb) * (e(lower_gy) - e(upper_gy))
    lin = (b == 0) & (a > 0)
    out[lin] = (np.exp(-a[lin] * lower_gy) - np.exp(-a[lin] * upper_gy)) / a[lin]
    out[(b == 0) & (a == 0)] = upper_gy - lower_gy
    return out.reshape(np.shape(np.broadcast_arrays(np.asarray(alpha), np.asarray(beta))[0]))


def sf_columns(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Doses (Gy) and names of the `sf_<dose>gy` columns of a wide survival table (e.g. Yard 2016), in dose order."""
    found = [(float(m.group(1)), c) for c in frame.columns if (m := _SF_COLUMN.match(str(c)))]
    if not found:
        raise ChemoradError("survival table: no sf_<dose>gy columns; expected e.g. sf_2gy (surviving fraction at 2 Gy)")
    found.sort()
    return np.array([d for d, _ in found]), [c for _, c in found]


def _fit_arrays(dose: np.ndarray, sf: np.ndarray) -> dict[str, np.ndarray]:
    """Exact NNLS of -ln SF on (D, D^2) for every row of `sf` (curves x doses; NaN = no point)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(sf)  # ln SF; SF <= 0 -> -inf/NaN -> not used
    use = np.isfinite(y) & np.isfinite(dose)
    w = use.astype(float)
    t = np.where(use, -y, 0.0)  # t = alpha D + beta D^2
    x1 = np.where(use, dose, 0.0)
    x2 = x1 * x1
    s11 = (w * x1 * x1).sum(1)
    s12 = (w * x1 * x2).sum(1)
    s22 = (w * x2 * x2).sum(1)
    b1 = (x1 * t).sum(1)
    b2 = (x2 * t).sum(1)

    def loss(a, b):  # sum of squared errors minus the constant sum(t^2)
        return -2.0 * (a * b1 + b * b2) + a * a * s11 + 2.0 * a * b * s12 + b * b * s22

    det = s11 * s22 - s12 * s12
    with np.errstate(divide="ignore", invalid="ignore"):
        a_u = (s22 * b1 - s12 * b2) / det
        b_u = (s11 * b2 - s12 * b1) / det
        a_only = np.where(s11 > 0, np.maximum(b1 / s11, 0.0), 0.0)
        b_only = np.where(s22 > 0, np.maximum(b2 / s22, 0.0), 0.0)
    interior = np.isfinite(a_u) & np.isfinite(b_u) & (a_u >= 0) & (b_u >= 0) & (det > 1e-12 * s11 * s22)
    cand_a = np.stack([np.where(interior, a_u, 0.0), a_only, np.zeros_like(a_only), np.zeros_like(a_only)])
    cand_b = np.stack([np.where(interior, b_u, 0.0), np.zeros_like(b_only), b_only, np.zeros_like(b_only)])
    losses = loss(cand_a, cand_b)
    losses[0, ~interior] = np.inf
    best = np.argmin(losses, axis=0)
    cols = np.arange(sf.shape[0])
    alpha = cand_a[best, cols]
    beta = cand_b[best, cols]

    # r_squared on ln SF over the used points plus (0 Gy, ln SF = 0) when no 0 Gy point was used
    has_zero = (use & (dose == 0)).any(1)
    extra = (~has_zero).astype(float)
    resid = np.where(use, y + alpha[:, None] * x1 + beta[:, None] * x2, 0.0)
    n = w.sum(1) + extra
    with np.errstate(divide="ignore", invalid="ignore"):
        y0 = np.where(use, y, 0.0)
        ybar = y0.sum(1) / n
        var_y = (np.where(use, (y0 - ybar[:, None]) ** 2, 0.0).sum(1) + extra * ybar**2) / n
        rbar = resid.sum(1) / n
        var_r = (np.where(use, (resid - rbar[:, None]) ** 2, 0.0).sum(1) + extra * rbar**2) / n
        r2 = 1.0 - var_r / var_y
    bad = (use & (dose > 0)).sum(1) < MIN_POSITIVE_DOSES  # two points fit any LQ curve: no fit, not R^2 = 1
    alpha = np.where(bad, np.nan, alpha)
    beta = np.where(bad, np.nan, beta)
    r2 = np.where(bad, np.nan, r2)
    return {
        "alpha": alpha,
        "beta": beta,
        "sf2": lq_survival(2.0, alpha, beta),
        "d10": lq_d10(alpha, beta),
        "auc": lq_auc(alpha, beta),
        "r_squared": r2,
        "n_points": n.astype(int),
    }


MIN_POSITIVE_DOSES = 3  # two parameters: on two points any LQ curve fits exactly (R^2 = 1 says nothing)


def _rows(labels: list[str], limit: int = 5) -> str:
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def check_survival_table(table: pd.DataFrame, name: str = "survival table") -> pd.DataFrame:
    """Validate a user's long survival table (cell_line, dose_gy, sf) before fitting; return it with numeric columns.

    Every row that cannot be used is named (file line = row index + 2, counting the header): a dose or SF that is
    missing or not a number, a negative dose, SF <= 0 (no logarithm) or SF > 1 (a surviving fraction cannot exceed 1 in
    a clonogenic assay; correct or remove the row). A curve with fewer than `MIN_POSITIVE_DOSES` distinct doses > 0 is
    an error naming the cell line: two points fit any LQ curve exactly. Raises `ChemoradError` on the first kind found.
    """
    missing = [c for c in ("cell_line", "dose_gy", "sf") if c not in table.columns]
    if missing:
        raise ChemoradError(f"{name}: missing column(s) {', '.join(missing)}; expected cell_line, dose_gy, sf")
    dose = pd.to_numeric(table["dose_gy"], errors="coerce")
    sf = pd.to_numeric(table["sf"], errors="coerce")
    line_no = pd.Series(np.arange(len(table)) + 2, index=table.index)

    def where(mask: pd.Series, what: str) -> None:
        if mask.any():
            labels = [f"line {n} ({c})" for n, c in zip(line_no[mask], table.loc[mask, "cell_line"], strict=True)]
            raise ChemoradError(f"{name}: {int(mask.sum())} row(s) with {what}: {_rows(labels)}")

    where(table["cell_line"].isna(), "no cell_line")
    where(dose.isna(), "dose_gy missing or not a number")
    where(sf.isna(), "sf missing or not a number")
    where(dose < 0, "dose_gy < 0")
    where(sf <= 0, "sf <= 0 (cannot take its logarithm)")
    where(sf > 1, "sf > 1 (a surviving fraction is at most 1)")
    positive = pd.DataFrame({"cell_line": table["cell_line"], "dose": dose})[dose > 0]
    counts = positive.groupby("cell_line")["dose"].nunique().reindex(table["cell_line"].unique(), fill_value=0)
    few = counts[counts < MIN_POSITIVE_DOSES]
    if len(few):
        labels = [f"{c} ({n})" for c, n in few.items()]
        raise ChemoradError(
            f"{name}: {len(few)} curve(s) with fewer than {MIN_POSITIVE_DOSES} doses > 0, too few to fit alpha and "
            f"beta: {_rows(labels)}"
        )
    out = table.copy()
    out["dose_gy"] = dose
    out["sf"] = sf
    return out


def _fit_long(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("cell_line", "dose_gy", "sf") if c not in table.columns]
    if missing:
        raise ChemoradError(f"survival table: missing column(s) {', '.join(missing)}; expected cell_line, dose_gy, sf")
    dose = pd.to_numeric(table["dose_gy"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(dose).any() or (dose < 0).any():
        raise ChemoradError("survival table: column dose_gy must hold doses >= 0 Gy, without gaps")
    sf = pd.to_numeric(table["sf"], errors="coerce").to_numpy(dtype=float)
    codes, lines = pd.factorize(table["cell_line"], sort=True)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(lines))
    width = counts.max()
    pos = np.arange(len(codes)) - np.repeat(np.cumsum(counts) - counts, counts)
    d_mat = np.full((len(lines), width), np.nan)
    s_mat = np.full((len(lines), width), np.nan)
    d_mat[codes[order], pos] = dose[order]
    s_mat[codes[order], pos] = sf[order]
    out = _fit_arrays(d_mat, s_mat)
    return pd.DataFrame(out, index=pd.Index(lines, name="cell_line"))


def fit_lq(dose_gy, sf=None) -> pd.DataFrame:
    """Fit SF = exp(-alpha D - beta D^2) (alpha, beta >= 0) to one or many survival curves; see the module docstring.

    Accepts:
    - `fit_lq(table)`: a long DataFrame with columns `cell_line`, `dose_gy`, `sf` (user-supplied survival table;
      replicates allowed; a 0 Gy row, if present, is used as measured);
    - `fit_lq(wide)`: a DataFrame with `sf_<dose>gy` columns (e.g. `load_yard()`), one curve per row;
    - `fit_lq(dose_gy, sf)`: doses (n_doses,) and surviving fractions (n_doses,) or (n_curves, n_doses), NaN allowed;
      `sf` may be a DataFrame whose index is kept.

    Returns a DataFrame with alpha (Gy^-1), beta (Gy^-2), sf2, d10 (Gy), auc (Gy, 0-10 Gy), r_squared, n_points.
    """
    if sf is None:
        if not isinstance(dose_gy, pd.DataFrame):
            raise ChemoradError("fit_lq: give a survival DataFrame, or dose_gy and sf arrays")
        if "dose_gy" in dose_gy.columns or "sf" in dose_gy.columns:
            return _fit_long(dose_gy)
        doses, cols = sf_columns(dose_gy)
        return fit_lq(doses, dose_gy[cols])
    dose = np.asarray(dose_gy, dtype=float)
    if dose.ndim != 1:
        raise ChemoradError(f"dose_gy: expected a 1-D array of doses, got shape {dose.shape}")
    if np.isnan(dose).any() or (dose < 0).any():
        raise ChemoradError("dose_gy: expected doses >= 0 Gy without NaN")
    index = sf.index if isinstance(sf, pd.DataFrame) else None
    values = np.asarray(sf, dtype=float)
    single = values.ndim == 1
    values = np.atleast_2d(values)
    if values.shape[1] != dose.size:
        raise ChemoradError(
            f"sf: expected {dose.size} surviving fractions per curve (one per dose), got {values.shape[1]}"
        )
    out = pd.DataFrame(_fit_arrays(np.broadcast_to(dose, values.shape), values), index=index)
    return out.iloc[[0]].reset_index(drop=True) if single else out
