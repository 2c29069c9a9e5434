"""The web explorer's pages, quiet and under load, and the tumour page warm (issue 26's targets: median page < 200 ms
under 200 requests 10 at a time, tumour page < 2 s warm, memory within 10% of its start).

Starts `chemorad serve` on a free 127.0.0.1 port with the data bundle (`--n-boot 20`), waits until every cached table
is ready, then:
1. quiet: each page requested 10 times one after another (after one warm request): median per page;
2. loaded: 200 GET requests, 10 at a time, cycling over the pages: median, 90th percentile, per-page medians, RSS
   (/proc/PID/status VmRSS) before and after;
3. the tumour page: POST /tumour (MAF + expression of one new sample, radiotherapy and cisplatin) 3 times; the first
   fits or loads the predictor, the later ones are warm ($BENCH_TUMOUR_S: the wait for one, default 600 s; 0 skips).

Run: CHEMORAD_DATA=../shared/data python benchmarks/bench_web_pages.py (state the load: cat /proc/loadavg).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_web import DATA, THERAPIES, free_port, multipart, patient, rss_mb

PAGES = [
    "/",
    "/?verdict=chemotherapy_only",
    "/?open=efflux_abcb1/gain",
    "/matrix",
    "/mechanisms/efflux_abcb1",
    "/genes/ABCB1",
    "/crossres",
    "/drugs/cisplatin",
    "/cell-lines/42MGBA",
    "/scatter?gene=ABCB1&response=docetaxel",
    "/glossary",
    "/api/answer",
]
READY_S = 1800
#: seconds one tumour page may take before the benchmark records it as unanswered (0: skip the tumour page)
TUMOUR_S = float(os.environ.get("BENCH_TUMOUR_S", "600"))


def get(url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - t0


def wait_ready(base: str, proc: subprocess.Popen) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < READY_S and proc.poll() is None:
        try:
            with urllib.request.urlopen(base + "/api/status", timeout=10) as resp:
                tables = json.loads(resp.read())["tables"]
            if {"answer_doc", "crossres"} <= set(tables) and all(t["ready"] for t in tables.values()):
                return time.perf_counter() - t0
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(1)
    raise SystemExit("server not ready")


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runs = Path(tempfile.mkdtemp(prefix="chemorad-bench-runs-"))
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--data", str(DATA)]
    proc = subprocess.Popen([*cmd, "--runs", str(runs), "--n-boot", "20"], stderr=subprocess.DEVNULL)
    out: dict[str, object] = {"loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}
    try:
        out["warm_up_s"] = round(wait_ready(base, proc), 1)
        out["first_request_s"] = {p: round(get(base + p)[1], 3) for p in PAGES}
        out["quiet_median_s"] = {p: round(statistics.median(get(base + p)[1] for _ in range(10)), 4) for p in PAGES}
        rss0 = rss_mb(proc.pid)
        urls = [base + PAGES[k % len(PAGES)] for k in range(200)]
        with ThreadPoolExecutor(10) as pool:
            res = list(pool.map(get, urls))
        rss1 = rss_mb(proc.pid)
        times = sorted(t for _, t in res)
        out["loaded_status"] = sorted({s for s, _ in res})
        out["loaded_median_s"] = round(statistics.median(times), 4)
        out["loaded_p90_s"] = round(times[int(0.9 * len(times))], 4)
        out["loaded_per_page_median_s"] = {
            p: round(statistics.median(t for (_, t), u in zip(res, urls, strict=True) if u == base + p), 4)
            for p in PAGES
        }
        out["rss_before_after_mb"] = [round(rss0, 1), round(rss1, 1), f"{100 * (rss1 / rss0 - 1):+.1f}%"]
        files = patient(Path(tempfile.mkdtemp(prefix="chemorad-bench-patient-")))
        body, ctype = multipart(
            {"maf": files["maf"], "expression": files["expression"]},
            {"tissue": files["tissue"], "therapies": THERAPIES},
        )
        tumour = out["tumour_page_s"] = []
        for _ in range(3 if TUMOUR_S > 0 else 0):
            req = urllib.request.Request(base + "/tumour", data=body, headers={"Content-Type": ctype})
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=TUMOUR_S) as resp:
                    resp.read()
                tumour.append(round(time.perf_counter() - t0, 2))
            except OSError as exc:  # a timeout is a result too: recorded, not lost
                tumour.append(f"no answer after {time.perf_counter() - t0:.0f} s ({exc})")
                break
        out["rss_after_tumour_mb"] = round(rss_mb(proc.pid), 1)
        out["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        print(json.dumps(out, indent=1), flush=True)  # whatever was measured, even when a later step failed
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
