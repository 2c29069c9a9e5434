"""A results folder summarised: outcome distributions per arm, arms compared on the same members, Sobol indices.

Per point, replicates are averaged first (the point is the unit: a cohort member or a parameter set). Two outcomes
are made comparable across points before averaging: time to progression without progression within the simulated
horizon is censored at the horizon (a restricted mean, `ttp_restricted_days`), and the resistant fraction of an
eradicated tumour is 0.

- Distributions (per arm and outcome, over replicates): n, mean, sd, 5th / 50th / 95th percentiles. Time to progression
  is summarised over the replicates that progressed (n says how many); `progressed` and `eradicated` are proportions.
- Arm comparison: paired differences d_p = y_p(arm) - y_p(reference) over points p (same members, same seeds), mean
  and 95% t-interval mean +- t_{0.975, n-1} sd / sqrt(n); per-arm means get the same interval.
- Sensitivity (Sobol designs only): first- and total-order indices per arm, outcome and parameter
  (`chemorad.sweep.sensitivity`), with percentile-bootstrap 95% intervals over the base rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from chemorad.errors import ChemoradError
from chemorad.sweep.evaluate import OUTCOMES
from chemorad.sweep.run import MANIFEST, file_sha256, read_ledger
from chemorad.sweep.sensitivity import bootstrap_ci, sobol_indices

# Per-point outcomes used for comparisons, figures and indices (what each means: chemorad.sweep.evaluate).
POINT_OUTCOMES = (
    "log_kill",
    "log10_final_cells",
    "ttp_restricted_days",
    "progressed",
    "eradicated",
    "resistant_fraction",
)
SUMMARY_OUTCOMES = OUTCOMES  # the simulated outcomes, as `evaluate` writes them


@dataclass(frozen=True)
class SweepResults:
    manifest: dict
    design: pd.DataFrame
    results: pd.DataFrame
    batches_done: int

    @property
    def arms(self) -> list[str]:
        return list(self.manifest["arms"])

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest["parameters"])

    @property
    def kind(self) -> str:
        return self.manifest["spec"]["design"]["kind"]

    @property
    def complete(self) -> bool:
        return self.batches_done == self.manifest["n_batches"]


_MANIFEST_KEYS = ("name", "arms", "parameters", "horizon_days", "n_points", "n_batches", "spec")


def _manifest(out: Path) -> dict:
    path = out / MANIFEST
    if not path.exists():
        raise ChemoradError(f"{out}: not a chemorad sweep results folder (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ChemoradError(f"{path}: unreadable ({type(exc).__name__}); the results folder is damaged") from None
    missing = [k for k in _MANIFEST_KEYS if not isinstance(manifest, dict) or k not in manifest]
    if missing:
        raise ChemoradError(f"{path}: missing {', '.join(missing)}; not a manifest written by chemorad sweep")
    return manifest


def _read_batch(path: Path, expected_sha: str | None) -> pd.DataFrame:
    """One batch file; a damaged one (unreadable, or not the file the ledger recorded) is a one-line error."""
    fix = f"resume the sweep (chemorad sweep SWEEP.yaml --out {path.parent.parent} --resume) to recompute it"
    if expected_sha is not None and file_sha256(path) != expected_sha:
        raise ChemoradError(f"{path}: SHA-256 differs from the one recorded when it was written; {fix}")
    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise ChemoradError(f"{path}: not readable as Parquet ({detail}); {fix}") from None


def load_results(out: Path | str) -> SweepResults:
    """Read a results folder written by `chemorad sweep` (finished batches only; each checked against the ledger)."""
    out = Path(out)
    manifest = _manifest(out)
    files = sorted((out / "results").glob("batch-*.parquet"))
    if not files:
        raise ChemoradError(f"{out}: no finished batches yet; run chemorad sweep (with --resume to continue)")
    ledger = read_ledger(out)

    def recorded(f: Path) -> str | None:
        try:
            return ledger.get(int(f.stem.removeprefix("batch-")), {}).get("sha256")
        except ValueError:
            return None

    results = pd.concat([_read_batch(f, recorded(f)) for f in files], ignore_index=True)
    results = results.sort_values(["point", "arm", "replicate"], kind="stable").reset_index(drop=True)
    horizon = results["arm"].map(manifest["horizon_days"]).astype(float)
    results["ttp_restricted_days"] = results["time_to_progression_days"].fillna(horizon)
    results["resistant_fraction"] = results["resistant_fraction"].fillna(0.0)
    try:
        design = pd.read_parquet(out / "design.parquet")
    except (pa.ArrowException, OSError, ValueError):
        where = out / "design.parquet"
        raise ChemoradError(f"{where}: missing or not readable; the results folder is damaged") from None
    return SweepResults(manifest, design, results, len(files))


def point_means(r: SweepResults) -> pd.DataFrame:
    """Per (point, arm): replicate means of the point outcomes, with the design's parameter columns."""
    cols = list(POINT_OUTCOMES)
    means = r.results.groupby(["point", "arm"], sort=True)[cols].mean().reset_index()
    return means.merge(r.design, on="point", how="left")


def distributions(r: SweepResults) -> pd.DataFrame:
    """Per arm and outcome, over replicates: n, mean, sd and the 5th, 50th and 95th percentiles."""
    rows = []
    for arm in r.arms:
        sub = r.results[r.results["arm"] == arm]
        for outcome in SUMMARY_OUTCOMES:
            y = sub[outcome].astype(float).dropna().to_numpy()
            q = np.percentile(y, [5, 50, 95]) if len(y) else [np.nan] * 3
            rows.append(
                {
                    "arm": arm,
                    "outcome": outcome,
                    "n": len(y),
                    "mean": float(np.mean(y)) if len(y) else np.nan,
                    "sd": float(np.std(y, ddof=1)) if len(y) > 1 else np.nan,
                    "p05": q[0],
                    "median": q[1],
                    "p95": q[2],
                }
            )
    return pd.DataFrame(rows)


def _t_interval(y: np.ndarray) -> tuple[float, float, float]:
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return np.nan, np.nan, np.nan
    m = float(np.mean(y))
    if len(y) < 2:
        return m, np.nan, np.nan
    half = stats.t.ppf(0.975, len(y) - 1) * np.std(y, ddof=1) / np.sqrt(len(y))
    return m, m - half, m + half


def arm_means(r: SweepResults) -> pd.DataFrame:
    """Per arm and point outcome: mean over points with a 95% t-interval."""
    pm = point_means(r)
    rows = []
    for arm in r.arms:
        for outcome in POINT_OUTCOMES:
            y = pm.loc[pm["arm"] == arm, outcome].to_numpy(float)
            m, lo, hi = _t_interval(y)
            rows.append(
                {
                    "arm": arm,
                    "outcome": outcome,
                    "n_points": int(np.isfinite(y).sum()),
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows)


def compare_arms(r: SweepResults, reference: str | None = None) -> pd.DataFrame:
    """Paired differences arm - reference per point outcome (mean, 95% t-interval); empty with one arm."""
    reference = reference or r.arms[0]
    if reference not in r.arms:
        raise ChemoradError(f"--reference: unknown arm {reference!r}; arms are {', '.join(r.arms)}")
    pm = point_means(r)
    rows = []
    for outcome in POINT_OUTCOMES:
        wide = pm.pivot(index="point", columns="arm", values=outcome)
        for arm in r.arms:
            if arm == reference:
                continue
            d = (wide[arm] - wide[reference]).to_numpy(float)
            m, lo, hi = _t_interval(d)
            rows.append(
                {
                    "arm": arm,
                    "reference": reference,
                    "outcome": outcome,
                    "n_points": int(np.isfinite(d).sum()),
                    "mean_difference": m,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows)


def sensitivity(r: SweepResults, n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Sobol indices per arm, point outcome and parameter; empty unless the design is a complete Sobol design."""
    cols = ["arm", "outcome", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "n_base"]
    if r.kind != "sobol" or not r.complete:
        return pd.DataFrame(columns=cols)
    pm = point_means(r)
    params = r.parameters
    n = int(r.design["row"].max()) + 1
    rng = np.random.default_rng(seed)
    rows = []
    for arm in r.arms:
        sub = pm[pm["arm"] == arm].sort_values("point")
        for outcome in POINT_OUTCOMES:
            y = sub[outcome].to_numpy(float)
            block, which = sub["block"].to_numpy(), sub["block_param"].to_numpy()
            f_a, f_b = y[block == "A"], y[block == "B"]
            f_ab = np.column_stack([y[(block == "AB") & (which == i)] for i in range(len(params))])
            s1, st = sobol_indices(f_a, f_b, f_ab)
            if np.isfinite(s1).any():
                ci1, cit = bootstrap_ci(f_a, f_b, f_ab, rng, n_boot=n_boot)
            else:
                ci1 = cit = np.full((2, len(params)), np.nan)
            for i, p in enumerate(params):
                rows.append(
                    {
                        "arm": arm,
                        "outcome": outcome,
                        "parameter": p,
                        "S1": s1[i],
                        "S1_low": ci1[0, i],
                        "S1_high": ci1[1, i],
                        "ST": st[i],
                        "ST_low": cit[0, i],
                        "ST_high": cit[1, i],
                        "n_base": n,
                    }
                )
    return pd.DataFrame(rows, columns=cols)
