"""The tumour page warm, and the server's memory over repeated predictions (issue 26: tumour page < 2 s warm; memory
flat, within 10%, over repeated use).

1. In process: the tumour page's two parts timed apart, `$BENCH_INPROCESS` times (default 10) after one warm-up
   call: the prediction (`web.routers.tumour.predict_files`: reading the upload, scoring it, the stored fitted
   predictor) and the web layer (`report_view` with the SVG drawing, then the page template).
2. A real `chemorad serve` on a free 127.0.0.1 port (`--n-boot 20`), once every cached table is ready: POST /tumour
   (MAF + expression of one new sample; radiotherapy, cisplatin, docetaxel) 5 times to warm up, then `$BENCH_N`
   times (default 200) one after another: median and 90th percentile time, and the server's RSS (/proc/PID/status
   VmRSS) before, every 20 predictions, and after.

Run: CHEMORAD_DATA=../shared/data python benchmarks/bench_web_tumour.py (state the load: cat /proc/loadavg).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_web import DATA, free_port, multipart, patient, rss_mb
from bench_web_pages import wait_ready

N = int(os.environ.get("BENCH_N", "200"))
N_INPROCESS = int(os.environ.get("BENCH_INPROCESS", "10"))
THERAPIES = "radiotherapy,cisplatin,docetaxel"


def in_process(files: dict) -> dict:
    """Seconds of the prediction and of the web layer of one tumour page, median of `N_INPROCESS` warm calls."""
    from chemorad.context import Context
    from chemorad.report.profile_report import report_view
    from chemorad.web.app import create_app
    from chemorad.web.report_svg import SVG
    from chemorad.web.routers.tumour import predict_files
    from chemorad.web.services import Explorer

    ex = Explorer(Context.create(data=DATA), n_boot=20)
    env = create_app(ex).state.templates
    form = {"cell_line": "", "tissue": files["tissue"], "therapies": THERAPIES, "level": "0.9", "scale": "auto"}
    paths = {"maf": files["maf"], "expression": files["expression"], "copy_number": None, "protein": None}
    paths["tissues"] = None
    predict_s, web_s = [], []
    for k in range(N_INPROCESS + 1):
        t0 = time.perf_counter()
        res = predict_files(ex, form, paths)
        t1 = time.perf_counter()
        index = res.predictions.scores.scores.index
        views = [report_view(ex.cat, res.predictions, res.profile, s, res.level, drawing=SVG) for s in index]
        env.get_template("prediction.html").render(has_data=True, title="Prediction", views=views)
        t2 = time.perf_counter()
        if k:  # the first call loads the stored predictor and the bundle's reference
            predict_s.append(t1 - t0)
            web_s.append(t2 - t1)
    return {
        "prediction_median_s": round(statistics.median(predict_s), 3),
        "web_layer_median_s": round(statistics.median(web_s), 3),
        "prediction_s": [round(x, 2) for x in predict_s],
        "web_layer_s": [round(x, 3) for x in web_s],
    }


def post(base: str, body: bytes, ctype: str) -> tuple[int, float]:
    req = urllib.request.Request(base + "/tumour", data=body, headers={"Content-Type": ctype})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        resp.read()
        return resp.status, time.perf_counter() - t0


def main() -> None:
    out: dict[str, object] = {"loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}
    files = patient(Path(tempfile.mkdtemp(prefix="chemorad-bench-patient-")))
    if N_INPROCESS:  # before the server starts: the two do not share the CPU
        out["in_process"] = in_process(files)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    runs = Path(tempfile.mkdtemp(prefix="chemorad-bench-runs-"))
    cmd = [sys.executable, "-m", "chemorad.cli", "serve", "--port", str(port), "--data", str(DATA)]
    proc = subprocess.Popen([*cmd, "--runs", str(runs), "--n-boot", "20"], stderr=subprocess.DEVNULL)
    try:
        out["server_warm_up_s"] = round(wait_ready(base, proc), 1)
        out["rss_ready_mb"] = round(rss_mb(proc.pid), 1)
        body, ctype = multipart(
            {"maf": files["maf"], "expression": files["expression"]},
            {"tissue": files["tissue"], "therapies": THERAPIES},
        )
        out["warm_up_posts_s"] = [round(post(base, body, ctype)[1], 2) for _ in range(5)]
        rss = [round(rss_mb(proc.pid), 1)]
        times, status = [], set()
        for k in range(N):
            s, t = post(base, body, ctype)
            status.add(s)
            times.append(t)
            if (k + 1) % 20 == 0:
                rss.append(round(rss_mb(proc.pid), 1))
        out["status"] = sorted(status)
        out["tumour_page_median_s"] = round(statistics.median(times), 3)
        out["tumour_page_p90_s"] = round(sorted(times)[int(0.9 * len(times))], 3)
        out["tumour_page_max_s"] = round(max(times), 3)
        out["rss_every_20_mb"] = rss
        out["rss_growth"] = f"{100 * (rss[-1] / rss[0] - 1):+.1f}%"
        out["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        print(json.dumps(out, indent=1), flush=True)
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
