"""The web layer without a browser: runs folders, uploads, SVG charts, the serve command's user errors."""

from __future__ import annotations

import asyncio
import io

import pytest
from typer.testing import CliRunner

from chemorad.cli import app
from chemorad.errors import ChemoradError
from chemorad.web import runs
from chemorad.web.svg import Bar, bar_chart
from chemorad.web.uploads import safe_name, save_upload


def test_runs_are_found_and_nothing_outside_is_served(tmp_path) -> None:
    sim = tmp_path / "a" / "sim"
    sim.mkdir(parents=True)
    (sim / "summary.csv").write_text("replicate,log_kill\n0,1.5\n")
    (sim / "simulation.png").write_bytes(b"\x89PNG")
    sweep = tmp_path / "b"
    (sweep / "results").mkdir(parents=True)
    (sweep / "manifest.json").write_text("{}")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "summary.csv").write_text("x\n")
    found = {r.rel: r.kind for r in runs.find_runs(tmp_path)}
    assert found == {"a/sim": "simulation", "b": "sweep"}
    run = runs.open_run(tmp_path, "a/sim")
    assert run.images() == ["simulation.png"]
    assert runs.run_tables(run)["summary per replicate"]["log_kill"].tolist() == [1.5]
    assert runs.run_file(tmp_path, "a/sim/simulation.png").name == "simulation.png"
    outside = tmp_path.parent / "secret.csv"
    outside.write_text("x\n")
    with pytest.raises(ChemoradError, match="not found under the runs folder"):
        runs.run_file(tmp_path, "../secret.csv")
    with pytest.raises(ChemoradError):
        runs.open_run(tmp_path, "a")


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.filename, self._buf = name, io.BytesIO(data)

    async def read(self, n: int) -> bytes:
        return self._buf.read(n)


def test_uploads_are_size_limited_and_stay_in_their_folder(tmp_path) -> None:
    path = asyncio.run(save_upload(_Upload("../../etc/x.maf", b"abc"), tmp_path, "maf"))
    assert path.parent == tmp_path and path.read_bytes() == b"abc" and path.suffix == ".maf"
    with pytest.raises(ChemoradError, match="larger than the upload limit"):
        asyncio.run(save_upload(_Upload("big.tsv", b"x" * 5000), tmp_path, "expression", limit=1000))
    with pytest.raises(ChemoradError, match="empty"):
        asyncio.run(save_upload(_Upload("e.tsv", b""), tmp_path, "expression"))
    assert asyncio.run(save_upload(_Upload("", b""), tmp_path, "protein")) is None
    assert safe_name("a b/..\\c.tsv", "x") == "_c.tsv" and safe_name("..", "maf") == "maf"


def test_bar_chart_has_a_tooltip_per_bar_and_escapes_labels() -> None:
    svg = str(bar_chart([Bar("<a>", 0.5, 0.1, 0.9, "tip 1"), Bar("b", -0.2)], "x", -1, 1))
    assert svg.count("<title>") == 3  # bar 1 and its whisker, bar 2
    assert "&lt;a&gt;" in svg and "<a>" not in svg.replace("<a href", "")


def test_serve_refuses_bad_folders_with_one_line(tmp_path) -> None:
    res = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 2 and res.stderr.strip().count("\n") == 0 and "--data" in res.stderr
    res = CliRunner().invoke(app, ["serve", "--runs", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "--runs" in res.stderr


def test_conditional_view_passes_the_cached_tables_to_the_application_layer(monkeypatch) -> None:
    """The cross-resistance page's conditional: the server's cached tables and N_BOOT go to `chemorad.app.conditional`
    (which parses the observation); no target given -> radiotherapy and the common drugs without the observed one."""
    import types

    import pandas as pd

    from chemorad.catalog.load import catalog
    from chemorad.context import Context
    from chemorad.evidence import conditional as evidence_conditional
    from chemorad.web.routers import crossres

    calls = {}

    def conditional_prediction(cat, resp, tissue, observed, targets, rng, scores, sample_line, n_boot):
        calls.update(observed=observed, targets=targets, n_boot=n_boot, resp=resp, tissue=tissue, scores=scores)
        return pd.DataFrame({"target": targets, "p_resistant": [0.4] * len(targets)})

    monkeypatch.setattr(evidence_conditional, "conditional_prediction", conditional_prediction)
    scores = types.SimpleNamespace(scores=pd.DataFrame(index=["LINE"]))
    ex = types.SimpleNamespace(
        ctx=Context.create(),
        evidence_tables=lambda: (scores, "RESP", None),
        tissue=lambda: "TISSUE",
        error=lambda name: None,
    )
    out = crossres.conditional_table(ex, "cisplatin=resistant", "radiotherapy, docetaxel")
    assert list(out["target"]) == ["radiotherapy", "docetaxel"]
    assert calls["observed"].therapy == "cisplatin" and calls["resp"] == "RESP" and calls["tissue"] == "TISSUE"
    assert calls["n_boot"] == crossres.N_BOOT and calls["scores"] is None
    out = crossres.conditional_table(ex, "cisplatin=resistant", "")
    rt = catalog().radiotherapy.id
    assert calls["targets"][0] == rt and "cisplatin" not in calls["targets"] and len(calls["targets"]) > 1
    with pytest.raises(ChemoradError, match="cisplatin"):
        crossres.conditional_table(ex, "cisplatin", "radiotherapy")


_TRIM_SCRIPT = """
import os
import numpy as np
from chemorad.web.services import release_memory

def rss_mb():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

blocks, pins = [], []
for _ in range(4000):  # 64 kB blocks (below the mmap threshold: in the heap), 256 MB, each followed by a small
    blocks.append(np.ones(8000))  # block that stays: the freed ones are holes the heap cannot shrink past
    pins.append(np.ones(100))
held = rss_mb()
del blocks
freed = rss_mb()
release_memory()
print(held, freed, rss_mb(), len(pins))
"""


def test_release_memory_gives_freed_heap_back_to_the_system() -> None:
    """Small blocks freed stay in glibc's heap (RSS unchanged) until `release_memory` trims it.

    Run in a fresh interpreter: in the test process the heap's state depends on every test before this one (a run of
    the fast selection saw glibc return half the blocks by itself), so the premise would not be controlled."""
    import ctypes.util
    import subprocess
    import sys

    if not sys.platform.startswith("linux") or "libc.so" not in (ctypes.util.find_library("c") or ""):
        pytest.skip("malloc_trim is glibc's")
    out = subprocess.run([sys.executable, "-c", _TRIM_SCRIPT], capture_output=True, text=True, check=True, timeout=120)
    held, freed, trimmed, n_pins = (float(v) for v in out.stdout.split())
    assert freed > held - 64 and trimmed < held - 128 and n_pins == 4000
