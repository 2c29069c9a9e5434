"""Simulations started from the browser: a queue served by a fixed number of worker processes, each run written to the
runs folder.

A scenario is validated and its cost checked when it is submitted (`chemorad.app.simulation`, `chemorad.web.limits`):
a bad file, too many replicates, a run too large for the server or a full queue is a one-line error, and nothing
starts. Accepted jobs wait in the queue; a worker starts the oldest one as soon as the jobs running together stay within
the server's memory and work limits. Every job stays listed until it ends (done, failed or cancelled) and afterwards;
a queued or running job can be cancelled (a running one by ending its worker process).

Each of the `chemorad.web.limits.WORKERS` worker threads of the server drives one worker process
(`chemorad.web.worker`, started with ``spawn`` when first needed): it sends the job, relays its progress, and saves
its results. The simulation's arrays and its figure live only in that process, so the server's memory does not grow
with the runs, and a worker whose memory stays high after a large run is ended (the operating system gets its memory
back) and replaced for the next job.

Each job has a folder ``<runs>/browser/<id>/``: the scenario as uploaded (scenario.yaml) and job.json at submission;
summary.csv and simulation.png once done. Files are written beside and renamed into place, so a crash leaves no torn
file. On start the server lists the jobs of earlier servers from these folders; one that was still queued or running
when its server stopped is shown as interrupted.
"""

from __future__ import annotations

import json
import multiprocessing
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
from chemorad.web import limits, worker
from chemorad.web.limits import Cost

BROWSER = "browser"  # the sub-folder of the runs folder holding the runs started in the browser
ACTIVE = ("queued", "running")
_ID = re.compile(r"^[0-9a-f]{12}$")
#: seconds a cancelled or recycled worker process is given to end after SIGTERM before it is killed
_STOP_GRACE_S = 5.0


class _Process:
    """One worker process (`chemorad.web.worker.serve`) and the server's end of its pipe; started when first needed."""

    def __init__(self, catalog, name: str) -> None:
        self.catalog, self.name = catalog, name
        self.proc = None
        self.conn = None
        self.closed = False  # set by `Jobs.close`: no process is started any more
        self._lock = threading.RLock()  # the worker thread and `Jobs.close` may both stop it

    def send(self, run, payload) -> bool:
        """Send a job, starting the process if there is none; False once closed."""
        with self._lock:
            if self.closed:
                return False
            if self.proc is None or not self.proc.is_alive():
                self._stop()
                mp = multiprocessing.get_context("spawn")
                self.conn, child = mp.Pipe()
                self.proc = mp.Process(target=worker.serve, args=(child, self.catalog), name=self.name, daemon=True)
                self.proc.start()
                child.close()
            self.conn.send((run, payload))
            return True

    def stop(self, close: bool = False) -> None:
        """End the process (SIGTERM, then SIGKILL after a grace period); its memory goes back to the system."""
        with self._lock:
            self.closed = self.closed or close
            self._stop()

    def _stop(self) -> None:
        if self.proc is not None:
            if self.proc.pid is not None:  # started (a failed start leaves nothing to end)
                if self.proc.is_alive():
                    self.proc.terminate()
                    self.proc.join(_STOP_GRACE_S)
                    if self.proc.is_alive():
                        self.proc.kill()
                self.proc.join()
            self.proc.close()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None


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
    warnings: tuple[str, ...] = ()  # e.g. a course cut by the end of the simulated time
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
            "warnings": list(self.warnings),
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
        """`workers` threads, each driving one worker process; what a process runs is `worker.run_simulation`
        (looked up at each job, so a test may replace it with another picklable function)."""
        self.ctx = ctx
        self.folder = None if runs_dir is None else runs_dir / BROWSER
        self._jobs: dict[str, Job] = {}
        self._queue: deque[tuple[Job, SimulationJob]] = deque()
        self._running: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._load_earlier()
        self.processes = [_Process(ctx.catalog, f"chemorad-sim-worker-{k}") for k in range(workers)]
        for k in range(workers):
            threading.Thread(target=self._worker, args=(k,), name=f"chemorad-sim-worker-{k}", daemon=True).start()

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
        job = Job(uuid.uuid4().hex[:12], sim.name, replicates, cost, warnings=sim.warnings)
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
        """Cancel a queued job at once, a running one by ending its worker process; an ended job is left as it is."""
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

    def close(self) -> None:
        """Cancel every job still queued or running and end the worker processes (a server stopping, a test ending)."""
        with self._cond:
            for job in self._jobs.values():
                if job.state in ACTIVE:
                    job.cancel.set()
            self._queue.clear()
        for process in self.processes:
            process.stop(close=True)

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

    def _worker(self, k: int) -> None:
        while True:
            job, sim = self._next()
            try:
                self._run(self.processes[k], job, sim)
            except Exception as exc:  # noqa: BLE001 - a worker must outlive any one job
                first = str(exc).strip().splitlines()[:1]
                job.error, job.state = f"internal error: {type(exc).__name__}: {' '.join(first)}", "failed"
                self.processes[k].stop()
            finally:
                with self._cond:
                    self._running.pop(job.id, None)
                    self._cond.notify_all()

    def _run(self, process: _Process, job: Job, sim: SimulationJob) -> None:
        """Send the job to `process`, relay its progress, end the process on cancel, save what it answers."""
        t0 = time.perf_counter()
        sent = process.send(worker.run_simulation, (sim.scenario, sim.replicates, sim.seed))
        while True:
            if job.cancel.is_set() or not sent:
                process.stop()
                job.state = "cancelled"
                break
            try:
                if not process.conn.poll(0.1):
                    continue
                msg = process.conn.recv()
            except (EOFError, OSError, AttributeError):  # the process died (or was closed: conn is None)
                code = process.proc.exitcode if process.proc is not None else None
                process.stop()
                job.error, job.state = f"the worker process ended unexpectedly (exit code {code})", "failed"
                break
            if msg[0] == "progress":
                job.done, job.total = msg[1], msg[2]
                continue
            if msg[0] == "done":
                summary, png = msg[1]
                job.summary = summary
                self._save_results(job, summary, png)
                job.state = "done"
            else:
                job.error, job.state = msg[1], "failed"
            if not msg[-1] <= limits.WORKER_MAX_RSS_MB:  # memory of a large run: give it back to the system
                process.stop()
            break
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

    def _save_results(self, job: Job, summary: pd.DataFrame, png: bytes | None) -> None:
        """The figure (PNG bytes drawn by the worker) and the summary table into the job's folder (the figure as a data
        URI when there is no folder)."""
        import base64

        if self.folder is None:
            if png is not None:
                job.figure = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            return
        d = self.folder / job.id
        try:
            if png is not None:
                write_beside(d / "simulation.png", png)
                job.figure = f"/files/{BROWSER}/{job.id}/simulation.png"
            write_beside(d / "summary.csv", summary.to_csv(index=False).encode())
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
