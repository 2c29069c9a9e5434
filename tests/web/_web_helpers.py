"""Helpers shared by the web tests (a module, not a package: imported as `_web_helpers`)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path


def get_json(url: str, timeout: float = 30) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record(name: str, value: float) -> None:
    """Print a measurement; with $CHEMORAD_WEB_TIMINGS, append it there as a JSON line (for BENCHMARKS.md)."""
    print(f"web benchmark: {name} = {value:.3f}")
    out = os.environ.get("CHEMORAD_WEB_TIMINGS")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "value": value, "time": time.time()}) + "\n")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def load_seconds(driver) -> float:
    """Navigation start to the end of the load event, from the page's own Navigation Timing entry."""
    return driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return (n.loadEventEnd - n.startTime) / 1000;"
    )


#: an alteration planted into the model-only answer (the bundle's scans take minutes; the pages only show the record)
PLANTED = {
    "alteration": "expr_high:ABCB1",
    "kind": "expression high",
    "genes": ["ABCB1"],
    "n_altered": 40,
    "radiation": "inconclusive",
    "call": "drug effect, radiation undecided",
    "call_without_general_factor": "undecided",
    "drugs_resistant": ["docetaxel"],
    "drugs_sensitive": [],
    "drugs_no_effect": ["cisplatin"],
    "drugs_inconclusive": [],
    "radiation_altered_needed": 35.0,
    "tests": {
        t: {
            "call": c,
            "response": f"x|{t}|auc",
            "dataset": "gdsc2",
            "effect": e,
            "effect_sd": e,
            "ci_low": e - 0.1,
            "ci_high": e + 0.1,
            "margin": 0.05,
            "q": q,
            "n": 300,
        }
        for t, c, e, q in (
            ("radiotherapy", "inconclusive", 0.02, 0.5),
            ("docetaxel", "resistant", 0.8, 0.001),
            ("cisplatin", "no effect", 0.0, 0.01),
        )
    },  # fmt: skip
    "explanation": {
        "mechanisms": [{"mechanism": "efflux_abcb1", "gene": "ABCB1", "marker": "overexpression", "change": 1}],
        "predicted_rf": {"radiotherapy": 1.0, "docetaxel": 3.5, "cisplatin": 1.0},
        "predicted_call": {"radiotherapy": "no effect", "docetaxel": "resistant", "cisplatin": "no effect"},
        "model_predicts": {"agree": 1, "decided": 1},
        "share_explained_radiation": None,
        "perturbations": [],
    },
}
UNDECIDED = {**PLANTED, "alteration": "TP53_mut", "kind": "mutation", "genes": ["TP53"], "call": "undecided"}


def model_answer(ctx) -> tuple[dict, object]:
    """(doc, calibrated): `compute_answer` without the data bundle (catalog and model: fast) on the real calibrated
    verdicts (`app.answer.calibrated_verdicts`, cached in the session's cache folder, so a test server reads them back),
    with `PLANTED` (called) and `UNDECIDED` as its alterations."""
    import pytest

    from chemorad.app.answer import calibrated_verdicts
    from chemorad.report import answer_doc

    cal = calibrated_verdicts(ctx)
    mp = pytest.MonkeyPatch()  # the answer takes the same calibrated table instead of computing it again
    mp.setattr(answer_doc, "_posterior_table", lambda cat: cal.set_index(["mechanism", "direction"]))
    try:
        doc = answer_doc.compute_answer(ctx.catalog, None)
    finally:
        mp.undo()
    doc["alterations"] = [PLANTED, UNDECIDED]
    return doc, cal


def with_answer(ex, doc: dict, cal):
    """`ex` (an `Explorer`) serving `doc` and `cal` as its answer tables."""
    ex.answer_doc, ex.calibrated = (lambda: doc), (lambda: cal)
    return ex


def blocked_run(release: str, catalog, payload, progress) -> tuple:
    """A stand-in for `chemorad.web.worker.run_simulation` run in the worker process: reports progress until the file
    `release` exists, then answers a one-row summary and no figure (for queue and cancel tests)."""
    import pandas as pd

    k = 0
    while not os.path.exists(release):
        k += 1
        progress(k % 100, 100)
        time.sleep(0.01)
    progress(100, 100)
    return pd.DataFrame({"replicate": [0]}), None


#: memory a `hungry_run` leaves behind in its worker process, as fragmented heap or caches do after a large run
_KEPT: list = []


def hungry_run(megabytes: int, catalog, payload, progress) -> tuple:
    """A stand-in run that touches `megabytes` MB of memory in the worker process and leaves it held there after it
    answers (as a large run's fragmented heap does), reporting the worker's pid and resident memory."""
    import numpy as np
    import pandas as pd

    block = np.ones(megabytes * 2**20 // 8)
    _KEPT.append(block)
    progress(1, 1)
    rss = rss_mb(os.getpid())
    return pd.DataFrame({"replicate": [0], "pid": [os.getpid()], "rss_mb": [rss], "n": [block[::4096].sum()]}), None
