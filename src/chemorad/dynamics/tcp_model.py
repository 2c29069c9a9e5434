"""The site model: population tumour control of any fractionation, per tumour site, in closed form per fraction.

Each virtual patient r has alpha_r = alpha exp(sd_s z1) (beta_r = alpha_r / (alpha/beta)), N0_r = 10^(log10 N0 +
sd_N z2) clonogens, of which a chronic hypoxic share h_c, and (temozolomide) an MGMT status. Fraction i (dose d_i at
t_i, incomplete-repair factor G_i, drug factor f_i = 1 + e a_i) kills

    oxic compartment:     SF = (1 - h_a) exp(-f_i (alpha_r d_i + G_i beta_r d_i^2)) + h_a exp(-f_i LK_hyp)
    chronic hypoxic:      SF = exp(-f_i LK_hyp),  LK_hyp = alpha_r d_i / OER + G_i beta_r (d_i / OER)^2

h_a the acutely (transiently) hypoxic share at any fraction. After each fraction a share 1 - exp(-r) of the chronic
hypoxic clonogens reoxygenates (H -> O): reoxygenation follows the kill of oxygen-consuming cells, so it is counted per
fraction, at the rate of the measured decline of the FMISO hypoxic volume during radiotherapy (site files), not back
to a pretreatment level. Oxic clonogens regrow at ln 2 / T_eff per day after the kick-off T_k (no net regrowth
before); chronically hypoxic ones do not proliferate until reoxygenated. TCP_r = exp(-(O + H) after the last
fraction) (Poisson), the population TCP the mean, with a Jeffreys interval. Redistribution is not modelled: the
clinical data (DAHANCA, RTOG 9003) show no penalty for more fractions a day that a phase-selection law would add.

Model history (docs/clinical.md; the validation tables of each version are there): v1 reoxygenated per day of
overall time and let hypoxic clonogens regrow (hnscc dose-response flat and non-monotone above 48 Gy); v2 stopped the
hypoxic regrowth (CHART then lost 52 points); v3, this one, counts reoxygenation per fraction. v2 and v3 were chosen
after seeing v1's validation table: the structure is not blind to the validation trials, the parameters are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chemorad.dynamics import radiobiology as rb
from chemorad.dynamics.schedule import Drug, Radiotherapy, radiotherapy_times
from chemorad.dynamics.sites import Site
from chemorad.errors import ChemoradError

MAX_DRUG_FOLD = 1.5  # cap of cumulative dose / reference dose in the drug factor


def values(site: Site) -> dict[str, float]:
    """The site's parameter and drug values as a flat dict (drug keys `drug:<name>:<field>`)."""
    out = {k: v.value for k, v in site.parameters}
    for drug, eff in site.drugs.items():
        for field in ("radiosensitisation", "methylated", "unmethylated", "methylated_fraction"):
            s = getattr(eff, field)
            if s is not None:
                out[f"drug:{drug}:{field}"] = s.value
        out[f"drug:{drug}:reference"] = eff.reference_cumulative_mg_m2.value
    return out


@dataclass(frozen=True)
class Course:
    """A regimen as arrays: fraction times (days), doses (Gy), drug activity per fraction {drug: (n,)}."""

    times: np.ndarray
    doses: np.ndarray
    drug_fold: dict[str, np.ndarray]


def parse_items(items: list[dict], where: str) -> list[Radiotherapy | Drug]:
    """Schedule items (scenario format) validated; an error names `where[i].field`."""
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(Radiotherapy | Drug)
    out = []
    for i, raw in enumerate(items):
        try:
            out.append(adapter.validate_python(raw))
        except ValidationError as exc:
            e = exc.errors()[0]
            loc = ".".join(str(p) for p in e["loc"][1:]) or "item"
            raise ChemoradError(f"{where}[{i}].{loc}: {e['msg']}") from None
    return out


def course(items: list[dict] | list[Radiotherapy | Drug], where: str = "regimen") -> Course:
    """Fraction times and doses of the radiotherapy items (validity range checked) and each drug's activity."""
    parsed = [i if isinstance(i, Radiotherapy | Drug) else None for i in items]
    if any(p is None for p in parsed):
        parsed = parse_items(list(items), where)
    times, doses, drugs = [], [], []
    for i, it in enumerate(parsed):
        if isinstance(it, Radiotherapy):
            rb.check_validity(it.dose_gy, it.per_day, f"{where}[{i}]")
            t = radiotherapy_times(it)
            times += t
            doses += [it.dose_gy] * len(t)
        else:
            if it.dose_mg_m2 is None or it.cycle_days is None:
                raise ChemoradError(f"{where}[{i}]: a drug in a site regimen needs dose_mg_m2 and cycle_days")
            drugs.append(it)
    if not times:
        raise ChemoradError(f"{where}: no radiotherapy item; the site model needs fractions")
    order = np.argsort(times, kind="stable")
    t = np.asarray(times)[order]
    d = np.asarray(doses)[order]
    fold: dict[str, np.ndarray] = {}
    for it in drugs:
        start, end = it.start_day, it.start_day + it.cycles * it.cycle_days
        active = (t >= start) & (t < end)
        fold[it.therapy] = fold.get(it.therapy, 0.0) + active * it.dose_mg_m2 * it.cycles
    return Course(t, d, fold)


@dataclass(frozen=True)
class Cohort:
    """Standard-normal draws of the virtual patients: radiosensitivity, clonogens, and a uniform for MGMT."""

    z_sens: np.ndarray
    z_clon: np.ndarray
    u_mgmt: np.ndarray


def cohort(patients: int, seed: int) -> Cohort:
    """Standard normal draws of the virtual patients (common random numbers across regimens and parameters)."""
    rng = np.random.default_rng([seed, 21])
    z = rng.standard_normal((2, patients))
    return Cohort(z[0], z[1], rng.random(patients))


def survivors(
    v: dict[str, float],
    c: Course,
    co: Cohort,
    radiosensitivity_z: float | None = None,
    mgmt: str | None = None,
    potency: dict[str, float] | None = None,
) -> np.ndarray:
    """Expected clonogens left after the last fraction, per patient (formulas: module docstring; `potency`: see
    `drug_factor`)."""
    z = co.z_sens if radiosensitivity_z is None else np.full_like(co.z_sens, radiosensitivity_z)
    alpha = v["alpha_per_gy"] * np.exp(v["radiosensitivity_sd"] * z)
    beta = alpha / v["alpha_beta_gy"]
    n0 = 10.0 ** (v["log10_clonogens"] + v["clonogens_log10_sd"] * co.z_clon)
    hc, ha, oer = v["hypoxic_fraction_chronic"], v["hypoxic_fraction_acute"], v["oer"]
    mu = np.log(2) / (v["repair_half_time_h"] / 24.0)
    g = rb.repair_factors(c.times, c.doses, mu)
    f = drug_factor(v, c, co, mgmt, potency)  # (R, n)
    lam = np.log(2) / v["repopulation_doubling_days"]
    k_re = v["reoxygenation_per_fraction"]
    ox, hy = n0 * (1 - hc), n0 * hc
    first = c.times[0]
    for i in range(c.times.size):
        if i:
            t0, t1 = c.times[i - 1], c.times[i]
            grow = np.exp(rb.repopulation_log_growth(t0, t1, first, v["kickoff_days"], lam))
            moved = hy * (1 - np.exp(-k_re))  # reoxygenation follows each fraction's kill, not the clock
            ox, hy = (ox + moved) * grow, hy - moved  # chronically hypoxic clonogens do not proliferate
        d = c.doses[i]
        lk_ox = f[:, i] * rb.lq_log_kill(alpha, beta, d, g[i])
        lk_hy = f[:, i] * rb.lq_log_kill(alpha, beta, d / oer, g[i])
        ox = ox * ((1 - ha) * np.exp(-lk_ox) + ha * np.exp(-lk_hy))
        hy = hy * np.exp(-lk_hy)
    return ox + hy


def drug_factor(
    v: dict[str, float], c: Course, co: Cohort, mgmt: str | None, potency: dict[str, float] | None = None
) -> np.ndarray:
    """1 + e x min(P x cumulative dose / reference, 1.5) on the fractions a drug is active, per patient (R, n).

    P is one tumour's potency multiplier for the drug (`profile.regimens.tumour_parameters`: its IC50 is 1/P times
    the median line's), taken as dose equivalence: the tumour responds to a dose as the site's median patient to P
    times that dose. P = 1 (the default, and any drug not in `potency`) is the trial average e was fitted to; the cap
    1.5 keeps the factor within 1.5 times the reference dose's effect, where the trials give no information.
    """
    f = np.ones((co.z_sens.size, c.times.size))
    potency = potency or {}
    for drug, cum in c.drug_fold.items():
        ref = v.get(f"drug:{drug}:reference")
        if ref is None:
            continue  # the site has no effect for this drug (said by `drug_warnings`)
        amount = np.minimum(potency.get(drug, 1.0) * cum / ref, MAX_DRUG_FOLD)
        if f"drug:{drug}:radiosensitisation" in v:
            e = np.full(co.z_sens.size, v[f"drug:{drug}:radiosensitisation"])
        else:
            meth = (
                co.u_mgmt < v[f"drug:{drug}:methylated_fraction"]
                if mgmt is None
                else np.full(co.z_sens.size, mgmt == "methylated")
            )
            e = np.where(meth, v[f"drug:{drug}:methylated"], v[f"drug:{drug}:unmethylated"])
        f = f + e[:, None] * amount[None, :]
    return f


def drug_warnings(site: Site, c: Course) -> list[str]:
    """One line per drug of the course that the site has no calibrated effect for (it is then ignored)."""
    return [
        f"{d}: no effect with radiotherapy is calibrated for {site.name}; ignored"
        for d in c.drug_fold
        if d not in site.drugs
    ]


def population(
    v: dict[str, float],
    c: Course,
    co: Cohort,
    radiosensitivity_z: float | None = None,
    mgmt: str | None = None,
    potency: dict[str, float] | None = None,
) -> dict[str, float]:
    """Population TCP (mean of exp(-N_r)) with its 95% Jeffreys interval over the virtual cohort."""
    from chemorad.dynamics.simulator import population_tcp

    tcp = rb.poisson_tcp(survivors(v, c, co, radiosensitivity_z, mgmt, potency))
    return population_tcp(tcp, deterministic=True)


def time_factor(v: dict[str, float]) -> float:
    """The site's time factor (Gy/day in 2-Gy fractions) from its repopulation rate, median oxic patient."""
    return rb.time_factor(np.log(2) / v["repopulation_doubling_days"], v["alpha_per_gy"], v["alpha_beta_gy"])


def scenario_items(schedule, cat) -> tuple[list[Radiotherapy | Drug], list[str]]:
    """A scenario's schedule with drug doses and cycle lengths filled from the catalog where not given, and one note
    per drug left out because neither the scenario nor the catalog gives its dose (the site model needs mg/m2)."""
    out, notes = [], []
    for it in schedule:
        if isinstance(it, Drug) and (it.dose_mg_m2 is None or it.cycle_days is None):
            pk = cat.therapies[it.therapy].pk
            if pk is None:
                notes.append(f"{it.therapy}: no dose_mg_m2/cycle_days in the scenario or the catalog; ignored")
                continue
            it = it.model_copy(
                update={
                    "dose_mg_m2": it.dose_mg_m2 or pk.dose_mg_m2.value,
                    "cycle_days": it.cycle_days or pk.cycle_days.value,
                }
            )
        out.append(it)
    return out, notes


# The stated default of a scenario with radiotherapy and no `calibration:` key: the simulator's default tumour is a
# head-and-neck carcinoma (Tpot 4 days, kick-off 28 days: docs/dynamics.md), so its clinical calibration is hnscc's.
DEFAULT_SITE = "hnscc"


def scenario_site(sc) -> tuple[str | None, bool]:
    """(site, is_default): the tumour site whose model gives a scenario's clinical TCP, and whether it is the default.

    A scenario whose `calibration:` names a site uses it; one without the key that has radiotherapy uses
    `DEFAULT_SITE` (said by `calibration_notes`); anything else (no radiotherapy) has no site model.
    """
    from chemorad.dynamics.sites import site_names

    if sc.calibration is not None:
        return (sc.calibration if sc.calibration in site_names() else None), False
    if any(isinstance(i, Radiotherapy) for i in sc.schedule):
        return DEFAULT_SITE, True
    return None, False


def scenario_tcp(sc, cat) -> dict | None:
    """The site model's population TCP for a scenario (its `calibration:` site, or the stated default), else None."""
    from chemorad.dynamics.sites import load_site

    name, default = scenario_site(sc)
    if name is None:
        return None
    site = load_site(name, "calibration")
    items, notes = scenario_items(sc.schedule, cat)
    try:
        c = course(items, "schedule")
    except ChemoradError as exc:
        if not default:
            raise  # a named site refuses a schedule outside its validity range
        # the default is a convenience: a schedule it does not cover runs uncalibrated, and says so
        return {"site": site.name, "default": True, "unavailable": str(exc)}
    v = values(site)
    z = sc.patients.radiosensitivity_z
    pop = population(v, c, cohort(max(sc.simulation.replicates, 1000), sc.simulation.seed), radiosensitivity_z=z)
    return {
        "site": site.name,
        "default": default,
        "model": "site model (dynamics.tcp_model)",
        "fitted_to": [t.name for t in site.training],
        "time_factor_gy_per_day": time_factor(v),
        "warnings": notes + drug_warnings(site, c),
        **pop,
    }


def calibration_notes(sc, site_pop: dict | None) -> list[str]:
    """What `simulate` says about the calibration a scenario used (one line each), so none runs silently."""
    from chemorad.dynamics.sites import site_names

    if site_pop is not None and "unavailable" in site_pop:
        return [
            f"note: no `calibration:` key, and the default site model ({site_pop['site']}) does not cover this "
            f"schedule ({site_pop['unavailable']}): the population below is uncalibrated and its TCP is not a "
            "clinical prediction"
        ]
    if site_pop is not None:
        how = (
            f"site calibration: {site_pop['site']} (default: the scenario has no `calibration:` key; name one of "
            f"{', '.join(site_names())} to choose the site)"
            if site_pop.get("default")
            else f"site calibration: {site_pop['site']}"
        )
        lines = [
            f"{how} (site file {site_pop['site']}.yaml, fitted to "
            f"{'; '.join(site_pop['fitted_to'])}): population TCP {site_pop['tcp']:.3f} (95% interval "
            f"{site_pop['tcp_low']:.3f}-{site_pop['tcp_high']:.3f}, {site_pop['patients']} virtual patients); "
            f"time factor {site_pop['time_factor_gy_per_day']:.2f} Gy/day; the cell-level run below keeps "
            "the scenario's own tumour"
        ]
        return lines + [f"note: {w}" for w in site_pop["warnings"]]
    if sc.calibration is not None:
        return [f"calibration: {sc.calibration} (cell-level calibration of the simulator, docs/clinical.md)"]
    return []


def regimen_tcp(
    site: Site, regimen: str, v: dict[str, float] | None = None, patients: int = 1000, seed: int = 0, **kw
) -> dict[str, float]:
    """Population TCP of the site's regimen `regimen` (by name) with the site's (or given) values."""
    c = course(site.regimens[regimen], f"{site.name}: regimens.{regimen}")
    return population(values(site) if v is None else v, c, cohort(patients, seed), **kw)
