"""The worker processes of the web server's simulation queue (`chemorad.web.jobs`).

Each browser simulation runs in a separate process started with ``spawn`` (a fresh interpreter: no thread or lock of
the server is inherited, which JAX and BLAS threads need), so that its arrays never enter the server's memory, a cancel
really stops it (the process is terminated) and the memory of a large run is given back to the operating system when
its process ends. A worker process serves one job at a time and stays alive for the next (imports cost seconds), unless
its resident memory after a job is above `chemorad.web.limits.WORKER_MAX_RSS_MB`: then it is ended and a fresh one is
started for the next job.

The protocol over a `multiprocessing` pipe, parent to child: ``(run, payload)`` per job, ``None`` to stop; child to
parent: ``("progress", done, total)`` at most every `PROGRESS_EVERY_S`, then ``("done", result, rss_mb)`` or
``("failed", message, rss_mb)``.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

#: at most one progress message per this many seconds (a run may have two million steps)
PROGRESS_EVERY_S = 0.2


def rss_mb() -> float:
    """This process's resident set size (MB), from /proc/self/status (nan where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class _Progress:
    """The progress callback of one job: (steps done, steps in all) sent to the server at most every
    `PROGRESS_EVERY_S`, and always at the end."""

    def __init__(self, conn) -> None:
        self.conn, self.last = conn, 0.0

    def __call__(self, k: int, n: int) -> None:
        now = time.monotonic()
        if k >= n or now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.conn.send(("progress", k, n))


def serve(conn, catalog) -> None:
    """The child's loop: take a job, run it, answer; until told to stop or the server is gone."""
    from chemorad.errors import ChemoradError

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal ends the server, which ends us
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        run, payload = msg
        try:
            answer = ("done", run(catalog, payload, _Progress(conn)))
        except ChemoradError as exc:
            answer = ("failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - a programming error must still end the job visibly
            answer = ("failed", f"internal error: {type(exc).__name__}: {exc}")
        try:
            conn.send((*answer, rss_mb()))
        except (BrokenPipeError, OSError):
            return


def run_simulation(catalog, payload: tuple, progress: Callable[[int, int], None]) -> tuple:
    """Simulate one scenario and draw its figure: (summary table, PNG bytes). `payload` is (scenario, replicates,
    seed); the figure is drawn here, so matplotlib's state stays in the worker."""
    import io

    from chemorad.dynamics.simulator import simulate
    from chemorad.report.dynamics_figures import draw_simulation

    scenario, replicates, seed = payload
    res = simulate(scenario, replicates, seed, progress=progress, cat=catalog)
    buf = io.BytesIO()
    draw_simulation(res.dataset).savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return res.summary, buf.getvalue()
