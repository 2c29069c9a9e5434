"""Cross-validated accuracy of the profile model: chemorad's mechanism-score model vs a tissue-only baseline vs ridge on
every usable GDSC expression gene, for radiation and every cytotoxic drug with data (Yard, GDSC1, GDSC2, CTRP).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_profile.py [--splits 5] [--seed 0] [--boot 500] [--csv /tmp/cv.csv]

Protocol (`chemorad.profile.model.cross_validate_models`): one seeded assignment of every line of the bundle to one of K
folds, shared by every response and contender; per response, the lines with a response, a tissue, catalog-marker
features and GDSC expression; every contender fitted on K-1 folds (penalties by leave-one-out inside them) and scored on
the held-out fold; Spearman rho of the pooled out-of-fold predictions with the observed response. Uncertainty: a paired
bootstrap over lines (`--boot` resamples, seeded) of the difference in pooled rho between chemorad and each baseline; a
win is counted when chemorad's rho is higher, and called clear when the 95% interval of the difference excludes 0.

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
from chemorad.profile.model import CVPlan, cross_validate_models, cytotoxic_therapies

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
    args = ap.parse_args(argv)
    if args.batch:
        batch(args.batch, args.data)
        return 0
    if args.csv is not None and REPO in args.csv.resolve().parents:
        ap.error(f"--csv {args.csv}: inside the repository; the benchmark writes nothing there")

    cat = catalog()
    therapies = cytotoxic_therapies(cat)
    t0 = time.perf_counter()
    table, oof = cross_validate_models(
        cat,
        args.data,
        plan=CVPlan(therapies=tuple(therapies), metrics=args.metrics, n_splits=args.splits, seed=args.seed),
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
            "n": int(by.loc["chemorad", "n"]),
        }
        for c in ("chemorad", "tissue", "expression", "chain"):
            row[c] = by["spearman"].get(c, np.nan)
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
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
