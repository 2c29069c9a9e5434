"""A real `chemorad serve` on a free loopback port (a subprocess, as a user starts it) and headless Debian chromium
driven by Selenium through Debian's chromedriver.

Selenium rather than Playwright: Debian ships chromium and chromium-driver built from the same source, so the driver
always matches the browser, with no browser download; Playwright pins its own browser build and only talks to others on
a best-effort basis. Under CI (CI=true) a missing browser, driver or selenium fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _web_helpers import get_json, record, rss_mb

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The start computes the matrix and the cross-resistance (about 40 s on a busy 2-core machine) and, since the session's
# cache folder is new, the answer of the whole bundle (about 2.5 min with the machine to itself, up to 10 min at load
# 20 on 2 cores).
READY_TIMEOUT_S = 1200


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} not found: .ci/run must install Debian's chromium and chromium-driver, and selenium")
    pytest.skip(f"{what} not installed (apt-get install chromium chromium-driver; pip install selenium)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory) -> Path:
    """A runs folder with one simulate-like result (summary.csv) to browse."""
    root = tmp_path_factory.mktemp("runs")
    sim = root / "hn" / "run1"
    sim.mkdir(parents=True)
    (sim / "summary.csv").write_text("replicate,log_kill\n0,5.1\n1,5.2\n")
    return root


@pytest.fixture(scope="session")
def server(shared_data, runs_dir, tmp_path_factory):
    """Base URL of a running server whose caches are warm; stopped (by its own pid) at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src"), *sys.path])}
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--data", str(shared_data)]
    cmd += ["--runs", str(runs_dir), "--n-boot", "20"]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chemorad serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                status = get_json(f"{base}/api/status", timeout=5)
                tables = status["tables"]
                if {"answer", "crossres"} <= set(tables) and all(t["ready"] for t in tables.values()):
                    break
            except OSError:
                pass
            if time.perf_counter() - t0 > READY_TIMEOUT_S:
                pytest.fail(f"chemorad serve not ready after {READY_TIMEOUT_S} s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        record("server_warm_up_s", time.perf_counter() - t0)
        time.sleep(1.0)
        record("server_rss_at_rest_mb", rss_mb(proc.pid))
        _SERVER["pid"] = proc.pid
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


_SERVER: dict[str, int] = {}


@pytest.fixture(scope="session")
def server_pid(server) -> int:
    """The process id of the `server` fixture's `chemorad serve` (for its memory)."""
    return _SERVER["pid"]


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(Path(path).name)):
            _missing(path)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    driver.set_page_load_timeout(600)
    # a form post that predicts waits for its page: minutes on a busy machine, beyond selenium's 120 s per command
    driver.command_executor._client_config.timeout = 900
    try:
        yield driver
    finally:
        driver.quit()
