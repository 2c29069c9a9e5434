"""`make demo`: the main job on the shipped defaults, writing tables and figures to one folder."""

from __future__ import annotations

from pathlib import Path

from chemorad.catalog import catalog
from chemorad.catalog import views as cv
from chemorad.report.figures import claimed_specificity_figure
from chemorad.report.render import to_json


def run_demo(out: Path) -> list[Path]:
    """Write the catalog tables and the claimed-specificity figure; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    cat = catalog()
    written: list[Path] = []
    mechs = list(cat.mechanisms.values())

    def write(name: str, text: str) -> None:
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("catalog_mechanisms.csv", cv.mechanisms_table(cat, mechs).to_csv(index=False))
    write("catalog_mechanisms.json", to_json([cv.mechanism_record(cat, m) for m in mechs]))
    write("catalog_therapies.csv", cv.therapies_table(cat).to_csv(index=False))
    write("catalog_references.csv", cv.references_table(cat).to_csv(index=False))
    values, disputed = cv.claimed_matrix(cat)
    write("claimed_specificity.csv", values.to_csv())
    written += claimed_specificity_figure(values, disputed, out / "claimed_specificity")
    return written
