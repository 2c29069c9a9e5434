"""`chemorad predict` and `chemorad report` end to end on each input kind, and their user errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import canonical_name
from chemorad.catalog.load import catalog
from chemorad.cli import app

runner = CliRunner()
KEYS = {
    "sample",
    "therapy",
    "dataset",
    "metric",
    "predicted",
    "interval_low",
    "interval_high",
    "percentile_in_tissue",
    "top_mechanisms",
}
FAST = ["--therapies", "cisplatin,radiotherapy"]


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def lines(shared_data) -> list[str]:
    cl = ds.cell_lines(shared_data)
    full = cl[(cl["n_datasets"] == cl["n_datasets"].max()) & cl["tissue"].notna()]
    return [str(x) for x in full.index[:2]]


@pytest.fixture(scope="module")
def patient_files(shared_data, lines, tmp_path_factory) -> dict[str, Path]:
    """A new sample 'PATIENT-1': catalog-gene expression (genes x samples TSV, the bundle's scaled RMA: centred, so
    read as z-scores), a MAF and a tissue table, made from a bundle line's values so they are realistic."""
    root = tmp_path_factory.mktemp("patient")
    line = lines[0]
    genes = sorted({mk.gene for m in catalog().mechanisms.values() for mk in m.markers})
    expr = ds.load_expression(data=shared_data)
    cols = [g for g in genes if g in expr.columns]
    table = expr.loc[[line], cols].T.rename(columns={line: "PATIENT-1"})
    table.index.name = "Hugo_Symbol"
    table.to_csv(root / "expression.tsv", sep="\t")
    maf = [
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode",
        "TP53\tNonsense_Mutation\tPATIENT-1",
        "KEAP1\tMissense_Mutation\tPATIENT-1",
        "NOTAGENE1\tMissense_Mutation\tPATIENT-1",
    ]
    (root / "mutations.maf").write_text("\n".join(maf) + "\n")
    tissue = ds.cell_lines(shared_data).loc[line, "tissue"]
    (root / "tissues.csv").write_text(f"sample,tissue\nPATIENT-1,{tissue}\n")
    return {"expression": root / "expression.tsv", "maf": root / "mutations.maf", "tissues": root / "tissues.csv"}


def test_predict_cell_line_json(shared_data, lines) -> None:
    res = run("predict", "--cell-line", lines[0], "--data", str(shared_data), *FAST, "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert recs and all(KEYS <= set(r) for r in recs)
    assert {r["therapy"] for r in recs} == {"cisplatin", "radiotherapy"}
    assert {(r["dataset"], r["metric"]) for r in recs if r["therapy"] == "radiotherapy"} >= {
        ("yard", "auc"),
        ("yard", "sf2"),
        ("chain", "hypoxic_dmf"),
    }
    assert "left out of training" in res.stderr


def test_predict_from_files_maf_expression_tissues(shared_data, patient_files) -> None:
    res = run(
        "predict",
        "--maf",
        str(patient_files["maf"]),
        "--expression",
        str(patient_files["expression"]),
        "--tissues",
        str(patient_files["tissues"]),
        "--data",
        str(shared_data),
        *FAST,
        "--format",
        "json",
    )
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {r["sample"] for r in recs} == {"PATIENT-1"}
    assert all(r["unseen_tissue"] is False for r in recs)
    assert "NOTAGENE1" in res.stderr  # unknown gene reported, not fatal
    assert "expression.tsv: expression scale 'z' detected" in " ".join(res.stderr.split())  # the scale is stated


def test_predict_copy_number_and_protein_only(shared_data, lines, tmp_path) -> None:
    """GISTIC calls (genes x samples) and RPPA (samples x antibodies) alone give predictions; their markers are 'used'
    in the report's coverage."""
    line = lines[0]
    cn = ds.load_copy_number(data=shared_data).loc[line]
    genes = [g for g in ("ERBB2", "MYC", "CDKN2A", "PTEN", "EGFR", "CCND1", "RB1", "MDM2") if g in cn.index]
    gistic = ["Gene Symbol\tLocus ID\tCytoband\tTUMOUR-7"] + [f"{g}\t0\tq\t{int(cn[g]) * 2}" for g in genes]
    (tmp_path / "cn.txt").write_text("\n".join(gistic) + "\n")
    rppa = ds.load_rppa(data=shared_data).loc[[line]].rename(index={line: "TUMOUR-7"})
    rppa.rename_axis("cell_line").to_csv(tmp_path / "rppa.csv")
    tissue = ds.cell_lines(shared_data).loc[line, "tissue"]
    args = ["--copy-number", str(tmp_path / "cn.txt"), "--protein", str(tmp_path / "rppa.csv"), "--tissue", tissue]
    res = run("predict", *args, "--data", str(shared_data), *FAST, "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {r["sample"] for r in recs} == {"TUMOUR-7"} and all(r["tissue"] == tissue for r in recs)
    out = tmp_path / "t7.html"
    rep = run("report", *args, "--data", str(shared_data), *FAST, "--out", str(out))
    assert rep.exit_code == 0, rep.output
    assert "protein" in out.read_text() and "copy_number" in out.read_text()


def test_predict_unknown_tissue_still_predicts(shared_data, patient_files) -> None:
    res = run(
        "predict",
        "--expression",
        str(patient_files["expression"]),
        "--tissue",
        "moon rock",
        "--data",
        str(shared_data),
        "--therapies",
        "cisplatin",
        "--format",
        "csv",
    )
    assert res.exit_code == 0, res.output
    assert "moon rock" in res.stderr and "tissue" in res.stderr
    body = pd.read_csv(__import__("io").StringIO(res.stdout))
    assert set(body["therapy"]) == {"cisplatin"} and "unseen tissue" in " ".join(body["flags"].fillna(""))


def test_predict_profiles_dir(shared_data, lines, tmp_path) -> None:
    """A bundle-layout folder: one bundle line (left out of training) and one line the bundle has never seen (a copy
    of the other line's data under a new name, as a held-out line would arrive)."""
    keep, new = lines[0], lines[1]
    rename = {new: "NEWLINE-1"}

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        canon = frame["cell_line"].map(canonical_name)
        out = frame.loc[canon.isin([keep, new])].copy()
        out["cell_line"] = [rename.get(canonical_name(c), c) for c in out["cell_line"]]
        return out

    for fname in ("gdsc_expression.parquet", "gdsc_mutations.parquet"):
        pick(pd.read_parquet(shared_data / fname)).to_parquet(tmp_path / fname, index=False)
    pick(pd.read_csv(shared_data / "gdsc_cell_lines.csv")).to_csv(tmp_path / "gdsc_cell_lines.csv", index=False)
    res = run("predict", "--profiles", str(tmp_path), "--data", str(shared_data), *FAST, "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert {r["sample"] for r in recs} == {keep, "NEWLINE1"}
    assert f"left out of training (they are bundle lines): {keep}" in " ".join(res.stderr.split())
    new_recs = [r for r in recs if r["sample"] == "NEWLINE1" and r["dataset"] != "chain"]
    assert new_recs and all(r["tissue"] and not r["unseen_tissue"] for r in new_recs)


def test_predictions_stay_in_their_metric_range(shared_data, patient_files, tmp_path) -> None:
    """A sample far outside the training lines (every catalog gene 60 SD above its cohort) must not be predicted at
    an impossible value: Yard AUC within [0, 10] Gy, SF2 and GDSC AUC within [0, 1] (clipped, with a warning)."""
    genes = pd.read_csv(patient_files["expression"], sep="\t", index_col=0).index
    z = pd.DataFrame({"EXTREME-1": 60.0}, index=pd.Index(genes, name="Hugo_Symbol"))
    z.loc[z.index[::2], "EXTREME-1"] = -60.0
    z.to_csv(tmp_path / "z.tsv", sep="\t")
    args = ["--expression", str(tmp_path / "z.tsv"), "--scale", "z", "--tissue", "lung"]
    res = run("predict", *args, "--data", str(shared_data), "--therapies", "radiotherapy,cisplatin", "-f", "json")
    assert res.exit_code == 0, res.output
    bounds = {("yard", "auc"): (0, 10), ("yard", "sf2"): (0, 1), ("gdsc1", "auc"): (0, 1), ("gdsc2", "auc"): (0, 1)}
    recs = [r for r in json.loads(res.stdout) if (r["dataset"], r["metric"]) in bounds]
    assert recs
    for r in recs:
        lo, hi = bounds[(r["dataset"], r["metric"])]
        assert lo <= r["interval_low"] <= r["predicted"] <= r["interval_high"] <= hi, r
    assert "clipped" in " ".join(res.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of"),
        (("--cell-line", "X", "--maf", "m.maf"), "give exactly one of"),
        (("--cell-line", "NOSUCHLINE123"), "unknown cell line 'NOSUCHLINE123'"),
        (("--cell-line", "{line}", "--therapies", "cisplatinn"), "cisplatinn"),
        (("--cell-line", "{line}", "--therapies", ","), "--therapies: empty"),
        (("--cell-line", "{line}", "--level", "1.5"), "--level"),
        (("--cell-line", "{line}", "--estimator", "markr"), "--estimator: unknown estimator 'markr'; closest: marker"),
        (("--cell-line", "{line}", "--estimator", "nosuchmodule_xyz:Thing"), "cannot import module 'nosuchmodule_xyz'"),
        (("--cell-line", "{line}", "--estimator", "sklearn.preprocessing:Normalizer"), "not a scikit-learn regressor"),
        (("--cell-line", "{line}", "--scale", "linear"), "--scale linear: expected"),
        (("--expression", "{smalltpm}"), "cannot tell the expression scale"),
        (("--expression", "{smalltpm}"), "pass --scale log or --scale tpm"),
        (("--expression", "{huge}"), "huge.tsv: value 1e+300 for sample 'S1', gene 'ABCB1' is impossible"),
        (("--expression", "{ok}", "--scale", "log", "--orientation", "sideways"), "--orientation sideways"),
        (("--copy-number", "{seg}"), "segmented copy number (.seg) is not read"),
        (("--expression", "{empty}"), "empty.tsv"),
        (("--maf", "{nomarker}"), "no catalog marker could be measured"),
        (("--expression", "{nonnum}"), "non-numeric"),
        (("--expression", "{dup}"), "S1"),
        (("--expression", "{nogene}"), "gene"),
        (("--expression", "{ok}", "--scale", "log", "--maf", "{othermaf}"), "no sample is in every file"),
    ],
)
def test_predict_bad_input_one_line_exit_2(shared_data, lines, tmp_path, args, message) -> None:
    (tmp_path / "empty.tsv").write_text("")
    (tmp_path / "nomarker.maf").write_text(
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\nNOTAGENE\tSilent\tS1\n"
    )
    (tmp_path / "nonnum.tsv").write_text("gene\tS1\nTP53\t7.1\nABCB1\thigh\n")
    (tmp_path / "ok.tsv").write_text("gene\tS1\nTP53\t7.1\nABCB1\t3.0\n")
    (tmp_path / "dup.tsv").write_text("gene\tS1\tS1\nTP53\t7.1\t7.2\nABCB1\t3.0\t3.1\n")
    (tmp_path / "nogene.tsv").write_text("x\tS1\nfoo\t1.0\nbar\t2.0\n")
    (tmp_path / "smalltpm.tsv").write_text("gene\tS1\tS2\nTP53\t12.5\t40\nABCB1\t0.4\t3.1\n")
    (tmp_path / "huge.tsv").write_text("gene\tS1\nTP53\t7.1\nABCB1\t1e300\n")
    (tmp_path / "cn.seg").write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nS1\t17\t1\t9\t3\t-0.8\n")
    (tmp_path / "other.maf").write_text("Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\nTP53\tSilent\tS9\n")
    subs = {
        "{line}": lines[0],
        "{empty}": str(tmp_path / "empty.tsv"),
        "{nomarker}": str(tmp_path / "nomarker.maf"),
        "{nonnum}": str(tmp_path / "nonnum.tsv"),
        "{dup}": str(tmp_path / "dup.tsv"),
        "{nogene}": str(tmp_path / "nogene.tsv"),
        "{othermaf}": str(tmp_path / "other.maf"),
        "{ok}": str(tmp_path / "ok.tsv"),
        "{smalltpm}": str(tmp_path / "smalltpm.tsv"),
        "{huge}": str(tmp_path / "huge.tsv"),
        "{seg}": str(tmp_path / "cn.seg"),
    }
    argv = [subs.get(a, a) for a in args]
    res = run("predict", *argv, "--data", str(shared_data))
    assert res.exit_code == 2, res.output
    err = res.stderr.strip().splitlines()
    assert err[-1].startswith("chemorad: error:") and message in err[-1]


def test_report_two_lines_folder_and_file_rules(shared_data, lines, tmp_path) -> None:
    out = tmp_path / "reports"
    res = run(
        "report", "--cell-line", lines[0], "--cell-line", lines[1], "--data", str(shared_data), *FAST, "--out", str(out)
    )
    assert res.exit_code == 0, res.output
    files = sorted(out.glob("*.html"))
    assert len(files) == 2
    text = files[0].read_text()
    for section in ("summary", "predictions", "activities", "attributions", "crossres", "coverage", "references"):
        assert f'id="{section}"' in text
    assert "http://" not in text.replace("http://www.w3.org", "") and 'src="data:image/png;base64,' in text
    bad = run(
        "report",
        "--cell-line",
        lines[0],
        "--cell-line",
        lines[1],
        "--data",
        str(shared_data),
        "--out",
        str(tmp_path / "one.html"),
    )
    assert bad.exit_code == 2 and "need a folder" in bad.stderr


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_renders_in_headless_chromium(shared_data, patient_files, tmp_path) -> None:
    """Open the report in a real browser (Debian's chromium, installed by .ci/run): every section is in the DOM and
    every inline image decoded (the page's own load handler sets data-images-ok)."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found: .ci/run must install Debian's chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    out = tmp_path / "patient.html"
    res = run(
        "report",
        "--expression",
        str(patient_files["expression"]),
        "--maf",
        str(patient_files["maf"]),
        "--tissues",
        str(patient_files["tissues"]),
        "--data",
        str(shared_data),
        *FAST,
        "--out",
        str(out),
    )
    assert res.exit_code == 0, res.output
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=5000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    sections = (
        "summary",
        "predictions",
        "activities",
        "attributions",
        "crossres",
        "regimens",
        "coverage",
        "references",
    )
    for section in sections:
        assert f'id="{section}"' in html
    assert "70 Gy/35" in html  # the regimen panel lists the standard regimens with their TCP
    assert 'data-images-ok="true"' in html
    n_images = int(html.split('data-images="')[1].split('"')[0])
    assert n_images >= 4
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, *flags, "--window-size=1200,3000", f"--screenshot={shot}", out.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 50_000  # a rendered page with figures, not a blank one


def test_report_labels_the_level_it_was_given(shared_data, lines, tmp_path) -> None:
    """`--level 0.5` gives 50% intervals, and the report says so everywhere (the label used to stay at 90%)."""
    out = tmp_path / "half.html"
    res = run("report", "--cell-line", lines[0], "--data", str(shared_data), *FAST, "--level", "0.5", "--out", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "predicted [50% interval]" in text and "Intervals: 50% interval" in text
    assert "90%" not in text
    pct = catalog().radiotherapy.parameters
    assert f"at {pct['hypoxic_po2_mmhg'].value:.3g} mmHg / at {pct['oxic_po2_mmhg'].value:.3g} mmHg" in text


def test_report_refuses_to_overwrite_without_force(shared_data, lines, tmp_path) -> None:
    out = tmp_path / "mine.html"
    out.write_text("the user's own file")
    args = ["report", "--cell-line", lines[0], "--data", str(shared_data), "--therapies", "cisplatin"]
    res = run(*args, "--out", str(out))
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "already exists" in res.stderr and "--force" in res.stderr
    assert out.read_text() == "the user's own file"
    folder = tmp_path / "reports"
    folder.mkdir()
    first = run(*args, "--out", str(folder))
    assert first.exit_code == 0, first.output
    again = run(*args, "--out", str(folder))
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = run(*args, "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("estimator", ["gene", "chain", "hybrid", "stacked", "sklearn.linear_model:Ridge"])
def test_predict_with_each_estimator(shared_data, lines, estimator) -> None:
    """`--estimator` beyond the marker ridge, one bundle line, radiation only: JSON records with intervals and their
    reasons (the top genes of the gene models, the chain's term and its mechanistic share for the chain, hybrid and
    stack, the black box's unattributed term for a user's regressor, which is refitted with a one-line notice)."""
    res = run(
        "predict", "--cell-line", lines[0], "--data", str(shared_data), "--therapies", "radiotherapy",
        "--estimator", estimator, "-f", "json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    recs = [r for r in json.loads(res.stdout) if r["dataset"] == "yard"]
    assert {r["metric"] for r in recs} == {"auc", "sf2"}
    for r in recs:
        assert r["interval_low"] <= r["predicted"] <= r["interval_high"]
    terms = {t["mechanism"] for r in recs for t in r["top_mechanisms"]}
    if estimator in ("chain", "hybrid", "stacked"):
        assert all(0 <= r["mechanistic_share"] <= 1 for r in recs)
    if estimator == "chain":
        assert terms == {"chain (mechanistic)"}
        assert all(t["catalog_link"] for r in recs for t in r["top_mechanisms"])  # mechanisms via the chain
    if estimator in ("gene", "hybrid"):
        assert any(t.startswith("gene:") or t == "(other genes)" for t in terms)
    if ":" in estimator:
        assert terms <= {"(unattributed: black box)", "tissue"}
        notes = [ln for ln in res.stderr.splitlines() if "kept in memory only" in ln]
        assert len(notes) == 1


def test_gene_estimators_refuse_expression_off_the_log2_scale(shared_data, patient_files) -> None:
    """A profile whose expression is read as z-scores cannot feed the gene models: one line, exit 2, before any fit."""
    args = ["--expression", str(patient_files["expression"]), "--tissues", str(patient_files["tissues"])]
    res = run("predict", *args, "--data", str(shared_data), "--therapies", "radiotherapy", "--estimator", "hybrid")
    assert res.exit_code == 2, res.output
    err = res.stderr.strip().splitlines()
    assert err[-1].startswith("chemorad: error: --estimator") and "GDSC RMA (log2) scale" in err[-1]
