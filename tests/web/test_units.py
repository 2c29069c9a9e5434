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


def test_conditional_view_is_wired_in_one_place(monkeypatch) -> None:
    """With an evidence layer that has `conditional`, the view parses the observation and passes the tables on."""
    import types

    import pandas as pd

    from chemorad.catalog.load import catalog
    from chemorad.web import conditional

    calls = {}

    def parse_observed(text, cat):
        if "=" not in text:
            raise ChemoradError(f"--observed {text!r}: expected THERAPY=resistant")
        return ("parsed", text)

    def conditional_prediction(cat, resp, tissue, observed, targets, rng, n_boot):
        calls.update(observed=observed, targets=targets, n_boot=n_boot, resp=resp, tissue=tissue)
        return pd.DataFrame({"target": targets, "p_resistant": [0.4] * len(targets)})

    fake = types.SimpleNamespace(parse_observed=parse_observed, conditional_prediction=conditional_prediction)
    monkeypatch.setattr(conditional, "provider", lambda: fake)
    ex = types.SimpleNamespace(cat=catalog(), evidence_tables=lambda: ("scores", "RESP", None), tissue=lambda: "TISSUE")
    out = conditional.predict(ex, "cisplatin=resistant", ["radiotherapy", "docetaxel"])
    assert list(out["target"]) == ["radiotherapy", "docetaxel"]
    assert calls["observed"] == ("parsed", "cisplatin=resistant") and calls["resp"] == "RESP"
    assert calls["tissue"] == "TISSUE" and calls["n_boot"] == conditional.N_BOOT
    with pytest.raises(ChemoradError, match="expected THERAPY"):
        conditional.predict(ex, "cisplatin", ["radiotherapy"])
