"""The typed inputs of the use cases: one tumour's (or several samples') molecular data and what to predict.

`ProfileInputs` replaces the options that `chemorad predict`, `chemorad report` and `chemorad regimens` each declared
(cell line, MAF, expression, copy number, protein, profiles folder, tissues, scale, orientation, data, therapies,
level) and the tumour form of the web explorer. Adapters build it from their own inputs; its checks raise one-line
`ChemoradError`s that name the command-line option, which the web pages show as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from chemorad.errors import ChemoradError

if TYPE_CHECKING:  # the readers import pandas and NumPy: only needed once a profile is loaded
    from chemorad.catalog import Catalog
    from chemorad.profile.readers import Profile

#: progress of a long step: (what is being done, steps done, total steps or None when unknown)
Progress = Callable[[str, int, int | None], None]


class ProfileInputs(BaseModel):
    """Exactly one kind of molecular input (a bundle-layout folder, molecular files, or bundle cell lines), its
    reading options, and the therapies and interval coverage of the prediction.

    Attributes
    ----------
    profiles : a folder of molecular files laid out like the data bundle (``--profiles``).
    maf, expression, copy_number, protein : molecular files (GDC MAF; TSV/CSV/Parquet matrices; GISTIC calls; RPPA).
    tissues : a table of sample, tissue (only with molecular files).
    tissue : one tissue for every sample without one (e.g. ``lung``, ``LUAD``).
    cell_lines : bundle cell lines (any spelling).
    scale : expression scale, ``auto``, ``tpm``, ``log`` (log2) or ``z``.
    orientation : matrix files, ``auto``, ``genes_x_samples`` or ``samples_x_genes``.
    data : the data bundle folder (None: the context's, else the default resolution).
    therapies : therapy ids to predict; None means every therapy with data; an empty list is refused.
    level : coverage of the prediction intervals, in (0, 1).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    profiles: Path | None = None
    maf: Path | None = None
    expression: Path | None = None
    copy_number: Path | None = None
    protein: Path | None = None
    tissues: Path | None = None
    tissue: str | None = None
    cell_lines: list[str] | None = None
    scale: str = "auto"
    orientation: str = "auto"
    data: Path | None = None
    therapies: list[str] | None = None
    level: float = 0.9

    def load(self) -> Profile:
        """The `Profile` of these inputs (`chemorad.profile.inputs.load_profile`: exactly one kind of input)."""
        from chemorad.profile.inputs import load_profile

        return load_profile(
            self.profiles,
            self.maf,
            self.expression,
            self.copy_number,
            self.protein,
            self.tissues,
            self.tissue,
            self.cell_lines,
            self.scale,
            self.data,
            self.orientation,
        )

    def therapy_ids(self, cat: Catalog) -> list[str] | None:
        """The therapies asked for, each checked against `cat` (an unknown id names the closest ones)."""
        if self.therapies is None:
            return None
        ids = [t.strip() for t in self.therapies if t.strip()]
        if not ids:
            raise ChemoradError(
                "--therapies: empty list; give comma-separated therapy ids, e.g. cisplatin,radiotherapy"
            )
        for t in ids:
            cat.therapy(t)  # unknown id -> one-line error with the closest ids
        return ids

    def checked_level(self) -> float:
        """The interval coverage, refused outside (0, 1)."""
        if not 0.0 < self.level < 1.0:
            raise ChemoradError(f"--level must be in (0, 1) (got {self.level})")
        return self.level


def split_ids(text: str | None) -> list[str] | None:
    """A comma-separated list of ids as typed by a user (None stays None; blanks are dropped)."""
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]
