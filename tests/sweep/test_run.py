"""Dask execution: identical results whatever the number of workers or the batch size; resume after interruption."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _sweep_cases import tiny_sweep

import chemorad.sweep.run as run_mod
from chemorad.errors import ChemoradError
from chemorad.sweep.analysis import compare_arms, distributions, load_results
from chemorad.sweep.evaluate import OUTCOMES, point_seed
from chemorad.sweep.run import batch_path, run_sweep
from chemorad.sweep.spec import parse_sweep


def _sweep(**over):
    return parse_sweep(tiny_sweep(**over), "tiny", hashes={"sweep": "tiny"})


def _files(out: Path) -> dict[str, pd.DataFrame]:
    return {f.name: pd.read_parquet(f) for f in sorted((out / "results").glob("batch-*.parquet"))}


def _all(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / "results").drop(columns="batch")
    return df.sort_values(["point", "arm", "replicate"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, dask_cluster) -> Path:
    """The tiny sweep, uninterrupted, on the shared 2-worker cluster, batches of 3 points."""
    from dask.distributed import Client

    out = tmp_path_factory.mktemp("ref") / "run"
    with Client(dask_cluster) as client:
        info = run_sweep(_sweep(), out, client=client, batch_size=3)
    assert info.n_batches == 4 and sorted(info.computed) == [0, 1, 2, 3]
    return out


def test_one_and_two_workers_give_identical_parquet(reference: Path, client1, tmp_path: Path) -> None:
    info = run_sweep(_sweep(), tmp_path / "one", client=client1, batch_size=3)
    assert sorted(info.computed) == [0, 1, 2, 3]
    ref, one = _files(reference), _files(tmp_path / "one")
    assert list(ref) == list(one)
    for name in ref:
        pd.testing.assert_frame_equal(ref[name], one[name])
    assert _all(reference)["time_to_progression_days"].notna().any()  # the outcomes are not all trivial


def test_batch_size_does_not_change_results(reference: Path, client1, tmp_path: Path) -> None:
    run_sweep(_sweep(), tmp_path / "b5", client=client1, batch_size=5)
    pd.testing.assert_frame_equal(_all(reference), _all(tmp_path / "b5"))


def test_rows_seeds_and_arms(reference: Path) -> None:
    df = _all(reference)
    assert len(df) == 12 * 2 * 2 and set(OUTCOMES) <= set(df.columns)
    assert (df["seed"] == df["point"].map(lambda p: point_seed(5, p))).all()
    # common random numbers: both arms of a point share its seed; replicates of a point differ (tau-leaping)
    assert df.groupby("point")["seed"].nunique().eq(1).all()
    rt = df[df["arm"] == "rt"]
    assert rt.groupby("point")["log10_final_cells"].nunique().gt(1).any()


def test_resume_recomputes_only_missing_batches(reference: Path, client1, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_sweep(_sweep(), out, client=client1, batch_size=3)
    stamps = {b: os.stat(batch_path(out, b)).st_mtime_ns for b in range(4)}
    for b in (1, 3):
        batch_path(out, b).unlink()
    stale = out / "results" / ".batch-000001.parquet.999.tmp"
    stale.write_bytes(b"half a file")
    info = run_sweep(_sweep(), out, client=client1, resume=True)
    assert sorted(info.computed) == [1, 3] and info.skipped == [0, 2]
    assert all(os.stat(batch_path(out, b)).st_mtime_ns == stamps[b] for b in (0, 2))
    assert not stale.exists()
    pd.testing.assert_frame_equal(_all(reference), _all(out))


def test_resume_after_a_crash(reference: Path, client1, tmp_path: Path, monkeypatch) -> None:
    """A worker failure part-way (point 7 raises) leaves the finished batches; --resume finishes the rest."""
    real = run_mod.evaluate_point

    def crashing(arms, row, *args):
        if row["point"] == 7:
            raise RuntimeError("worker died")
        return real(arms, row, *args)

    out = tmp_path / "run"
    monkeypatch.setattr(run_mod, "evaluate_point", crashing)
    with pytest.raises(RuntimeError, match="worker died"):
        run_sweep(_sweep(), out, client=client1, batch_size=3)
    monkeypatch.setattr(run_mod, "evaluate_point", real)
    _wait_idle(client1)  # batches already queued on the worker still finish after the client gave up
    done = {b: os.stat(batch_path(out, b)).st_mtime_ns for b in range(4) if batch_path(out, b).exists()}
    assert 2 not in done and done  # the batch holding point 7 never finished; at least one other did
    info = run_sweep(_sweep(), out, client=client1, resume=True)
    assert sorted(info.computed) == sorted(set(range(4)) - set(done))
    assert all(os.stat(batch_path(out, b)).st_mtime_ns == t for b, t in done.items())
    pd.testing.assert_frame_equal(_all(reference), _all(out))


def _wait_idle(client, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_folder_guards(reference: Path, client1, tmp_path: Path) -> None:
    with pytest.raises(ChemoradError, match="already holds this sweep"):
        run_sweep(_sweep(), reference, client=client1)
    other = parse_sweep(tiny_sweep(seed=6), "other", hashes={"sweep": "other"})
    with pytest.raises(ChemoradError, match="different sweep"):
        run_sweep(other, reference, client=client1, resume=True)
    with pytest.raises(ChemoradError, match="--batch-size 2"):
        run_sweep(_sweep(), reference, client=client1, resume=True, batch_size=2)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    with pytest.raises(ChemoradError, match="not an empty folder"):
        run_sweep(_sweep(), tmp_path / "x", client=client1)


def test_unreachable_scheduler_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ChemoradError, match="cannot connect"):
        run_sweep(_sweep(), tmp_path / "r", scheduler="tcp://127.0.0.1:9", connect_timeout_s=1.0)
    assert not (tmp_path / "r").exists()  # nothing written before connecting


def test_analysis_of_the_reference(reference: Path) -> None:
    r = load_results(reference)
    dist = distributions(r)
    assert set(dist["arm"]) == {"rt", "cis_rt"} and (dist.loc[dist["outcome"] == "log_kill", "n"] == 24).all()
    comp = compare_arms(r)
    row = comp[comp["outcome"] == "log_kill"].iloc[0]
    assert (
        row["arm"] == "cis_rt" and row["n_points"] == 12 and row["ci_low"] <= row["mean_difference"] <= row["ci_high"]
    )
    assert np.isfinite(comp["mean_difference"]).all()


# ------------------------------------------------------------------------------------- issue 17: damage and races
def test_resume_recomputes_a_corrupt_batch_and_a_tampered_one(reference: Path, client1, tmp_path: Path) -> None:
    """A damaged batch file used to count as finished on --resume, so the sweep could never complete."""
    out = tmp_path / "run"
    run_sweep(_sweep(), out, client=client1, batch_size=3)
    assert sorted(run_mod.read_ledger(out)) == [0, 1, 2, 3]
    batch_path(out, 1).write_bytes(batch_path(out, 1).read_bytes()[:100])  # cut short
    batch_path(out, 2).write_bytes(batch_path(out, 0).read_bytes())  # valid Parquet, wrong contents
    info = run_sweep(_sweep(), out, client=client1, resume=True)
    assert sorted(info.recomputed) == [1, 2] and sorted(info.computed) == [1, 2] and info.skipped == [0, 3]
    pd.testing.assert_frame_equal(_all(reference), _all(out))


def test_resume_checks_a_batch_the_ledger_never_recorded(reference: Path, client1, tmp_path: Path) -> None:
    """A run killed between a worker's rename and the client's ledger line: the file is read back and row-counted."""
    out = tmp_path / "run"
    run_sweep(_sweep(), out, client=client1, batch_size=3)
    (out / run_mod.LEDGER).write_text((out / run_mod.LEDGER).read_text().splitlines()[0] + '\n{"batch": 2, "sha')
    kept = os.stat(batch_path(out, 1)).st_mtime_ns
    batch_path(out, 3).write_bytes(b"PAR1 garbage")
    info = run_sweep(_sweep(), out, client=client1, resume=True)
    assert sorted(info.computed) == [3] and os.stat(batch_path(out, 1)).st_mtime_ns == kept
    assert sorted(run_mod.read_ledger(out)) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(_all(reference), _all(out))


def test_a_second_sweep_into_a_locked_folder_is_refused(client1, tmp_path: Path) -> None:
    out = tmp_path / "new"
    with run_mod.folder_lock(out):
        with pytest.raises(ChemoradError, match="another chemorad process is writing to this folder"):
            run_sweep(_sweep(), out, client=client1)
    assert not (out / "manifest.json").exists()
    info = run_sweep(_sweep(), out, client=client1, batch_size=6)  # the lock is released with its holder
    assert sorted(info.computed) == [0, 1]


def test_the_lock_is_taken_across_processes(tmp_path: Path) -> None:
    """flock is per open file description: a second process must be refused while the first holds the folder."""
    import subprocess
    import sys

    out = tmp_path / "shared"
    code = (
        "import sys, time; from pathlib import Path; from chemorad.sweep.run import folder_lock\n"
        f"with folder_lock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ChemoradError, match="another chemorad process"):
            with run_mod.folder_lock(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_mod.folder_lock(out):  # released when the holder died, however it died
        pass


def test_a_failed_start_leaves_no_folder_behind(tmp_path: Path) -> None:
    with pytest.raises(ChemoradError, match="cannot connect"):
        run_sweep(_sweep(), tmp_path / "r", scheduler="tcp://127.0.0.1:9", connect_timeout_s=1.0)
    assert not (tmp_path / "r").exists()


def test_report_refuses_damaged_batches_and_manifest(reference: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    batch_path(out, 2).write_bytes(b"not parquet")
    with pytest.raises(ChemoradError, match=r"batch-000002.parquet: SHA-256 differs.*--resume"):
        load_results(out)
    (out / run_mod.LEDGER).unlink()  # without the ledger the file itself is found unreadable
    with pytest.raises(ChemoradError, match=r"batch-000002.parquet: not readable as Parquet"):
        load_results(out)
    (out / "manifest.json").write_text('{"name": "tiny", "arms": [')
    with pytest.raises(ChemoradError, match="manifest.json: unreadable"):
        load_results(out)


@pytest.mark.parametrize(
    ("design", "needle"),
    [
        ({"kind": "sobol", "samples": 1_000_000_000}, "design.samples up to"),
        ({"kind": "lhs", "samples": 1_000_000_000}, "design.samples giving up to"),
    ],
)
def test_huge_designs_are_refused_before_allocation(design, needle) -> None:
    with pytest.raises(ChemoradError, match=needle) as info:
        _sweep(design=design)
    assert "1,000,000,000" in str(info.value) or "4,000,000,000" in str(info.value)
    assert "GiB are available" in str(info.value)


def test_cohort_of_a_billion_members_is_refused_before_loading_data() -> None:
    raw = tiny_sweep(design={"kind": "cohort", "members": 1_000_000_000, "tissue": "lung"}, parameters=[])
    with pytest.raises(ChemoradError, match="design.members giving up to"):
        parse_sweep(raw, "big", hashes={"sweep": "big"})


def test_size_check_admits_what_fits() -> None:
    from chemorad.sweep.spec import _check_size

    spec = _sweep(design={"kind": "sobol", "samples": 1024}).spec
    _check_size(spec, "ok", memory=1 << 30)
    with pytest.raises(ChemoradError, match="0.0 GiB are available"):
        _check_size(spec, "tight", memory=1 << 20)
