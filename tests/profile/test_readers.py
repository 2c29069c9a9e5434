"""Profile input readers: MAF, expression, copy number, RPPA, tissues, bundle-layout directories and bundle lines."""

from __future__ import annotations

import copy
import dataclasses
import gzip
import pickle

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.errors import ChemoradError
from chemorad.profile import readers as rd
from chemorad.profile.readers import (
    VARIANT_CLASS,
    Profile,
    ProfileWarning,
    from_cell_line,
    read_copy_number,
    read_expression,
    read_maf,
    read_profiles_dir,
    read_protein,
    read_tissues,
    sample_id,
    standardise_to,
)

# genes every fixture uses: catalog genes, so they are known with or without the data bundle
GENES = ["TP53", "ABCB1", "KEAP1", "BRCA2", "ERCC1"]

MAF_ROWS = [
    # gene, Variant_Classification, barcode, HGVSp_Short
    ("TP53", "Missense_Mutation", "TCGA-AB-0001-01A-11D-A10Y-09", "p.R175H"),
    ("BRCA2", "Nonsense_Mutation", "TCGA-AB-0001-01A-11D-A10Y-09", "p.E1953*"),
    ("KEAP1", "Frame_Shift_Del", "TCGA-AB-0001-01A-11D-A10Y-09", "p.G333fs"),
    ("PTEN", "Frame_Shift_Ins", "TCGA-AB-0002-01A-11D-A10Y-09", "p.K267fs"),
    ("ATM", "Splice_Site", "TCGA-AB-0002-01A-11D-A10Y-09", "X1_splice"),
    ("MLH1", "Translation_Start_Site", "TCGA-AB-0002-01A-11D-A10Y-09", "p.M1?"),
    ("RB1", "Nonstop_Mutation", "TCGA-AB-0002-01A-11D-A10Y-09", "p.*929Qext*?"),
    ("EGFR", "In_Frame_Del", "TCGA-AB-0002-01A-11D-A10Y-09", "p.E746_A750del"),
    ("ERBB2", "In_Frame_Ins", "TCGA-AB-0002-01A-11D-A10Y-09", "p.Y772_A775dup"),
    ("PIK3CA", "Missense_Mutation", "TCGA-AB-0002-01A-11D-A10Y-09", "p.H1047R"),
    ("ABCB1", "Silent", "TCGA-AB-0003-01A-11D-A10Y-09", "p.L10L"),
    ("ABCC1", "Intron", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("ABCG2", "3'UTR", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("DPYD", "5'UTR", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("MIR451A", "RNA", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("Unknown", "IGR", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("TYMS", "5'Flank", "TCGA-AB-0003-01A-11D-A10Y-09", ""),
    ("TP53", "Missense_Mutation", "TCGA-AB-0003-01A-11D-A10Y-09", "p.R273H"),
]


def write_maf(path, rows=MAF_ROWS, comments=("#version gdc-1.0.0", "#annotation.spec gdc-1.0.0-public")):
    lines = [*comments, "Hugo_Symbol\tEntrez_Gene_Id\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short"]
    lines += [f"{g}\t0\t{vc}\t{bc}\t{hgvs}" for g, vc, bc, hgvs in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def levels() -> pd.DataFrame:
    """Samples x genes log2 levels (RMA-like)."""
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.uniform(2.0, 12.0, (3, len(GENES))), index=["S1", "S2", "S3"], columns=GENES)


# --------------------------------------------------------------------------------------------------------------- MAF
def test_variant_class_table_is_the_documented_one():
    lof = {k for k, v in VARIANT_CLASS.items() if v == "loss_of_function"}
    mis = {k for k, v in VARIANT_CLASS.items() if v == "missense_or_inframe"}
    assert lof == {
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "Splice_Site",
        "Translation_Start_Site",
        "Nonstop_Mutation",
    }
    assert mis == {"Missense_Mutation", "In_Frame_Del", "In_Frame_Ins"}
    for silent in ("Silent", "Intron", "3'UTR", "5'UTR", "RNA", "IGR", "Flank"):
        assert VARIANT_CLASS[silent] == "silent"


def test_read_maf_classes_and_comment_lines(tmp_path):
    res = read_maf(write_maf(tmp_path / "tumour.maf"))
    lof, mis, anyc = res.loss_of_function, res.missense_or_inframe, res.any_nonsilent
    assert list(anyc.index) == ["TCGA-AB-0001-01", "TCGA-AB-0002-01", "TCGA-AB-0003-01"]
    assert anyc.index.name == "sample"
    assert set(lof.columns) == set(mis.columns) == set(anyc.columns)
    assert all(frame.dtypes.eq(np.int8).all() for frame in (lof, mis, anyc))
    s1, s2, s3 = anyc.index
    assert lof.at[s1, "BRCA2"] == 1 and lof.at[s1, "KEAP1"] == 1 and lof.at[s1, "TP53"] == 0
    assert mis.at[s1, "TP53"] == 1 and mis.at[s1, "BRCA2"] == 0
    for gene in ("PTEN", "ATM", "MLH1", "RB1"):
        assert lof.at[s2, gene] == 1 and mis.at[s2, gene] == 0
    for gene in ("EGFR", "ERBB2", "PIK3CA"):
        assert mis.at[s2, gene] == 1 and lof.at[s2, gene] == 0
    # silent classes are ignored; the sample with only silent variants (and one missense) is still there
    assert anyc.loc[s3].sum() == 1 and anyc.at[s3, "TP53"] == 1
    assert anyc.at[s3, "ABCB1"] == 0 and "Unknown" not in anyc.columns
    # any_nonsilent is the union of the two classes
    assert ((lof | mis) == anyc).all().all()
    # HGVS kept, original barcodes kept
    assert "HGVSp_Short" in res.variants.columns
    assert "p.R175H" in set(res.variants["HGVSp_Short"])
    assert res.source_ids[s1] == "TCGA-AB-0001-01A-11D-A10Y-09"
    assert res.unknown_classes == ()


def test_read_maf_gzip_samples_without_variants_and_unknown_class(tmp_path):
    text = write_maf(tmp_path / "a.maf", rows=[*MAF_ROWS[:2], ("PTEN", "Weird_Class", "P1", "")]).read_text()
    gz = tmp_path / "a.maf.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write(text)
    with pytest.warns(ProfileWarning, match="Weird_Class"):
        res = read_maf(gz, samples=["WT-1"])
    assert "WT-1" in res.any_nonsilent.index and res.any_nonsilent.loc["WT-1"].sum() == 0
    assert res.unknown_classes == ("Weird_Class",)
    assert "P1" in res.samples  # the sample is known even though its only row was ignored


def test_read_maf_unknown_gene_reported_not_fatal(tmp_path):
    rows = [("NOTAGENE1", "Missense_Mutation", "S1", "p.A1T"), ("TP53", "Nonsense_Mutation", "S1", "p.R196*")]
    with pytest.warns(ProfileWarning, match="NOTAGENE1"):
        res = read_maf(write_maf(tmp_path / "m.maf", rows=rows))
    assert res.unknown_genes == ("NOTAGENE1",)
    assert res.any_nonsilent.at["S1", "NOTAGENE1"] == 1
    assert any("NOTAGENE1" in w for w in res.warnings)


def test_read_maf_errors(tmp_path):
    empty = tmp_path / "empty.maf"
    empty.write_text("")
    with pytest.raises(ChemoradError, match="empty.maf: empty file"):
        read_maf(empty)
    bad = tmp_path / "bad.maf"
    bad.write_text("Hugo_Symbol\tVariant_Class\tTumor_Sample_Barcode\nTP53\tSilent\tS1\n")
    with pytest.raises(ChemoradError, match="bad.maf: no column 'Variant_Classification'"):
        read_maf(bad)
    header_only = write_maf(tmp_path / "h.maf", rows=[])
    with pytest.raises(ChemoradError, match="no variant rows"):
        read_maf(header_only)
    assert read_maf(header_only, samples=["S9"]).any_nonsilent.shape == (1, 0)


def test_sample_id_cuts_tcga_barcodes_only():
    assert sample_id(" TCGA-02-0003-01A-01D-1490-08 ") == "TCGA-02-0003-01"
    assert sample_id("TCGA-02-0003-01") == "TCGA-02-0003-01"
    assert sample_id("NCI-H460") == "NCI-H460"


# -------------------------------------------------------------------------------------------------------- expression
@pytest.mark.parametrize("orientation", ["samples_x_genes", "genes_x_samples"])
@pytest.mark.parametrize("ext", ["tsv", "csv"])
def test_read_expression_orientation_detected_and_stated(tmp_path, levels, orientation, ext):
    frame = levels if orientation == "samples_x_genes" else levels.T
    path = tmp_path / f"expr.{ext}"
    frame.to_csv(path, sep="\t" if ext == "tsv" else ",", index_label="id")
    res = read_expression(path, scale="log")
    assert res.orientation == orientation
    assert res.scale == res.input_scale == "log"
    pd.testing.assert_frame_equal(
        res.matrix, levels.rename_axis("sample"), check_exact=False, check_index_type=False, check_column_type=False
    )
    assert any("orientation" in n for n in res.notes)


def test_read_expression_sniffs_separator_without_extension(tmp_path, levels):
    path = tmp_path / "expr.data"
    levels.T.to_csv(path, sep="\t", index_label="Hugo_Symbol")
    res = read_expression(path, scale="log")
    assert res.orientation == "genes_x_samples"
    assert res.matrix.shape == (3, len(GENES))


def test_read_expression_tpm_converted_to_log2(tmp_path, levels):
    tpm = 2.0**levels - 1.0
    tpm.iloc[0, 0] = 500.0  # well above the linear-scale threshold
    path = tmp_path / "tpm.tsv"
    tpm.T.to_csv(path, sep="\t", index_label="gene")
    res = read_expression(path)
    assert res.input_scale == "tpm" and res.scale == "log"
    assert res.matrix.iloc[0, 0] == pytest.approx(np.log2(501.0))
    assert res.matrix.iloc[1, 1] == pytest.approx(levels.iloc[1, 1])
    with pytest.raises(ChemoradError, match="value 500 .* impossible on the log scale"):  # the user's word is checked
        read_expression(path, scale="log")


def test_read_expression_z_kept_and_flagged(tmp_path, levels):
    z = (levels - levels.mean()) / levels.std()
    path = tmp_path / "z.csv"
    z.to_csv(path, index_label="sample")
    res = read_expression(path)
    assert res.scale == res.input_scale == "z"
    pd.testing.assert_frame_equal(
        res.matrix, z.rename_axis("sample"), check_exact=False, check_index_type=False, check_column_type=False
    )


def test_standardise_to_reference(tmp_path, levels):
    rng = np.random.default_rng(2)
    reference = pd.DataFrame(rng.normal(6.0, 2.0, (40, 4)), columns=GENES[:4])
    path = tmp_path / "x.tsv"
    levels.to_csv(path, sep="\t")
    res = read_expression(path, scale="log")
    with pytest.warns(ProfileWarning, match="1 gene"):  # ERCC1 is not in the reference
        z = res.standardise_to(reference)
    assert z.scale == "z" and list(z.matrix.columns) == GENES[:4]
    expected = (levels.iloc[1, 2] - reference.iloc[:, 2].mean()) / reference.iloc[:, 2].std(ddof=1)
    assert z.matrix.iloc[1, 2] == pytest.approx(expected)
    # z passes through unchanged
    again = standardise_to(z.matrix, reference, scale="z")
    pd.testing.assert_frame_equal(again, z.matrix)


def test_read_expression_duplicated_genes_averaged(tmp_path):
    path = tmp_path / "dup.tsv"
    path.write_text("gene\tS1\tS2\nTP53\t4\t6\nTP53\t6\t8\nABCB1\t1\t2\n")
    with pytest.warns(ProfileWarning, match="averaged: 'TP53'"):
        res = read_expression(path, scale="log")
    assert res.matrix.loc["S1", "TP53"] == 5.0 and res.matrix.loc["S2", "TP53"] == 7.0
    assert list(res.matrix.columns) == ["TP53", "ABCB1"]


def test_read_expression_unknown_genes_reported_not_fatal(tmp_path):
    path = tmp_path / "u.tsv"
    path.write_text("gene\tS1\nTP53\t4\nNOTAGENE1\t5\n")
    with pytest.warns(ProfileWarning, match="NOTAGENE1"):
        res = read_expression(path, scale="log")
    assert res.unknown_genes == ("NOTAGENE1",)
    assert res.matrix.loc["S1", "NOTAGENE1"] == 5.0


def test_read_expression_errors(tmp_path, levels):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(ChemoradError, match="empty.tsv: empty file"):
        read_expression(empty)
    comments_only = tmp_path / "c.tsv"
    comments_only.write_text("# nothing here\n\n")
    with pytest.raises(ChemoradError, match="empty file"):
        read_expression(comments_only)
    header_only = tmp_path / "h.tsv"
    header_only.write_text("gene\tS1\n")
    with pytest.raises(ChemoradError, match="no data rows"):
        read_expression(header_only)
    nogene = tmp_path / "nogene.tsv"
    nogene.write_text("probe\tS1\tS2\nENSG00000141510\t1\t2\nENSG00000085563\t3\t4\n")
    with pytest.raises(ChemoradError, match="nogene.tsv: no recognisable gene column"):
        read_expression(nogene)
    with pytest.raises(ChemoradError, match="no recognisable gene column"):
        read_expression(nogene, orientation="genes_x_samples")
    text = tmp_path / "text.tsv"
    text.write_text("gene\tS1\tS2\nTP53\t1.5\thigh\nABCB1\t2\t3\n")
    with pytest.raises(ChemoradError, match=r"non-numeric value 'high' for gene row 'TP53', sample column 'S2'"):
        read_expression(text, scale="log")
    text2 = tmp_path / "text2.csv"
    text2.write_text("sample,TP53,ABCB1\nS1,1.5,n/a?\n")
    with pytest.raises(ChemoradError, match=r"text2.csv: non-numeric value 'n/a\?' for sample 'S1', gene column"):
        read_expression(text2, scale="log")
    dup = tmp_path / "dupsamples.csv"
    levels.rename(index={"S2": "S1"}).to_csv(dup)
    with pytest.raises(ChemoradError, match="dupsamples.csv: sample 'S1' appears twice"):
        read_expression(dup, scale="log")
    negative = tmp_path / "neg.tsv"
    negative.write_text("gene\tS1\nTP53\t-1\nABCB1\t600\n")
    with pytest.raises(ChemoradError, match="value -1 for sample 'S1', gene 'TP53' is impossible on the tpm scale"):
        read_expression(negative, scale="tpm")
    with pytest.raises(ChemoradError, match="--scale fpkm: expected auto, tpm, log or z"):
        read_expression(negative, scale="fpkm")


def test_read_expression_missing_values_allowed(tmp_path):
    path = tmp_path / "na.tsv"
    path.write_text("gene\tS1\tS2\nTP53\t1.5\tNA\nABCB1\t\t3\n")
    res = read_expression(path, scale="log")
    assert res.matrix.isna().sum().sum() == 2


def test_read_expression_parquet_bundle_layout(tmp_path, levels):
    path = tmp_path / "x.parquet"
    levels.rename_axis("cell_line").reset_index().to_parquet(path)
    res = read_expression(path, scale="log")
    assert res.orientation == "samples_x_genes"
    np.testing.assert_allclose(res.matrix.to_numpy(), levels.to_numpy())


def test_ambiguous_scale_refused_naming_the_option(tmp_path, levels):
    """TPM values all below 50 look like log2 levels: refused with --scale named, not guessed (issue 17)."""
    tpm = tmp_path / "small_tpm.tsv"
    (2.0 ** (levels - 6.5)).T.to_csv(tpm, sep="\t", index_label="gene")  # TPM between about 0.02 and 45
    with pytest.raises(
        ChemoradError, match=r"small_tpm.tsv: cannot tell the expression scale .* --scale log or --scale tpm"
    ):
        read_expression(tpm)
    assert read_expression(tpm, scale="tpm").input_scale == "tpm"


def test_detected_scale_is_stated(tmp_path, levels):
    tpm = tmp_path / "tpm.tsv"
    (2.0**levels * 10.0).T.to_csv(tpm, sep="\t", index_label="gene")
    res = read_expression(tpm)
    assert res.input_scale == "tpm"
    assert any("tpm.tsv: expression scale 'tpm' detected" in n for n in res.notes)


@pytest.mark.parametrize(
    ("value", "scale", "match"),
    [
        ("1e300", "auto", r"value 1e\+300 for sample 'S2', gene 'ABCB1' is impossible on the tpm scale"),
        ("1e400", "auto", r"value '1e400' for gene row 'ABCB1', sample column 'S2' is not finite"),
        ("inf", "log", r"value 'inf' for gene row 'ABCB1', sample column 'S2' is not finite"),
        ("35", "log", r"value 35 for sample 'S2', gene 'ABCB1' is impossible on the log scale"),
    ],
)
def test_absurd_expression_values_refused_naming_file_sample_gene(tmp_path, value, scale, match):
    path = tmp_path / "absurd.tsv"
    path.write_text(f"gene\tS1\tS2\nTP53\t6\t4\nABCB1\t2\t{value}\n")
    with pytest.raises(ChemoradError, match="absurd.tsv: " + match):
        read_expression(path, scale=scale)


def test_gct_expression_read(tmp_path):
    """GCT 1.2 (Broad): '#1.2', dimensions, then Name / Description / samples; symbols may sit in Description."""
    path = tmp_path / "expr.gct"
    path.write_text(
        "#1.2\n2\t2\nName\tDescription\tS1\tS2\nENSG00000141510\tTP53\t120\t80\nENSG00000085563\tABCB1\t3\t900\n"
    )
    res = read_expression(path)
    assert res.orientation == "genes_x_samples" and res.input_scale == "tpm"
    assert res.matrix.loc["S2", "ABCB1"] == pytest.approx(np.log2(901.0))
    bad = tmp_path / "v13.gct"
    bad.write_text("#1.3\n2\t2\t0\t0\nid\tS1\n")
    with pytest.raises(ChemoradError, match=r"v13.gct: first line '#1.3'; expected '#1.2'"):
        read_expression(bad)


def test_seg_copy_number_refused_with_what_to_give(tmp_path):
    path = tmp_path / "cn.seg"
    path.write_text("ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\nS1\t17\t7565097\t7590856\t12\t-0.8\n")
    with pytest.raises(ChemoradError, match=r"cn.seg: segmented copy number \(.seg\) is not read"):
        read_copy_number(path)


# ------------------------------------------------------------------------------------------------------ copy number
def test_read_copy_number_gistic_genes_x_samples(tmp_path):
    path = tmp_path / "all_thresholded.by_genes.txt"
    path.write_text(
        "Gene Symbol\tLocus ID\tCytoband\tS1\tS2\n"
        "TP53\t7157\t17p13.1\t-2\t0\n"
        "MYC\t4609\t8q24.21\t2\t1\n"
        "KEAP1\t9817\t19p13.2\t-1\t0\n"
    )
    res = read_copy_number(path)
    assert res.orientation == "genes_x_samples"
    assert list(res.calls.columns) == ["TP53", "MYC", "KEAP1"]
    assert res.calls.loc["S1"].tolist() == [-1, 1, -1]
    assert res.calls.loc["S2"].tolist() == [0, 1, 0]
    assert res.raw.loc["S1"].tolist() == [-2, 2, -1]
    assert res.calls.dtypes.eq(np.int8).all()


def test_read_copy_number_samples_x_genes_and_bad_values(tmp_path):
    path = tmp_path / "cn.csv"
    path.write_text("sample,TP53,MYC\nS1,0,1\nS2,-1,\n")
    res = read_copy_number(path)
    assert res.orientation == "samples_x_genes"
    assert res.calls.loc["S1", "MYC"] == 1 and np.isnan(res.calls.loc["S2", "MYC"])
    seg = tmp_path / "seg.csv"
    seg.write_text("sample,TP53,MYC\nS1,0.37,1\n")
    with pytest.raises(ChemoradError, match="value 0.37 for sample 'S1', gene 'TP53'; expected GISTIC"):
        read_copy_number(seg)


# ---------------------------------------------------------------------------------------------------------- protein
def test_read_protein_rppa(tmp_path):
    path = tmp_path / "rppa.csv"
    path.write_text("cell_line,ccle_name,RAD51,Bcl-2,Ku80_Caution\nS1,S1_LUNG,0.5,-0.2,1.1\nS2,S2_SKIN,-0.3,0.4,0.0\n")
    res = read_protein(path)
    assert res.orientation == "samples_x_antibodies"
    assert list(res.matrix.columns) == ["RAD51", "Bcl-2", "Ku80_Caution"]
    assert res.matrix.loc["S2", "Bcl-2"] == pytest.approx(0.4)
    transposed = tmp_path / "rppa_t.tsv"
    res.matrix.T.to_csv(transposed, sep="\t", index_label="antibody")
    back = read_protein(transposed)
    assert back.orientation == "antibodies_x_samples"
    pd.testing.assert_frame_equal(back.matrix, res.matrix)


# ---------------------------------------------------------------------------------------------------------- tissues
def test_read_tissues_harmonised_and_unknown_kept(tmp_path):
    path = tmp_path / "tissues.csv"
    path.write_text("sample,tissue\nS1,lung\nS2,LUNG\nS3,glioma\nS4,LUAD\nS5,martian_organ\nS6,urogenital_system\n")
    with pytest.warns(ProfileWarning, match="martian_organ"):
        tissues = read_tissues(path)
    assert tissues.loc[["S1", "S2", "S4"], "tissue"].tolist() == ["lung"] * 3
    assert tissues.loc["S3", "tissue"] == "central_nervous_system" and tissues.loc["S3", "source"] == "gdsc"
    assert tissues.loc["S4", "source"] == "tcga"
    assert not tissues.loc["S5", "known"] and tissues.loc["S5", "tissue"] == "martian_organ"
    assert not tissues.loc["S6", "known"] and "several sites" in tissues.loc["S6", "note"]
    assert tissues["known"].tolist() == [True, True, True, True, False, False]


def test_read_tissues_errors(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("sample,site,other\nS1,lung,x\n")
    with pytest.raises(ChemoradError, match="t.csv: no column 'tissue'"):
        read_tissues(path)
    dup = tmp_path / "d.csv"
    dup.write_text("sample,tissue\nS1,lung\nS1,breast\n")
    with pytest.raises(ChemoradError, match="sample 'S1' appears twice"):
        read_tissues(dup)


# ---------------------------------------------------------------------------------------------------------- Profile
def test_profile_from_files_coverage_and_mismatch_warning(tmp_path, levels):
    expr = tmp_path / "expression.tsv"
    levels.T.to_csv(expr, sep="\t", index_label="gene")  # S1, S2, S3
    maf = write_maf(tmp_path / "mutations.maf", rows=[("TP53", "Missense_Mutation", s, "") for s in ("S1", "S2")])
    tissues = tmp_path / "tissues.csv"
    tissues.write_text("sample,tissue\nS1,lung\nS2,breast\nS3,skin\n")
    with pytest.warns(ProfileWarning, match="sample 'S3' is in expression.tsv, tissues.csv but not in mutations.maf"):
        prof = Profile.from_files(expression=expr, maf=tmp_path / "mutations.maf", tissues=tissues, scale="log")
    assert maf.exists()
    assert prof.expression_scale == "log"
    assert any("orientation genes_x_samples" in n for n in prof.notes)
    cov = prof.coverage()
    assert cov.loc["S3"].to_dict() == {"expression": True, "mutations": False, "tissue": True, "n_layers": 2}
    assert cov.loc["S1", "n_layers"] == 3
    assert set(prof.score_layers()) == {"expression", "mutation"}
    assert prof.mutations_lof is not None and prof.mutations_missense_or_inframe.at["S1", "TP53"] == 1
    assert prof.subset(["S1"]).samples == ["S1"]


def test_profile_no_common_sample_is_an_error(tmp_path, levels):
    expr = tmp_path / "expression.tsv"
    levels.rename(index={"S1": "NCI-H460"}).T.to_csv(expr, sep="\t", index_label="gene")
    write_maf(tmp_path / "mutations.maf", rows=[("TP53", "Missense_Mutation", "NCIH460", "")])
    with pytest.raises(ChemoradError, match="no sample is in every file.*'NCI-H460' vs 'NCIH460'"):
        Profile.from_files(expression=expr, maf=tmp_path / "mutations.maf", scale="log")


def test_profile_without_layers_is_an_error():
    with pytest.raises(ChemoradError, match="no layer given"):
        Profile().check_consistency()


def test_profile_is_frozen_and_checks_return_a_new_profile(levels):
    expr = levels.rename_axis("sample")  # S1, S2, S3
    muts = pd.DataFrame({"TP53": [1, 0]}, index=pd.Index(["S1", "S2"], name="sample"), dtype=np.int8)
    sources = {"expression": "e.tsv", "mutations": "m.maf"}
    prof = Profile(expression=expr, expression_scale="log", mutations=muts, sources=sources, warnings=["read"])
    sources["protein"] = "p.tsv"  # the caller's dict is copied, not shared
    assert dict(prof.sources) == {"expression": "e.tsv", "mutations": "m.maf"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        prof.tissue = None
    with pytest.raises(TypeError):
        prof.sources["tissue"] = "t.csv"
    with pytest.raises(TypeError):
        prof.extra["ccle_expression"] = expr
    with pytest.warns(ProfileWarning, match="sample 'S3' is in e.tsv but not in m.maf"):
        found = prof.check_consistency()
    assert found == ["sample 'S3' is in e.tsv but not in m.maf"] and prof.warnings == ("read",)
    with pytest.warns(ProfileWarning):
        checked = prof.checked()
    assert checked.warnings == ("read", found[0]) and prof.warnings == ("read",)
    assert checked.expression is prof.expression  # layers are shared, not copied
    complete = prof.subset(["S1", "S2"])
    assert complete.checked() is complete  # nothing to add: the same profile


def test_profile_pickles_and_deep_copies(levels):
    prof = Profile(expression=levels.rename_axis("sample"), expression_scale="log", sources={"expression": "e.tsv"})
    for twin in (pickle.loads(pickle.dumps(prof)), copy.deepcopy(prof)):
        assert dict(twin.sources) == {"expression": "e.tsv"} and twin.warnings == ()
        pd.testing.assert_frame_equal(twin.expression, prof.expression)


# ---------------------------------------------------------------------------------------------- the real data bundle
@pytest.fixture(scope="module")
def bundle_line(shared_data):
    """A line present in every file of the bundle."""
    lines = ds.cell_lines(shared_data)
    full = lines.index[lines["n_datasets"] == lines["n_datasets"].max()]
    return str(full[0]), lines


def test_from_cell_line(shared_data, bundle_line):
    key, lines = bundle_line
    alias = lines.loc[key, "aliases"].split("; ")[0]
    prof = from_cell_line(alias.lower(), data=shared_data)
    expr = ds.load_expression(data=shared_data)
    assert prof.samples == [key]
    pd.testing.assert_frame_equal(prof.expression, expr.loc[[key]].rename_axis("sample"))
    assert prof.expression_scale == "log"
    muts = ds.load_mutations(data=shared_data)
    np.testing.assert_array_equal(prof.mutations.to_numpy(), muts.loc[[key]].to_numpy())
    assert prof.mutations_lof is None  # the bundle has no variant classes
    assert set(prof.extra) == {"ccle_expression", "driver_mutation"}
    assert prof.tissue.loc[key, "tissue"] == lines.loc[key, "tissue"] and prof.tissue.loc[key, "known"]
    cov = prof.coverage()
    assert cov.loc[key].drop("n_layers").all()
    # the scorer's layer names
    assert {"expression", "ccle_expression", "protein", "copy_number", "mutation", "driver_mutation"} <= set(
        prof.score_layers()
    )


def test_from_cell_line_unknown_name_suggests(shared_data, bundle_line):
    key, _ = bundle_line
    with pytest.raises(ChemoradError, match=rf"unknown cell line '{key}X'.*closest: .*{key}"):
        from_cell_line(key + "X", data=shared_data)


def test_read_profiles_dir_subset_of_bundle(tmp_path, shared_data, bundle_line):
    key, lines = bundle_line
    chosen = lines.index[(lines["in_expression"]) & (lines["in_mutations"]) & (lines["in_cell_lines"])][:3]
    assert len(chosen) == 3
    canon = set(chosen)
    for fname in ("gdsc_expression.parquet", "gdsc_mutations.parquet"):
        frame = pd.read_parquet(shared_data / fname)
        keep = frame["cell_line"].map(lambda s: rd.canonical_name(s) in canon)
        frame.loc[keep].to_parquet(tmp_path / fname, index=False)
    cl = pd.read_csv(shared_data / "gdsc_cell_lines.csv")
    cl.loc[cl["cell_line"].map(lambda s: rd.canonical_name(s) in canon)].to_csv(
        tmp_path / "gdsc_cell_lines.csv", index=False
    )
    # the copied files differ from the registry's checksums: loading must not verify
    with pytest.raises(ChemoradError, match="SHA-256"):
        ds.verify("expression", tmp_path)
    prof = read_profiles_dir(tmp_path)
    assert prof.samples == sorted(canon)
    assert prof.copy_number is None and prof.protein is None
    assert prof.sources["expression"] == "gdsc_expression.parquet"
    # same values and the same (non-floor) genes as the bundle's loader
    expr = ds.load_expression(data=shared_data)
    pd.testing.assert_frame_equal(
        prof.expression.sort_index(), expr.loc[sorted(canon)].rename_axis("sample"), check_like=True
    )
    muts = ds.load_mutations(data=shared_data).loc[sorted(canon)]
    np.testing.assert_array_equal(prof.mutations.sort_index().to_numpy(), muts.to_numpy())
    # tissue from tissue_gdsc2/1 only: harmonised where the label maps
    assert prof.tissue.index.isin(list(canon)).all()
    cov = prof.coverage()
    assert cov[["expression", "mutations"]].all().all()


def test_read_profiles_dir_without_profile_files(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing")
    with pytest.raises(ChemoradError, match="no profile file found"):
        read_profiles_dir(tmp_path)
