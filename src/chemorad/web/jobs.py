"""Simulations started from the browser: one background thread per run, its progress polled by the page.

The scenario is validated before the thread starts (a bad file is a one-line error on the page); results stay in
memory (summary table, figure) and are never written outside the run's temporary folder.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from chemorad.app.simulation import SimulationJob, simulation_job
from chemorad.context import Context
from chemorad.errors import ChemoradError

MAX_JOBS = 20  # finished jobs kept in memory; older ones are forgotten
MAX_REPLICATES = 200


@dataclass
class Job:
    id: str
    name: str
    replicates: int | None
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    error: str | None = None
    summary: pd.DataFrame | None = None
    figure: str | None = None

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
            "summary": None if self.summary is None else self.summary.to_dict("records"),
        }


class Jobs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def start(self, scenario_path: Path, replicates: int | None) -> Job:
        """Validate the scenario now (`chemorad.app.simulation`), simulate in a thread; returns the job at once."""
        if replicates is not None and not 1 <= replicates <= MAX_REPLICATES:
            raise ChemoradError(f"--replicates {replicates}: give 1 to {MAX_REPLICATES} in the browser")
        sim = simulation_job(self.ctx, scenario_path, replicates)
        job = Job(uuid.uuid4().hex[:12], sim.name, replicates)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-MAX_JOBS]:
                del self._jobs[old]
        threading.Thread(target=self._run, args=(job, sim), name=f"chemorad-sim-{job.id}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: Job, sim: SimulationJob) -> None:
        from chemorad.report.dynamics_figures import draw_simulation
        from chemorad.report.html import png_uri

        def progress(k: int, n: int) -> None:
            job.done, job.total = k, n

        job.state = "running"
        t0 = time.perf_counter()
        try:
            res = sim.run(progress=progress)
            job.summary = res.summary
            job.figure = png_uri(draw_simulation(res.dataset))
            job.state = "done"
        except ChemoradError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # noqa: BLE001 - a programming error must still end the job visibly
            job.error, job.state = f"internal error: {type(exc).__name__}: {exc}", "failed"
        job.seconds = time.perf_counter() - t0
