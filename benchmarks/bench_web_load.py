"""The web server under load, loopback only, bounded in requests and time.

Starts `chemorad serve` on a free 127.0.0.1 port with the data bundle, waits until the matrix and cross-resistance
are cached, then:
1. 200 GET requests, 10 at a time, over the pages (matrix, a mechanism, a gene, cross-resistance, tumour form,
   simulations, the API list): median and 90th percentile page time, RSS (/proc/PID/status VmRSS) before and after;
2. 50 concurrent uploads of a small scenario (POST /api/simulations), a page requested meanwhile: the upload and page
   times, the peak RSS and thread count while the 50 jobs run, the time until all are done, the RSS after.

Run: CHEMORAD_DATA=../shared/data .venv/bin/python benchmarks/bench_web_load.py
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DATA = Path(os.environ.get("CHEMORAD_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
PAGES = ["/", "/mechanisms/efflux_abcb1", "/genes/ABCB1", "/crossres", "/tumour", "/simulations", "/api"]
SCENARIO = b"""name: load
schedule:
  - kind: radiotherapy
    dose_gy: 2.0
    fractions: 5
simulation:
  days: 10
  dt_days: 0.5
  mode: deterministic
  replicates: 2
  seed: 1
"""
READY_S = 900
DONE_S = 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def get(url: str) -> tuple[int, float, bytes]:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as resp:
            body, status = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return status, time.perf_counter() - t0, body


def post_scenario(base: str) -> tuple[int, float, bytes]:
    b = uuid.uuid4().hex
    body = (
        f'--{b}\r\nContent-Disposition: form-data; name="scenario"; filename="load.yaml"\r\n\r\n'.encode()
        + SCENARIO
        + f"\r\n--{b}--\r\n".encode()
    )
    req = urllib.request.Request(
        base + "/api/simulations", data=body, headers={"Content-Type": f"multipart/form-data; boundary={b}"}
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            out, status = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        out, status = exc.read(), exc.code
    return status, time.perf_counter() - t0, out


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runs = Path(tempfile.mkdtemp(prefix="chemorad-load-runs-"))
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--data", str(DATA), "--runs", str(runs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, object] = {"loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}
    try:
        t0 = time.perf_counter()
        while True:
            try:
                status = json.loads(get(base + "/api/status")[2])
                tables = status["tables"]
                if {"answer", "crossres"} <= set(tables) and all(t["ready"] for t in tables.values()):
                    break
            except (OSError, ValueError, KeyError):
                pass
            if time.perf_counter() - t0 > READY_S or proc.poll() is not None:
                raise SystemExit("server not ready")
            time.sleep(1)
        out["warm_up_s"] = round(time.perf_counter() - t0, 1)
        for p in PAGES:  # one render of each page before the baseline
            get(base + p)
        out["rss_before_pages_mb"] = round(rss_mb(proc.pid), 1)
        urls = [base + PAGES[k % len(PAGES)] for k in range(200)]
        with ThreadPoolExecutor(10) as pool:
            res = list(pool.map(get, urls))
        times = sorted(t for _, t, _ in res)
        out["pages_status"] = sorted({s for s, _, _ in res})
        out["pages_median_s"] = round(statistics.median(times), 3)
        out["pages_p90_s"] = round(times[int(0.9 * len(times))], 3)
        out["per_page_median_s"] = {
            p: round(statistics.median(t for (s, t, _), u in zip(res, urls, strict=True) if u.endswith(p)), 3)
            for p in PAGES
        }
        out["rss_after_pages_mb"] = round(rss_mb(proc.pid), 1)
        out["threads_before_uploads"] = threads(proc.pid)
        t1 = time.perf_counter()
        with ThreadPoolExecutor(51) as pool:
            posts = [pool.submit(post_scenario, base) for _ in range(50)]
            page = pool.submit(get, base + "/simulations").result()
            ups = [f.result() for f in posts]
        out["uploads_status"] = sorted({s for s, _, _ in ups})
        out["upload_median_s"] = round(statistics.median(t for _, t, _ in ups), 3)
        out["page_during_uploads"] = [page[0], round(page[1], 3)]
        ids = {json.loads(b)["id"] for s, _, b in ups if s == 200}
        peak_rss, peak_threads, missing = 0.0, 0, 0
        while time.perf_counter() - t1 < DONE_S:
            listed = {r["id"]: r["state"] for r in json.loads(get(base + "/api/simulations")[2])}
            missing = max(missing, len(ids - set(listed)))
            peak_rss, peak_threads = max(peak_rss, rss_mb(proc.pid)), max(peak_threads, threads(proc.pid))
            if all(listed.get(i) in ("done", "failed", "cancelled") for i in ids):
                break
            time.sleep(0.5)
        out["jobs_done"] = sum(listed.get(i) == "done" for i in ids)
        out["jobs_ever_missing_from_list"] = missing
        out["uploads_to_all_done_s"] = round(time.perf_counter() - t1, 1)
        out["peak_rss_during_jobs_mb"] = round(peak_rss, 1)
        out["peak_threads_during_jobs"] = peak_threads
        time.sleep(2)
        out["rss_after_jobs_mb"] = round(rss_mb(proc.pid), 1)
        out["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
