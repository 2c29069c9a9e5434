"""Running a sweep on Dask: batches of points per task, one Parquet file per batch, a manifest, resume.

Layout of a results folder DIR:
- `manifest.json`: the sweep's SHA-256 (file, and base scenario file when referenced), name, spec, point count,
  batch size and batch count. A folder whose manifest names another sweep is refused.
- `sweep.yaml`: a copy of the sweep file; `design.parquet`: the points (written once, reused on resume).
- `results/batch-NNNNNN.parquet`: one file per finished batch, rows (point, arm, replicate) with parameters and
  outcomes. Workers write each file to a hidden temporary name and rename it into place (atomic on POSIX), so a file
  that exists is complete. Readers skip hidden files (pyarrow datasets ignore names starting with '.').
- `batches.jsonl`: the ledger, one line per finished batch (batch, rows, SHA-256 of its file), appended by the client.
  `--resume` keeps a batch only when its file matches the ledger's hash (or, for a file the ledger does not know yet,
  when it reads back as Parquet with the expected number of rows); any other batch file is deleted and recomputed, so
  a damaged file can never be counted as finished.
- `.lock`: held (`fcntl.flock`) by the process running the sweep, so a second `chemorad sweep` into the same folder
  is refused instead of computing everything twice; the kernel releases it when that process ends, however it ends.

Batches hold `batch_size` consecutive points (all arms and replicates), so scheduling costs one task per batch rather
than per simulation. At most a few tasks per worker are in flight at a time and results go to disk from the workers, so
the client's memory does not grow with the sweep. The DIR must be visible to the workers at the same path (a local
cluster, or a shared file system).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chemorad.errors import ChemoradError
from chemorad.io_atomic import LOCK, replacing, write_bytes, write_text
from chemorad.io_atomic import folder_lock as _folder_lock
from chemorad.sweep.evaluate import evaluate_point
from chemorad.sweep.spec import Sweep

MANIFEST = "manifest.json"
LEDGER = "batches.jsonl"
FORMAT = 1
MAX_BATCH = 500


@dataclass(frozen=True)
class BatchTask:
    """What one Dask task needs: where its design rows are, the arm scenarios, and where to write. The rows are read
    by the worker from row group `batch` of design.parquet (one row group per batch), so a task is a few kB whatever
    the batch size and nothing of the design accumulates in the client or the scheduler."""

    batch: int
    design: str
    arms: dict[str, dict]
    integer: dict[str, bool]
    replicates: int
    seed: int
    path: str


def run_batch(task: BatchTask, cat: Any = None) -> tuple[int, int, float, str]:
    """Simulate a batch with the sweep's catalog `cat` and write its Parquet file atomically; return (batch, rows,
    seconds, SHA-256 of the file). `cat` arrives once per worker (scattered by `_stream`), not once per task."""
    t0 = time.perf_counter()
    records = []
    rows = pq.ParquetFile(task.design).read_row_group(task.batch).to_pandas().to_dict("records")
    for row in rows:
        for rec in evaluate_point(task.arms, row, task.integer, task.replicates, task.seed, cat):
            params = {p: row[p] for p in task.integer}
            extra = {"cell_line": row["cell_line"]} if "cell_line" in row else {}
            records.append({"batch": task.batch, **rec, **params, **extra})
    digest = write_atomic(pa.Table.from_pandas(pd.DataFrame(records), preserve_index=False), Path(task.path))
    return task.batch, len(records), time.perf_counter() - t0, digest


def write_atomic(table: pa.Table, path: Path, row_group_size: int | None = None) -> str:
    """Write a Parquet file under a hidden temporary name, then rename it into place; return its SHA-256."""
    with replacing(path) as tmp:
        pq.write_table(table, tmp, row_group_size=row_group_size)
        digest = file_sha256(tmp)
    return digest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_ledger(out: Path) -> dict[int, dict]:
    """batch -> {batch, rows, sha256} from the ledger; a line cut short by an interrupted append is ignored."""
    ledger: dict[int, dict] = {}
    try:
        lines = (out / LEDGER).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ledger
    for line in lines:
        try:
            entry = json.loads(line)
            ledger[int(entry["batch"])] = entry
        except (ValueError, KeyError, TypeError):
            continue
    return ledger


def _record(out: Path, batch: int, rows: int, digest: str) -> None:
    line = json.dumps({"batch": batch, "rows": rows, "sha256": digest}) + "\n"
    with open(out / LEDGER, "ab+") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":  # a line cut short by an interrupted run: start a fresh one
                line = "\n" + line
        handle.write(line.encode())
        handle.flush()
        os.fsync(handle.fileno())


def batch_rows(manifest: dict, batch: int) -> int:
    """Rows a finished batch holds: its points x arms x replicates."""
    size = manifest["batch_size"]
    points = max(0, min(size, manifest["n_points"] - batch * size))
    return points * len(manifest["arms"]) * manifest["replicates"]


def check_batch(out: Path, manifest: dict, batch: int, ledger: dict[int, dict]) -> str | None:
    """Why batch `batch`'s file cannot be counted as finished (None if it can); a missing file is 'missing'."""
    path = batch_path(out, batch)
    if not path.exists():
        return "missing"
    entry = ledger.get(batch)
    if entry is not None:
        return None if file_sha256(path) == entry.get("sha256") else "SHA-256 differs from the ledger"
    try:
        rows = pq.read_table(path).num_rows
    except (pa.ArrowException, OSError) as exc:
        return f"not readable as Parquet ({str(exc).splitlines()[0][:80]})"
    expected = batch_rows(manifest, batch)
    return None if rows == expected else f"{rows} rows, expected {expected}"


def folder_lock(out: Path):
    """Hold `out/.lock` for the run (`chemorad.io_atomic.folder_lock`); yields whether `out` was created here."""
    return _folder_lock(
        out,
        hint="another sweep may be running; wait for it to finish (then --resume if it was interrupted) or choose "
        "another folder",
    )


def default_batch_size(n_points: int) -> int:
    """About 64 batches, 1 to 500 points each; independent of the number of workers, so resuming on another cluster
    finds the same batches."""
    return max(1, min(MAX_BATCH, math.ceil(n_points / 64)))


def batch_path(out: Path, batch: int) -> Path:
    return out / "results" / f"batch-{batch:06d}.parquet"


@dataclass
class RunInfo:
    n_points: int
    n_batches: int
    batch_size: int
    computed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    recomputed: list[int] = field(default_factory=list)  # damaged batch files found on resume
    rows: int = 0
    seconds: float = 0.0


def check_folder(out: Path, sweep: Sweep, batch_size: int | None, resume: bool) -> dict | None:
    """The manifest of a folder to resume, None for a new or empty folder; refuses a folder of another sweep."""
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
        except (ValueError, OSError):
            raise ChemoradError(f"--out {out}: {MANIFEST} is unreadable; not a chemorad sweep folder") from None
        if manifest.get("sha256") != sweep.sha256:
            theirs = str((manifest.get("sha256") or {}).get("sweep", "?"))[:12]
            ours = sweep.sha256.get("sweep", "?")[:12]
            if theirs == ours[:12]:
                raise ChemoradError(
                    f"--out {out}: holds results of this sweep file run with another catalog (--catalog); choose "
                    "another folder"
                )
            raise ChemoradError(
                f"--out {out}: holds results of a different sweep ({manifest.get('name')!r}, sweep file SHA-256 "
                f"{theirs}..., this one {ours}...); choose another folder"
            )
        if not resume:
            raise ChemoradError(f"--out {out}: already holds this sweep's results; pass --resume to finish it")
        if batch_size is not None and batch_size != manifest["batch_size"]:
            raise ChemoradError(
                f"--batch-size {batch_size}: the folder was started with {manifest['batch_size']}; "
                "resume with the same batch size (or omit it)"
            )
        return manifest
    if out.exists() and (not out.is_dir() or any(p.name != LOCK for p in out.iterdir())):
        raise ChemoradError(f"--out {out}: exists and is not an empty folder or a chemorad sweep folder")
    return None


def create_folder(out: Path, sweep: Sweep, source: Path | None, design: pd.DataFrame, batch_size: int | None) -> dict:
    """Write the design, a copy of the sweep file and (last) the manifest into a new results folder."""
    size = batch_size or default_batch_size(len(design))
    manifest = {
        "format": FORMAT,
        "name": sweep.spec.name,
        "sha256": sweep.sha256,
        "spec": sweep.spec.model_dump(mode="json"),
        "parameters": sweep.paths,
        "arms": list(sweep.arms),
        "horizon_days": {name: tree["simulation"]["days"] for name, tree in sweep.arms.items()},
        "n_points": len(design),
        "batch_size": size,
        "n_batches": math.ceil(len(design) / size),
        "replicates": sweep.spec.replicates,
        "seed": sweep.spec.seed,
    }
    (out / "results").mkdir(parents=True, exist_ok=True)
    write_atomic(pa.Table.from_pandas(design, preserve_index=False), out / "design.parquet", row_group_size=size)
    if source is not None:
        write_bytes(out / "sweep.yaml", Path(source).read_bytes())
    write_text(out / MANIFEST, json.dumps(manifest, indent=2))  # last: a manifest means the design is on disk
    return manifest


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (an ignored signal stays ignored across exec, and Python then
    installs no KeyboardInterrupt handler): Ctrl-C in a terminal reaches the whole process group, and only this
    process should answer it, by closing the cluster and printing one line, not each worker its own traceback."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be changed from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None, timeout_s: float = 5.0) -> Iterator[Any]:
    """A client on `scheduler`, or on a new LocalCluster of `workers` single-threaded processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ChemoradError(
                f"--scheduler {scheduler}: cannot connect within {timeout_s:g} s ({type(exc).__name__}); "
                "is a Dask scheduler running at that address?"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise ChemoradError(f"--workers must be at least 1 (got {workers})")
    with _workers_ignore_ctrl_c():
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # the simulator is NumPy-bound Python; processes, not threads, give parallelism
            processes=True,
            dashboard_address=":0",
            # a task's error reaches the client as the exception of its future; the workers' own logs would only
            # repeat it, or print the tracebacks of their connections closing when the run is stopped (Ctrl-C)
            silence_logs=logging.CRITICAL,
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_sweep(  # noqa: PLR0913 - keyword-only execution options (workers, batches, scheduler, resume)
    sweep: Sweep,
    out: Path,
    *,
    source: Path | None = None,
    client: Any = None,
    workers: int = 2,
    scheduler: str | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    data: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    scores: Any = None,
    connect_timeout_s: float = 5.0,
) -> RunInfo:
    """Run (or resume) a sweep into `out`; `client` reuses an existing Dask client (tests, notebooks); `scores`
    reuses cohort mechanism scores already computed (`chemorad.evidence.scores.Scores`)."""
    if batch_size is not None and batch_size < 1:
        raise ChemoradError(f"--batch-size must be at least 1 (got {batch_size})")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ChemoradError(f"--out {out}: exists and is not a folder")
    with folder_lock(out) as created:
        try:
            manifest = check_folder(out, sweep, batch_size, resume)
            if client is not None:
                return _run(client, sweep, out, source, manifest, batch_size, (data, scores), progress)
            with dask_client(workers, scheduler, connect_timeout_s) as c:  # connect before writing anything to OUT
                return _run(c, sweep, out, source, manifest, batch_size, (data, scores), progress)
        except BaseException:
            if created and not (out / MANIFEST).exists():  # nothing of value written: leave no empty folder behind
                shutil.rmtree(out, ignore_errors=True)
            raise


def _run(client, sweep: Sweep, out: Path, source, manifest, batch_size, data, progress) -> RunInfo:
    from chemorad.sweep.design import design_points

    if manifest is None:
        manifest = create_folder(out, sweep, source, design_points(sweep, *data), batch_size)
    size = manifest["batch_size"]
    info = RunInfo(manifest["n_points"], manifest["n_batches"], size)
    for stale in (out / "results").glob(".*.tmp*"):  # left by an interrupted run
        stale.unlink()
    ledger = read_ledger(out)
    todo = []
    for b in range(info.n_batches):
        problem = check_batch(out, manifest, b, ledger)
        if problem is None:
            info.skipped.append(b)
            if b not in ledger:  # finished by a run interrupted before it could record the batch
                _record(out, b, batch_rows(manifest, b), file_sha256(batch_path(out, b)))
            continue
        if problem != "missing":
            info.recomputed.append(b)
            batch_path(out, b).unlink()
        todo.append(b)
    if progress:
        progress(len(info.skipped), info.n_batches)
    t0 = time.perf_counter()

    design_path = str(out / "design.parquet")

    def task(b: int) -> BatchTask:
        spec = sweep.spec
        return BatchTask(b, design_path, sweep.arms, sweep.integer, spec.replicates, spec.seed, str(batch_path(out, b)))

    if todo:
        _stream(client, todo, task, info, progress, out, sweep.catalog)
    info.seconds = time.perf_counter() - t0
    return info


def _stream(client, todo: list[int], task, info: RunInfo, progress, out: Path, cat: Any) -> None:
    """Submit batches with a bounded number in flight; record each as it finishes. The catalog `cat` is sent to every
    worker once (scattered) and handed to each batch, so a user catalog is what the workers simulate with."""
    from dask.distributed import as_completed

    cat_ref = client.scatter(cat, broadcast=True, hash=False)
    window = 2 * max(1, sum(client.nthreads().values())) + 2
    pending = iter(todo)
    ac = as_completed()
    for b in pending:
        ac.add(client.submit(run_batch, task(b), cat_ref, pure=False))
        if ac.count() >= window:
            break
    for fut in ac:
        b, n, _, digest = fut.result()
        fut.release()
        _record(out, b, n, digest)
        info.computed.append(b)
        info.rows += n
        if progress:
            progress(len(info.skipped) + len(info.computed), info.n_batches)
        nxt = next(pending, None)
        if nxt is not None:
            ac.add(client.submit(run_batch, task(nxt), cat_ref, pure=False))
