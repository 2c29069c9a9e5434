"""Default choices of the user interfaces, read from `app/data/defaults.yaml` (why each holds is written there).

Which drugs are offered or shown first beside the catalog's radiotherapy, and what `chemorad demo` simulates. Kept as
data so that no module spells a therapy id (tests/test_literal_ids.py) and a change of default is a change of data.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

FILE = Path(__file__).parent / "data" / "defaults.yaml"


@functools.cache
def _defaults() -> dict:
    return yaml.safe_load(FILE.read_text(encoding="utf-8"))


def shown_first(where: str) -> tuple[str, ...]:
    """The therapy ids shown or offered first at `where` ('conditional_targets', 'report_waterfalls', 'tumour_form')."""
    return tuple(_defaults()["shown_first"][where])


def demo(part: str):
    """A part of the demo's inputs ('scenario', 'cohort', 'survival_panel_drugs'), as a fresh copy."""
    return copy.deepcopy(_defaults()["demo"][part])
