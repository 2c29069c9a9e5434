"""Run the peer tool, gdsctools 1.0.1's pan-cancer ANOVA, on its own bundled v17 data, timed.

Runs inside benchmarks/.venv-gdsctools (see setup_venv.sh), not the chemorad venv:

    benchmarks/.venv-gdsctools/bin/python benchmarks/gdsctools/run_gdsctools.py --out gdsctools.parquet

What gdsctools does (read from gdsctools/anova.py and models.py, 1.0.1): for each drug with >= 6 IC50s and each
feature, the lines with an IC50 for that drug; the test runs only when the feature has >= 3 positive and >= 3
negative lines and MSI >= 2 MSI and >= 2 MSS lines among them. Then one statsmodels OLS of log IC50 on
[intercept, tissue dummies (tissues present, first one dropped), MSI, feature]; ANOVA_FEATURE_pval is the type I
(sequential) F-test of the feature, entered last, computed from the QR "effects" of that fit, which is the
two-sided t-test p-value of the feature coefficient. FDR is Benjamini-Hochberg over all tests (in percent).

gdsctools does not report the feature coefficient itself (its effect columns are the unadjusted difference of
means, Cohen's d and Glass deltas), so a thin hook records params[-1], bse[-1] and the rank of the very fit
gdsctools makes (``--no-hook`` times gdsctools untouched). Writes one row per test (parquet, or CSV if the path
ends in .csv) and a JSON of timings and versions next to it (same name, .json).
"""

import argparse
import json
import os
import platform
import sys
import time
from importlib.metadata import version

import statsmodels.api as sm
import statsmodels.formula.api as smf

# gdsctools 1.0.1 does `from statsmodels.formula.api import OLS`, gone from statsmodels 0.13: alias it first.
smf.OLS = sm.OLS

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from gdsctools import ANOVA, gdsctools_data  # noqa: E402


class HookedANOVA(ANOVA):
    """gdsctools' ANOVA, recording the feature coefficient of each OLS fit it makes (no change to its results)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fits = {}

    def _get_anova_summary(self, data_lm, output="dict", odof=None):
        out = super()._get_anova_summary(data_lm, output=output, odof=odof)
        if odof is not None:
            self.fits[(odof.drug_id, odof.feature_name)] = (
                data_lm.params[-1],
                data_lm.bse[-1],
                data_lm.model.rank,
                data_lm.model.exog.shape[1],
            )
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="result table (.parquet or .csv)")
    ap.add_argument("--drugs", type=int, default=0, help="only the first N drugs (0: all)")
    ap.add_argument("--no-hook", action="store_true", help="plain gdsctools: no coefficient/SE columns")
    ap.add_argument("--multicore", type=int, default=0, help="gdsctools' own multiprocessing (implies --no-hook)")
    args = ap.parse_args(argv)
    hook = not (args.no_hook or args.multicore)

    ic50_path = gdsctools_data("IC50_v17.csv.gz")
    features_path = gdsctools_data("genomic_features_v17.csv.gz")

    t0 = time.perf_counter()
    cls = HookedANOVA if hook else ANOVA
    an = cls(ic50_path, features_path, verbose=False)
    t_init = time.perf_counter() - t0
    drugs = list(an.drugIds)[: args.drugs] if args.drugs else None

    t0 = time.perf_counter()
    res = an.anova_all(animate=False, drugs=drugs, multicore=args.multicore or None)
    t_anova = time.perf_counter() - t0
    df = res.df

    out = pd.DataFrame(
        {
            "drug": df["DRUG_ID"].astype(int).to_numpy(),
            "feature": df["FEATURE"].astype(str).to_numpy(),
            "n": (df["N_FEATURE_pos"] + df["N_FEATURE_neg"]).astype(int).to_numpy(),
            "n_pos": df["N_FEATURE_pos"].astype(int).to_numpy(),
            "delta_mean": df["FEATURE_delta_MEAN_IC50"].astype(float).to_numpy(),
            "cohen_d": df["FEATURE_IC50_effect_size"].astype(float).to_numpy(),
            "p_value": df["ANOVA_FEATURE_pval"].astype(float).to_numpy(),
            "fdr": df["ANOVA_FEATURE_FDR"].astype(float).to_numpy() / 100.0,
        }
    )
    if hook:
        fits = an.fits
        keys = list(zip(out["drug"], out["feature"], strict=True))
        vals = np.array([fits[k] for k in keys], dtype=float).reshape(-1, 4)
        out["coef"] = vals[:, 0]
        out["se"] = vals[:, 1]
        out["rank_deficient"] = vals[:, 2] < vals[:, 3]

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.out.endswith(".csv"):
        out.to_csv(args.out, index=False)
    else:
        out.to_parquet(args.out, index=False)

    meta = {
        "tool": "gdsctools",
        "tests": int(len(out)),
        "drugs_tested": int(out["drug"].nunique()),
        "drugs_in_input": len(an.drugIds),
        "features_in_input": len(an.feature_names),
        "cell_lines": int(an.ic50.df.shape[0]),
        "seconds_init": t_init,
        "seconds_anova_all": t_anova,
        "hooked": hook,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "multicore": args.multicore,
        "settings": {
            "analysis_type": an.settings.analysis_type,
            "include_MSI_factor": bool(an.settings.include_MSI_factor),
            "include_media_factor": bool(an.settings.include_media_factor),
            "feature_factor_threshold": an.settings.feature_factor_threshold,
            "MSI_factor_threshold": an.settings.MSI_factor_threshold,
            "minimum_nonna_ic50": an.settings.minimum_nonna_ic50,
            "pvalue_correction_method": an.settings.pvalue_correction_method,
        },
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("gdsctools", "numpy", "pandas", "scipy", "statsmodels")},
        "ic50": ic50_path,
        "features": features_path,
        "out": os.path.abspath(args.out),
    }
    if hook:
        meta["rank_deficient_fits"] = int(out["rank_deficient"].sum())
    with open(os.path.splitext(args.out)[0] + ".json", "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
