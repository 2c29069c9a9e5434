"""The web server's limits: what one request may ask for, and what all running simulations may use together.

Every limit is checked before the work starts (admission), so a request over a limit costs a 4xx and nothing else.
The values are engineering bounds for a laptop-sized server (stated in docs/web.md), not science:

- uploads: `MAX_UPLOAD_BYTES` per file as sent, `MAX_INFLATED_BYTES` once a ``.gz`` is decompressed (streamed, the
  decompression stops at the cap), `MAX_LINES` lines per file, `MAX_SAMPLES` samples per prediction;
- predictions: at most `PREDICT_SLOTS` at once, `PREDICT_WAITING` more waiting, others refused with 503;
- simulations: `WORKERS` worker processes (`chemorad.web.worker`) take jobs from a queue of at most `MAX_QUEUED`; one
  job has at most `MAX_REPLICATES` replicates, its recorded arrays (`job_cost`) may need at most `MAX_JOB_BYTES` and
  its work at most `MAX_JOB_WORK`, and a worker starts a job only while the jobs running together stay
  within `MAX_RUNNING_BYTES` and `MAX_RUNNING_WORK` (steps x replicates x cells in exact mode, x clone states
  otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chemorad.errors import ChemoradError

MAX_UPLOAD_BYTES = 20 * 2**20
MAX_SCENARIO_BYTES = 2**20
MAX_INFLATED_BYTES = 200 * 2**20
MAX_LINES = 1_000_000
MAX_SAMPLES = 50
MAX_NAME = 100  # characters kept of an uploaded file's name
PREDICT_SLOTS = 2
PREDICT_WAITING = 8
WORKERS = 2
MAX_QUEUED = 200
MAX_REPLICATES = 200
MAX_JOB_BYTES = 512 * 2**20
MAX_RUNNING_BYTES = 1024 * 2**20
#: work units of one job: measured 2.5e-4 CPU s per unit in tau mode with evolving mechanisms (the example
#: evolution_docetaxel_then_rt.yaml, 6.4e4 units in 16.4 s) and 1e-5 s deterministic (hn_radiotherapy_70gy.yaml,
#: 9.6e4 units in 1.05 s), one run each on this project's 2-core machine: 4e6 units is about 15 min of CPU at worst
MAX_JOB_WORK = 4e6
MAX_RUNNING_WORK = 8e6
#: a worker process whose resident memory after a job is above this is ended (and a fresh one started for the next
#: job), so the memory of a large run goes back to the system; an idle worker with its imports held about 300 MB
#: (measured once, docs/web.md "Memory")
WORKER_MAX_RSS_MB = 400.0


class Busy(ChemoradError):
    """The server is at a limit shared by all requests (queue full, predictions waiting): answered with 503."""


class NotFound(ChemoradError):
    """A job, run or file that this server does not have: answered with 404."""


@dataclass(frozen=True)
class Cost:
    """What one simulation needs: bytes of its recorded arrays and work units (steps x replicates x a size)."""

    bytes: float
    work: float


def job_cost(sc, reps: int) -> Cost:
    """The cost of simulating scenario `sc` with `reps` replicates, computed from its size alone (nothing expanded).

    Bytes: the per-step record of `chemorad.dynamics.simulator.check_budget`, (replicates x (steps + 1) x
    (states + 1)) float64 plus the working arrays. Work: steps x replicates x states, times the initial cells in exact
    mode (every division and death is an event).
    """
    sim = sc.simulation
    steps = float(np.ceil(sim.days / sim.dt_days))
    states = 2 * len(sc.clones) * (1 + len(sc.evolution.mechanisms))
    nbytes = 8.0 * reps * (steps + 1) * (states + 1) + 48.0 * reps * states
    size = float(sc.tumour.initial_cells) if sim.mode == "exact" else float(states)
    return Cost(nbytes, steps * reps * size)


def over_job_limit(cost: Cost) -> str | None:
    """Why one job is too large for this server (one line), or None."""
    if cost.bytes > MAX_JOB_BYTES:
        return (
            f"this simulation needs about {cost.bytes / 2**20:,.0f} MB of results; the web server runs at most "
            f"{MAX_JOB_BYTES / 2**20:,.0f} MB per simulation: use fewer replicates, a larger dt_days, or "
            "`chemorad simulate` on the command line"
        )
    if cost.work > MAX_JOB_WORK:
        return (
            f"this simulation is {cost.work:.3g} work units (steps x replicates x cells or states); "
            f"the web server runs at most {MAX_JOB_WORK:.3g}: use fewer replicates, a larger dt_days or the CLI"
        )
    return None


class Gate:
    """Admission of predictions: at most `slots` run at once and `waiting` more wait; any other is refused at once
    with `Busy` (used from the event loop, whose single thread makes the counter safe)."""

    def __init__(self, slots: int = PREDICT_SLOTS, waiting: int = PREDICT_WAITING) -> None:
        import asyncio

        self.slots, self.waiting = slots, waiting
        self._sem = asyncio.Semaphore(slots)
        self.admitted = 0

    async def __aenter__(self) -> Gate:
        if self.admitted >= self.slots + self.waiting:
            raise Busy(
                f"the server is already making {self.admitted} predictions (at most {self.slots} at once and "
                f"{self.waiting} waiting): try again in a minute"
            )
        self.admitted += 1
        try:
            await self._sem.acquire()
        except BaseException:
            self.admitted -= 1
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self._sem.release()
        self.admitted -= 1
