"""Regimens for one tumour: its predicted responses as patient-level parameters, TCP per regimen, and GARD/RSI.

From a tumour's predictions (`profile.predict`, primary metric per therapy, higher = more resistant):

- radiosensitivity: the prediction's percentile among tissue peers p (Yard radiation AUC) is taken as the tumour's
  quantile of the calibrated population's radiosensitivity, z = -Phi^-1(p) (resistant = low), so its radiation log
  kill is exp(sd_s z) times the median patient's (`patients.radiosensitivity_z`);
- drugs: the percentile of its predicted ln IC50 gives a potency multiplier exp(-sd_d Phi^-1(p)), sd_d the spread of
  ln IC50 across the bundle's lines (`LN_IC50_SD`, measured from gdsc2_response.parquet; dynamics/data/regimens.yaml);
- everything the profile does not inform (clonogen number, Tpot, hypoxic fraction) is drawn from the calibrated
  population (`calibration: hnscc`), so the TCP of a regimen is the mean over virtual patients who share this
  tumour's radiosensitivity, and its interval (Jeffreys) covers the finite virtual cohort.

GARD (Scott et al. 2017, Lancet Oncol 18:202): the radiosensitivity index RSI (Eschrich et al. 2009) from the ranks of
ten genes' expression within the sample, RSI = sum_g c_g rank_g (rank 10 = highest expressed; coefficients `RSI_RANK`
as read in a public implementation, see docs/clinical.md), then alpha = ln(RSI) / (-2) - 2 beta with beta = 0.05
Gy^-2 (alpha from SF2 = RSI under the LQ model) and GARD = n d (alpha + beta d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.dynamics.presets import drug_potency_sd, standard_regimens
from chemorad.errors import ChemoradError

# Coefficients of the rank-based RSI (Eschrich et al. 2009, Int J Radiat Oncol Biol Phys 75:489), read from a public
# implementation's probe-set table (docs/clinical.md): gene -> coefficient of its within-sample rank (1..10).
RSI_RANK = {
    "AR": -0.00980092741843779,
    "JUN": 0.0128282697929755,
    "STAT1": 0.0254552046046931,
    "PRKCB": -0.00175888592095915,
    "RELA": -0.00381713588908642,
    "ABL1": 0.107021274358643,
    "SUMO1": -0.00025093287356907,
    "PAK2": -0.00924314364533049,
    "HDAC1": -0.020446868981449,
    "IRF1": -0.0441682719957224,
}
GARD_BETA = 0.05  # Gy^-2, Scott et al. 2017 (recalled)
#: drug -> sd of ln IC50 across the bundle's cell lines (dynamics/data/regimens.yaml, with where each was measured)
LN_IC50_SD = drug_potency_sd()
#: name -> schedule items of the standard regimens (dynamics/data/regimens.yaml, each with its source)
STANDARD_REGIMENS: dict[str, list[dict]] = standard_regimens()


@dataclass(frozen=True)
class TumourParameters:
    """Patient-level parameters of one tumour derived from its predictions."""

    sample: str
    radiosensitivity_z: float | None  # quantile in the population (None: no radiation prediction)
    radiation_percentile: float | None
    drug_potency: dict[str, float]
    drug_percentiles: dict[str, float]


def _z(percentile: float) -> float:
    """Phi^-1(p / 100), p clipped to [1, 99]: `scipy.special.ndtri`, the function `scipy.stats.norm.ppf` calls (equal on
    100,000 random p), without importing scipy.stats (see `simulator.population_tcp`)."""
    from scipy.special import ndtri

    return float(ndtri(np.clip(percentile / 100.0, 0.01, 0.99)))


def tumour_parameters(primary: pd.DataFrame, sample: str, radiation_id: str) -> TumourParameters:
    """Radiosensitivity quantile and drug potency multipliers of `sample` from its primary prediction records
    (`radiation_id`: the catalog's radiotherapy id, `Catalog.radiotherapy.id`)."""
    rows = primary[primary["sample"] == sample]
    rad_z, rad_p, potency, pcts = None, None, {}, {}
    for r in rows.to_dict("records"):
        p = r.get("percentile_in_tissue")
        if p is None or not np.isfinite(p):
            continue
        if r["therapy"] == radiation_id:
            rad_p, rad_z = float(p), -_z(float(p))
        elif r["therapy"] in LN_IC50_SD:
            pcts[r["therapy"]] = float(p)
            potency[r["therapy"]] = float(np.exp(-LN_IC50_SD[r["therapy"]] * _z(float(p))))
    return TumourParameters(sample, rad_z, rad_p, potency, pcts)


def regimen_scenario(params: TumourParameters, schedule: list[dict], patients: int, seed: int) -> dict:
    """A scenario of `schedule` for virtual patients sharing this tumour's parameters (calibration hnscc)."""
    from chemorad.dynamics.presets import load_calibration

    secs = load_calibration("hnscc")
    patients_sec = dict(secs["patients"])
    if params.radiosensitivity_z is not None:
        patients_sec["radiosensitivity_z"] = params.radiosensitivity_z
    chemo = {**secs["chemo"], "drug_potency": dict(params.drug_potency)}
    return {
        "name": f"{params.sample}",
        "calibration": "hnscc",
        "patients": patients_sec,
        "chemo": chemo,
        "schedule": schedule,
        "simulation": {"mode": "deterministic", "dt_days": 0.5, "replicates": patients, "seed": seed},
    }


def regimen_tcp(
    cat: Catalog,
    params: TumourParameters,
    regimens: dict[str, list[dict]] | None = None,
    patients: int = 200,
    seed: int = 0,
    gard_per_gy: float | None = None,
) -> pd.DataFrame:
    """TCP with its interval for each regimen (same virtual patients in every regimen), with GARD when known."""
    return regimens_tcp(cat, [params], regimens, patients, seed, [gard_per_gy])[0]


def regimens_tcp(
    cat: Catalog,
    params: list[TumourParameters],
    regimens: dict[str, list[dict]] | None = None,
    patients: int = 200,
    seed: int = 0,
    gard_per_gy: list[float | None] | None = None,
) -> list[pd.DataFrame]:
    """`regimen_tcp` of several tumours (one table each, in order), every tumour x regimen simulated together.

    The scenarios share the calibrated tumour and differ in their schedule, the tumour's radiosensitivity and drug
    potency, so `simulator.simulate_many` steps them as one array of (tumour, regimen, patient) rows.
    """
    from chemorad.dynamics.scenario import parse_scenario
    from chemorad.dynamics.schedule import Radiotherapy, events
    from chemorad.dynamics.simulator import simulate_many

    chosen = regimens or STANDARD_REGIMENS
    gards = [None] * len(params) if gard_per_gy is None else list(gard_per_gy)
    scenarios, timelines = [], []
    for p in params:
        for name, schedule in chosen.items():
            raw = regimen_scenario(p, schedule, patients, seed)
            # Parsed once with a provisional horizon to lay out the timeline, then run one day past its last event.
            where = f"regimen {name!r}"
            probe = parse_scenario({**raw, "simulation": {**raw["simulation"], "days": 1}}, where, cat=cat)
            timeline = events(probe.schedule, cat=cat)
            days = timeline[-1].time_days + 1.0
            scenarios.append(
                probe.model_copy(update={"simulation": probe.simulation.model_copy(update={"days": days})})
            )
            timelines.append(timeline)
    runs = list(zip(scenarios, timelines, simulate_many(scenarios, cat=cat), strict=True))  # TCP only
    tables = []
    for k, (p, alpha) in enumerate(zip(params, gards, strict=True)):
        rows = []
        for name, (sc, timeline, res) in zip(chosen, runs[k * len(chosen) : (k + 1) * len(chosen)], strict=True):
            rt_items = [i for i in sc.schedule if isinstance(i, Radiotherapy)]
            rt_times = [e.time_days for e in timeline if e.therapy == cat.radiotherapy.id]
            rows.append(
                {
                    "sample": p.sample,
                    "regimen": name,
                    "tcp": res.population["tcp"],
                    "tcp_low": res.population["tcp_low"],
                    "tcp_high": res.population["tcp_high"],
                    "total_dose_gy": float(sum(i.dose_gy * i.fractions for i in rt_items)),
                    "rt_days": float(rt_times[-1] - rt_times[0]) if rt_times else 0.0,
                    "gard": gard(rt_items, alpha) if alpha is not None else np.nan,
                }
            )
        tables.append(pd.DataFrame(rows))
    return tables


def site_regimen_tcp(
    site_name: str,
    params: TumourParameters,
    regimens: dict[str, list[dict]] | None = None,
    patients: int = 1000,
    seed: int = 0,
    gard_per_gy: float | None = None,
) -> pd.DataFrame:
    """TCP per regimen of a tumour site's model (its standard regimens, or `regimens`) for one tumour.

    The tumour's radiosensitivity quantile z (`params.radiosensitivity_z`) fixes its alpha in the site's population
    (alpha exp(sd z)); its drug potency multipliers (`params.drug_potency`) scale the drug's dose in the site's drug
    factor (dose equivalence, `tcp_model.drug_factor`); clonogens, hypoxia and MGMT vary over the virtual patients.
    """
    from chemorad.dynamics import tcp_model as tm
    from chemorad.dynamics.schedule import Radiotherapy
    from chemorad.dynamics.sites import load_site

    site = load_site(site_name, "--site")
    v, co = tm.values(site), tm.cohort(patients, seed)
    rows = []
    for name, schedule in (regimens or site.regimens).items():
        items = tm.parse_items(schedule, f"regimen {name!r}")
        c = tm.course(items, f"regimen {name!r}")
        pop = tm.population(v, c, co, radiosensitivity_z=params.radiosensitivity_z, potency=params.drug_potency)
        rt_items = [i for i in items if isinstance(i, Radiotherapy)]
        rows.append(
            {
                "sample": params.sample,
                "site": site.name,
                "regimen": name,
                "tcp": pop["tcp"],
                "tcp_low": pop["tcp_low"],
                "tcp_high": pop["tcp_high"],
                "total_dose_gy": float(c.doses.sum()),
                "rt_days": float(c.times[-1] - c.times[0]),
                "gard": gard(rt_items, gard_per_gy) if gard_per_gy is not None else np.nan,
            }
        )
    return pd.DataFrame(rows)


def rsi(expression: pd.Series) -> float:
    """Radiosensitivity index of one sample from its expression (any monotone scale; ranks within the 10 genes).

    Raises ChemoradError when a gene of the index is missing.
    """
    missing = [g for g in RSI_RANK if g not in expression.index or not np.isfinite(expression.get(g, np.nan))]
    if missing:
        raise ChemoradError(f"RSI: the expression lacks {', '.join(missing)} (all 10 index genes are needed)")
    values = expression[list(RSI_RANK)].astype(float)
    ranks = values.rank(method="average")  # 1 = lowest, 10 = highest expressed
    return float(sum(RSI_RANK[g] * ranks[g] for g in RSI_RANK))


def gard_alpha(rsi_value: float) -> float:
    """alpha (Gy^-1) with SF2 = RSI under the LQ model: alpha = ln(RSI) / (-2) - 2 beta (beta = 0.05 Gy^-2)."""
    if not 0 < rsi_value < 1:
        raise ChemoradError(f"RSI = {rsi_value:.3g} lies outside (0, 1); GARD is not defined for it")
    return float(np.log(rsi_value) / -2.0 - 2.0 * GARD_BETA)


def gard(rt_items, alpha: float | None) -> float:
    """GARD = sum over radiotherapy items of n d (alpha + beta d) (Scott et al. 2017)."""
    if alpha is None:
        return np.nan
    return float(sum(i.fractions * i.dose_gy * (alpha + GARD_BETA * i.dose_gy) for i in rt_items))


def sample_gard_alpha(profile, sample: str) -> tuple[float | None, float | None, str]:
    """(RSI, GARD alpha, note) of `sample` from the profile's expression (log or linear scale; not z-scores)."""
    expr = getattr(profile, "expression", None)
    if expr is None or sample not in expr.index:
        return None, None, "no expression: RSI and GARD need the expression of the 10 index genes"
    if getattr(profile, "expression_scale", None) == "z":
        return None, None, "expression given as z-scores: the within-sample ranks of RSI need levels, not z-scores"
    try:
        value = rsi(expr.loc[sample])
        return value, gard_alpha(value), ""
    except ChemoradError as exc:
        return None, None, str(exc)


def regimen_panel(
    cat: Catalog, pred, profile, sample: str, patients: int = 1000, seed: int = 0, site: str | None = None
) -> dict:
    """Everything the HTML report's regimen panel shows for one sample (a view model: plain values and a table).

    The site model (`site_regimen_tcp`) on the standard regimens of `site` (default `tcp_model.DEFAULT_SITE`, hnscc,
    the site of the package's standard regimens), with the tumour's radiosensitivity and drug potency.
    Keys: sample, parameters (TumourParameters as a dict), rsi, gard_alpha, note, table (records: regimen, tcp,
    tcp_low, tcp_high, total_dose_gy, rt_days, gard), patients, calibration (the site).
    """
    from chemorad.dynamics.tcp_model import DEFAULT_SITE
    from chemorad.profile.predict import primary_records

    site = site or DEFAULT_SITE
    params = tumour_parameters(primary_records(pred.records), sample, cat.radiotherapy.id)
    rsi_value, alpha, note = sample_gard_alpha(profile, sample)
    table = site_regimen_tcp(site, params, patients=patients, seed=seed, gard_per_gy=alpha)
    return {
        "sample": sample,
        "parameters": params.__dict__,
        "rsi": rsi_value,
        "gard_alpha": alpha,
        "note": note,
        "table": table.to_dict("records"),
        "patients": patients,
        "calibration": site,
    }
