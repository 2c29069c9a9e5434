"""The web server under hostile or careless use (issue: hardening, round two; and the state items of the web issue).

Four classes, each a class of findings: a server that trusts no origin; every request's work bounded and admitted
before it starts; files and state (what /files/ serves, where runs go, what survives a restart, the upload's words and
tissues); a bounded loopback load test. Requests go through the ASGI app in-process (`_asgi`), except the load test,
which starts a real `chemorad serve` on 127.0.0.1. Tests assert behaviour, never wall-clock times.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from _asgi import multipart, request
from _web_helpers import rss_mb
from typer.testing import CliRunner

from chemorad.cli import app as cli_app
from chemorad.context import Context
from chemorad.errors import ChemoradError
from chemorad.web import jobs as jobs_module
from chemorad.web import limits
from chemorad.web import worker as worker_module
from chemorad.web.app import create_app, server_app
from chemorad.web.jobs import Jobs
from chemorad.web.security import allowed_hosts
from chemorad.web.services import Explorer
from chemorad.web.uploads import save_upload

TINY = """name: tiny
schedule:
  - kind: radiotherapy
    dose_gy: 2.0
    fractions: 5
simulation:
  days: 10
  dt_days: 0.5
  mode: deterministic
  replicates: 2
  seed: 1
"""


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.create()


@pytest.fixture
def web(ctx, tmp_path):
    """An app without the data bundle, its runs folder a fresh temporary one."""
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    app = create_app(Explorer(ctx, runs_dir))
    yield app
    app.state.jobs.close()


def _until(pred, timeout: float = 120.0) -> None:
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.filename, self._buf = name, io.BytesIO(data)

    async def read(self, n: int) -> bytes:
        return self._buf.read(n)


class _Release:
    """Lets the `blocked_run` stand-ins in the worker processes finish (they wait for this file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        self.path.touch()


@pytest.fixture
def blocked(monkeypatch, tmp_path):
    """Worker processes run `_web_helpers.blocked_run` (progress until released) instead of simulating; the real tiny
    scenario is validated at submission. Yields the release and the scenario file."""
    import functools

    from _web_helpers import blocked_run

    release = _Release(tmp_path / "release")
    monkeypatch.setattr(worker_module, "run_simulation", functools.partial(blocked_run, str(release.path)))
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    yield release, scenario
    release.set()


# ---------------------------------------------------------------------------------------------- 1. trust no origin
class TestTrustNoOrigin:
    def test_a_foreign_host_is_refused_before_any_route(self, web) -> None:
        """DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 sends Host: evil.example."""
        res = request(web, "GET", "/favicon.ico", {"host": "evil.example"})
        assert res.status == 400 and "evil.example" in res.text and "--allow-host" in res.text
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
            assert request(web, "GET", "/favicon.ico", {"host": host}).status == 204, host

    def test_allow_host_adds_a_name(self, ctx, tmp_path, monkeypatch) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        monkeypatch.delenv("CHEMORAD_RUNS", raising=False)
        app = server_app(ctx, warm=False, allow_hosts=("lab.example.org",), bind="127.0.0.1")
        assert request(app, "GET", "/favicon.ico", {"host": "lab.example.org:8000"}).status == 204
        assert request(app, "GET", "/favicon.ico", {"host": "other.example.org"}).status == 400
        assert allowed_hosts((), "0.0.0.0") == allowed_hosts()  # a wildcard bind adds no name

    def test_serve_refuses_a_malformed_allow_host(self) -> None:
        res = CliRunner().invoke(cli_app, ["serve", "--allow-host", "http://x/"])
        assert res.exit_code == 2 and "--allow-host" in res.stderr

    @pytest.mark.parametrize(
        "header",
        [
            {"origin": "http://evil.example"},
            {"origin": "null"},
            {"referer": "https://evil.example/page"},
            {"origin": "http://localhost.evil.example:8000"},
        ],
    )
    def test_a_cross_site_post_or_delete_is_refused(self, web, blocked, header) -> None:
        _, scenario = blocked
        res = request(web, "POST", "/api/simulations", header, files={"scenario": ("t.yaml", scenario.read_bytes())})
        assert res.status == 400 and "cross-site" in res.text
        assert request(web, "GET", "/api/simulations").json() == []  # nothing was started
        res = request(web, "DELETE", "/api/simulations/0123456789ab", header)
        assert res.status == 400 and "cross-site" in res.text

    def test_a_same_origin_post_or_a_script_without_origin_is_admitted(self, web, blocked) -> None:
        release, scenario = blocked
        files = {"scenario": ("t.yaml", scenario.read_bytes())}
        ok = request(web, "POST", "/api/simulations", {"origin": "http://localhost:8000"}, files=files)
        assert ok.status == 200, ok.text
        assert request(web, "POST", "/api/simulations", files=files).status == 200
        release.set()


# ------------------------------------------------------------------------- 2. work bounded, admitted before it starts
class TestBoundedWork:
    def test_a_gzip_bomb_stops_at_the_inflated_cap(self, tmp_path) -> None:
        bomb = gzip.compress(b"\0" * (8 * 2**20), 9)  # 8 KB that inflates to 8 MB
        assert len(bomb) < 64 * 2**10
        with pytest.raises(ChemoradError, match="once decompressed"):
            asyncio.run(save_upload(_Upload("x.maf.gz", bomb), tmp_path, "maf", inflated_limit=2**20))
        written = sum(p.stat().st_size for p in tmp_path.iterdir())
        assert written <= 2**20  # stopped at the cap, not after inflating everything

    def test_a_small_gzip_is_inflated_for_the_readers(self, tmp_path) -> None:
        path = asyncio.run(save_upload(_Upload("m.maf.gz", gzip.compress(b"a\tb\n")), tmp_path, "maf"))
        assert path.name == "maf-m.maf" and path.read_bytes() == b"a\tb\n"
        with pytest.raises(ChemoradError, match=r"\.gz only"):
            asyncio.run(save_upload(_Upload("m.maf.xz", b"x"), tmp_path, "maf"))
        with pytest.raises(ChemoradError, match="not a valid gzip"):
            asyncio.run(save_upload(_Upload("m.maf.gz", b"not gzip at all"), tmp_path, "maf"))

    def test_lines_are_bounded(self, tmp_path, monkeypatch) -> None:
        monkeypatch.setattr(limits, "MAX_LINES", 10)
        with pytest.raises(ChemoradError, match="more than 10 lines"):
            asyncio.run(save_upload(_Upload("e.tsv", b"x\n" * 11), tmp_path, "expression"))

    def test_too_many_samples_are_refused_before_any_fit(self) -> None:
        from types import SimpleNamespace

        from chemorad.web.routers.tumour import check_samples

        prof = SimpleNamespace(samples=[f"S{i}" for i in range(limits.MAX_SAMPLES + 1)], tissue=None)
        with pytest.raises(ChemoradError, match=f"at most {limits.MAX_SAMPLES}"):
            check_samples(prof, ["lung"])

    @pytest.mark.parametrize(
        ("method", "path", "form"),
        [
            ("POST", "/api/simulations", {"fields": {"example": "x.yaml", "replicates": "abc"}}),
            ("POST", "/simulations", {"fields": {"replicates": "1e9"}}),
            ("POST", "/api/simulations", {"files": {"scenario": ("a" * 300 + ".yaml", TINY.encode())}}),
            ("GET", "/runs/%00", None),
            ("GET", "/files/a%00b.csv", None),
            ("GET", "/files/" + "a/" * 600 + "x.csv", None),
            ("GET", "/api/simulations/" + "z" * 300, None),
            ("DELETE", "/api/simulations/nope", None),
        ],
    )
    def test_malformed_parameters_are_4xx_never_500(self, web, method, path, form) -> None:
        res = request(web, method, path, **(form or {}))
        assert 400 <= res.status < 500 or (res.status == 200 and "a" * 300 not in res.text), (res.status, res.text)
        assert "/tmp" not in res.text and "Traceback" not in res.text

    def test_fifty_submissions_use_a_fixed_number_of_workers_and_stay_listed(self, ctx, tmp_path, blocked) -> None:
        release, scenario = blocked
        before = threading.active_count()
        jobs = Jobs(ctx, tmp_path, workers=2)
        submitted = [jobs.start(scenario, None) for _ in range(50)]
        assert threading.active_count() - before == 2
        _until(lambda: sum(j.state == "running" for j in submitted) == 2)
        assert {j.id for j in jobs.list()} == {j.id for j in submitted}  # nothing evicted
        assert sum(j.state == "queued" for j in submitted) == 48
        release.set()
        _until(lambda: all(j.state == "done" for j in submitted))
        assert len(jobs.list()) == 50 and threading.active_count() - before == 2
        assert sum(p.proc is not None for p in jobs.processes) <= 2  # two worker processes served all 50
        jobs.close()

    def test_cancel_a_queued_and_a_running_job(self, web, blocked) -> None:
        _, scenario = blocked
        files = {"scenario": ("t.yaml", scenario.read_bytes())}
        ids = [request(web, "POST", "/api/simulations", files=files).json()["id"] for _ in range(3)]
        jobs = web.state.jobs
        _until(lambda: sum(jobs.get(i).state == "running" for i in ids) == 2)
        queued = next(i for i in ids if jobs.get(i).state == "queued")
        res = request(web, "DELETE", f"/api/simulations/{queued}")
        assert res.status == 200 and res.json()["state"] == "cancelled"
        running = [i for i in ids if i != queued]
        assert request(web, "POST", f"/simulations/{running[0]}/cancel").status == 303
        request(web, "DELETE", f"/api/simulations/{running[1]}")
        _until(lambda: all(jobs.get(i).state == "cancelled" for i in ids))
        assert all(p.proc is None for p in jobs.processes)  # a running job is stopped by ending its process
        assert {r["id"]: r["state"] for r in request(web, "GET", "/api/simulations").json()} == dict.fromkeys(
            ids, "cancelled"
        )

    def test_a_job_too_large_for_the_server_is_refused_at_submission(self, web, tmp_path) -> None:
        # 600,000 steps x 100 replicates x 3 recorded states: about 1.4 GB, within the command line's budget
        big = TINY.replace("days: 10", "days: 60").replace("dt_days: 0.5", "dt_days: 0.0001")
        big = big.replace("replicates: 2", "replicates: 100")
        res = request(web, "POST", "/api/simulations", files={"scenario": ("big.yaml", big.encode())})
        assert res.status == 400 and "MB" in res.json()["error"] and "web server runs at most" in res.json()["error"]
        many = TINY.replace("replicates: 2", "replicates: 50000")  # the file's own replicates are bounded too
        res = request(web, "POST", "/api/simulations", files={"scenario": ("many.yaml", many.encode())})
        assert res.status == 400 and "at most 200 replicates" in res.json()["error"]
        slow = TINY.replace("days: 10", "days: 1000").replace("dt_days: 0.5", "dt_days: 0.05")
        slow = slow.replace("replicates: 2", "replicates: 200")  # 20,000 steps x 200 x 2 states: 8e6 units
        res = request(web, "POST", "/api/simulations", files={"scenario": ("slow.yaml", slow.encode())})
        assert res.status == 400 and "work units" in res.json()["error"]
        assert request(web, "GET", "/api/simulations").json() == []

    def test_a_large_run_gives_its_memory_back_and_never_enters_the_server(self, ctx, tmp_path, monkeypatch) -> None:
        """Issue 27: memory was not returned after large simulations (they ran in the server's threads). Runs are in
        worker processes; one left holding more than WORKER_MAX_RSS_MB after a job is ended and replaced."""
        import functools

        from _web_helpers import hungry_run

        scenario = tmp_path / "tiny.yaml"
        scenario.write_text(TINY)
        jobs = Jobs(ctx, None, workers=1)
        try:
            monkeypatch.setattr(worker_module, "run_simulation", functools.partial(hungry_run, 1))
            small = jobs.start(scenario, None)
            _until(lambda: small.state == "done")
            idle = float(small.summary["rss_mb"].iat[0])
            server0 = rss_mb(os.getpid())
            monkeypatch.setattr(limits, "WORKER_MAX_RSS_MB", idle + 100)
            monkeypatch.setattr(worker_module, "run_simulation", functools.partial(hungry_run, 300))
            big = jobs.start(scenario, None)
            _until(lambda: big.state == "done")
            pid = int(big.summary["pid"].iat[0])
            assert pid == int(small.summary["pid"].iat[0]) != os.getpid()  # the same warm worker, not the server
            assert float(big.summary["rss_mb"].iat[0]) > idle + 250  # the run held its 300 MB there
            _until(lambda: not Path(f"/proc/{pid}").exists(), 30)  # ended: its memory is the system's again
            _until(lambda: jobs.processes[0].proc is None, 30)  # released after the process is reaped, not before
            assert rss_mb(os.getpid()) - server0 < 100  # the server never held the run's memory
            again = jobs.start(scenario, None)  # a fresh worker takes the next job
            _until(lambda: again.state == "done")
            assert int(again.summary["pid"].iat[0]) not in (pid, os.getpid())
        finally:
            jobs.close()

    def test_running_jobs_together_stay_within_the_memory_and_work_limits(self, ctx, tmp_path) -> None:
        jobs = Jobs(ctx, None, workers=0)
        half = limits.Cost(limits.MAX_RUNNING_BYTES * 0.6, 1.0)
        assert jobs._fits(half)  # nothing running: any admitted job may start
        jobs._running["a"] = jobs_module.Job("a", "a", None, half)
        assert not jobs._fits(half) and jobs._fits(limits.Cost(limits.MAX_RUNNING_BYTES * 0.3, 1.0))
        jobs._running["a"] = jobs_module.Job("a", "a", None, limits.Cost(1.0, limits.MAX_RUNNING_WORK * 0.9))
        assert not jobs._fits(limits.Cost(1.0, limits.MAX_RUNNING_WORK * 0.2))

    def test_a_full_queue_and_a_busy_predictor_answer_503(self, web, blocked, monkeypatch) -> None:
        _, scenario = blocked
        monkeypatch.setattr(limits, "MAX_QUEUED", 1)
        files = {"scenario": ("t.yaml", scenario.read_bytes())}
        codes = [request(web, "POST", "/api/simulations", files=files).status for _ in range(5)]
        assert codes[0] == 200 and codes[-1] == 503  # 2 running (the workers) and 1 queued at most

        async def two_at_once() -> str:
            gate = limits.Gate(slots=1, waiting=0)
            async with gate:
                try:
                    async with gate:
                        return "admitted"
                except limits.Busy as exc:
                    return str(exc)

        assert "try again" in asyncio.run(two_at_once())


# ------------------------------------------------------------------------------------------------- 3. files and state
class TestFilesAndState:
    def test_files_serves_only_files_of_known_runs_never_hidden(self, ctx, tmp_path) -> None:
        root = tmp_path / "runs"
        (root / ".hidden" / "r").mkdir(parents=True)
        (root / ".hidden" / "r" / "summary.csv").write_text("secret\n")
        run = root / "a" / "sim"
        run.mkdir(parents=True)
        (run / "summary.csv").write_text("replicate,x\n0,1\n")
        (run / ".notes.csv").write_text("secret\n")
        (root / "loose.csv").write_text("not a run's\n")
        app = create_app(Explorer(ctx, root))
        assert request(app, "GET", "/files/a/sim/summary.csv").status == 200
        for path in ("/files/.hidden/r/summary.csv", "/files/a/sim/.notes.csv", "/files/loose.csv", "/runs/.hidden/r"):
            res = request(app, "GET", path)
            assert res.status in (400, 404) and "secret" not in res.text, path
            assert str(root) not in res.text  # no server path in the message

    def test_runs_default_to_a_chemorad_folder_not_the_current_one(self, ctx, tmp_path, monkeypatch) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
        monkeypatch.delenv("CHEMORAD_RUNS", raising=False)
        app = server_app(ctx, warm=False)
        runs_dir = app.state.explorer.runs_dir
        assert runs_dir == (tmp_path / "share" / "chemorad" / "runs").resolve() and runs_dir.is_dir()
        assert runs_dir != tmp_path.resolve()

    def test_a_browser_simulation_is_saved_listed_downloadable_and_survives_a_restart(self, ctx, tmp_path) -> None:
        root = tmp_path / "runs"
        root.mkdir()
        first = create_app(Explorer(ctx, root))
        res = request(first, "POST", "/api/simulations", files={"scenario": ("tiny.yaml", TINY.encode())})
        job_id = res.json()["id"]
        _until(lambda: request(first, "GET", f"/api/simulations/{job_id}").json()["state"] not in ("queued", "running"))
        assert request(first, "GET", f"/api/simulations/{job_id}").json()["state"] == "done"
        assert f"browser/{job_id}" in [r["path"] for r in request(first, "GET", "/api/runs").json()]
        csv = request(first, "GET", f"/files/browser/{job_id}/summary.csv")
        assert csv.status == 200 and len(pd.read_csv(io.BytesIO(csv.body))) == 2
        assert request(first, "GET", f"/files/browser/{job_id}/simulation.png").body[:4] == b"\x89PNG"
        second = create_app(Explorer(ctx, root))  # the server restarted on the same runs folder
        listed = {r["id"]: r["state"] for r in request(second, "GET", "/api/simulations").json()}
        assert listed == {job_id: "done"}
        page = request(second, "GET", f"/simulations/{job_id}")
        assert page.status == 200 and f"/files/browser/{job_id}/simulation.png" in page.text
        assert len(request(second, "GET", f"/api/simulations/{job_id}").json()["summary"]) == 2
        first.state.jobs.close()

    def test_a_job_interrupted_by_a_restart_is_listed_as_interrupted(self, ctx, tmp_path, blocked) -> None:
        _, scenario = blocked
        jobs = Jobs(ctx, tmp_path, workers=0)
        job = jobs.start(scenario, None)
        again = Jobs(ctx, tmp_path, workers=0)
        assert again.get(job.id).state == "interrupted" and "stopped" in again.get(job.id).error

    def test_the_conditional_view_is_computed_once_per_query(self, monkeypatch, ctx) -> None:
        from types import SimpleNamespace

        from chemorad.web.routers import crossres

        calls = []

        def conditional(c, query, evidence):
            calls.append(query.observed)
            return SimpleNamespace(table=pd.DataFrame({"target": ["radiotherapy"]}))

        monkeypatch.setattr(crossres, "conditional", conditional)
        ex = SimpleNamespace(
            ctx=ctx,
            evidence_tables=lambda: (SimpleNamespace(scores=None), None, None),
            tissue=lambda: None,
            error=lambda n: None,
        )
        for _ in range(3):
            crossres.conditional_table(ex, "cisplatin=resistant", "radiotherapy")
        crossres.conditional_table(ex, " cisplatin=resistant", " radiotherapy ")
        assert calls == ["cisplatin=resistant"]

    def test_upload_errors_are_in_the_pages_words_without_server_paths(self, ctx, tmp_path, shared_data) -> None:
        app = create_app(Explorer(Context(catalog=ctx.catalog, data=shared_data), tmp_path))
        maf = b"Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\nTP53\tMissense_Mutation\tS1\n"
        res = request(app, "POST", "/tumour", fields={"cell_line": "FADU"}, files={"maf": ("mine.maf", maf)})
        assert res.status == 400
        for cli_word in ("--maf", "--profiles", "--cell-line", "DIR", "/tmp", str(tmp_path)):
            assert cli_word not in res.text, cli_word
        bad = request(app, "POST", "/simulations", files={"scenario": ("my scenario.yaml", b"name: [unclosed\n")})
        assert bad.status == 400 and "my scenario.yaml" in bad.text
        assert "chemorad-scenario-" not in bad.text and "/tmp" not in bad.text

    def test_each_sample_keeps_its_own_tissue_or_is_refused_clearly(self, ctx, tmp_path, shared_data, monkeypatch):
        from chemorad.web.routers import tumour

        app = create_app(Explorer(Context(catalog=ctx.catalog, data=shared_data), tmp_path))
        maf = (
            b"Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\n"
            b"TP53\tMissense_Mutation\tS1\nKRAS\tMissense_Mutation\tS2\n"
        )
        seen = {}

        def fake_predict(c, inputs, check):  # the loaded profile is checked; no model is fitted here
            prof = inputs.load()
            check(prof)
            seen["tissue"] = prof.tissue["tissue"].to_dict()
            raise ChemoradError("stopped before fitting")

        monkeypatch.setattr(tumour, "predict", fake_predict)
        two = b"sample,tissue\nS1,head and neck\nS2,LUAD\n"
        res = request(app, "POST", "/tumour", files={"maf": ("m.maf", maf), "tissues": ("t.csv", two)})
        assert "stopped before fitting" in res.text
        assert seen["tissue"] == {"S1": "upper_aerodigestive_tract", "S2": "lung"}
        for label, hint in (("brain", "central_nervous_system"), ("lung adenocarcinoma", "closest: lung")):
            table = f"sample,tissue\nS1,{label}\nS2,lung\n".encode()
            res = request(app, "POST", "/tumour", files={"maf": ("m.maf", maf), "tissues": ("t.csv", table)})
            assert res.status == 400 and "sample S1" in res.text and hint in res.text, res.text[-800:]
        from types import SimpleNamespace

        none_given = pd.DataFrame({"tissue": [None], "tissue_given": [float("nan")], "known": [False]}, index=["S1"])
        tumour.check_samples(SimpleNamespace(samples=["S1"], tissue=none_given), ["lung"])  # no tissue: not refused
        page = request(app, "GET", "/tumour")
        assert '<option value="central_nervous_system">' in page.text and 'name="tissues"' in page.text


# --------------------------------------------------------------------------------------- 4. bounded loopback load test
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real `chemorad serve --no-warm` on a free loopback port (no data bundle), stopped by its own pid."""
    port = _free_port()
    runs_dir = tmp_path_factory.mktemp("live-runs")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src"), *sys.path])}
    env["CHEMORAD_DATA"] = str(tmp_path_factory.mktemp("no-data"))
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--no-warm", "--runs", str(runs_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _get(base + "/favicon.ico")[0] == 204 or proc.poll() is not None, 180)
        assert proc.poll() is None
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


#: the load test's scenario: one fraction, one replicate (the work per job is mostly its figure)
LOAD = TINY.replace("days: 10", "days: 2").replace("fractions: 5", "fractions: 1")
LOAD = LOAD.replace("replicates: 2", "replicates: 1")


def _post_scenario(base: str) -> tuple[int, bytes]:
    ctype, body = multipart(files={"scenario": ("load.yaml", LOAD.encode())})
    req = urllib.request.Request(base + "/api/simulations", data=body, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _worker_processes(pid: int) -> int:
    """How many of `pid`'s children are simulation worker processes (multiprocessing's spawn_main; not its resource
    tracker)."""
    n = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if (
                int(stat.rsplit(")", 1)[1].split()[1]) == pid
                and b"spawn_main" in Path(f"/proc/{entry}/cmdline").read_bytes()
            ):
                n += 1
        except (OSError, ValueError, IndexError):
            continue
    return n


#: the stated memory cap of the load test: the server may grow by at most this much over 50 uploads
LOAD_RSS_GROWTH_CAP_MB = 400


class TestLoad:
    def test_fifty_concurrent_uploads_leave_the_server_responsive_and_every_job_listed(self, live) -> None:
        import json

        base, proc = live
        _get(base + "/simulations")  # first page render (templates compiled) before the baseline
        rss0 = rss_mb(proc.pid)
        threads0 = len(os.listdir(f"/proc/{proc.pid}/task"))
        with ThreadPoolExecutor(max_workers=50) as pool:
            posts = [pool.submit(_post_scenario, base) for _ in range(50)]
            page = _get(base + "/simulations")  # answered while the uploads are being taken
            results = [f.result() for f in posts]
        assert page[0] == 200
        assert [code for code, _ in results] == [200] * 50
        ids = {json.loads(body)["id"] for _, body in results}
        peak_threads = peak_workers = 0
        while True:
            listed = {r["id"]: r["state"] for r in json.loads(_get(base + "/api/simulations")[1])}
            assert ids <= set(listed)  # every job listed, at every poll, until it is done
            peak_threads = max(peak_threads, len(os.listdir(f"/proc/{proc.pid}/task")))
            peak_workers = max(peak_workers, _worker_processes(proc.pid))
            if all(listed[i] == "done" for i in ids):
                break
            assert all(listed[i] in ("queued", "running", "done") for i in ids)
            time.sleep(0.5)
        assert peak_threads - threads0 <= limits.WORKERS + 40  # no thread per upload (uvicorn's pool aside)
        assert 1 <= peak_workers <= limits.WORKERS  # the simulations ran in the fixed worker processes
        growth = rss_mb(proc.pid) - rss0
        print(f"load test: server RSS {rss0:.0f} MB, growth {growth:.1f} MB; peak threads +{peak_threads - threads0}")
        assert growth < LOAD_RSS_GROWTH_CAP_MB
