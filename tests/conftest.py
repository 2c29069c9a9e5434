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

# Markers (registered in pyproject.toml) applied by rule, so a new test in these places is marked without remembering:
# `make test-fast` deselects slow, jax and browser; `make test` and CI run everything.
_JAX = ("tests/calibration/",)  # NumPyro/JAX models: compilation dominates (test_basis alone 73 s on a quiet machine)
_BROWSER = ("tests/web/test_browser.py",)  # drives Debian's chromium through selenium
_SLOW = (
    *_JAX,
    *_BROWSER,
    "tests/sweep/",  # Dask local clusters with worker processes (the folder: 5 min 22 s at load 11)
    "tests/test_demo.py",  # three demo stages, including 20 replicates of a 7-week simulation
    "tests/bundle/test_repository_data.py",  # the claim verdicts of the whole bundle (59 s at load 11)
    # Data tests that refit models on the whole bundle; seconds measured in one run of the `data` tests at load 12-15
    # on 2 cores (issue 25), so roughly 5-7 times less on a quiet machine:
    "tests/test_cli_profile.py",  # predict/report refits: 70, 56, 40, 40, 36, 30, 27, 24, 22, 21 s
    "tests/profile/test_predict.py",  # a shared fit 86 s, leave-one-out 72 s
    "tests/profile/test_model.py::test_real_yard_auc_model_and_two_fold_cv",  # 26 s
    # each estimator beyond the marker ridge fitted twice on the bundle's radiation: 10-52 s each at load 11
    "tests/profile/test_predictor.py::test_every_estimator_keeps_a_bundle_line_honest_and_stores_as_data",
    "tests/test_cli_regimens.py",  # regimens for a bundle line 38 s
    "tests/test_cli_evidence.py",  # crossres 95 s, claims 26 s, scan 25 s, conditional 15 s
    "tests/evidence/test_claims.py",  # the evidence tables of the bundle 53 s
    "tests/evidence/test_associations.py",  # expression x GDSC2 on the real subset 32 s
    "tests/bundle/test_bundle_io.py::test_parse_cache_gives_identical_tables_and_can_be_disabled",  # 63 s
)
#: fixtures that need the cell-line data bundle: a test requesting one (directly or through another) is `data`
_DATA_FIXTURES = {"shared_data", "bundle_tables"}


def pytest_configure(config):
    if os.environ.get("CI") and config.option.durations is None:
        config.option.durations = 25  # CI lists the 25 slowest tests, so the suite's budget stays visible


def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix() + "::" + item.name.split("[")[0]
        if _DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures:  # any test driving chromium, wherever it lives
            item.add_marker(pytest.mark.browser)
        if {"browser", "server"} & fixtures:  # a real `chemorad serve` on the bundle: minutes of warm-up
            item.add_marker(pytest.mark.slow)
        for marker, places in (("jax", _JAX), ("browser", _BROWSER), ("slow", _SLOW)):
            if where.startswith(places):
                item.add_marker(getattr(pytest.mark, marker))


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
