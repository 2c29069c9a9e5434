"""The web explorer: start-up (cache warm-up), memory at rest, matrix and prediction latency, beside the command line
doing the same prediction (baseline).

Starts `chemorad serve` on a free loopback port, waits until the matrix and cross-resistance are cached, then:
- RSS of the server process at rest (/proc/PID/status VmRSS);
- GET / (the matrix page, HTML) and GET /api/matrix, best and median of 5;
- POST /api/predict with a MAF + expression of one new sample (2 therapies), 3 times;
- baseline: `chemorad predict` on the same files and therapies as a fresh process, 3 times.
The browser-side load times (Navigation Timing) come from tests/web/test_browser.py (CHEMORAD_WEB_TIMINGS=file).

Run: CHEMORAD_DATA=../shared/data .venv/bin/python benchmarks/bench_web.py
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
import urllib.request
import uuid
from pathlib import Path

from chemorad.bundle import datasets as ds
from chemorad.catalog import catalog

DATA = Path(os.environ.get("CHEMORAD_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
THERAPIES = "radiotherapy,cisplatin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def patient(root: Path) -> dict[str, Path]:
    lines = ds.cell_lines(DATA)
    line = str(lines[(lines["n_datasets"] == lines["n_datasets"].max()) & lines["tissue"].notna()].index[0])
    genes = sorted({mk.gene for m in catalog().mechanisms.values() for mk in m.markers})
    expr = ds.load_expression(data=DATA)
    table = expr.loc[[line], [g for g in genes if g in expr.columns]].T.rename(columns={line: "PATIENT-1"})
    table.index.name = "Hugo_Symbol"
    table.to_csv(root / "expression.tsv", sep="\t")
    (root / "tumour.maf").write_text(
        "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\nTP53\tNonsense_Mutation\tPATIENT-1\n"
    )
    return {"maf": root / "tumour.maf", "expression": root / "expression.tsv", "tissue": str(lines.loc[line, "tissue"])}


def multipart(files: dict[str, Path], fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, p in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{p.name}"\r\n\r\n'
        parts.append(head.encode() + p.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--data", str(DATA)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.perf_counter()
    try:
        while True:
            try:
                st = json.loads(urllib.request.urlopen(base + "/api/status", timeout=5).read())
                if {"answer", "crossres"} <= set(st["tables"]) and all(t["ready"] for t in st["tables"].values()):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        warm = time.perf_counter() - t0
        time.sleep(1)
        rss = rss_mb(proc.pid)
        page = timed(lambda: urllib.request.urlopen(base + "/", timeout=60).read(), 5)
        api = timed(lambda: urllib.request.urlopen(base + "/api/matrix", timeout=60).read(), 5)
        with tempfile.TemporaryDirectory() as tmp:
            f = patient(Path(tmp))
            body, ctype = multipart(
                {"maf": f["maf"], "expression": f["expression"]}, {"tissue": f["tissue"], "therapies": THERAPIES}
            )

            def post() -> None:
                req = urllib.request.Request(base + "/api/predict", data=body, headers={"Content-Type": ctype})
                assert json.loads(urllib.request.urlopen(req, timeout=600).read())

            pred = timed(post, 3)
            cli = [sys.executable, "-m", "chemorad.cli", "predict", "--maf", str(f["maf"]), "--expression"]
            cli += [str(f["expression"]), "--tissue", f["tissue"], "--data", str(DATA), "--therapies", THERAPIES]
            base_cli = timed(lambda: subprocess.run(cli, check=True, capture_output=True), 3)
        rss_after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"load average at the end: {os.getloadavg()}")
    print(f"warm-up (start to matrix + cross-resistance cached): {warm:.1f} s")
    print(f"server RSS at rest: {rss:.0f} MB; after 3 predictions: {rss_after:.0f} MB")
    print(f"GET / (matrix HTML): best {min(page):.3f} s, median {statistics.median(page):.3f} s")
    print(f"GET /api/matrix: best {min(api):.3f} s, median {statistics.median(api):.3f} s")
    print(f"POST /api/predict (MAF + expression, {THERAPIES}): {', '.join(f'{x:.1f}' for x in pred)} s")
    print(f"baseline chemorad predict, same input (fresh process): {', '.join(f'{x:.1f}' for x in base_cli)} s")


if __name__ == "__main__":
    main()
