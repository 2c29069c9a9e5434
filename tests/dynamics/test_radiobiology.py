"""The site model against closed forms: Thames incomplete repair, Poisson TCP, BED/EQD2, the time factor; sites."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chemorad.cli import app
from chemorad.dynamics import radiobiology as rb
from chemorad.dynamics import tcp_model as tm
from chemorad.dynamics.sites import SITES, load_site, parse_site, site_names
from chemorad.errors import ChemoradError

runner = CliRunner()
PURE = {  # pure-LQ limit: no hypoxia, no repopulation, no spread between patients
    "alpha_beta_gy": 10.0,
    "alpha_per_gy": 0.3,
    "radiosensitivity_sd": 0.0,
    "log10_clonogens": 9.0,
    "clonogens_log10_sd": 0.0,
    "repair_half_time_h": 1.0,
    "kickoff_days": 1e6,
    "repopulation_doubling_days": 3.0,
    "hypoxic_fraction_chronic": 0.0,
    "hypoxic_fraction_acute": 0.0,
    "oer": 3.0,
    "reoxygenation_per_fraction": 0.1,
}


def _rt(d, n, **kw):
    return [{"kind": "radiotherapy", "dose_gy": d, "fractions": n, **kw}]


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("dt_h", [4.0, 6.0, 8.0])
def test_pairwise_repair_equals_thames_h(m, dt_h) -> None:
    """m equal fractions in one day, dt apart: sum_i G_i = m (1 + h_m(phi)), phi = exp(-mu dt) (Thames 1985)."""
    mu = np.log(2) / (1.0 / 24)
    t = np.arange(m) * dt_h / 24
    g = rb.repair_factors(t, np.full(m, 2.0), mu)
    assert g.sum() == pytest.approx(m * (1 + rb.thames_h(m, np.exp(-mu * dt_h / 24))), rel=1e-12)


def test_homogeneous_population_tcp_is_poisson_closed_form() -> None:
    c = tm.course(_rt(2.0, 35))
    n = tm.survivors(PURE, c, tm.cohort(5, 0))
    expected = 1e9 * np.exp(-35 * (0.3 * 2 + 0.03 * 4))
    assert n == pytest.approx(np.full(5, expected), rel=1e-6)  # daily fractions: G - 1 ~ exp(-16.6)
    assert tm.population(PURE, c, tm.cohort(5, 0))["tcp"] == pytest.approx(np.exp(-expected), rel=1e-6)


@pytest.mark.parametrize(("d", "ab"), [(3.0, 10.0), (2.67, 4.0), (6.1, 1.5)])
def test_equal_bed_gives_equal_survival_in_the_pure_lq_limit(d, ab) -> None:
    """Schedules of equal BED (alpha/beta ab) leave the same clonogens; EQD2 of the one is BED-equivalent 2 Gy."""
    v = {**PURE, "alpha_beta_gy": ab}
    n2 = 30
    n = rb.bed(n2, 2.0, ab) / (d * (1 + d / ab))  # fractions of d with the BED of 30 x 2 Gy (not an integer)
    s2 = tm.survivors(v, tm.course(_rt(2.0, n2)), tm.cohort(1, 0))[0]
    k = int(np.floor(n))
    sd = tm.survivors(v, tm.course(_rt(d, k)), tm.cohort(1, 0))[0] * np.exp(-(n - k) * 0.3 * d * (1 + d / ab))
    assert np.log(sd) == pytest.approx(np.log(s2), rel=1e-6)
    assert rb.eqd2(n, d, ab) == pytest.approx(60.0, rel=1e-12)


def test_time_factor_matches_its_definition() -> None:
    """A gap after the kick-off costs rate x days of log kill; TF Gy per day in 2-Gy fractions gives it back."""
    v = {**PURE, "kickoff_days": 7.0}
    co = tm.cohort(1, 0)
    base = tm.survivors(v, tm.course(_rt(2.0, 30)), co)[0]
    gap = tm.survivors(v, tm.course(_rt(2.0, 30, gaps_days=list(range(14, 21)))), co)[0]
    lost_days = np.log(gap / base) / (np.log(2) / v["repopulation_doubling_days"])
    assert lost_days == pytest.approx(7.0, rel=1e-9)
    tf = tm.time_factor(v)
    assert tf * 0.3 * (1 + 2 / 10) * lost_days == pytest.approx(np.log(gap / base), rel=1e-9)


@pytest.mark.parametrize(("kw", "needle"), [({"dose_gy": 0.5}, "0.5 Gy"), ({"dose_gy": 25.0}, "25 Gy")])
def test_schedule_outside_the_validity_range_is_refused(kw, needle) -> None:
    with pytest.raises(ChemoradError, match=needle):
        tm.course(_rt(kw["dose_gy"], 5))


@pytest.mark.parametrize("name", site_names())
def test_every_site_validates_and_every_value_has_provenance(name) -> None:
    site = load_site(name)
    assert {"hnscc", "prostate", "breast", "glioblastoma", "cervix"} <= set(site_names())
    raw = yaml.safe_load((SITES / f"{name}.yaml").read_text(encoding="utf-8"))
    for key, entry in raw["parameters"].items():
        assert entry["provenance"] in {"read", "recalled", "derived", "fitted"}, key
    assert site.training and site.validation
    for t in site.training:  # the split: no validation trial is a training target
        assert t.name not in {v.name for v in site.validation}


def test_a_value_without_its_source_is_refused_naming_it() -> None:
    raw = yaml.safe_load((SITES / "prostate.yaml").read_text(encoding="utf-8"))
    raw["parameters"]["alpha_beta_gy"] = {"value": 1.5, "provenance": "read", "quote": "x"}
    with pytest.raises(ChemoradError, match=r"parameters.alpha_beta_gy: .*needs where"):
        parse_site(raw, "p.yaml")
    del raw["parameters"]["oer"]
    raw["parameters"]["alpha_beta_gy"] = {"value": 1.5}
    with pytest.raises(ChemoradError, match="alpha_beta_gy.provenance"):
        parse_site(raw, "p.yaml")


def test_unknown_site_names_the_closest() -> None:
    with pytest.raises(ChemoradError, match="unknown tumour site 'prostat'; closest: prostate"):
        load_site("prostat")


def test_temozolomide_benefit_depends_on_mgmt() -> None:
    site = load_site("glioblastoma")
    reg = "60 Gy/30 + temozolomide 75 mg/m2 daily"
    meth = tm.regimen_tcp(site, reg, patients=200, mgmt="methylated")["tcp"]
    unmeth = tm.regimen_tcp(site, reg, patients=200, mgmt="unmethylated")["tcp"]
    rt = tm.regimen_tcp(site, "60 Gy/30 (5/week)", patients=200)["tcp"]
    assert meth - rt > 2 * (unmeth - rt) > 0


def test_fit_recovers_a_known_clonogen_number() -> None:
    """Parameter recovery: a control target made by the model at log10 N0 = 7.3 is fitted back (200 patients)."""
    from chemorad.dynamics import site_calibration as sc

    raw = yaml.safe_load((SITES / "prostate.yaml").read_text(encoding="utf-8"))
    site = parse_site(raw, "p")
    truth = {**tm.values(site), "log10_clonogens": 7.3}
    value = tm.regimen_tcp(site, "74 Gy/37 (5/week)", truth, patients=200)["tcp"]
    raw["training"][0]["result"] = {"value": value, "provenance": "recalled", "note": "made by the model"}
    raw["parameters"]["log10_clonogens"]["value"] = 5.0
    fit = sc.fit(parse_site(raw, "p"), patients=200)
    assert fit.values["log10_clonogens"] == pytest.approx(7.3, abs=1e-3)


def test_calibrate_clinical_check_prints_the_validation_table() -> None:
    res = runner.invoke(app, ["calibrate-clinical", "--site", "prostate", "--check", "--patients", "20", "-f", "json"])
    assert res.exit_code == 0, res.output
    assert "trials agree within the trial's 95% interval" in res.stderr
    doc = json.loads(res.stdout)
    assert [r["target"] for r in doc["training"]] == ["CHHiP control arm 74 Gy/37"]
    assert {r["trial"] for r in doc["validation"]} == {v.name for v in load_site("prostate").validation}
    assert doc["agree"] == sum(bool(r["agrees"]) for r in doc["validation"])
    assert doc["intervals_overlap"] == sum(bool(r["intervals_overlap"]) for r in doc["validation"])
    for r in doc["validation"]:  # a difference inside the trial's interval means the intervals meet
        assert r["model_low"] <= r["model_difference"] <= r["model_high"]
        assert not r["agrees"] or r["intervals_overlap"]


def test_interval_refits_cover_the_read_parameter_intervals() -> None:
    """The model interval refits at the ends of each training target's interval and of each fixed parameter's read
    interval (prostate: alpha and alpha/beta of Wang et al. 2003), one at a time."""
    from chemorad.dynamics import site_calibration as sc

    site = load_site("prostate")
    refits = sc.interval_refits(site, patients=20)
    with_ci = [n for n, s in site.parameters if s.ci95 is not None]
    assert set(with_ci) == {"alpha_beta_gy", "alpha_per_gy"}
    assert len(refits) == 2 * len([t for t in site.training if t.result.ci95]) + 2 * len(with_ci)
    assert {r["alpha_beta_gy"] for r in refits} >= set(site.parameters.alpha_beta_gy.ci95)
    # each refit still meets the training target: the clonogen number moves with alpha/beta
    lows = [r for r in refits if r["alpha_beta_gy"] == site.parameters.alpha_beta_gy.ci95[0]]
    assert lows[0]["log10_clonogens"] != pytest.approx(tm.values(site)["log10_clonogens"], abs=0.1)


@pytest.mark.parametrize(
    ("args", "needle"), [(["--site", "prostat"], "closest: prostate"), (["--site", "x"], "known:")]
)
def test_calibrate_clinical_bad_site_is_one_line(args, needle) -> None:
    res = runner.invoke(app, ["calibrate-clinical", *args, "--check"])
    assert res.exit_code == 2 and needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "example",
    [
        "prostate_hypofractionated.yaml",
        "breast_start_b.yaml",
        "glioblastoma_stupp.yaml",
        "cervix_chemoradiotherapy.yaml",
        "hnscc_chart.yaml",
    ],
)
def test_simulate_says_which_site_calibration_it_used(example) -> None:
    from pathlib import Path

    path = Path(__file__).parents[2] / "examples" / example
    res = runner.invoke(app, ["simulate", str(path), "--replicates", "20", "-f", "json"])
    assert res.exit_code == 0, res.output
    site = yaml.safe_load(path.read_text(encoding="utf-8"))["calibration"]
    assert f"site calibration: {site} (site file {site}.yaml" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["site_model"]["site"] == site and 0 < doc["site_model"]["tcp"] < 1


def test_a_scenario_without_calibration_is_not_silent(tmp_path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: x\nschedule: [{kind: radiotherapy, dose_gy: 2.0, fractions: 35}]\n"
        "simulation: {days: 50, dt_days: 0.5, mode: deterministic, replicates: 5}\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["simulate", str(p)])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    # the stated default: hnscc's site model, named with the key, and the cell-level run labelled uncalibrated
    assert "site calibration: hnscc (default: the scenario has no `calibration:` key" in err
    assert "[uncalibrated cell-level run, not the site model]" in err
    tcp = float(err.split("population TCP ")[1].split()[0])
    want = tm.regimen_tcp(load_site("hnscc"), "70 Gy/35 (5/week)", patients=1000)["tcp"]
    assert tcp == pytest.approx(want, abs=1e-3)  # 70 Gy/35 through the default is the site's own regimen


def test_a_site_scenario_outside_the_validity_range_is_one_line(tmp_path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: x\ncalibration: prostate\nschedule: [{kind: radiotherapy, dose_gy: 24.0, fractions: 1}]\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["simulate", str(p)])
    assert res.exit_code == 2 and "24 Gy per fraction" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_site_regimens_for_one_tumour_follow_its_radiosensitivity() -> None:
    from chemorad.profile.regimens import TumourParameters, site_regimen_tcp

    def tcp(z):
        t = site_regimen_tcp("prostate", TumourParameters("s", z, None, {}, {}), patients=100)
        return t.set_index("regimen")["tcp"]

    sensitive, resistant = tcp(1.0), tcp(-1.0)
    assert set(sensitive.index) == set(load_site("prostate").regimens)
    assert (sensitive >= resistant).all() and (sensitive > resistant).any()


def test_thousand_patient_tcp_per_regimen_is_fast() -> None:
    """Issue 21 target: a 1,000-patient TCP per regimen in under 1 s (measured here with a margin for load)."""
    import time

    site = load_site("hnscc")
    t0 = time.perf_counter()
    tm.regimen_tcp(site, "HFX 81.6 Gy/68 (1.2 Gy twice daily)", patients=1000)
    assert time.perf_counter() - t0 < 3.0


def test_regimens_unknown_site_is_refused_before_the_prediction() -> None:
    res = runner.invoke(app, ["regimens", "--cell-line", "DU-145", "--site", "prostrate"])
    assert res.exit_code == 2 and "closest: prostate" in res.stderr and len(res.stderr.strip().splitlines()) == 1


@settings(max_examples=30, deadline=None)
@given(
    d=st.floats(1.0, 20.0),
    n=st.integers(1, 40),
    per_day=st.integers(1, 3),
    site=st.sampled_from(["hnscc", "prostate", "breast", "glioblastoma", "cervix"]),
)
def test_more_fractions_never_lower_tcp_and_tcp_is_a_probability(d, n, per_day, site) -> None:
    """Property: without repopulation, one more fraction cannot lower a site's population TCP (with it, a fraction
    after a weekend can: 3 days of regrowth against one fraction's kill, the time factor at work)."""
    v = {**tm.values(load_site(site)), "kickoff_days": 1e6}
    co = tm.cohort(50, 3)
    kw = {"per_day": per_day, "interval_h": 6.0}
    a = tm.population(v, tm.course(_rt(d, n, **kw)), co)["tcp"]
    b = tm.population(v, tm.course(_rt(d, n + 1, **kw)), co)["tcp"]
    assert 0.0 <= a <= 1.0 and b >= a - 1e-12


def test_dose_response_slope_matches_the_poisson_closed_form() -> None:
    """Homogeneous patients, no hypoxia, no repopulation: TCP = exp(-N exp(-E D)), E = alpha + beta d, so
    D50 = ln(N / ln 2) / E and gamma50 = ln 2 / 2 x ln(N / ln 2) (Poisson closed form)."""
    from chemorad.dynamics import site_calibration as sc

    v = {**tm.values(load_site("hnscc")), "radiosensitivity_sd": 0.0, "clonogens_log10_sd": 0.0}
    v.update(hypoxic_fraction_chronic=0.0, hypoxic_fraction_acute=0.0, kickoff_days=1e6, log10_clonogens=3.0)
    v.update(alpha_per_gy=0.3, alpha_beta_gy=10.0)
    d50, g50 = sc.dose_response(v, patients=50)
    big = np.log(1e3 / np.log(2))
    assert d50 == pytest.approx(big / (0.3 + 0.03 * 2.0), rel=0.03)
    assert g50 == pytest.approx(np.log(2) / 2 * big, rel=0.05)
    flatter = sc.dose_response({**v, "radiosensitivity_sd": 0.3}, patients=400)[1]
    assert flatter < g50  # an inter-patient spread flattens the population curve


def test_the_default_calibration_notes_a_schedule_it_does_not_cover(tmp_path) -> None:
    """No `calibration:` key and fractions outside 1-20 Gy: the run is not refused (the default is a convenience)
    but says, in one line naming the key and the value, that its TCP is uncalibrated."""
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: x\nschedule: [{kind: radiotherapy, dose_gy: 0.5, fractions: 10}]\n"
        "simulation: {days: 20, dt_days: 0.5, mode: deterministic, replicates: 2}\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["simulate", str(p), "-f", "json"])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    assert "no `calibration:` key, and the default site model (hnscc) does not cover this schedule" in err
    assert "0.5 Gy per fraction" in err and "[uncalibrated cell-level run, not the site model]" in err
    assert json.loads(res.stdout)["site_model"]["default"] is True
