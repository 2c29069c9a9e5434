"""Simulations started from the browser: a queue served by a fixed number of worker threads, each run written to the
runs folder.

A scenario is validated and its cost checked when it is submitted (`chemorad.app.simulation`, `chemorad.web.limits`):
a bad file, too many replicates, a run too large for the server or a full queue is a one-line error, and nothing
starts. Accepted jobs wait in the queue; a worker starts the oldest one as soon as the jobs running together stay within
the server's memory and work limits. Every job stays listed until it ends (done, failed or cancelled) and afterwards;
a queued or running job can be cancelled (a running one stops at its next step).

Each job has a folder ``<runs>/browser/<id>/``: the scenario as uploaded (scenario.yaml) and job.json at submission;
summary.csv and simulation.png once done. Files are written beside and renamed into place, so a crash leaves no torn
file. On start the server lists the jobs of earlier servers from these folders; one that was still queued or running
when its server stopped is shown as interrupted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chemorad.app.simulation import SimulationJob, simulation_job
from chemorad.context import Context
from chemorad.errors import ChemoradError
from chemorad.web import limits
from chemorad.web.limits import Cost

BROWSER = "browser"  # the sub-folder of the runs folder holding the runs started in the browser
ACTIVE = ("queued", "running")
_ID = re.compile(r"^[0-9a-f]{12}$")
#: matplotlib is not thread-safe (its mathtext parser failed when two workers drew at once, found by the load test)
_DRAWING = threading.Lock()


class _Cancelled(Exception):
    """Raised from the progress callback to stop a running simulation."""


@dataclass
class Job:
    id: str
    name: str
    replicates: int | None
    cost: Cost = Cost(0.0, 0.0)
    state: str = "queued"  # queued, running, done, failed, cancelled, interrupted
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    error: str | None = None
    summary: pd.DataFrame | None = None
    figure: str | None = None  # URL of the figure under /files/
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def record(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "fraction": (self.done / self.total) if self.total else 0.0,
            "seconds": round(self.seconds or (time.time() - self.started), 2),
            "error": self.error,
            "run": f"{BROWSER}/{self.id}",
            "summary": None if self.summary is None else self.summary.to_dict("records"),
        }


def write_beside(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file in `path`'s folder, then rename it over `path` (never a torn file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Jobs:
    """The job queue, its workers, and every job of this server and of earlier ones under ``runs_dir/browser``."""

    def __init__(self, ctx: Context, runs_dir: Path | None = None, workers: int = limits.WORKERS) -> None:
        self.ctx = ctx
        self.folder = None if runs_dir is None else runs_dir / BROWSER
        self._jobs: dict[str, Job] = {}
        self._queue: deque[tuple[Job, SimulationJob]] = deque()
        self._running: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._load_earlier()
        for k in range(workers):
            threading.Thread(target=self._worker, name=f"chemorad-sim-worker-{k}", daemon=True).start()

    # -- queries ---------------------------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Every job, newest first."""
        with self._cond:
            return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)

    # -- submission and cancellation -------------------------------------------------------------------------------
    def start(self, scenario_path: Path, replicates: int | None) -> Job:
        """Validate the scenario and its cost now, queue it; returns the queued job at once."""
        if replicates is not None and not 1 <= replicates <= limits.MAX_REPLICATES:
            raise ChemoradError(f"replicates {replicates}: give 1 to {limits.MAX_REPLICATES} in the browser")
        sim = simulation_job(self.ctx, scenario_path, replicates)
        reps = replicates or sim.scenario.simulation.replicates
        if reps > limits.MAX_REPLICATES:
            raise ChemoradError(
                f"simulation.replicates {reps:,}: the web server runs at most {limits.MAX_REPLICATES} replicates "
                "(give fewer in the Replicates field, or use the command line)"
            )
        cost = limits.job_cost(sim.scenario, reps)
        why = limits.over_job_limit(cost)
        if why:
            raise ChemoradError(why)
        job = Job(uuid.uuid4().hex[:12], sim.name, replicates, cost)
        with self._cond:
            if len(self._queue) >= limits.MAX_QUEUED:
                raise limits.Busy(
                    f"the server already has {len(self._queue)} simulations waiting (at most {limits.MAX_QUEUED}): "
                    "try again when some have finished"
                )
            self._save(job, scenario=scenario_path.read_bytes())  # before a worker can take it and save its end
            self._jobs[job.id] = job
            self._queue.append((job, sim))
            self._cond.notify_all()
        return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once, a running one at its next step; an ended job is left as it is."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                raise ChemoradError(f"simulation {job_id!r}: no such run on this server")
            if job.state == "queued":
                self._queue = deque(item for item in self._queue if item[0] is not job)
                job.state, job.seconds = "cancelled", 0.0
            elif job.state == "running":
                job.cancel.set()
            self._cond.notify_all()
        self._save(job)
        return job

    # -- the workers -----------------------------------------------------------------------------------------------
    def _fits(self, cost: Cost) -> bool:
        if not self._running:
            return True
        used = [j.cost for j in self._running.values()]
        return (
            sum(c.bytes for c in used) + cost.bytes <= limits.MAX_RUNNING_BYTES
            and sum(c.work for c in used) + cost.work <= limits.MAX_RUNNING_WORK
        )

    def _next(self) -> tuple[Job, SimulationJob]:
        with self._cond:
            while not (self._queue and self._fits(self._queue[0][0].cost)):
                self._cond.wait()
            job, sim = self._queue.popleft()
            job.state = "running"
            self._running[job.id] = job
            return job, sim

    def _worker(self) -> None:
        while True:
            job, sim = self._next()
            try:
                self._run(job, sim)
            except Exception as exc:  # noqa: BLE001 - a worker must outlive any one job
                job.error, job.state = f"internal error: {type(exc).__name__}: {exc}", "failed"
            finally:
                with self._cond:
                    self._running.pop(job.id, None)
                    self._cond.notify_all()

    def _run(self, job: Job, sim: SimulationJob) -> None:
        from chemorad.report.dynamics_figures import draw_simulation

        def progress(k: int, n: int) -> None:
            if job.cancel.is_set():
                raise _Cancelled
            job.done, job.total = k, n

        t0 = time.perf_counter()
        try:
            res = sim.run(progress=progress)
            job.summary = res.summary
            with _DRAWING:
                self._save_results(job, res.summary, draw_simulation(res.dataset))
            job.state = "done"
        except _Cancelled:
            job.state = "cancelled"
        except ChemoradError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - a programming error must still end the job visibly
            job.error, job.state = f"internal error: {type(exc).__name__}: {exc}", "failed"
        job.seconds = time.perf_counter() - t0
        self._save(job)

    # -- the runs folder -------------------------------------------------------------------------------------------
    def _save(self, job: Job, scenario: bytes | None = None) -> None:
        if self.folder is None:
            return
        try:
            d = self.folder / job.id
            d.mkdir(parents=True, exist_ok=True)
            if scenario is not None:
                write_beside(d / "scenario.yaml", scenario)
            meta = {k: v for k, v in job.record().items() if k != "summary"}
            meta.update(started=job.started, replicates=job.replicates)
            write_beside(d / "job.json", json.dumps(meta, indent=1).encode())
        except OSError as exc:  # an unwritable runs folder must not stop the simulation
            job.error = job.error or f"not saved in the runs folder ({exc.strerror or exc})"

    def _save_results(self, job: Job, summary: pd.DataFrame, fig) -> None:
        """The figure as PNG and the summary table into the job's folder (a data URI when there is no folder)."""
        import base64
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")  # a standalone Figure: no pyplot registry
        if self.folder is None:
            job.figure = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
            return
        d = self.folder / job.id
        try:
            write_beside(d / "simulation.png", buf.getvalue())
            write_beside(d / "summary.csv", summary.to_csv(index=False).encode())
            job.figure = f"/files/{BROWSER}/{job.id}/simulation.png"
        except OSError as exc:
            job.error = f"not saved in the runs folder ({exc.strerror or exc})"

    def _load_earlier(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for meta_path in sorted(self.folder.glob("*/job.json")):
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                continue
            if not _ID.match(str(meta.get("id", ""))) or meta["id"] != meta_path.parent.name:
                continue
            job = Job(meta["id"], str(meta.get("name", "")), meta.get("replicates"), started=meta.get("started", 0.0))
            job.state, job.error = meta.get("state", "failed"), meta.get("error")
            job.done, job.total, job.seconds = meta.get("done", 0), meta.get("total", 0), meta.get("seconds", 0.0)
            if job.state in ACTIVE:
                job.state, job.error = "interrupted", "the server stopped before this simulation ended"
            summary = meta_path.parent / "summary.csv"
            if job.state == "done" and summary.is_file():
                job.summary = pd.read_csv(summary)
                job.figure = f"/files/{BROWSER}/{job.id}/simulation.png"
            self._jobs[job.id] = job
