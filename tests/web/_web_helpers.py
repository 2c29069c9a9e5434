"""Helpers shared by the web tests (a module, not a package: imported as `_web_helpers`)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path


def get_json(url: str, timeout: float = 30) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record(name: str, value: float) -> None:
    """Print a measurement; with $CHEMORAD_WEB_TIMINGS, append it there as a JSON line (for BENCHMARKS.md)."""
    print(f"web benchmark: {name} = {value:.3f}")
    out = os.environ.get("CHEMORAD_WEB_TIMINGS")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"name": name, "value": value, "time": time.time()}) + "\n")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def load_seconds(driver) -> float:
    """Navigation start to the end of the load event, from the page's own Navigation Timing entry."""
    return driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return (n.loadEventEnd - n.startTime) / 1000;"
    )
