"""The `Profile`: one or more samples' molecular layers in the bundle's shapes, read from files or built from the
bundle, with the consistency check of sample ids between layers."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from chemorad.errors import ChemoradError
from chemorad.evidence.names import canonical_name
from chemorad.profile.readers.copy_number import read_copy_number
from chemorad.profile.readers.expression import Scale, read_expression
from chemorad.profile.readers.maf import read_maf
from chemorad.profile.readers.protein import read_protein
from chemorad.profile.readers.tables import SAMPLE, Orientation, ProfileWarning, _listed, _warn
from chemorad.profile.readers.tissues import read_tissues

LAYERS = ("expression", "mutations", "copy_number", "protein", "tissue")


@dataclass
class Profile:
    """Per-sample molecular layers of one or more tumours or cell lines, in the bundle's shapes (samples x features).

    expression: float, scale `expression_scale` ('log': log2 levels, RMA or log2(TPM+1); 'z': z-scores).
    mutations: any non-silent call (int8 0/1, the analogue of GDSC mutation calls); mutations_lof and
    mutations_missense_or_inframe: the MAF classes (None when the source has no classes, e.g. the bundle).
    copy_number: -1/0/1 (loss, none, gain); copy_number_raw: GISTIC -2..2 when read from a GISTIC file.
    protein: RPPA, samples x antibodies. tissue: DataFrame indexed by sample (tissue, known, ...; see `read_tissues`).
    extra: further bundle layers named as in `evidence.scores` ('ccle_expression': z-scores; 'driver_mutation':
    GDSC `GENE_mut` features). sources: layer -> the file it came from (used in messages). warnings: what was reported
    while reading; notes: how orientation and scale were decided.
    """

    expression: pd.DataFrame | None = None
    expression_scale: str | None = None
    mutations: pd.DataFrame | None = None
    mutations_lof: pd.DataFrame | None = None
    mutations_missense_or_inframe: pd.DataFrame | None = None
    copy_number: pd.DataFrame | None = None
    copy_number_raw: pd.DataFrame | None = None
    protein: pd.DataFrame | None = None
    tissue: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_files(
        cls,
        expression: str | os.PathLike[str] | None = None,
        maf: str | os.PathLike[str] | None = None,
        copy_number: str | os.PathLike[str] | None = None,
        protein: str | os.PathLike[str] | None = None,
        tissues: str | os.PathLike[str] | None = None,
        scale: Scale = "auto",
        orientation: Orientation = "auto",
        data: str | os.PathLike[str] | None = None,
    ) -> Profile:
        """Read whichever files are given with the readers above, then `check_consistency()`."""
        prof = cls()
        if expression is not None:
            e = read_expression(expression, scale=scale, orientation=orientation, data=data)
            prof.expression, prof.expression_scale = e.matrix, e.scale
            prof.sources["expression"] = Path(expression).name
            prof.notes += list(e.notes)
            prof.warnings += list(e.warnings)
        if maf is not None:
            m = read_maf(maf, data=data)
            prof.mutations, prof.mutations_lof = m.any_nonsilent, m.loss_of_function
            prof.mutations_missense_or_inframe = m.missense_or_inframe
            prof.sources["mutations"] = Path(maf).name
            prof.warnings += list(m.warnings)
        if copy_number is not None:
            c = read_copy_number(copy_number, data=data)
            prof.copy_number, prof.copy_number_raw = c.calls, c.raw
            prof.sources["copy_number"] = Path(copy_number).name
            prof.notes += list(c.notes)
            prof.warnings += list(c.warnings)
        if protein is not None:
            p = read_protein(protein, data=data)
            prof.protein = p.matrix
            prof.sources["protein"] = Path(protein).name
            prof.notes += list(p.notes)
            prof.warnings += list(p.warnings)
        if tissues is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ProfileWarning)
                prof.tissue = read_tissues(tissues)
            for w in caught:
                _warn(prof.warnings, str(w.message))
            prof.sources["tissue"] = Path(tissues).name
        prof.check_consistency()
        return prof

    # -- views ---------------------------------------------------------------------------------------------------
    def layers(self) -> dict[str, pd.DataFrame]:
        """The present layers by name (LAYERS order, then `extra`); tissue is the tissue table."""
        out = {
            "expression": self.expression,
            "mutations": self.mutations,
            "copy_number": self.copy_number,
            "protein": self.protein,
            "tissue": self.tissue,
        }
        out.update(self.extra)
        return {k: v for k, v in out.items() if v is not None}

    @property
    def samples(self) -> list[str]:
        """Every sample id in any layer, sorted."""
        return sorted(set().union(*(set(v.index) for v in self.layers().values())))

    def coverage(self) -> pd.DataFrame:
        """Samples x present layers: True where the layer has the sample with at least one value; plus `n_layers`.

        For `tissue`, True means a harmonised tissue (known=True).
        """
        index = pd.Index(self.samples, name=SAMPLE, dtype=object)
        table = pd.DataFrame(index=index)
        for name, frame in self.layers().items():
            if name == "tissue":
                known = frame["known"] if "known" in frame.columns else frame["tissue"].notna()
                table[name] = known.reindex(index).fillna(False).astype(bool)
            else:
                has = frame.notna().any(axis=1)
                table[name] = has.reindex(index).fillna(False).astype(bool)
        table["n_layers"] = table.sum(axis=1).astype(int)
        return table

    def subset(self, samples: Iterable[str]) -> Profile:
        """A Profile with only `samples` (those absent from a layer are simply absent there)."""
        keep = list(samples)

        def cut(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame.loc[frame.index.isin(keep)].copy()

        return replace(
            self,
            expression=cut(self.expression),
            mutations=cut(self.mutations),
            mutations_lof=cut(self.mutations_lof),
            mutations_missense_or_inframe=cut(self.mutations_missense_or_inframe),
            copy_number=cut(self.copy_number),
            copy_number_raw=cut(self.copy_number_raw),
            protein=cut(self.protein),
            tissue=cut(self.tissue),
            extra={k: cut(v) for k, v in self.extra.items()},
            sources=dict(self.sources),
            warnings=list(self.warnings),
            notes=list(self.notes),
        )

    def score_layers(self) -> dict[str, pd.DataFrame]:
        """The layers under the names `evidence.scores` uses: 'expression' (log levels), 'ccle_expression' (z),
        'protein', 'copy_number', 'mutation' (any non-silent), 'driver_mutation' (when present)."""
        out: dict[str, pd.DataFrame] = {}
        if self.expression is not None:
            out["expression" if self.expression_scale == "log" else "ccle_expression"] = self.expression
        for key, frame in self.extra.items():
            out.setdefault(key, frame)
        for key, frame in (("protein", self.protein), ("copy_number", self.copy_number), ("mutation", self.mutations)):
            if frame is not None:
                out[key] = frame
        return out

    # -- checks --------------------------------------------------------------------------------------------------
    def check_consistency(self) -> list[str]:
        """Compare sample ids between layers. No sample in every layer -> ChemoradError; otherwise each sample missing
        from a layer is a warning ("sample 'X' is in expression.tsv but not in mutations.maf"). Returns the warnings.
        """
        layers = self.layers()
        if not layers:
            raise ChemoradError("profile: no layer given; expected at least one of " + ", ".join(LAYERS))
        names = {k: self.sources.get(k, k) for k in layers}
        sets = {k: set(v.index) for k, v in layers.items()}
        messages: list[str] = []
        if len(sets) < 2:
            return messages
        common = set.intersection(*sets.values())
        if not common:
            desc = "; ".join(f"{names[k]} has {_listed(sorted(s), 3)}" for k, s in sets.items())
            hint = _id_hint(sets)
            raise ChemoradError(
                f"profile: no sample is in every file ({desc}); expected the same sample ids in every file{hint}"
            )
        groups: dict[tuple[str, str], list[str]] = {}
        for sample in sorted(set().union(*sets.values()) - common):
            have = ", ".join(dict.fromkeys(names[k] for k, s in sets.items() if sample in s))
            lack = ", ".join(dict.fromkeys(names[k] for k, s in sets.items() if sample not in s))
            groups.setdefault((have, lack), []).append(sample)
        for (have, lack), samples in groups.items():  # one line per pattern, not per sample
            who = f"sample {samples[0]!r}" if len(samples) == 1 else f"{len(samples)} samples ({_listed(samples)})"
            _warn(messages, f"{who} {'is' if len(samples) == 1 else 'are'} in {have} but not in {lack}")
        self.warnings += messages
        return messages


def _id_hint(sets: dict[str, set[str]]) -> str:
    """A hint when ids differ only in spelling (`NCI-H460` vs `NCIH460`)."""
    keyed = [{canonical_name(s): s for s in ids} for ids in sets.values()]
    common = set.intersection(*(set(k) for k in keyed))
    if not common:
        return ""
    key = sorted(common)[0]
    spellings = sorted({k[key] for k in keyed})
    return f"; ids may differ only in spelling, e.g. {' vs '.join(map(repr, spellings))}: rename them to match"
