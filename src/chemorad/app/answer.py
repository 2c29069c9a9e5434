"""Use case: the calibrated verdicts per mechanism and direction, as `chemorad answer` and `chemorad specificity
--calibrated` take them (`calibration.verdicts.mechanism_verdicts` on the shipped posterior), cached on disk.

The table gives, per mechanism and direction (gain, loss), the verdict (chemotherapy_only, radiotherapy_only, shared,
*_dominant, none or undetermined), its posterior probability, and per therapy class the state and the 90% credible
interval of the resistance factor (radiation; the most affected drug). Computing it loads the posterior and draws
every mechanism's RF (10-30 s on 2 busy cores), so the result is kept as JSON in the context's cache folder, keyed by
the catalog's content and the posterior file's SHA-256: an edited catalog or a new calibration never meets a stale
table. The answer document itself (`report.answer_doc.cached_answer`) builds on the same verdicts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from chemorad.context import Context

#: bump when the table's columns change, so old cache entries are not used
CACHE_FORMAT = 1


def _key(ctx: Context, posterior: Path) -> str:
    from chemorad.bundle.cache import content_sha256

    cat = ctx.catalog
    payload = [
        CACHE_FORMAT,
        [m.model_dump(mode="json") for m in cat.mechanisms.values()],
        [t.model_dump(mode="json") for t in cat.therapies.values()],
        content_sha256(posterior),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def calibrated_verdicts(ctx: Context) -> pd.DataFrame:
    """`calibration.verdicts.mechanism_verdicts` of the context's catalog on the shipped posterior (its columns, one
    row per mechanism and direction), read from the cache folder when computed before. A posterior that does not fit
    the catalog is a `ChemoradError` (from `calibration.posterior.check_matches`)."""
    from chemorad.calibration.posterior import shipped_path
    from chemorad.calibration.verdicts import COLUMNS, mechanism_verdicts

    entry = None
    if ctx.cache_dir is not None:
        entry = Path(ctx.cache_dir) / f"calibrated-verdicts-{_key(ctx, shipped_path())[:32]}.json"
        try:
            return pd.DataFrame(json.loads(entry.read_text(encoding="utf-8")), columns=COLUMNS)
        except (OSError, ValueError):
            pass  # absent or unreadable: compute it again
    table = mechanism_verdicts(ctx.catalog)
    if entry is not None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f".{entry.name}.tmp")
            tmp.write_text(table.to_json(orient="records", double_precision=15), encoding="utf-8")
            tmp.replace(entry)
        except OSError:
            pass  # a read-only cache folder costs speed, not correctness
    return table
