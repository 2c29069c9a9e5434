"""A Dask cluster shared by the sweep tests (2 worker processes; started once, since start-up costs seconds)."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="session")
def dask_cluster():
    from dask.distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    )
    yield cluster
    cluster.close()


@pytest.fixture
def client2(dask_cluster):
    from dask.distributed import Client

    with Client(dask_cluster) as c:
        yield c


@pytest.fixture
def client1():
    """One in-process worker thread (cheap to start; lets tests patch the simulator)."""
    from dask.distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as c:
        yield c
