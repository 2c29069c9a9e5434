"""Data bundle registry, loaders and cell-line/tissue harmonisation."""

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import datasets as ds
from chemorad.bundle.names import (
    ALIASES,
    TISSUES,
    canonical_name,
    harmonise_tissue,
    normalise,
    split_ccle_name,
)
from chemorad.errors import ChemoradError


# ------------------------------------------------------------------------------------------------------------ names
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NCI-H460", "NCIH460"),
        ("nci h460", "NCIH460"),
        ("Hs 940.T", "HS940T"),
        ("H2869", "NCIH2869"),  # GDSC drops the NCI- prefix
        ("U-031", "UO31"),  # GDSC writes a zero
        ("U251", "U251MG"),
        ("KM-H2", "KMH2"),  # Hodgkin lymphoma
        ("KMH-2", "KMH2THYROID"),  # anaplastic thyroid carcinoma: a different line
    ],
)
def test_canonical_name(raw, expected):
    assert canonical_name(raw) == expected


def test_alias_targets_are_normalised_and_not_themselves_aliased():
    for source, target in ALIASES.items():
        assert normalise(source) == source and normalise(target) == target
        assert target not in ALIASES


def test_split_ccle_name_and_tissue_vocabulary():
    assert split_ccle_name("NCIH460_LUNG") == ("NCIH460", "lung")
    assert split_ccle_name("HL60_HAEMATOPOIETIC_AND_LYMPHOID_TISSUE") == (
        "HL60",
        "haematopoietic_and_lymphoid_tissue",
    )
    assert harmonise_tissue("central_nervous_system", "yard") == "central_nervous_system"
    assert harmonise_tissue("glioma", "gdsc") == "central_nervous_system"
    assert harmonise_tissue("mesothelioma", "gdsc") == "pleura"
    assert harmonise_tissue("urogenital_system", "gdsc") is None  # spans several sites: never guessed
    assert harmonise_tissue(np.nan, "gdsc") is None
    with pytest.raises(KeyError):
        harmonise_tissue("a new label", "gdsc")


# --------------------------------------------------------------------------------------------------- locating data
def test_data_dir_order(tmp_path, monkeypatch):
    """--data, then $CHEMORAD_DATA, then ../shared/data from the current directory (issue 11: not the source tree)."""
    explicit, env, cwd = tmp_path / "explicit", tmp_path / "env", tmp_path / "work" / "project"
    for d in (explicit, env, cwd, tmp_path / "work" / "shared" / "data"):
        d.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(ds.ENV_VAR, str(env))
    assert ds.data_dir(explicit) == explicit.resolve()
    assert ds.data_dir() == env.resolve()
    monkeypatch.delenv(ds.ENV_VAR)
    assert ds.data_dir() == (tmp_path / "work" / "shared" / "data").resolve()


def test_data_dir_errors_name_where_it_looked(tmp_path, monkeypatch):
    with pytest.raises(ChemoradError, match="--data"):
        ds.data_dir(tmp_path / "nowhere")
    monkeypatch.setenv(ds.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ChemoradError, match=ds.ENV_VAR):
        ds.data_dir()
    monkeypatch.delenv(ds.ENV_VAR)
    monkeypatch.setattr(ds, "_default_candidates", lambda: [(tmp_path / "absent", "a test folder")])
    with pytest.raises(ChemoradError, match="absent.*cancerrxgene"):
        ds.data_dir()


def test_registry_checksums_match_the_bundle(shared_data):
    for name, spec in ds.DATASETS.items():
        assert ds.verify(name, shared_data) == spec.sha256
        assert spec.citation and spec.source


def test_verify_detects_a_changed_file(shared_data, tmp_path):
    shutil.copy(shared_data / "yard2016_clonogenic_vs_proliferative.csv", tmp_path)
    with open(tmp_path / "yard2016_clonogenic_vs_proliferative.csv", "a") as handle:
        handle.write("X,auc,1,1\n")
    with pytest.raises(ChemoradError, match="SHA-256"):
        ds.verify("clonogenic", tmp_path)
    with pytest.raises(ChemoradError, match="unknown dataset"):
        ds.verify("yardd", tmp_path)


def test_missing_column_and_repeated_names_are_reported(shared_data, tmp_path):
    yard = pd.read_csv(shared_data / "yard2016_radiation.csv")
    bad = tmp_path / "bad"
    bad.mkdir()
    yard.drop(columns=["sf_2gy"]).to_csv(bad / "yard2016_radiation.csv", index=False)
    with pytest.raises(ChemoradError, match="sf_2gy"):
        ds.load_yard(bad)
    dup = tmp_path / "dup"
    dup.mkdir()
    extra = yard.iloc[[0, 1]].assign(cell_line=["SKNFI", None])  # same line as SK-N-FI, and a nameless row
    pd.concat([yard, extra]).to_csv(dup / "yard2016_radiation.csv", index=False)
    loaded = ds.load_yard(dup)
    assert len(loaded) == len(yard) and loaded.index.is_unique
    log = ds.dropped("yard", dup)
    assert sorted(log["reason"]) == ["no cell-line name", "repeated cell-line name; first row kept"]


# ------------------------------------------------------------------------------------------------------- loaders
def test_loaders_are_indexed_by_canonical_name(shared_data):
    yard = ds.load_yard(shared_data)
    assert yard.shape[0] == 384 and yard.index.name == "cell_line" and yard.index.is_unique
    assert set(yard["tissue"].dropna()) <= set(TISSUES)
    assert ds.load_radiogx(shared_data).shape[0] == 358
    cl = ds.load_cell_lines(shared_data)
    assert {"KMH2", "KMH2THYROID", "NCIH2869"} <= set(cl.index) and cl.index.is_unique
    for loader in (ds.load_genomic_features, ds.load_rppa, ds.load_ccle_expression):
        frame = loader(data=shared_data)
        assert frame.index.is_unique and frame.index.name == "cell_line"
    rppa = ds.load_rppa(data=shared_data)
    assert rppa.shape == (626, 214) and "ccle_name" not in rppa
    assert ds.load_ccle_expression(["BRCA1", "ATM"], data=shared_data).shape == (414, 2)


def test_expression_reads_only_requested_genes_and_drops_floor_values(shared_data):
    expr = ds.load_expression(["TP53", "ABCB1", "CDKN1A"], data=shared_data)
    assert list(expr.columns) == ["TP53", "ABCB1"]  # CDKN1A is a floor-value column
    assert expr.shape[0] == 679 and "NCIH2869" in expr.index  # GDSC's 'H2869'
    raw = ds.load_expression(["CDKN1A"], data=shared_data, drop_floor=False)
    assert raw["CDKN1A"].std() < ds.FLOOR_SD
    with pytest.raises(ChemoradError, match="RAD51"):
        ds.load_expression(["RAD51"], data=shared_data)
    muts = ds.load_mutations(["TP53"], data=shared_data)
    assert set(np.unique(muts["TP53"])) <= {0, 1}
    assert set(np.unique(ds.load_copy_number("TP53", data=shared_data)["TP53"])) <= {-1, 0, 1}


def test_floor_genes(shared_data):
    floor = ds.floor_genes(shared_data)
    assert len(floor) == 385 and {"CDKN1A", "DHFR", "TUBB3"} <= set(floor)


def test_response_tables(shared_data):
    g2 = ds.load_gdsc_response("gdsc2", shared_data)
    assert list(g2.columns) == ["source_name", "drug", "ln_ic50", "auc"]
    assert g2.index.name == "cell_line" and g2.index.nunique() == 667
    with pytest.raises(ChemoradError, match="gdsc1"):
        ds.load_gdsc_response("gdsc3", shared_data)
    wide = ds.response_matrix(g2.loc[g2["drug"].isin(["Cisplatin", "Docetaxel"])])
    assert list(wide.columns) == ["Cisplatin", "Docetaxel"] and wide.index.is_unique
    ctrp = ds.load_ctrp(shared_data)
    assert ctrp["compound"].nunique() == 545 and {"Carboplatin", "Oxaliplatin"} <= set(ctrp["compound"])
    assert ds.load_ctrp_compounds(shared_data).shape[0] == 544
    assert set(ds.load_clonogenic(shared_data)["metric"]) == {"auc", "sf2", "sf4", "sf6", "sf8"}


def test_cached_loads_return_copies(shared_data):
    first = ds.load_yard(shared_data)
    first["auc_yard"] = np.nan
    assert ds.load_yard(shared_data)["auc_yard"].notna().all()


# ------------------------------------------------------------------------------------------------- harmonised lines
def test_cell_lines_table(shared_data):
    table = ds.cell_lines(shared_data)
    assert table.index.is_unique and len(table) == 955
    assert set(table["tissue"].dropna()) <= set(TISSUES)
    assert table["in_yard"].sum() == 384 and table["in_radiogx"].sum() == 358
    assert int(table["msi"].sum()) == 39  # MSI-H lines in GDSC
    assert table.at["KMH2", "tissue"] == "haematopoietic_and_lymphoid_tissue"
    assert table.at["KMH2THYROID", "tissue"] == "thyroid"
    assert table.at["NCIH2869", "tissue"] == "pleura" and "H2869" in table.at["NCIH2869", "aliases"]
    assert table.at["ML1", "tissue_conflict"]  # Yard says haematopoietic, GDSC and CCLE say thyroid
    assert ds.dropped(data=shared_data).empty


def test_match_counts(shared_data):
    """The numbers in the docstring of chemorad.bundle.names."""
    expected = {  # (raw, normalised, canonical)
        ("yard", "cell_lines"): (251, 263, 265),
        ("yard", "expression"): (50, 261, 263),
        ("radiogx", "expression"): (48, 249, 251),
        ("yard", "gdsc2"): (242, 258, 260),
        ("yard", "ctrp"): (371, 371, 371),
        ("yard", "rppa"): (69, 363, 363),
        ("expression", "gdsc2"): (144, 637, 645),
        ("cell_lines", "rppa"): (78, 422, 425),
    }
    tables = [ds.overlap(shared_data, key) for key in ("raw", "normalised", "canonical")]
    for pair, counts in expected.items():
        assert tuple(int(t.loc[pair]) for t in tables) == counts, pair
    assert [t.attrs["all"] for t in tables] == [1676, 965, 955]


# ------------------------------------------------------------------------------------------- the repository's copy
def test_repository_copy_matches_the_registry_and_its_sums_file():
    """data/ in the checkout holds every registered file; SHA256SUMS and the code's registry list the same digests."""
    repo = ds.repository_data()
    assert repo is not None and repo.is_dir()
    sums = dict(reversed(line.split()) for line in (repo / "SHA256SUMS").read_text().splitlines())
    assert sums == {s.filename: s.sha256 for s in ds.DATASETS.values()}
    assert not (repo / "pide").exists() or not any((repo / "pide").iterdir()), "PIDE must never be committed"


def test_default_order_puts_shared_folders_before_the_repository_copy(tmp_path, monkeypatch):
    """Without --data and $CHEMORAD_DATA: ../shared/data from the cwd, beside the checkout, then the repo's data/."""
    monkeypatch.delenv(ds.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    candidates = ds._default_candidates()
    assert candidates[0][0] == tmp_path / ".." / "shared" / "data"
    assert candidates[-1] == (ds.repository_data(), "the repository's data/ folder")
    shared_only = [c for c in candidates if "shared" in c[1]]
    monkeypatch.setattr(ds, "_default_candidates", lambda: [c for c in candidates if c not in shared_only])
    assert ds.locate() == (ds.repository_data().resolve(), "the repository's data/ folder")


# ------------------------------------------------------------------------------------------------------ the Bundle
def test_the_context_bundle_caches_parsed_tables_in_the_context_cache_dir(shared_data, tmp_path):
    """Context.cache_dir is where the Bundle's parse cache goes (not a folder re-derived from the environment)."""
    from chemorad.bundle import Bundle
    from chemorad.catalog import catalog
    from chemorad.context import Context

    ds.clear_cache()
    ctx = Context(catalog=catalog(), data=shared_data, cache_dir=tmp_path / "ctx-cache")
    bundle = ctx.bundle
    assert bundle is ctx.bundle and isinstance(bundle, Bundle) and bundle.cache_dir == tmp_path / "ctx-cache"
    yard = bundle.load("yard")
    assert (
        list((tmp_path / "ctx-cache").glob("wide-yard-*.arrow"))
        and (tmp_path / "ctx-cache" / "file-hashes.json").exists()
    )
    pd.testing.assert_frame_equal(yard, ds.load_yard(shared_data))  # a path and a Bundle give the same table
    ds.clear_cache()
    off = Context(catalog=catalog(), data=shared_data, cache_dir=None).bundle
    assert off.load("radiogx").shape[0] > 300 and not list(tmp_path.glob("*/wide-radiogx-*.pkl"))


def test_the_bundle_serves_the_registry_response_sets_and_refuses_unknown_names(shared_data):
    from chemorad.bundle import Bundle, optional
    from chemorad.catalog.registry import RESPONSE_DATASETS

    bundle = Bundle.locate(shared_data)
    # an optional set (PIDE) is served only where its files are: beside the checkout, not in the repository's data/
    absent = {k for k in optional.OPTIONAL if optional.find(k, shared_data) is None}
    assert set(bundle.responses) == set(RESPONSE_DATASETS) - absent and os.fspath(bundle) == str(shared_data.resolve())
    for dataset_id in bundle.responses:  # the screens have hundreds of lines; PIDE's clonogenic curves a few dozen
        assert len(bundle.response_table(dataset_id)) > (20 if dataset_id in optional.OPTIONAL else 300)
    with pytest.raises(ChemoradError, match="unknown dataset 'yrad'; .*closest: yard"):
        bundle.load("yrad")
    with pytest.raises(ChemoradError, match="response data set"):
        bundle.response_table("nci60")
