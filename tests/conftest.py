"""Shared fixtures.

The data bundle is found as chemorad finds it (`chemorad.bundle.datasets.data_dir`): `$CHEMORAD_DATA`, else
`../shared/data` from the current directory or beside the checkout; tests that need it are skipped without it.
Parsed-data caching goes to a temporary folder for the session (`$CHEMORAD_CACHE`), so tests neither read a stale
cache nor write into the user's home.
"""

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Under CI the property tests draw the same examples every run (a red CI then means a change, not a lucky draw);
# locally they explore new examples each run.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def _private_parse_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CHEMORAD_CACHE", str(tmp_path_factory.mktemp("chemorad-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real cell-line data bundle ($CHEMORAD_DATA, else ../shared/data); the test is skipped if absent."""
    from chemorad.bundle.datasets import data_dir
    from chemorad.errors import ChemoradError

    try:
        return data_dir()
    except ChemoradError as exc:
        pytest.skip(f"cell-line data bundle not found: {exc}")
