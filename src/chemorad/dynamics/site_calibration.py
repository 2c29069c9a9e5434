"""Fit a site on its training targets, then predict its validation trials (never fitted).

Training (`fit`): the parameters named by the site's training targets (`fits`) are chosen by least squares on the
residuals (model - reported) / tolerance. A `control` target is the population TCP of its regimen; a `hazard_ratio`
target is ln TCP(regimen) / ln TCP(comparator), the hazard ratio of failure under proportional hazards on the
control probability. Where a trial reports only an overall-survival hazard ratio, the control hazard ratio is taken
as HR_OS^k (`mapping_exponent` k, default 1: the OS ratio applied to control as it stands); `check` reports the fit's
sensitivity to k = 1.5 and 2.

Validation (`validate`): for each validation trial, the model's TCP difference (arm - comparator) on the same
virtual patients, its interval from refitting at the ends of the training targets' 95% intervals (and of the fixed
parameters' read intervals), and the trial's
reported difference with its 95% interval: from the two arms' intervals (independent normal approximation), or
from a reported hazard ratio applied to the reported comparator, comparator^HR. `agrees`: the model's difference lies
inside the trial's interval (the count reported); `intervals_overlap`: the weaker test that the two intervals meet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.catalog.registry import SCHEDULE_RADIATION
from chemorad.dynamics import tcp_model as tm
from chemorad.dynamics.sites import Site

BOUNDS = {
    "log10_clonogens": (3.0, 12.0),
    "radiosensitivity_sd": (0.01, 1.0),
    "alpha_per_gy": (0.02, 1.0),
    "repopulation_doubling_days": (1.0, 100.0),
    "alpha_beta_gy": (0.3, 30.0),
}
DRUG_BOUNDS = (0.0, 3.0)


def _bounds(name: str) -> tuple[float, float]:
    return DRUG_BOUNDS if name.startswith("drug:") else BOUNDS[name]


def fitted_names(site: Site) -> list[str]:
    """The parameters the training targets fit (`fits`), in order of first mention."""
    out: list[str] = []
    for t in site.training:
        for p in t.fits:
            if p not in out:
                out.append(p)
    return out


def target_value(site: Site, t, v: dict[str, float], co: tm.Cohort) -> float:
    """The model's value of training target `t` with values `v`."""
    arm = tm.population(v, tm.course(site.regimens[t.regimen], t.regimen), co, mgmt=t.mgmt)["tcp"]
    if t.kind == "control":
        return arm
    ref = tm.population(v, tm.course(site.regimens[t.comparator], t.comparator), co, mgmt=t.mgmt)["tcp"]
    return float(np.log(max(arm, 1e-12)) / np.log(min(max(ref, 1e-12), 1 - 1e-12)))


def reported(t, k: float = 1.0, which: str = "value") -> float:
    """A training target's reported value (or an end of its interval); hazard ratios raised to the mapping k."""
    x = t.result.value if which == "value" else t.result.ci95[0 if which == "low" else 1]
    return x**k if t.kind == "hazard_ratio" else x


@dataclass(frozen=True)
class Fit:
    """A fit: the site's values with the fitted parameters, and the training table."""

    values: dict[str, float]
    table: pd.DataFrame


def fit(
    site: Site,
    patients: int = 200,
    seed: int = 0,
    k: float = 1.0,
    shift: dict[str, str] | None = None,
    over: dict[str, float] | None = None,
) -> Fit:
    """Least-squares fit of the site's fitted parameters to its training targets (from the site file's values).

    `shift` maps a target name to `low`/`high`: fit to that end of the target's 95% interval (for intervals);
    `over` replaces fixed (not fitted) values, e.g. an end of a read parameter's interval.
    """
    from scipy.optimize import least_squares

    co = tm.cohort(patients, seed)
    base = {**tm.values(site), **(over or {})}
    names = fitted_names(site)
    shift = shift or {}
    goal = [reported(t, k, shift.get(t.name, "value")) for t in site.training]

    def with_x(x: np.ndarray) -> dict[str, float]:
        return {**base, **dict(zip(names, (float(a) for a in x), strict=True))}

    def res(x: np.ndarray) -> np.ndarray:
        v = with_x(x)
        return np.array(
            [(target_value(site, t, v, co) - g) / t.tolerance for t, g in zip(site.training, goal, strict=True)]
        )

    x0 = np.array([base[n] for n in names])
    lo = np.array([_bounds(n)[0] for n in names])
    hi = np.array([_bounds(n)[1] for n in names])
    if "log10_clonogens" in names:
        # TCP is flat (0 or 1) far from the answer: start the clonogen number from a grid search
        i = names.index("log10_clonogens")
        grid = np.arange(lo[i], hi[i] + 1e-9, 0.25)
        cost = [float(np.sum(res(np.r_[x0[:i], g, x0[i + 1 :]]) ** 2)) for g in grid]
        x0[i] = grid[int(np.argmin(cost))]
    sol = least_squares(res, np.clip(x0, lo, hi), bounds=(lo, hi), diff_step=1e-3, max_nfev=200)
    v = with_x(sol.x)
    return Fit(v, training_table(site, v, co, k))


def training_table(site: Site, v: dict[str, float], co: tm.Cohort, k: float = 1.0) -> pd.DataFrame:
    """Training targets: reported value, model value at `v`, residual, fitted parameters, source."""
    rows = []
    for t in site.training:
        m = target_value(site, t, v, co)
        rows.append(
            {
                "target": t.name,
                "kind": t.kind,
                "regimen": t.regimen + (f" vs {t.comparator}" if t.comparator else ""),
                "reported": reported(t, k),
                "model": m,
                "residual": m - reported(t, k),
                "fits": ", ".join(t.fits),
                "source": t.result.where or t.result.note,
            }
        )
    return pd.DataFrame(rows)


def reported_difference(val) -> tuple[float, float, float] | None:
    """(difference, low, high) of arm - comparator as the trial reported it, or None if it cannot be formed."""
    if val.arm is not None and val.control is not None:
        diff = val.arm.value - val.control.value
        if val.arm.ci95 and val.control.ci95:
            se = np.hypot(*(np.diff(s.ci95)[0] / 3.92 for s in (val.arm, val.control)))
            return diff, diff - 1.96 * se, diff + 1.96 * se
        return diff, np.nan, np.nan
    if val.hazard_ratio is not None and val.control is not None:
        c = val.control.value
        hr = val.hazard_ratio
        lo, hi = hr.ci95 if hr.ci95 else (np.nan, np.nan)
        # failure HR: a larger HR means less control; arm = c^HR
        return c**hr.value - c, c**hi - c, c**lo - c
    return None


def validate(
    site: Site, v: dict[str, float], patients: int = 1000, seed: int = 0, refits: list[dict[str, float]] | None = None
) -> pd.DataFrame:
    """The validation table: model TCP difference with its interval over `refits`, against the trial's report."""
    co = tm.cohort(patients, seed)
    rows = []
    for val in site.validation:
        ca = tm.course(site.regimens[val.regimen], val.regimen)
        cc = tm.course(site.regimens[val.comparator], val.comparator)

        def diff(vals: dict[str, float], ca=ca, cc=cc) -> tuple[float, float, float]:
            a, b = tm.population(vals, ca, co)["tcp"], tm.population(vals, cc, co)["tcp"]
            return a - b, a, b

        d, a, b = diff(v)
        others = [diff(r)[0] for r in (refits or [])]
        rep = reported_difference(val)
        agree = overlap = None
        lo, hi = min([d, *others]), max([d, *others])
        if rep is not None and np.isfinite(rep[1]):
            agree = bool(rep[1] <= d <= rep[2])
            overlap = bool(lo <= rep[2] and rep[1] <= hi)  # a weaker test: the two intervals meet
        rows.append(
            {
                "trial": val.name,
                "tests": val.tests,
                "regimen": val.regimen,
                "comparator": val.comparator,
                "model_arm": a,
                "model_comparator": b,
                "model_difference": d,
                "model_low": lo,
                "model_high": hi,
                "reported_difference": np.nan if rep is None else rep[0],
                "reported_low": np.nan if rep is None else rep[1],
                "reported_high": np.nan if rep is None else rep[2],
                "agrees": agree,
                "intervals_overlap": overlap,
                "source": _source(val),
            }
        )
    return pd.DataFrame(rows)


def _source(val) -> str:
    for s in (val.arm, val.hazard_ratio, val.control):
        if s is not None:
            return s.where or f"recalled: {s.note}"
    return ""


def interval_refits(site: Site, patients: int = 200, seed: int = 0) -> list[dict[str, float]]:
    """Refits at the low and high ends of every training target's 95% interval, and of every fixed parameter whose
    source gives an interval (`ci95` in the site file), one at a time: the uncertainty the model interval carries."""
    out = []
    for t in site.training:
        if t.result.ci95 is None:
            continue
        for end in ("low", "high"):
            out.append(fit(site, patients, seed, shift={t.name: end}).values)
    fitted = set(fitted_names(site))
    for name, s in site.parameters:
        if s.ci95 is None or name in fitted:
            continue
        for end in s.ci95:
            out.append(fit(site, patients, seed, over={name: float(end)}).values)
    return out


def record(site: Site, v: dict[str, float], raw: dict, method: str) -> dict:
    """`raw` (the site file as read) with its fitted values replaced by `v`, marked fitted."""
    out = {**raw, "parameters": {k: dict(s) for k, s in raw["parameters"].items()}}
    out["drugs"] = {
        d: {k: (dict(s) if isinstance(s, dict) else s) for k, s in e.items()} for d, e in raw.get("drugs", {}).items()
    }
    for name in fitted_names(site):
        if name.startswith("drug:"):
            _, drug, field = name.split(":")
            entry = out["drugs"][drug][field]
        else:
            entry = out["parameters"][name]
        entry.update({"value": round(float(v[name]), 6), "provenance": "fitted", "method": method})
        for key in ("where", "quote", "note"):
            entry.pop(key, None)
    return out


def mapping_sensitivity(site: Site, patients: int = 200, seed: int = 0, ks=(1.0, 1.5, 2.0)) -> pd.DataFrame:
    """How the drug benefit depends on the survival -> control mapping HR_control = HR_OS^k.

    For each k the site is refitted (all training targets, hazard ratios raised to k) and the first hazard-ratio
    target's regimen and comparator are evaluated: the fitted drug effect and the TCP gain it implies.
    """
    hr = [t for t in site.training if t.kind == "hazard_ratio"]
    if not hr:
        return pd.DataFrame()
    t = hr[0]
    co = tm.cohort(patients, seed)
    rows = []
    for k in ks:
        v = fit(site, patients, seed, k=k).values
        arm = tm.population(v, tm.course(site.regimens[t.regimen], t.regimen), co, mgmt=t.mgmt)["tcp"]
        ref = tm.population(v, tm.course(site.regimens[t.comparator], t.comparator), co, mgmt=t.mgmt)["tcp"]
        rows.append(
            {
                "k": k,
                "control_hr": t.result.value**k,
                **{f: v[f] for f in t.fits},
                "regimen": t.regimen,
                "tcp": arm,
                "comparator_tcp": ref,
                "benefit": arm - ref,
            }
        )
    return pd.DataFrame(rows)


def dose_response(
    v: dict[str, float], patients: int = 1000, seed: int = 0, dose_gy: float = 2.0
) -> tuple[float, float]:
    """(D50, gamma50) of the population dose-response in `dose_gy` fractions, 5 a week: D50 the total dose of TCP 0.5,
    gamma50 = D50 x dTCP/dD there, the normalized slope that published dose-response fits report (a check of the
    radiosensitivity spread, not a target).

    Between the two whole numbers of fractions around TCP 0.5 the curve is interpolated in y = -ln(-ln TCP), which is
    linear in dose for a homogeneous Poisson TCP, exp(-N exp(-E D)); then dTCP/dD = (ln 2 / 2) dy/dD at TCP 0.5, so
    both values are exact in that limit (tested). NaN when TCP 0.5 is not crossed between 5 and 80 fractions.
    """
    co = tm.cohort(patients, seed)
    n = np.arange(5, 81)
    courses = [tm.course([{"kind": SCHEDULE_RADIATION, "dose_gy": dose_gy, "fractions": int(k)}]) for k in n]
    tcp = np.array([tm.population(v, c, co)["tcp"] for c in courses])
    i = int(np.searchsorted(tcp, 0.5))  # the population TCP rises with the number of fractions
    if i == 0 or i >= n.size or not 0 < tcp[i - 1] < tcp[i] < 1:
        return float("nan"), float("nan")
    y0, y1 = -np.log(-np.log(tcp[i - 1 : i + 1]))
    dy = (y1 - y0) / dose_gy
    d50 = dose_gy * n[i - 1] + (-np.log(np.log(2)) - y0) / dy
    return float(d50), float(d50 * np.log(2) / 2 * dy)
