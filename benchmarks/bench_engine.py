"""The population engine side by side with GillesPy2 1.8.3 on one birth-death-mutation model.

Model: S0 = 1,000 sensitive cells, division 1/day, death 0.3/day, a dividing sensitive cell gives one resistant daughter
with probability mu = 1e-3, resistant cells neutral, 10 days, 100 replicates. In GillesPy2 (mass action) that is
    S -> 2S (b (1 - mu)),  S -> S + R (b mu),  R -> 2R (b),  S -> 0 (d),  R -> 0 (d).
Closed forms (see chemorad.dynamics.engine.expected_counts):
    E[R(10)] = S0 e^{(b-d) t} (1 - e^{-b mu t}) = 10,911.7   (first order in b mu t: S0 b mu t e^{(b-d) t} = 10,966.3)
    E[N(10)] = S0 e^{(b-d) t} = 1,096,633;  Var N(10) = S0 (b+d)/(b-d) e^{(b-d) t} (e^{(b-d) t} - 1)  (Kendall 1948)

Run:
    bash benchmarks/gillespy2/setup_venv.sh          # GillesPy2 + SCons in benchmarks/.venv-gillespy2
    .venv/bin/python benchmarks/bench_engine.py      # --full-exact: chemorad `exact` on the full problem (~2 min)
The GillesPy2 part runs in its own venv (this file re-executed with --peer), with that venv's bin/ first on PATH so its
C solvers find `scons`. Results are recorded in benchmarks/results_engine.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

S0, B, D, MU, T, REPS = 1000, 1.0, 0.3, 1e-3, 10.0, 100
HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv-gillespy2"

E_R = S0 * math.exp((B - D) * T) * (1 - math.exp(-B * MU * T))
E_R_FIRST_ORDER = S0 * B * MU * T * math.exp((B - D) * T)
E_N = S0 * math.exp((B - D) * T)
VAR_N = S0 * (B + D) / (B - D) * math.exp((B - D) * T) * (math.exp((B - D) * T) - 1)


def moments(s: np.ndarray, r: np.ndarray) -> dict[str, float]:
    n = s + r
    k = len(r)
    return {
        "reps": k,
        "mean_R": float(r.mean()),
        "var_R": float(r.var(ddof=1)),
        "se_R": float(r.std(ddof=1) / math.sqrt(k)),
        "mean_N": float(n.mean()),
        "var_N": float(n.var(ddof=1)),
        "se_N": float(n.std(ddof=1) / math.sqrt(k)),
    }


# --- the peer, run inside its own venv --------------------------------------------------------------------------------


def peer(solvers: list[str], reps: int) -> None:
    import gillespy2

    def model() -> gillespy2.Model:
        m = gillespy2.Model(name="bdm")
        m.add_parameter(
            [
                gillespy2.Parameter(name=n, expression=repr(v))
                for n, v in (("kss", B * (1 - MU)), ("ksr", B * MU), ("kr", B), ("kd", D))
            ]
        )
        m.add_species(
            [
                gillespy2.Species(name="S", initial_value=S0, mode="discrete"),
                gillespy2.Species(name="R", initial_value=0, mode="discrete"),
            ]
        )
        m.add_reaction(
            [
                gillespy2.Reaction(name="div_s", reactants={"S": 1}, products={"S": 2}, rate="kss"),
                gillespy2.Reaction(name="mut", reactants={"S": 1}, products={"S": 1, "R": 1}, rate="ksr"),
                gillespy2.Reaction(name="div_r", reactants={"R": 1}, products={"R": 2}, rate="kr"),
                gillespy2.Reaction(name="death_s", reactants={"S": 1}, products={}, rate="kd"),
                gillespy2.Reaction(name="death_r", reactants={"R": 1}, products={}, rate="kd"),
            ]
        )
        m.timespan(np.linspace(0, T, 11))
        return m

    out = {"version": gillespy2.__version__}
    for name in solvers:
        t0 = time.perf_counter()
        solver = getattr(gillespy2, name)(model=model())  # the C solvers compile the model here
        t1 = time.perf_counter()
        res = solver.run(number_of_trajectories=reps, seed=2024)
        t2 = time.perf_counter()
        s = np.array([traj["S"][-1] for traj in res], dtype=float)
        r = np.array([traj["R"][-1] for traj in res], dtype=float)
        out[name] = {"build_s": t1 - t0, "run_s": t2 - t1, **moments(s, r)}
        print(f"  {name}: build {t1 - t0:.1f} s, run {t2 - t1:.2f} s", file=sys.stderr, flush=True)
    print(json.dumps(out))


def run_peer(solvers: list[str], reps: int) -> dict:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        return {"error": f"{python} missing: run bash benchmarks/gillespy2/setup_venv.sh"}
    env = dict(os.environ, PATH=f"{PEER_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(python), __file__, "--peer", "--reps", str(reps), "--solvers", *solvers]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    sys.stderr.write(proc.stderr[-2000:] if proc.returncode else "")
    if proc.returncode:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- chemorad ---------------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{mem_kb / 2**20:.1f} GiB RAM"
    except OSError:
        ram = "RAM unknown"
    return (
        f"nproc {os.cpu_count()}, {cpu}, {ram}; Linux {platform.release()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )


def chemorad_run(mode: str, reps: int = REPS, seed: int = 2024, n0: int = S0, t: float = T) -> tuple[float, dict]:
    from chemorad.dynamics.engine import advance, two_state_rates

    counts0 = np.tile(np.array([n0, 0], dtype=np.int64), (reps, 1))
    rates = two_state_rates(B, D, MU)
    t0 = time.perf_counter()
    out = advance(counts0, rates, t, np.random.default_rng(seed), mode=mode)
    return time.perf_counter() - t0, moments(out[:, 0].astype(float), out[:, 1].astype(float))


def row(tool: str, seconds: float, m: dict, note: str = "") -> str:
    z = (m["mean_R"] - E_R) / m["se_R"]
    zn = (m["mean_N"] - E_N) / m["se_N"]
    return (
        f"| {tool} | {seconds:.3f} | {m['reps']} | {m['mean_R']:,.0f} ± {m['se_R']:,.0f} | {z:+.2f} | "
        f"{m['var_R']:.3g} | {m['mean_N']:,.0f} | {zn:+.2f} | {m['var_N'] / VAR_N:.3f} | {note} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", action="store_true", help="(internal) run GillesPy2 inside its venv")
    ap.add_argument("--solvers", nargs="*", default=["SSACSolver", "TauLeapingCSolver", "TauHybridCSolver"])
    ap.add_argument("--reps", type=int, default=REPS)
    ap.add_argument("--full-exact", action="store_true", help="also run chemorad `exact` on the full 10-day problem")
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()
    if args.peer:
        peer(args.solvers, args.reps)
        return

    print(f"machine: {machine()}")
    print(f"closed form: E[R(10)] = {E_R:,.1f} (first order {E_R_FIRST_ORDER:,.1f}); E[N(10)] = {E_N:,.0f}; ")
    print(f"             Var N(10) = {VAR_N:.4g}\n")
    header = (
        "| tool | wall s | reps | mean R ± SE | z(R) vs 10,911.7 | var R | mean N | z(N) | var N / Kendall | note |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )
    rows = []
    peer_res = {} if args.skip_peer else run_peer(args.solvers, args.reps)
    if "error" in peer_res:
        print(f"GillesPy2 failed: {peer_res['error']}")
    for name in args.solvers:
        if name in peer_res:
            p = peer_res[name]
            rows.append(
                row(f"GillesPy2 {peer_res['version']} {name}", p["run_s"], p, f"+ {p['build_s']:.1f} s compile")
            )
    chemorad_run("tau", reps=2)  # warm-up (imports, scipy expm)
    for mode in ("tau", "auto"):
        best = min((chemorad_run(mode) for _ in range(3)), key=lambda x: x[0])
        rows.append(row(f"chemorad {mode}", *best, "best of 3"))
    if args.full_exact:
        rows.append(row("chemorad exact", *chemorad_run("exact"), "lock-step direct method"))
    secs, m = chemorad_run("exact", t=3.0)
    print(f"chemorad exact, 3 days (E[N] = {S0 * math.exp(0.7 * 3):,.0f}): {secs:.2f} s, mean N {m['mean_N']:,.0f}")
    if "SSACSolver" in peer_res:
        print("(GillesPy2 SSACSolver for comparison: see the table; 3 days: run it with --solvers SSACSolver)")
    print("\n" + header + "\n" + "\n".join(rows))

    print("\nbias of tau at 20,000 replicates (mean exact by construction; variance O(h)):")
    secs, m = chemorad_run("tau", reps=20_000, seed=7)
    print(header + "\n" + row("chemorad tau", secs, m, "20,000 replicates"))

    print("\ntau run time against tumour size (100 replicates, 10 days, best of 3):")
    print("| initial cells | wall s | mean N / E[N] |\n| ---: | ---: | ---: |")
    for k in (3, 5, 7, 9, 11):
        best = min((chemorad_run("tau", n0=10**k) for _ in range(3)), key=lambda x: x[0])
        print(f"| 1e{k} | {best[0]:.3f} | {best[1]['mean_N'] / (10**k * math.exp(7)):.6f} |")


if __name__ == "__main__":
    main()
