"""The `Profile`: one or more samples' molecular layers in the bundle's shapes, read from files or built from the
bundle, with the consistency check of sample ids between layers.

A `Profile` is frozen: its layer tables are not copied, but no attribute can be rebound, `extra` and `sources` are
read-only mappings, and `warnings` and `notes` are tuples. A changed profile is a new one (`dataclasses.replace`,
`Profile.subset`, `Profile.checked`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from chemorad.bundle.names import canonical_name
from chemorad.errors import ChemoradError
from chemorad.profile.readers.copy_number import read_copy_number
from chemorad.profile.readers.expression import Scale, read_expression
from chemorad.profile.readers.maf import read_maf
from chemorad.profile.readers.protein import read_protein
from chemorad.profile.readers.tables import SAMPLE, Orientation, ProfileWarning, _listed, _warn
from chemorad.profile.readers.tissues import read_tissues

LAYERS = ("expression", "mutations", "copy_number", "protein", "tissue")


@dataclass(frozen=True)
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

    Frozen: `extra` and `sources` are stored as read-only mappings and `warnings`, `notes` as tuples (any mapping or
    iterable is accepted when building one). Build a changed profile with `dataclasses.replace`.
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
    extra: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # the one place a frozen instance is written to: own copies, so the caller's dict or list cannot change it
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "notes", tuple(self.notes))

    def __reduce__(self):
        # a read-only mapping cannot be pickled or deep-copied; rebuild from plain dicts
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state["extra"], state["sources"] = dict(self.extra), dict(self.sources)
        return (_rebuild, (type(self), state))

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
        """Read whichever files are given with the format readers, then `checked()` (sample ids between layers)."""
        parts: list[dict] = []
        if expression is not None:
            e = read_expression(expression, scale=scale, orientation=orientation, data=data)
            parts.append(_part("expression", expression, e, expression=e.matrix, expression_scale=e.scale))
        if maf is not None:
            m = read_maf(maf, data=data)
            layers = {"mutations": m.any_nonsilent, "mutations_lof": m.loss_of_function}
            parts.append(_part("mutations", maf, m, mutations_missense_or_inframe=m.missense_or_inframe, **layers))
        if copy_number is not None:
            c = read_copy_number(copy_number, data=data)
            parts.append(_part("copy_number", copy_number, c, copy_number=c.calls, copy_number_raw=c.raw))
        if protein is not None:
            p = read_protein(protein, data=data)
            parts.append(_part("protein", protein, p, protein=p.matrix))
        if tissues is not None:
            parts.append(_tissue_part(tissues))
        return cls(**_combine(parts)).checked()

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
        from a layer is a warning ("sample 'X' is in expression.tsv but not in mutations.maf"), issued as
        `ProfileWarning` and returned. The profile is not changed: `checked()` returns one that carries them.
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
        return messages

    def checked(self) -> Profile:
        """This profile with the warnings of `check_consistency()` added to `warnings` (a new Profile)."""
        found = self.check_consistency()
        return replace(self, warnings=(*self.warnings, *found)) if found else self


def _rebuild(cls: type[Profile], state: dict) -> Profile:
    return cls(**state)


def _part(layer: str, path: str | os.PathLike[str], result, **values) -> dict:
    """One file's share of a Profile: its layers, its source name, and the reader's notes and warnings."""
    return {
        **values,
        "sources": {layer: Path(path).name},
        "notes": tuple(getattr(result, "notes", ())),
        "warnings": tuple(result.warnings),
    }


def _tissue_part(path: str | os.PathLike[str]) -> dict:
    """The tissue table's share; `read_tissues` only issues its warnings, so they are caught and kept here."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProfileWarning)
        table = read_tissues(path)
    for w in caught:
        _warn(messages, str(w.message))
    return {"tissue": table, "sources": {"tissue": Path(path).name}, "warnings": tuple(messages)}


def _combine(parts: list[dict]) -> dict:
    """Profile fields from the files' shares: layers as given; sources merged; notes and warnings in file order."""
    out: dict = {"sources": {}, "notes": (), "warnings": ()}
    for part in parts:
        for key, value in part.items():
            if key == "sources":
                out["sources"].update(value)
            elif key in ("notes", "warnings"):
                out[key] += value
            else:
                out[key] = value
    return out


def _id_hint(sets: dict[str, set[str]]) -> str:
    """A hint when ids differ only in spelling (`NCI-H460` vs `NCIH460`)."""
    keyed = [{canonical_name(s): s for s in ids} for ids in sets.values()]
    common = set.intersection(*(set(k) for k in keyed))
    if not common:
        return ""
    key = sorted(common)[0]
    spellings = sorted({k[key] for k in keyed})
    return f"; ids may differ only in spelling, e.g. {' vs '.join(map(repr, spellings))}: rename them to match"
