"""`make demo`: the main job on the shipped defaults, writing tables and figures to one folder.

The run is eight stages; each prints `[k/8] what` when it starts and its time when it ends, so a newcomer sees where
the minutes go (about 3 to 6 minutes in all on a 2-core machine with the data bundle; see the README).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from chemorad.app.defaults import demo
from chemorad.bundle import datasets as ds
from chemorad.catalog import Catalog
from chemorad.catalog import views as cv
from chemorad.catalog.schema import Phase
from chemorad.chain.phenotype import phenotype
from chemorad.chain.specificity import conditions, resistance_factors, verdicts
from chemorad.chain.survival import Environment, survival
from chemorad.cli.context import current_catalog
from chemorad.cli.render import to_json
from chemorad.errors import ChemoradError
from chemorad.evidence.claims import claim_verdicts, evidence_tables, summarise
from chemorad.evidence.crossres import explained_cross_resistance
from chemorad.io_atomic import replacing, write_text
from chemorad.report.evidence_figures import claims_heatmap_figure, crossres_matrix_figure
from chemorad.report.figures import claimed_specificity_figure, specificity_comparison_figure, survival_curves_figure


class _Writer:
    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.written: list[Path] = []

    def text(self, name: str, text: str) -> None:
        path = self.out / name
        write_text(path, text)
        self.written.append(path)


def demo_cmd(
    out: Annotated[Path, typer.Option(help="Folder to write the outputs to (created if absent).")] = Path(
        "demo_output"
    ),
    data: Annotated[Path | None, typer.Option(help="Cell-line data (default: $CHEMORAD_DATA, ../shared/data).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the outputs of an earlier demo in --out.")] = False,
) -> None:
    """Run the main job on the shipped defaults and write tables and figures to OUT.

    Catalog tables, computed specificity and survival curves always; claim verdicts and the cross-resistance matrix
    when the cell-line data are found (otherwise a note says why they were skipped).
    """
    from chemorad.io_atomic import folder_lock

    if out.exists() and not out.is_dir():
        raise ChemoradError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(p.name != ".lock" for p in out.iterdir()) and not force:
        raise ChemoradError(f"--out {out}: is not empty (an earlier demo?); choose a new folder or pass --force")
    if data is not None:
        ds.data_dir(data)  # an explicit --data that is not a folder is an error before any work, not a skipped stage
    err = Console(stderr=True, highlight=False)
    with folder_lock(out):
        for path in run_demo(out, data, say=err.print):
            print(path)
    err.print(
        f"Explore the answer in a browser: .venv/bin/chemorad serve --runs {out}  (http://127.0.0.1:8000/, docs/web.md)"
    )


STAGES = 8


@contextmanager
def _stage(k: int, what: str, say: Callable[[str], None]) -> Iterator[None]:
    say(f"[{k}/{STAGES}] {what} ...")
    t0 = time.perf_counter()
    yield
    say(f"[{k}/{STAGES}] done in {time.perf_counter() - t0:.0f} s")


def answer_outputs(w: _Writer, data: Path | None, say) -> None:
    """The answer document (`chemorad answer`), from the catalog and the model alone when the bundle is absent."""
    from chemorad.cli.context import current
    from chemorad.report.answer_doc import cached_answer
    from chemorad.report.answer_render import answer_html, answer_markdown

    ctx = current()
    try:
        folder = ds.data_dir(data)
    except ChemoradError:
        folder = None
    doc, _ = cached_answer(ctx.catalog, folder, ctx.cache_dir)
    w.text("answer.md", answer_markdown(doc))
    w.text("answer.html", answer_html(doc))
    c = doc["counts"]
    say(f"the answer: {c['decided']} of {c['mechanism_verdicts']} mechanism verdicts decided, calls {c['calls']}")


def run_demo(out: Path, data: Path | None = None, say=print) -> list[Path]:
    """Write the catalog tables, the computed specificity, the evidence (when the data are there) and the figures."""
    t0 = time.perf_counter()
    w = _Writer(out)
    cat = current_catalog()
    with _stage(1, "catalog tables and the claimed-specificity matrix", say):
        catalog_outputs(cat, w)
    with _stage(2, "computed specificity and survival curves (damage-chain model)", say):
        model_outputs(cat, w)
    with _stage(3, "dynamics: 70 Gy / 35 fractions with weekly cisplatin, 20 replicates", say):
        dynamics_outputs(w, say)
    try:
        directory = ds.data_dir(data)
    except ChemoradError as exc:
        say(f"[4-7/{STAGES}] evidence, profiles and the cohort skipped: {exc}")
        w.text("evidence_SKIPPED.txt", f"The evidence outputs need the cell-line data bundle.\n{exc}\n")
    else:
        with _stage(4, f"evidence: claim verdicts on {directory}", say):
            claims_outputs(cat, w, directory)
        with _stage(5, "evidence: cross-resistance matrix (200 bootstrap resamples per pair)", say):
            scores = crossres_outputs(cat, w, directory)
        with _stage(6, f"profile: predictions and reports for {', '.join(DEMO_LINES)} (models refitted)", say):
            profile_outputs(cat, w, directory, say)
        with _stage(7, "sweep: a virtual cohort of 200 head-and-neck tumours x 2 arms on 2 Dask workers", say):
            cohort_outputs(w, directory, scores, say)
    with _stage(8, "the answer: answer.md and answer.html (chemorad answer; cached for the next run)", say):
        answer_outputs(w, data, say)
    say(f"demo: {len(w.written)} outputs in {out} after {time.perf_counter() - t0:.0f} s")
    return w.written


#: two bundle lines scored by the demo: a head and neck squamous carcinoma (the dynamics demo's tumour type) and a
#: glioblastoma line known for radiotherapy and temozolomide resistance (MGMT-expressing)
DEMO_LINES = ("FADU", "T98G")


def profile_outputs(cat: Catalog, w: _Writer, directory: Path, say) -> None:
    """Predictions with reasons for two bundle lines (each left out of its own models) and their HTML reports."""
    from chemorad.app.inputs import ProfileInputs
    from chemorad.app.predict import predict
    from chemorad.context import Context
    from chemorad.profile.inputs import records
    from chemorad.report.profile_report import write_reports

    result = predict(Context(catalog=cat, data=directory), ProfileInputs(cell_lines=list(DEMO_LINES), data=directory))
    prof, pred = result.profile, result.predictions
    w.text("profile_predictions.json", to_json(records(pred)))
    table = pred.records.drop(columns=["top_mechanisms", "cross_resistant_with"])
    table["top_mechanisms"] = [", ".join(t["mechanism"] for t in top) for top in pred.records["top_mechanisms"]]
    w.text("profile_predictions.csv", table.to_csv(index=False))
    w.text("profile_crossres.csv", pred.crossres.to_csv(index=False))
    w.text("profile_coverage.csv", pred.scores.coverage.to_csv(index=False))
    w.written += list(write_reports(cat, pred, prof, w.out / "reports", directory, regimens=True))


def dynamics_outputs(w: _Writer, say) -> None:
    """One treatment course: head and neck chemoradiotherapy (embedded so the demo runs from an installed package)."""
    from chemorad.dynamics.scenario import parse_scenario
    from chemorad.dynamics.simulator import simulate
    from chemorad.report.dynamics_figures import simulation_figure

    cat = current_catalog()
    sc = parse_scenario(DEMO_SCENARIO, "demo scenario", cat=cat)
    res = simulate(sc, cat=cat)
    w.text("dynamics_summary.csv", res.summary.to_csv(index=False))
    with replacing(w.out / "dynamics_simulation.nc") as tmp:
        res.dataset.to_netcdf(tmp, engine="scipy")
    w.written.append(w.out / "dynamics_simulation.nc")
    w.written += simulation_figure(res.dataset, w.out / "dynamics_simulation")


#: the demo's example simulation (app/data/defaults.yaml, where its values are described)
DEMO_SCENARIO = demo("scenario")


def claims_outputs(cat: Catalog, w: _Writer, data: Path) -> None:
    """Claim verdicts on the bundle, their summary and the effects heatmap."""
    verdicts = claim_verdicts(cat, data)
    w.text("evidence_claims.csv", verdicts.to_csv(index=False))
    w.text("evidence_claims_summary.csv", summarise(verdicts).to_csv(index=False))
    w.written += claims_heatmap_figure(verdicts, w.out / "evidence_claims_effects")


def crossres_outputs(cat: Catalog, w: _Writer, data: Path):
    """The radiation x drug cross-resistance matrix; returns the mechanism scores for the cohort stage."""
    sc, resp, _ = evidence_tables(cat, data)
    tissue = ds.cell_lines(data)["tissue"]
    table = explained_cross_resistance(cat, resp, tissue, sc.scores, data, seed=0, n_boot=200)
    w.text("evidence_crossres.csv", table.to_csv(index=False))
    w.written += crossres_matrix_figure(table, w.out / "evidence_crossres_matrix", cat)
    return sc


def cohort_outputs(w: _Writer, data: Path, scores, say, workers: int = 2) -> None:
    """200 virtual head-and-neck tumours (profiles of upper aerodigestive tract lines), radiotherapy alone vs cisplatin
    then radiotherapy, on a local Dask cluster; results in `sweep_cohort/`, report tables and figures beside them."""
    from chemorad.report.sweep_figures import arm_comparison_figure
    from chemorad.sweep.analysis import arm_means, compare_arms, distributions, load_results
    from chemorad.sweep.run import run_sweep
    from chemorad.sweep.spec import parse_sweep

    sweep = parse_sweep(DEMO_COHORT, "demo cohort", hashes={"sweep": "demo-cohort"})
    out = w.out / "sweep_cohort"
    if out.exists():  # a previous demo's cohort: start afresh
        shutil.rmtree(out)
    run_sweep(sweep, out, workers=workers, data=data, scores=scores)
    w.written.append(out)
    r = load_results(out)
    comparison = compare_arms(r)
    w.text("sweep_cohort_distributions.csv", distributions(r).to_csv(index=False))
    w.text("sweep_cohort_comparison.csv", comparison.to_csv(index=False))
    w.written += arm_comparison_figure(arm_means(r), w.out / "sweep_cohort_arms", comparison)
    kill = comparison.set_index("outcome").loc["log_kill"]
    say(
        f"sweep: cisplatin then RT vs RT alone, log kill {kill['mean_difference']:+.2f} "
        f"(95% CI {kill['ci_low']:+.2f} to {kill['ci_high']:+.2f}) over {kill['n_points']} members"
    )


#: the demo's example cohort: one cisplatin cycle before radiotherapy or not (app/data/defaults.yaml)
DEMO_COHORT = demo("cohort")


def catalog_outputs(cat: Catalog, w: _Writer) -> None:
    mechs = list(cat.mechanisms.values())
    w.text("catalog_mechanisms.csv", cv.mechanisms_table(cat, mechs).to_csv(index=False))
    w.text("catalog_mechanisms.json", to_json([cv.mechanism_record(cat, m) for m in mechs]))
    w.text("catalog_therapies.csv", cv.therapies_table(cat).to_csv(index=False))
    w.text("catalog_references.csv", cv.references_table(cat).to_csv(index=False))
    values, disputed = cv.claimed_matrix(cat)
    w.text("claimed_specificity.csv", values.to_csv())
    w.written += claimed_specificity_figure(values, disputed, w.out / "claimed_specificity")


def model_outputs(cat: Catalog, w: _Writer) -> None:
    rf = resistance_factors(cat)
    table = verdicts(cat, rf)
    w.text("specificity_resistance_factors.csv", rf.to_csv(index=False))
    w.text("specificity_verdicts.csv", table.to_csv(index=False))
    strongest = (
        rf.assign(log2_rf=np.log2(rf["resistance_factor"]), abs_log=lambda d: d["log2_rf"].abs())
        .sort_values("abs_log")
        .groupby(["mechanism", "therapy"], sort=False)
        .tail(1)
        .pivot(index="mechanism", columns="therapy", values="log2_rf")
        .loc[list(cat.mechanisms), list(cat.therapies)]
    )
    values, disputed = cv.claimed_matrix(cat)
    w.written += specificity_comparison_figure(strongest, values, disputed, w.out / "specificity_computed_vs_claimed")
    w.written += survival_curves_figure(survival_panels(cat, rf), w.out / "survival_curves")


def survival_panels(cat: Catalog, rf) -> list[dict]:
    """Radiation oxic vs hypoxic and by phase (reference cell); two drugs under their strongest mechanisms."""
    ref = phenotype(cat)
    dose_gy = np.linspace(0.0, 10.0, 101)
    conds = conditions(cat)
    rt = cat.radiotherapy.id
    radiation = {
        f"{name} ({po2:g} mmHg)": survival(cat, rt, dose_gy[:, None], ref, Environment(po2_mmhg=po2))[:, 0]
        for name, po2 in conds.items()
    }
    phases = {ph.value: survival(cat, rt, dose_gy[:, None], ref, Environment(phase=ph))[:, 0] for ph in Phase}
    panels = [
        {"title": "Radiation: oxygen (reference cell)", "xlabel": "dose (Gy)", "x": dose_gy, "curves": radiation},
        {"title": "Radiation: cell-cycle phase (oxic)", "xlabel": "dose (Gy)", "x": dose_gy, "curves": phases},
    ]
    oxic = rf[rf["condition"] == "oxic"]
    for drug in demo("survival_panel_drugs"):
        ic50 = cat.therapies[drug].parameters["ic50_um"].value
        conc = np.logspace(np.log10(ic50) - 3, np.log10(ic50) + 4, 120)
        sub = oxic[oxic["therapy"] == drug]
        top = sub.reindex(sub["resistance_factor"].map(lambda x: -abs(np.log(x))).sort_values().index)
        top = [
            m for m in top["mechanism"].head(4) if abs(np.log(sub.set_index("mechanism").loc[m].resistance_factor)) > 0
        ]
        curves = {"reference": survival(cat, drug, conc[:, None], ref)[:, 0]}
        for mid in top:
            curves[mid] = survival(cat, drug, conc[:, None], phenotype(cat, {mid: 1.0}))[:, 0]
        panels.append(
            {
                "title": f"{drug}: strongest mechanisms",
                "xlabel": "concentration (uM)",
                "x": conc,
                "curves": curves,
                "logx": True,
            }
        )
    return panels
