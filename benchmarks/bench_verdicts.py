"""Claim verdicts before and after the decision rules of issue 15, radiation and drugs apart; timing of the commands.

Run from the worktree (the baseline is another checkout's `src`, e.g. main before the change):

    PYTHONPATH=src python benchmarks/bench_verdicts.py --baseline-src ../main/src --out benchmarks/results_verdicts.md

Before: the baseline's `chemorad evidence claims` (one FDR over every test, +-0.1 SD equivalence, FDR-only support).
After: this checkout's (`verdicts.py`, `margins.py`). Both counted per row (as the baseline reported) and per unique
test (mechanism, therapy, data set, compound, metric, expectation). Also: how the counts move with the margin's constant
(`MARGIN_PER_NOISE` 1/8, 1/4, 1/2), the verdicts that change when proliferation is adjusted for (same lines), the
dose-resolved radiation verdicts, and wall time of `evidence claims` before and after (one run each, same machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

KEY = ["mechanism", "therapy", "dataset", "compound", "metric", "expected"]
ORDER = ["supported", "contradicted", "inconclusive", "not testable"]


def _run_claims(src: str, out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": src}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "chemorad.cli", "evidence", "claims", "--out", str(out), "-f", "csv"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def _kind(frame: pd.DataFrame) -> pd.Series:
    return frame["therapy"].eq("radiotherapy").map({True: "radiation", False: "drug"})


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    t = pd.crosstab([_kind(frame).rename("kind"), frame["expected"]], frame["verdict"])
    return t.reindex(columns=ORDER, fill_value=0)


def _md(frame: pd.DataFrame) -> str:
    frame = frame.reset_index()
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n| " + " | ".join("---" for _ in frame.columns) + " |\n"
    return head + "\n".join("| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-src", required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    from chemorad.catalog import catalog
    from chemorad.evidence.claims import claim_tests, claim_verdicts, compare_verdicts, evidence_tables, unique_tests
    from chemorad.evidence.proliferation import proliferation_score

    tmp = Path(tempfile.mkdtemp())
    t_before = _run_claims(args.baseline_src, tmp / "before")
    t_after = _run_claims(str(Path("src").resolve()), tmp / "after")
    before = pd.read_csv(tmp / "before" / "claims.csv")
    after = pd.read_csv(tmp / "after" / "claims.csv")
    after_p = after[after["primary"]]
    machine = f"{os.uname().nodename} ({os.cpu_count()} cores, shared)"
    lines = [f"# Claim verdicts before and after (issue 15)\n\nOne run, {time.strftime('%Y-%m-%d')}, on {machine}.\n"]
    lines.append(
        f"`chemorad evidence claims` wall time: before {t_before:.1f} s, after {t_after:.1f} s "
        "(after also tests radiation at every dose and -alpha, -beta).\n"
    )
    lines.append(f"## Per row, as reported (before {len(before)} rows; after {len(after_p)} primary-metric rows)\n")
    lines.append("Before:\n\n" + _md(_counts(before)) + "\n\nAfter:\n\n" + _md(_counts(after_p)) + "\n")
    ub = before.drop_duplicates(KEY)
    ua = unique_tests(after)
    lines.append(f"## Per unique test (before {len(ub)}, after {len(ua)})\n")
    lines.append("Before:\n\n" + _md(_counts(ub)) + "\n\nAfter:\n\n" + _md(_counts(ua)) + "\n")
    merged = ub[KEY + ["verdict"]].merge(ua[KEY + ["verdict", "reason"]], on=KEY, suffixes=("_before", "_after"))
    moved = merged[merged["verdict_before"] != merged["verdict_after"]]
    trans = moved.groupby([_kind(moved).rename("kind"), "verdict_before", "verdict_after", "reason"]).size()
    lines.append(f"## What changed and why ({len(moved)} of {len(merged)} unique tests)\n")
    lines.append(_md(trans.rename("tests").to_frame()) + "\n")

    cat = catalog()
    tables = evidence_tables(cat)
    sens = []
    for k in (0.125, 0.25, 0.5):
        v = claim_verdicts(cat, tests=claim_tests(cat, tables=tables, margin_per_noise=k))
        c = _counts(unique_tests(v))
        c.insert(0, "margin / SEM", k)
        sens.append(c)
    lines.append("## Sensitivity to the margin's constant (unique tests)\n")
    lines.append(_md(pd.concat(sens)) + "\n")

    dose = after[~after["primary"]].drop_duplicates(KEY)
    lines.append("## Radiation at full resolution (unique tests per metric)\n")
    lines.append(_md(pd.crosstab(dose["metric"], dose["verdict"]).reindex(columns=ORDER, fill_value=0)) + "\n")
    decided = dose[dose["verdict"].isin(["supported", "contradicted"])]
    cols = ["mechanism", "metric", "expected", "effect_sd", "ci_low", "ci_high", "margin", "verdict", "reason"]
    lines.append(_md(decided[cols].round(4).set_index("mechanism")) + "\n")

    prolif = proliferation_score().dropna()
    v0 = claim_verdicts(cat, tests=claim_tests(cat, tables=tables, lines=prolif.index))
    v1 = claim_verdicts(cat, tests=claim_tests(cat, tables=tables, adjust=prolif.to_frame()))
    changed = compare_verdicts(v0, v1)
    lines.append(f"## Adjusted for proliferation (same {len(prolif)} lines): {len(changed)} unique tests change\n")
    cols = ["mechanism", "therapy", "dataset", "metric", "expected", "verdict_before", "verdict_after"]
    lines.append(_md(changed[cols].set_index("mechanism")) + "\n")
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
