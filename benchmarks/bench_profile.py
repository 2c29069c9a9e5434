"""Cross-validated accuracy of the profile model: chemorad's mechanism-score model vs a tissue-only baseline vs ridge on
every usable GDSC expression gene, for radiation and every cytotoxic drug with data (Yard, GDSC1, GDSC2, CTRP).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_profile.py [--splits 5] [--seed 0] [--boot 500] [--csv cv.csv]

Protocol (`chemorad.profile.model.cross_validate_models`): one seeded assignment of every line of the bundle to one of K
folds, shared by every response and contender; per response, the lines with a response, a tissue, catalog-marker
features and GDSC expression; every contender fitted on K-1 folds (penalties by leave-one-out inside them) and scored on
the held-out fold; Spearman rho of the pooled out-of-fold predictions with the observed response. Uncertainty: a paired
bootstrap over lines (`--boot` resamples, seeded) of the difference in pooled rho between chemorad and each baseline; a
win is counted when chemorad's rho is higher, and called clear when the 95% interval of the difference excludes 0.
The contenders (`--contenders`, default all of `CONTENDERS`) include the boosted trees, the hybrid and the nested stack
(`profile.gene_models.StackedResponse`); the "Every model per response" table gives each one's Spearman, the
hybrid's and the stack's mechanistic share, and how often each is at or above the gene ridge.

`--batch N` instead times `predict_profile` on N lines the bundle has never seen (`batch`).

Prints a Markdown report (tables + machine) to stdout; writes nothing into the repository (`--csv` must point
elsewhere).
Data: Yard et al. 2016, Nat Commun 7:11428; GDSC1/2 (Yang et al. 2013, Nucleic Acids Res 41:D955; Iorio et al. 2016,
Cell 166:740); CTRP v2 (Rees et al. 2016, Nat Chem Biol 12:109; Seashore-Ludlow et al. 2015, Cancer Discov 5:1210);
CCLE RPPA (Li et al. 2017, Cancer Cell 31:225); DepMap expression (Ghandi et al. 2019, Nature 569:503).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from chemorad.catalog.load import catalog
from chemorad.catalog.registry import primary_metric
from chemorad.profile.model import CONTENDERS, CVPlan, cross_validate_models, cytotoxic_therapies

REPO = Path(__file__).resolve().parents[1]


def _rho(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rho of paired columns (n x B): Pearson of average ranks per column."""
    ra = np.apply_along_axis(rankdata, 0, a)
    rb = np.apply_along_axis(rankdata, 0, b)
    ra -= ra.mean(0)
    rb -= rb.mean(0)
    return (ra * rb).sum(0) / np.sqrt((ra**2).sum(0) * (rb**2).sum(0))


def bootstrap_delta(frame: pd.DataFrame, other: str, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of rho(chemorad) - rho(other), resampling lines with replacement."""
    idx = rng.integers(0, len(frame), size=(len(frame), n_boot))
    y = frame["observed"].to_numpy()[idx]
    d = _rho(frame["chemorad"].to_numpy()[idx], y) - _rho(frame[other].to_numpy()[idx], y)
    d = d[np.isfinite(d)]
    return float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975))


def standardised(oof: pd.DataFrame, contenders: list[str]) -> pd.DataFrame:
    """Observed and predicted responses z-scored per response column with the observed mean and SD (so responses in
    different units pool), plus the naive mean-effects prediction of each (line, response): the line's mean observed
    z-score over the responses it has (its general sensitivity) + the response's mean (0 after z-scoring)."""
    g = oof.groupby("column")["observed"]
    mu, sd = g.transform("mean"), g.transform("std")
    out = oof[["column", "cell_line"]].copy()
    out["observed"] = (oof["observed"] - mu) / sd
    for c in contenders:
        out[c] = (oof[c] - mu) / sd
    out["naive"] = out.groupby("cell_line")["observed"].transform("mean")
    return out


def normalised_pearson(z: pd.DataFrame, contenders: list[str]) -> dict[str, float]:
    """DrEval-style normalised Pearson: r(y - naive, prediction - naive), pooled over every (line, response) pair."""
    y = z["observed"] - z["naive"]
    return {c: float(np.corrcoef(y, z[c] - z["naive"])[0, 1]) for c in contenders}


def noise_ceiling(data: Path | None, cat) -> pd.DataFrame:
    """Per compound in both GDSC1 and GDSC2: Spearman rho and n of the two screens' ln IC50 and AUC on the same lines
    (the agreement an expression model could at best reach against either assay)."""
    from chemorad.evidence.responses import responses

    resp = responses(cat, data)
    rows = []
    for col in resp.columns:
        if not col.startswith("gdsc2|"):
            continue
        other = "gdsc1|" + col.split("|", 1)[1]
        if other not in resp.columns:
            continue
        both = resp[[col, other]].dropna()
        if len(both) >= 10:
            rho = pd.Series(both[col]).rank().corr(pd.Series(both[other]).rank())
            rows.append({"column": col, "other": other, "n_shared": len(both), "rho_gdsc1_gdsc2": float(rho)})
    return pd.DataFrame(rows)


def pide_check(oof_csv: Path, data: Path | None) -> list[str]:
    """The second radiation assay: PIDE clonogenic SF2 / alpha against Yard on shared lines, and how each model's
    radiation (Yard AUC) prediction ranks the clonogenic measurements of lines it did not train on: a line with a Yard
    response takes its out-of-fold prediction from the cross-validation (`oof_csv`, written by `--csv`), a line
    without one the prediction of the model fitted on every Yard line."""
    from chemorad.bundle import datasets as ds
    from chemorad.bundle.pide import pide_lines
    from chemorad.profile.estimators import CHAIN
    from chemorad.profile.selection import _chain_or_nan, _estimators, _stack_input
    from chemorad.profile.training import bundle_tables, usable_lines, with_tissue

    cat = catalog()
    pide = pide_lines(data)
    if pide is None:
        return ["PIDE: no pide/pide34.csv in the data folder; check skipped."]
    pide = pide[pide["in_bundle"]]
    feats, resp, tissue, mech = bundle_tables(cat, data)
    expr = ds.load_expression(data=data)
    col = "yard|radiotherapy|auc"
    shared = pide.index.intersection(resp[col].dropna().index)
    out = ["### Second radiation assay: PIDE 3.4 clonogenic survival", ""]
    for metric in ("auc", "sf2"):
        y = resp[f"yard|radiotherapy|{metric}"].reindex(shared)
        ok = y.notna()
        for what in ("sf2", "alpha"):
            rho = spearman(y[ok].to_numpy(), pide.loc[shared[ok], what].to_numpy())
            out.append(f"- Yard {metric} vs PIDE {what}: Spearman {rho:+.3f} over {int(ok.sum())} shared lines")
    oof = pd.read_csv(oof_csv)
    oof = oof[oof["column"] == col].set_index("cell_line")
    lines = usable_lines(resp[col], feats, tissue, expr)
    y = resp[col].loc[lines]
    others = [s for s in pide.index if s not in oof.index and s in feats.index and s in expr.index]
    others = [s for s in others if pd.notna(tissue.get(s))]
    out += [
        "",
        f"PIDE lines in the bundle: {len(pide)}; with a Yard out-of-fold prediction: "
        f"{len(pide.index.intersection(oof.index))}; predicted by the model fitted on all {len(lines)} Yard lines: "
        f"{len(others)}.",
        "",
        "| model | n | Spearman with PIDE SF2 | Spearman with PIDE alpha |",
        "| --- | --- | --- | --- |",
    ]
    for name in ("tissue", "chemorad", "expression", "boosted", "hybrid", "stacked"):
        if name not in oof.columns:
            continue
        pred = oof[name].reindex(pide.index.intersection(oof.index))
        if others:
            on_genes = name in ("expression", "hybrid")
            X = with_tissue((expr if on_genes else feats), tissue)
            if name == "hybrid":
                X = X.assign(**{CHAIN: _chain_or_nan(cat, "radiotherapy", mech.reindex(X.index))})
            if name == "stacked":
                both = [s for s in [*lines, *others] if s in expr.index and s in feats.index]
                chain = _chain_or_nan(cat, "radiotherapy", mech.reindex(both))
                X = _stack_input(expr, feats, pd.Index(both), tissue.reindex(both), chain)
            model = _estimators()[name]().fit(X.loc[lines], y)
            pred = pd.concat([pred, pd.Series(model.predict(X.loc[others]), index=others)])
        sf2 = pide.loc[pred.index, "sf2"].to_numpy()
        alpha = pide.loc[pred.index, "alpha"].to_numpy()
        out.append(
            f"| {name} | {len(pred)} | {spearman(pred.to_numpy(), sf2):+.3f} | "
            f"{spearman(pred.to_numpy(), alpha):+.3f} |"
        )
    out += [
        "",
        "Higher Yard AUC, higher SF2 and lower alpha all mean more resistant: agreement is a positive rho with "
        "SF2 and a negative one with alpha.",
    ]
    return out


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sklearn

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}, scikit-learn "
        f"{sklearn.__version__}, OPENBLAS_NUM_THREADS={threads}"
    )


def fmt(x: float, digits: int = 3) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def batch(n: int, data: Path | None) -> None:
    """Time `predict_profile` on n bundle lines renamed NEW-<line> (lines the bundle has never seen) in a bundle-layout
    folder, as `chemorad predict --profiles DIR` runs it; prints the wall times (run under /usr/bin/time -v for CPU)."""
    import tempfile

    from chemorad.bundle import datasets as ds
    from chemorad.bundle.names import canonical_name
    from chemorad.profile.activities import reference, sample_scores
    from chemorad.profile.predict import predict_profile
    from chemorad.profile.readers import read_profiles_dir

    root_data = ds.data_dir(data)
    cl = ds.cell_lines(root_data)
    usable = cl[cl["tissue"].notna() & cl["in_expression"] & cl["in_mutations"] & cl["in_copy_number"]]
    chosen = list(usable.index[:n])
    root = Path(tempfile.mkdtemp(prefix="chemorad-batch-"))

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        canon = frame["cell_line"].map(canonical_name)
        out = frame.loc[canon.isin(chosen)].copy()
        out["cell_line"] = [f"NEW-{canonical_name(c)}" for c in out["cell_line"]]
        return out

    for name in ("gdsc_expression.parquet", "gdsc_mutations.parquet", "gdsc_copy_number.parquet"):
        pick(pd.read_parquet(root_data / name)).to_parquet(root / name, index=False)
    pick(pd.read_csv(root_data / "gdsc_cell_lines.csv")).to_csv(root / "gdsc_cell_lines.csv", index=False)
    cat = catalog()
    prof = read_profiles_dir(root, reference=root_data)
    t = time.perf_counter()
    sample_scores(cat, prof, reference(cat, root_data))
    t_scores = time.perf_counter() - t
    t = time.perf_counter()
    pred = predict_profile(cat, prof, root_data)
    print(
        f"{len(prof.samples)} line(s): sample_scores {t_scores:.1f} s, predict_profile {time.perf_counter() - t:.1f} s "
        f"wall, {len(pred.records)} records"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--boot", type=int, default=500, help="bootstrap resamples for the rho differences (0: none)")
    ap.add_argument("--metrics", choices=("primary", "all"), default="all")
    ap.add_argument("--csv", type=Path, help="write the tidy table here (outside the repository)")
    ap.add_argument("--data", type=Path, help="the data bundle (default: chemorad's data_dir)")
    ap.add_argument("--batch", type=int, help="instead: time predict_profile on this many unseen lines (BENCHMARKS.md)")
    ap.add_argument("--pide", type=Path, help="instead: the PIDE cross-assay check on this out-of-fold CSV (--csv)")
    ap.add_argument(
        "--contenders", default=",".join(CONTENDERS), help=f"comma-separated, among {', '.join(CONTENDERS)}"
    )
    args = ap.parse_args(argv)
    if args.batch:
        batch(args.batch, args.data)
        return 0
    if args.pide:
        print("\n".join(pide_check(args.pide, args.data)))
        return 0
    if args.csv is not None and REPO in args.csv.resolve().parents:
        ap.error(f"--csv {args.csv}: inside the repository; the benchmark writes nothing there")

    cat = catalog()
    therapies = cytotoxic_therapies(cat)
    t0 = time.perf_counter()
    table, oof = cross_validate_models(
        cat,
        args.data,
        plan=CVPlan(
            therapies=tuple(therapies),
            metrics=args.metrics,
            n_splits=args.splits,
            seed=args.seed,
            contenders=tuple(args.contenders.split(",")),
        ),
        predictions=True,
        progress=lambda msg: print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr),
    )
    elapsed = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)

    rows = []
    for col, grp in table.groupby("column", sort=False):
        by = grp.set_index("contender")
        if "chemorad" not in by.index:
            continue
        first = grp.iloc[0]
        row = {
            "therapy": first["therapy"],
            "dataset": first["dataset"],
            "metric": first["metric"],
            "primary": primary_metric(first["dataset"]) == first["metric"],
            "column": col,
            "n": int(by.loc["chemorad", "n"]),
        }
        for c in ("chemorad", "tissue", "expression", "chain", "boosted", "hybrid", "stacked"):
            row[c] = by["spearman"].get(c, np.nan)
        for c in ("hybrid", "stacked"):
            if f"{c}_mechanistic_share" in oof.columns:
                row[f"{c}_share"] = float(oof.loc[oof["column"] == col, f"{c}_mechanistic_share"].median())
        row["chemorad_within"] = by.loc["chemorad", "spearman_within_tissue"]
        row["expression_within"] = by.loc["expression", "spearman_within_tissue"]
        row["chain_within"] = by["spearman_within_tissue"].get("chain", np.nan)
        row["chemorad_fold_sd"] = by.loc["chemorad", "spearman_fold_sd"]
        if args.boot:
            frame = oof[oof["column"] == col]
            for other in ("tissue", "expression"):
                row[f"d_{other}_lo"], row[f"d_{other}_hi"] = bootstrap_delta(frame, other, args.boot, rng)
        rows.append(row)
    res = pd.DataFrame(rows)
    if args.csv is not None:
        table.to_csv(args.csv, index=False)
        oof.to_csv(args.csv.with_suffix(".oof.csv"), index=False)

    def wins(frame: pd.DataFrame) -> str:
        beat_t = frame["chemorad"] > frame["tissue"]
        beat_e = frame["chemorad"] > frame["expression"]
        n = len(frame)
        text = (
            f"chemorad > tissue-only in {beat_t.sum()}/{n}, > expression ridge in {beat_e.sum()}/{n}, "
            f"> both in {(beat_t & beat_e).sum()}/{n}"
        )
        if args.boot:
            ct = (frame["d_tissue_lo"] > 0).sum()
            ce = (frame["d_expression_lo"] > 0).sum()
            lt = (frame["d_tissue_hi"] < 0).sum()
            le = (frame["d_expression_hi"] < 0).sum()
            text += (
                f"; 95% bootstrap interval of the difference excludes 0: better than tissue-only {ct}, worse {lt}; "
                f"better than expression {ce}, worse {le}"
            )
        return text

    def render(frame: pd.DataFrame) -> list[str]:
        head = "| therapy | dataset | metric | n | chemorad | tissue-only | expression ridge | chain | chemorad within tissue | expression within tissue | d vs tissue (95% CI) | d vs expression (95% CI) | best |"  # noqa: E501
        out = [head, "|" + " --- |" * 13]
        for r in frame.itertuples():
            trio = {"chemorad": r.chemorad, "tissue-only": r.tissue, "expression": r.expression}
            best = max(trio, key=lambda k: -np.inf if not np.isfinite(trio[k]) else trio[k])
            ci_t = f"{r.chemorad - r.tissue:+.3f} ({r.d_tissue_lo:+.3f}, {r.d_tissue_hi:+.3f})" if args.boot else ""
            ci_e = (
                f"{r.chemorad - r.expression:+.3f} ({r.d_expression_lo:+.3f}, {r.d_expression_hi:+.3f})"
                if args.boot
                else ""
            )
            out.append(
                f"| {r.therapy} | {r.dataset} | {r.metric} | {r.n} | {fmt(r.chemorad)} | {fmt(r.tissue)} | "
                f"{fmt(r.expression)} | {fmt(r.chain)} | {fmt(r.chemorad_within)} | {fmt(r.expression_within)} | "
                f"{ci_t} | {ci_e} | {best} |"
            )
        return out

    primary = res[res["primary"]]
    other = res[~res["primary"]]
    lines = [
        f"K = {args.splits} grouped folds by line (seed {args.seed}), {len(res)} responses, "
        f"{res['therapy'].nunique()} therapies; wall time {elapsed:.0f} s.",
        "",
        f"Machine: {machine()}",
        "",
        "### Primary metric per dataset (Yard AUC, GDSC ln IC50, CTRP AUC)",
        "",
        *render(primary),
        "",
        f"Primary: {wins(primary)}.",
        "",
    ]
    if len(other):
        lines += [
            "### Secondary metrics (Yard SF2, GDSC AUC)",
            "",
            *render(other),
            "",
            f"Secondary: {wins(other)}.",
            "",
        ]
    med = res[["chemorad", "tissue", "expression", "chain", "chemorad_within", "expression_within"]].median()
    lines.append(
        "Median pooled Spearman over all responses: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in med.items())
        + "; skipped responses: "
        + (", ".join(table.loc[table["contender"] == "skipped", "column"]) or "none")
        + "."
    )
    lines += ["", *peer_metrics(res, oof, table, args, cat)]
    print("\n".join(lines))
    return 0


def peer_metrics(res: pd.DataFrame, oof: pd.DataFrame, table: pd.DataFrame, args, cat) -> list[str]:
    """Every model per response (pooled Spearman), the hybrid's mechanistic share, the GDSC1-vs-GDSC2 noise ceiling
    and the DrEval-style normalised Pearson over the primary responses."""
    models = [
        c
        for c in ("tissue", "chemorad", "expression", "chain", "boosted", "hybrid", "stacked")
        if c in res and res[c].notna().any()
    ]
    ceiling = noise_ceiling(args.data, cat).set_index("column")
    out = [
        "### Every model per response (pooled out-of-fold Spearman; the same folds for all)",
        "",
        "| response | n | "
        + " | ".join(models)
        + " | hybrid mechanistic share (median) | stacked mechanistic share (median) | GDSC1 vs GDSC2 rho (n) |",
        "|" + " --- |" * (len(models) + 5),
    ]
    for r in res.itertuples():
        col = r.column
        key = "gdsc2|" + col.split("|", 1)[1] if r.dataset in ("gdsc1", "gdsc2") else None
        ok = key in ceiling.index
        ceil = f"{ceiling.at[key, 'rho_gdsc1_gdsc2']:.3f} ({int(ceiling.at[key, 'n_shared'])})" if ok else ""
        shares = " | ".join(fmt(getattr(r, f"{c}_share", np.nan), 2) for c in ("hybrid", "stacked"))
        out.append(f"| {col} | {r.n} | " + " | ".join(fmt(getattr(r, m)) for m in models) + f" | {shares} | {ceil} |")
    med = {m: float(res[m].median()) for m in models}
    rad = res[(res["dataset"] == "yard")]
    for c in ("hybrid", "stacked"):
        if c in res:
            ge = int((res[c] >= res["expression"]).sum())
            out += ["", f"{c.capitalize()} >= gene ridge in {ge}/{len(res)} responses."]
    if len(rad):
        out += ["", "Radiation (Yard): " + ", ".join(f"{m} {fmt(float(rad[m].iloc[0]))}" for m in models) + "."]
    out += ["", "Median pooled Spearman: " + ", ".join(f"{m} {fmt(v)}" for m, v in med.items()) + "."]
    prim = oof[oof["column"].isin(table.loc[table["contender"] != "skipped", "column"])]
    contenders = [c for c in ("tissue", "chemorad", "expression", "boosted", "hybrid", "stacked") if c in prim.columns]
    prim = prim.dropna(subset=contenders)
    z = standardised(prim, contenders)
    npc = normalised_pearson(z, contenders)
    out += [
        "",
        f"DrEval-style normalised Pearson (y and prediction minus the naive mean-effects prediction, pooled over "
        f"{len(z)} line x response pairs of {z['column'].nunique()} responses, {z['cell_line'].nunique()} lines; "
        "leave-cell-line-out folds): " + ", ".join(f"{c} {v:.3f}" for c, v in npc.items()) + ".",
    ]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
