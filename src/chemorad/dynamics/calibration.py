"""Clinical calibration of the population parameters: head and neck squamous cell carcinoma (HNSCC).

Virtual patients (`simulator.draw_patients`) treated with the simulator in deterministic mode, TCP per patient
exp(-expected survivors), population TCP = mean. The fitted parameters

    theta = (log10 clonogens N0, radiosensitivity sd, accelerated doubling time T_acc, cisplatin radiosensitisation e,
             log10 clinical potency fold of cisplatin)

are chosen by least squares (scipy.optimize.least_squares, residuals divided by each target's tolerance) so that
the model reproduces five published clinical quantities (`TARGETS`, sources in docs/clinical.md):

- TCD50 and gamma50 of conventional fractionation (2 Gy, 5 a week, 25-40 fractions), from the logistic fit
  TCP(D) = 1 / (1 + exp(4 gamma50 (1 - D / TCD50))) (the form Okunieff et al. 1995 fitted) to the population TCP;
- the time factor: the shift of TCD50 when the same courses are prolonged by a 14-day gap, divided by 14
  (Withers, Taylor & Maciejewski 1988);
- the effect of concomitant and of induction cisplatin, as hazard ratios (MACH-NC): with control probabilities
  the hazard ratio HR maps TCP_rt to TCP_rt^HR, so the model's HR is ln TCP_chemo / ln TCP_rt at 70 Gy / 35.

Everything else is fixed at its catalog or sourced value (docs/clinical.md). The common random numbers (the same
virtual patients for every dose and arm) make the objective smooth in theta.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chemorad.catalog.load import Catalog
from chemorad.catalog.registry import SCHEDULE_RADIATION
from chemorad.dynamics.presets import calibration_record, clinical_regimen, load_calibration  # noqa: F401 (re-exported)

PARAMS = (
    "log10_clonogens",
    "radiosensitivity_sd",
    "accelerated_doubling_days",
    "cisplatin_radiosensitisation",
    "log10_potency_fold",
)
X0 = np.array([7.0, 0.1, 4.0, 0.2, 1.5])  # the documented starting point of the fit
LOWER = np.array([5.0, 0.01, 1.0, 0.0, 0.0])
UPPER = np.array([11.0, 1.0, 20.0, 2.0, 4.0])
FRACTIONS = (25, 30, 35, 40)
GAP_DAYS = 14


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    tolerance: float  # residual scale
    unit: str
    source: str


TARGETS = (
    Target("tcd50_gy", 62.0, 3.0, "Gy", "Okunieff et al. 1995 IJROBP 32:1227 (recalled: macroscopic HNSCC range)"),
    Target("gamma50", 1.8, 0.3, "", "Okunieff et al. 1995 IJROBP 32:1227 (recalled: macroscopic HNSCC range)"),
    Target("time_factor_gy_per_day", 0.6, 0.1, "Gy/day", "Withers, Taylor & Maciejewski 1988 Acta Oncol 27:131"),
    Target("hr_concomitant_cisplatin", 0.83, 0.02, "", "MACH-NC update (Lacas et al. 2021), read at m2.mtmt.hu"),
    Target("hr_induction_pf", 0.96, 0.03, "", "MACH-NC update (Lacas et al. 2021), read at m2.mtmt.hu"),
)

# Fixed population parameters (values and sources in docs/clinical.md).
FIXED = {
    "tumour": {
        "doubling_time_days": 40.0,
        "repopulation_kickoff_days": 28.0,
        "hypoxic_fraction": 0.15,
        "reoxygenation_per_day": 9.2,
        "reoxygenation_target": "pretreatment",
    },
    "patients": {"clonogens_log10_sd": 0.5, "doubling_time_sd": 0.3, "hypoxic_fraction_sd": 0.1},
    "chemo": {"activity_half_life_days": 7.0},
}


def sections(theta: np.ndarray) -> dict:
    """Scenario sections for the parameter vector theta (order `PARAMS`)."""
    n0, sd, t_acc, eps, fold = (float(v) for v in theta)
    return {
        "tumour": {**FIXED["tumour"], "initial_cells": round(10**n0, 6), "accelerated_doubling_days": t_acc},
        "patients": {**FIXED["patients"], "radiosensitivity_sd": sd},
        "chemo": {**FIXED["chemo"], "potency_fold": 10**fold, "radiosensitisation": {RADIOSENSITISED_DRUG: eps}},
    }


def rt(fractions: int, start: float = 0.0, gap: bool = False) -> dict:
    gaps = list(range(14, 14 + GAP_DAYS)) if gap else []
    return {"kind": SCHEDULE_RADIATION, "dose_gy": 2.0, "fractions": fractions, "start_day": start, "gaps_days": gaps}


# The concomitant (weekly cisplatin with 70 Gy/35) and induction (PF x3, then 70 Gy/35) regimens of the MACH-NC
# targets, with their sources in data/regimens.yaml.
REGIMEN_CONCOMITANT = clinical_regimen("concomitant")
REGIMEN_INDUCTION = clinical_regimen("induction")
#: the drug whose radiosensitisation is fitted: the drug of the concomitant regimen
RADIOSENSITISED_DRUG = next(i["therapy"] for i in REGIMEN_CONCOMITANT if i["kind"] != SCHEDULE_RADIATION)


def population_tcp(
    secs: dict, schedule: list[dict], cat: Catalog, patients: int, seed: int, dt_days: float = 0.5
) -> float:
    """Population TCP of `schedule` for the population `secs` (deterministic, `patients` virtual patients)."""
    from chemorad.dynamics.scenario import parse_scenario
    from chemorad.dynamics.schedule import events
    from chemorad.dynamics.simulator import simulate

    raw = {"name": "calibration", **secs, "schedule": schedule}
    probe = parse_scenario({**raw, "simulation": {"days": 1}}, "calibration", cat=cat)
    end = events(probe.schedule, cat=cat)[-1].time_days
    raw["simulation"] = {"days": end + 1.0, "dt_days": dt_days, "mode": "deterministic", "replicates": patients}
    res = simulate(parse_scenario(raw, "calibration", cat=cat), seed=seed, dataset=False, cat=cat)
    return float(res.population["tcp"])


def fit_logistic(doses: np.ndarray, tcp: np.ndarray) -> tuple[float, float]:
    """TCD50 and gamma50 of TCP(D) = 1 / (1 + exp(4 gamma50 (1 - D / TCD50))) by least squares on TCP."""
    from scipy.optimize import curve_fit

    def f(d, d50, g50):
        return 1.0 / (1.0 + np.exp(4.0 * g50 * (1.0 - d / d50)))

    p0 = (float(np.interp(0.5, tcp, doses)) if tcp.min() < 0.5 < tcp.max() else float(np.median(doses)), 2.0)
    (d50, g50), _ = curve_fit(f, doses, tcp, p0=p0, maxfev=5000)
    return float(d50), float(g50)


def radiotherapy_values(theta: np.ndarray, cat: Catalog, patients: int = 200, seed: int = 0) -> dict[str, float]:
    """TCD50, gamma50 and the time factor at theta (8 population simulations: 4 doses, with and without a gap)."""
    secs = sections(theta)
    doses = 2.0 * np.array(FRACTIONS, dtype=float)
    base = np.array([population_tcp(secs, [rt(n)], cat, patients, seed) for n in FRACTIONS])
    gap = np.array([population_tcp(secs, [rt(n, gap=True)], cat, patients, seed) for n in FRACTIONS])
    d50, g50 = fit_logistic(doses, base)
    d50_gap, _ = fit_logistic(doses, gap)
    return {
        "tcd50_gy": d50,
        "gamma50": g50,
        "time_factor_gy_per_day": (d50_gap - d50) / GAP_DAYS,
        "tcp_70gy_35": float(base[FRACTIONS.index(35)]),
    }


def hazard_ratio(theta: np.ndarray, regimen: list[dict], cat: Catalog, tcp_rt: float, patients: int, seed: int):
    """ln TCP(regimen) / ln TCP(70 Gy / 35): the hazard ratio of failure the regimen implies, and its TCP."""
    tcp = population_tcp(sections(theta), regimen, cat, patients, seed)
    return float(np.log(tcp) / np.log(tcp_rt)), tcp


def model_values(theta: np.ndarray, cat: Catalog, patients: int = 200, seed: int = 0) -> dict[str, float]:
    """The model's value of every target at theta (10 population simulations)."""
    out = radiotherapy_values(theta, cat, patients, seed)
    hr_c, tcp_c = hazard_ratio(theta, REGIMEN_CONCOMITANT, cat, out["tcp_70gy_35"], patients, seed)
    hr_i, tcp_i = hazard_ratio(theta, REGIMEN_INDUCTION, cat, out["tcp_70gy_35"], patients, seed)
    return {
        **out,
        "hr_concomitant_cisplatin": hr_c,
        "hr_induction_pf": hr_i,
        "tcp_70gy_35_concomitant": tcp_c,
        "tcp_70gy_35_after_induction": tcp_i,
    }


def residuals(values: dict[str, float]) -> np.ndarray:
    return np.array([(values[t.name] - t.value) / t.tolerance for t in TARGETS])


@dataclass(frozen=True)
class Calibration:
    theta: np.ndarray
    values: dict[str, float]
    table: pd.DataFrame  # target, source, value, model, residual

    def record(self, name: str = "hnscc") -> dict:
        """The packaged-file form: the scenario sections, the fit and its table."""
        return {
            "name": name,
            "description": "Head and neck squamous cell carcinoma: population parameters fitted by "
            "`chemorad calibrate-clinical` (docs/clinical.md).",
            **sections(self.theta),
            "fit": {
                "parameters": {p: float(v) for p, v in zip(PARAMS, self.theta, strict=True)},
                "targets": self.table.to_dict("records"),
                "model": {k: float(v) for k, v in self.values.items()},
            },
        }


def table(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "target": t.name,
                "value": t.value,
                "unit": t.unit,
                "model": values[t.name],
                "residual": values[t.name] - t.value,
                "source": t.source,
            }
            for t in TARGETS
        ]
    )


def calibrate(
    cat: Catalog,
    patients: int = 200,
    seed: int = 0,
    max_evaluations: int = 40,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit theta to `TARGETS` from `X0`; deterministic, so the same inputs give the same fit.

    The problem is block-triangular and is solved in that order: (N0, radiosensitivity sd, T_acc) by least squares on
    (TCD50, gamma50, time factor), which the drug does not touch; then (e, potency fold) by least squares on the two
    hazard ratios (bounded: e >= 0; the two cannot always both be met, see the residuals in docs/clinical.md).
    """
    say = progress or (lambda _m: None)
    theta = X0.copy()
    theta[:3] = fit_radiotherapy(cat, TARGETS[:3], theta, patients, seed, max_evaluations, say)
    theta[3:] = fit_chemo(cat, TARGETS[3:], theta, patients, seed, max_evaluations, say)
    values = model_values(theta, cat, patients, seed)
    return Calibration(theta, values, table(values))


def fit_radiotherapy(
    cat: Catalog, targets, theta: np.ndarray, patients: int, seed: int, max_evaluations: int = 40, say=print
) -> np.ndarray:
    """(log10 N0, radiosensitivity sd, T_acc) by least squares on (TCD50, gamma50, time factor) targets, from theta."""
    from scipy.optimize import least_squares

    def fun(x3: np.ndarray) -> np.ndarray:
        v = radiotherapy_values(np.r_[x3, theta[3:]], cat, patients, seed)
        r = np.array([(v[t.name] - t.value) / t.tolerance for t in targets])
        say(f"radiotherapy fit: sum of squared residuals {float(r @ r):.4g}")
        return r

    fit = least_squares(fun, theta[:3], bounds=(LOWER[:3], UPPER[:3]), diff_step=1e-2, max_nfev=max_evaluations)
    return fit.x


def fit_chemo(
    cat: Catalog, targets, theta: np.ndarray, patients: int, seed: int, max_evaluations: int = 40, say=print
) -> np.ndarray:
    """(e, log10 potency fold) by least squares on the (concomitant, induction) hazard-ratio targets, from theta."""
    from scipy.optimize import least_squares

    tcp_rt = radiotherapy_values(theta, cat, patients, seed)["tcp_70gy_35"]

    def chemo(x2: np.ndarray) -> np.ndarray:
        th = np.r_[theta[:3], x2]
        r = np.array(
            [
                (hazard_ratio(th, reg, cat, tcp_rt, patients, seed)[0] - t.value) / t.tolerance
                for reg, t in zip((REGIMEN_CONCOMITANT, REGIMEN_INDUCTION), targets, strict=True)
            ]
        )
        say(f"cisplatin fit: e = {x2[0]:.4g}, log10 potency fold = {x2[1]:.4g}: residuals {r.round(3).tolist()}")
        return r

    fit = least_squares(chemo, theta[3:], bounds=(LOWER[3:], UPPER[3:]), diff_step=1e-2, max_nfev=max_evaluations)
    return fit.x


def write_record(cal: Calibration, path: Path, name: str = "hnscc") -> None:
    from chemorad.io_atomic import write_text

    write_text(path, yaml.safe_dump(cal.record(name), sort_keys=False))
