"""Mechanism activities of new samples, scored against the data bundle's tissue-matched reference lines.

The bundle's scores (`evidence.scores.mechanism_scores`) are within-tissue z-scores over its lines. A sample outside
the bundle is put on exactly that scale, with the bundle's lines as the reference and the sample itself left out of
the reference statistics:

    marker    z_m = (x_m - mean_{tissue} x_m) / sd_pooled(x_m)          over the bundle's lines of the sample's tissue
    mechanism s   = (mean_m z_m - mean_{tissue} r) / sd_pooled(r)       r = the bundle lines' mean marker z-scores

x_m is the marker's raw value (its layer's value, direction and sign as in `evidence.scores`); mean_tissue and the
pooled within-tissue sd are those of the bundle (`scores.tissue_reference`). For a line of the bundle the result is its
bundle score exactly (the tests check this). Where the sample's tissue has fewer than `scores.MIN_TISSUE_LINES`
reference lines, or is unknown, the reference mean is that of all bundle lines (stated in the notes): the score then
carries the tissue's offset, which the models cannot remove.

Layers: each marker is read from the layer the bundle uses for it (so the reference is the same measurement); when the
sample lacks that layer, the next layer of `scores.LAYERS_FOR` that the sample has and the bundle can reference is
used instead (stated in the coverage table as a substitute). The mutation layer of a MAF is its any-non-silent class,
because the bundle's reference calls (GDSC) are non-silent coding variants of any class. An expression file in log
scale is referenced to GDSC RMA levels: a different platform (RNA-seq) shifts every gene, so supply z-scores across
your own cohort (`--scale z`; referenced to the CCLE RNA-seq z-scores) when the platform differs.

Coverage per sample and marker: 'used' (layer), 'substitute' (another layer than the bundle's), 'missing' (the sample
has no value for it), 'unusable' (the bundle cannot reference it: absent, floor values, too few altered lines).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.evidence import scores as sc
from chemorad.profile import reference_store
from chemorad.profile.readers import Profile

__all__ = ["SampleScores", "Reference", "reference", "sample_scores"]


@dataclass(frozen=True)
class Reference:
    """The bundle's reference for scoring: marker plan, tissue per line, raw marker values (lines x features) and the
    mechanisms' unstandardised scores (lines x mechanisms), plus a loader of any layer for substitutes."""

    plan: sc.MarkerPlan
    tissue: pd.Series
    raw: pd.DataFrame
    mech_raw: pd.DataFrame
    layers: sc.BundleLayers

    @property
    def markers(self) -> pd.DataFrame:
        """The bundle's marker features, within-tissue z-scores (equal to `scores.mechanism_scores(...).markers`)."""
        return sc.within_tissue_standardise(self.raw, self.tissue)

    @property
    def scores(self) -> pd.DataFrame:
        """The bundle's own mechanism scores (equal to `scores.mechanism_scores(...).scores`)."""
        return sc.within_tissue_standardise(self.mech_raw, self.tissue).dropna(how="all")


@dataclass(frozen=True)
class SampleScores:
    """scores: samples x mechanisms (the bundle's scale; NaN = not measured); markers: samples x the bundle's marker
    features (their z-scores; a substitute layer's value sits under the feature it stands in for); coverage: one row
    per sample x marker; tissue: per sample (None = unknown); notes: how the reference was chosen, per sample."""

    scores: pd.DataFrame
    markers: pd.DataFrame
    coverage: pd.DataFrame
    tissue: pd.Series
    notes: list[str]


#: the last reference built, with its catalog: (catalog id, data folder, its files' names, sizes and times) ->
#: (catalog, Reference). One entry, so a server's memory stays flat; read-only once built (`sample_scores` copies).
_MEMO: dict[tuple, tuple[Catalog, Reference]] = {}


def _bundle_state(cat: Catalog, data) -> tuple:
    from chemorad.bundle import datasets as ds

    root = ds.data_dir(data)
    files = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(root) if e.is_file())
    return (id(cat), str(root.resolve()), tuple(files))


def reference(cat: Catalog, data: str | os.PathLike[str] | None = None) -> Reference:
    """The bundle's reference statistics, kept for the last catalog and state of the data folder asked (a server's
    predictions do not rebuild it) and stored in the on-disk parse cache (`reference_store`: keyed by the bundle
    files, the catalog's markers and the code), so a new process reads them (about 0.02 s) instead of reading every
    layer of the bundle (about 0.15 s warm, more cold). The layers themselves are loaded only when a substitute needs
    one (`Reference.layers`)."""
    key = _bundle_state(cat, data)
    found = _MEMO.get(key)
    if found is not None and found[0] is cat:
        return found[1]
    layers = sc.BundleLayers(data)

    def compute() -> tuple[sc.MarkerPlan, pd.Series, pd.DataFrame, pd.DataFrame]:
        plan, tissue, raw, markers = sc.bundle_markers(cat, data, layers)
        return plan, tissue, raw, sc.mechanism_raw(markers, plan.members)

    ref = Reference(*reference_store.stored(cat, data, compute), layers)
    _MEMO.clear()
    _MEMO[key] = (cat, ref)
    return ref


def _standardise(value: pd.DataFrame, ref: pd.DataFrame, tissue_ref: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """z of `value` (samples x raw features, columns as in ref) against the reference lines, tissue-matched: each
    sample's values minus its tissue's reference mean (the mean over all lines where that is missing), divided by the
    pooled sd. One array operation over all samples: element by element the same float64 operations as row by row."""
    means, overall, sd = sc.tissue_reference(ref, tissue_ref)
    if not len(labels):
        return pd.DataFrame.from_dict({}, orient="index").reindex(columns=ref.columns)
    rows = [t if t is not None and t in means.index else None for t in labels]
    mean = means.reindex(index=rows, columns=ref.columns).to_numpy(dtype=float)
    mean = np.where(np.isnan(mean), overall.reindex(ref.columns).to_numpy(dtype=float), mean)  # fillna(overall)
    x = value.reindex(index=labels.index, columns=ref.columns).to_numpy(dtype=float)
    z = (x - mean) / sd.reindex(ref.columns).to_numpy(dtype=float)
    return pd.DataFrame(z, index=pd.Index(list(labels.index)), columns=ref.columns)


def _layer_key(layer: str, gene: str) -> str | None:
    """The column of `gene` in a layer: its RPPA antibody, its `GENE_mut` driver feature, else the gene itself."""
    return {"protein": sc.RPPA_ANTIBODY.get(gene), "driver_mutation": f"{gene}_mut"}.get(layer, gene)


class _SampleLayers:
    """The samples' layers (`Profile.score_layers`) read as float columns aligned to `samples`: each sample's first
    row in the layer, NaN where the layer lacks the sample.

    The columns of the catalog's marker `genes` are converted to float64 in one block per layer (a layer of numeric
    NumPy columns with unique labels; int, bool and float32 to float64 are exact, so each value is what the column's
    own `astype(float)` gives); any other layer is read column by column."""

    def __init__(self, layers: dict[str, pd.DataFrame], samples: pd.Index, genes: list[str]) -> None:
        self.layers = layers
        self.samples = samples
        self.genes = genes
        self._rows: dict[str, np.ndarray] = {}
        self._blocks: dict[str, tuple[dict[str, int], np.ndarray] | None] = {}

    def column(self, layer: str, gene: str) -> np.ndarray | None:
        """The gene's values in `layer` (float, one per sample), or None when the layer has no column for it."""
        frame = self.layers[layer]
        key = _layer_key(layer, gene)
        if key is None or key not in frame.columns:
            return None
        block = self._block(layer)
        if block is not None and key in block[0]:
            return block[1][:, block[0][key]]
        return self._take(layer, frame[key].astype(float).to_numpy())

    def _take(self, layer: str, values: np.ndarray) -> np.ndarray:
        """`values` (rows of the layer) at each sample's first row; NaN where the layer lacks the sample."""
        if layer not in self._rows:
            index = self.layers[layer].index
            first = np.flatnonzero(~index.duplicated())
            found = index[first].get_indexer(self.samples)
            self._rows[layer] = np.where(found >= 0, first[found], -1)
        rows = self._rows[layer]
        if not len(values):
            return np.full((len(rows), *values.shape[1:]), np.nan)
        out = values[np.maximum(rows, 0)]
        out[rows < 0] = np.nan
        return out

    def _block(self, layer: str) -> tuple[dict[str, int], np.ndarray] | None:
        if layer not in self._blocks:
            frame = self.layers[layer]
            keys = [k for k in dict.fromkeys(_layer_key(layer, g) for g in self.genes) if k in frame.columns]
            numeric = all(isinstance(t, np.dtype) and t.kind in "biuf" for t in frame.dtypes.reindex(keys))
            if frame.columns.has_duplicates or not keys or not numeric:
                self._blocks[layer] = None
            else:
                values = self._take(layer, frame[keys].to_numpy(dtype=float))
                self._blocks[layer] = ({k: i for i, k in enumerate(keys)}, values)
        return self._blocks[layer]


def reference_labels(profile: Profile, ref: Reference) -> tuple[pd.Series, list[str]]:
    """(tissue per sample, None = unknown; notes saying which reference lines each sample is scored against)."""
    samples = pd.Index(profile.samples, name="sample", dtype=object)
    labels = pd.Series(None, index=samples, dtype=object)
    if profile.tissue is not None:
        known = profile.tissue["known"] if "known" in profile.tissue.columns else profile.tissue["tissue"].notna()
        t = profile.tissue["tissue"].where(known)
        labels.update(t.reindex(samples).dropna())
    counts = ref.tissue.value_counts()
    notes = []
    for sample, t in labels.items():
        if t is None or pd.isna(t):
            notes.append(f"{sample}: tissue unknown; reference = all {len(ref.tissue)} bundle lines")
            labels[sample] = None
        elif counts.get(t, 0) < sc.MIN_TISSUE_LINES:
            notes.append(f"{sample}: {counts.get(t, 0)} bundle line(s) of tissue {t!r}; reference = all bundle lines")
        else:
            notes.append(f"{sample}: reference = {counts[t]} bundle lines of tissue {t!r}")
    return labels, notes


def raw_markers(cat: Catalog, profile: Profile, ref: Reference) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(samples' raw marker values, the reference's raw values with any substitute-layer columns added, coverage).

    Each marker is read from the layer the bundle uses for it, else from the next layer of `scores.LAYERS_FOR` that
    the sample has and the bundle can reference (a substitute, column 'feature <- layer'). One pass per marker over
    all samples at once. Coverage: one row per sample x marker (status used / substitute / missing / unusable)."""
    samples = pd.Index(profile.samples, name="sample", dtype=object)
    genes = [mk.gene for m in cat.mechanisms.values() for mk in m.markers]
    layers = _SampleLayers(profile.score_layers(), samples, genes)
    n = len(samples)
    columns = {c: np.full(n, np.nan) for c in ref.raw.columns}
    ref_raw = ref.raw.copy()
    coverage: dict[str, list] = {c: [] for c in _COVERAGE}
    planned = {
        (r["mechanism"], r["gene"], r["alteration"]): r["layer"]
        for r in ref.plan.coverage.to_dict("records")
        if isinstance(r["layer"], str)
    }
    for m in cat.mechanisms.values():
        for mk in m.markers:
            base = {"mechanism": m.id, "gene": mk.gene, "alteration": mk.alteration.value}
            bundle_layer = planned.get((m.id, mk.gene, mk.alteration.value))
            if bundle_layer is None:
                rows = {"layer": [None] * n, "status": ["unusable"] * n, "feature": [np.nan] * n}
                rows |= {"bundle_feature": [np.nan] * n, "note": ["the bundle cannot reference this marker"] * n}
            else:
                feature = sc.feature_name(mk.gene, mk.alteration, bundle_layer)
                got, names = _marker_layers(mk, bundle_layer, feature, layers, ref, ref_raw, columns)
                status = ["missing" if x is None else ("used" if x == bundle_layer else "substitute") for x in got]
                rows = {
                    "layer": got,
                    "status": status,
                    "feature": names,
                    "bundle_feature": [feature] * n,
                    "note": ["" if x is None or x == bundle_layer else f"bundle uses {bundle_layer}" for x in got],
                }
            coverage["sample"] += list(samples)
            for key, value in base.items():
                coverage[key] += [value] * n
            for key, value in rows.items():
                coverage[key] += value
    raw = pd.DataFrame(columns, index=samples)
    return raw, ref_raw, pd.DataFrame(coverage).reindex(columns=_COVERAGE)


#: the columns of `raw_markers`' coverage table
_COVERAGE = ["sample", "mechanism", "gene", "alteration", "layer", "status", "feature", "bundle_feature", "note"]


def _marker_layers(mk, bundle_layer, feature, layers, ref, ref_raw, columns) -> tuple[list, list]:
    """Fill `columns` with one marker's values for every sample (first usable layer each); per sample, the layer used
    (None: missing) and the column it went to."""
    order = [bundle_layer] + [x for x in sc.LAYERS_FOR[mk.alteration] if x != bundle_layer]
    n = len(layers.samples)
    taken = np.zeros(n, dtype=bool)
    got: list = [None] * n
    names = [feature] * n
    for layer in order:
        if layer not in layers.layers:
            continue
        value = layers.column(layer, mk.gene)
        if value is None:
            continue
        ok = ~np.isnan(value) & ~taken
        if not ok.any():
            continue
        name = feature
        if layer != bundle_layer:
            col, _ = ref.layers.column(layer, mk.gene)
            if col is None:
                continue
            name = f"{feature} <- {layer}"
            if name not in ref_raw.columns:
                ref_raw[name] = sc.marker_value(col, mk.alteration, layer, mk.sign).reindex(ref_raw.index)
        if name not in columns:
            columns[name] = np.full(n, np.nan)
        columns[name][ok] = sc.marker_value(value[ok], mk.alteration, layer, mk.sign)
        taken |= ok
        for i in np.flatnonzero(ok):
            got[i], names[i] = layer, name
    return got, names


def sample_scores(cat: Catalog, profile: Profile, ref: Reference) -> SampleScores:
    """Mechanism scores of every sample of `profile` on the bundle's scale (formulas in the module doc): tissue
    labels (`reference_labels`), raw marker values (`raw_markers`), their within-tissue z against the bundle, the
    markers on the bundle's features, and the mechanism scores (mean marker z, standardised again)."""
    labels, notes = reference_labels(profile, ref)
    samples = labels.index
    raw, ref_raw, cov = raw_markers(cat, profile, ref)
    z = _standardise(raw, ref_raw.reindex(columns=raw.columns), ref.tissue, labels)
    measured = cov[cov["status"].isin(["used", "substitute"])]
    z_long = z.stack(future_stack=True).rename("z")
    z_long.index = z_long.index.set_names(["sample", "feature"])
    picked = measured.join(z_long, on=["sample", "feature"])
    first = picked.drop_duplicates(["sample", "bundle_feature"])
    markers = (
        first.pivot(index="sample", columns="bundle_feature", values="z").reindex(
            index=samples, columns=ref.raw.columns
        )
        if len(first)
        else pd.DataFrame(np.nan, index=samples, columns=ref.raw.columns)
    )
    markers = markers.astype(float).rename_axis(index="sample", columns=None)
    per_mech = picked.drop_duplicates(["sample", "mechanism", "feature"]).groupby(["mechanism", "sample"])["z"].mean()
    wide = per_mech.unstack("mechanism") if len(per_mech) else pd.DataFrame(index=samples)
    mech_raw = wide.reindex(index=samples, columns=ref.mech_raw.columns).astype(float)
    scores = _standardise(mech_raw, ref.mech_raw, ref.tissue, labels)
    return SampleScores(scores, markers, cov.drop(columns=["feature", "bundle_feature"]), labels, notes)
