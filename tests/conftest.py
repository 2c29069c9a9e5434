"""Shared fixtures.

The data bundle is found as chemorad finds it (`chemorad.bundle.datasets.data_dir`): `$CHEMORAD_DATA`, else
`../shared/data` from the current directory or beside the checkout; tests that need it are skipped without it.
Parsed-data caching goes to a temporary folder for the session (`$CHEMORAD_CACHE`), so tests neither read a stale
cache nor write into the user's home.
"""

import os
from pathlib import Path

# One OpenMP/BLAS thread per test process (unless the caller sets it), before scikit-learn or NumPy load their
# runtimes: the tests fit small problems, where a second thread buys nothing and, on a busy 2-core machine, OpenMP's
# spin-waiting cost far more than the work. Measured at load 9 (issue 25): tests/profile/test_hybrid.py (the
# HistGradientBoosting checks) 148 s wall, 57 s CPU with the default threads; 8.8 s wall, 6 s CPU with one.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

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
    # The rest of what took more than ~5 s in one run of the fast selection with --durations=0 at load 14 on 2 cores
    # (2026-12-07; that run's wall time was 5.4 times a quiet one's, so ~1 s and up on a quiet machine):
    "tests/web/test_hostile_web.py::TestLoad",  # 50 real simulations through a real `chemorad serve`: 185 s
    "tests/web/test_hostile_web.py::TestFilesAndState::test_a_browser_simulation_is_saved",  # a restart: 13 s
    "tests/web/test_hostile_web.py::TestBoundedWork::test_a_large_run_gives_its_memory_back",  # 9 s
    "tests/web/test_pages_new.py::test_a_crawl_from_the_landing_page",  # every link of the site: 32 s
    "tests/profile/test_predictor.py::test_a_bundle_line_prediction_ignores_its_own_response",  # two bundle fits: 89 s
    "tests/profile/test_predictor.py::test_stored_state_is_reused_and_a_bad_one_rebuilt",  # 128 s
    "tests/profile/test_predictor.py::test_a_subset_is_fitted_alone_and_predicts_as_a_larger_state",  # 160 s
    # a radiation-only predictor fitted and stored, then two `chemorad predict` subprocesses: 11-14 s at load 2-4
    "tests/profile/test_stored_ridge.py::test_a_prediction_from_a_stored_state_loads_no_scikit_learn",
    "tests/profile/test_blackbox.py",  # a boosted-trees fit with its CV folds (40 s) and one on the bundle (24 s)
    "tests/profile/test_model.py::test_cross_validation_on_synthetic_tables_beats_tissue_baseline",  # 18 s
    "tests/profile/test_model.py::test_expression_ridge_closed_form_equals_ridgecv",  # 9 s
    "tests/profile/test_readers.py::test_read_profiles_dir_subset_of_bundle",  # 15 s
    "tests/evidence/test_kb.py::test_export",  # the knowledge base of the whole bundle, shared by three tests: 21 s
    "tests/evidence/test_kb.py::test_tsv_columns_are_documented",
    "tests/test_cli_dynamics.py::test_every_example_runs",  # 11 shipped scenarios: 73 s
    "tests/test_cli_dynamics.py::test_crossres_evolution_small",  # 13 s
    "tests/dynamics/test_calibration.py::test_chemo_block_recovers_known_parameters",  # 11 s
    "tests/dynamics/test_simulator.py::test_counts_never_negative_and_the_seed_reproduces",  # 10 s
    "tests/dynamics/test_engine.py::test_per_replicate_rates",  # 7 s
    "tests/test_docs.py::test_python_examples_run[sweeps.md]",  # a Dask sweep: 16 s
    "tests/report/test_figures.py::test_importing_the_report_layer_chooses_no_backend",  # a fresh interpreter: 9 s
    # a bounded `chemorad` subprocess each (interpreter start and imports): 4 x 7, 22, 2 x 9, 7 and 7 s
    "tests/test_hostile.py::test_schedule_sizes_are_checked_before_expansion",
    "tests/test_hostile.py::test_ctrl_c_during_a_sweep",
    "tests/test_hostile.py::test_bootstrap_counts_have_stated_bounds",
    "tests/test_hostile.py::test_schedule_size_in_a_sweep_grid_is_checked_before_expansion",
    "tests/test_hostile.py::test_a_file_size_limit_keeps_the_old_output",
    "tests/test_hostile.py::test_owned_cases[report-out-existing]",  # the report of a bundle line: 9-12 s
)
#: fixtures that need the cell-line data bundle: a test requesting one (directly or through another) is `data`
_DATA_FIXTURES = {"shared_data", "bundle_tables"}


def pytest_configure(config):
    if os.environ.get("CI") and config.option.durations is None:
        config.option.durations = 25  # CI lists the 25 slowest tests, so the suite's budget stays visible


def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    for item in items:
        # the node id (folder/file.py::Class::test[params]), so an entry may name a file, a class, a test or one case
        where = Path(str(item.path)).relative_to(root).as_posix() + item.nodeid[len(item.nodeid.split("::")[0]) :]
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
