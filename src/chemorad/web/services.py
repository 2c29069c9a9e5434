"""What the web pages show, computed once per server by the domain functions and kept in memory.

`Explorer` holds the `Context` (catalog, data folder) and caches the slow tables: the chain's resistance factors
(`chain.specificity`), the claim verdicts (`evidence.claims`), the cross-resistance of radiation with every drug
(`evidence.crossres`). A background thread fills the caches when the server starts (`warm`), so that pages are quick
once it has finished; a page asked for before that waits for the table it needs. No science lives here.
"""

from __future__ import annotations

import importlib
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from chemorad.context import Context
from chemorad.errors import ChemoradError

#: what the warm-up threads import, imported first by the calling thread (`Explorer.warm`)
_WARM_IMPORTS = (
    "jax",
    "chemorad.chain.specificity",
    "chemorad.evidence.claims",
    "chemorad.evidence.crossres",
    "chemorad.report.answer",
    "chemorad.report.answer_doc",
    "chemorad.app.answer",
    "chemorad.calibration.posterior",
    "chemorad.calibration.verdicts",
)


def release_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    The warm-up's intermediate tables are freed when it ends, but glibc keeps the freed heap: measured once (2 cores,
    load 10, the answer computed by the server itself), the server's RSS when ready went from 836 to 758 MB (-9%) with
    this call, which takes milliseconds."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): the allocator keeps its pages
        pass


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    value: Any = None
    error: str | None = None
    done: bool = False
    seconds: float = 0.0


class Explorer:
    """The server's state: the context, the cached domain tables, the runs folder to browse."""

    def __init__(self, ctx: Context, runs_dir: Path | None = None, n_boot: int = 200) -> None:
        self.ctx = ctx
        self.cat = ctx.catalog
        self.runs_dir = (runs_dir or Path.cwd()).resolve()
        self.n_boot = n_boot
        self._slots: dict[str, _Slot] = {}
        self._guard = threading.Lock()
        self._memo: OrderedDict = OrderedDict()

    #: rendered pages kept (least recently used dropped first), so memory stays bounded over many distinct queries
    MEMO_SIZE = 64

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per `key` (a page and its query) while its tables last, in a bounded LRU; errors are not
        kept. A value computed before its tables were ready is computed again next time (the key holds their state)."""
        with self._guard:
            hit = (key, self._ready())
            if hit in self._memo:
                self._memo.move_to_end(hit)
                return self._memo[hit]
        value = compute()
        with self._guard:
            self._memo[(key, self._ready())] = value  # the tables' state after computing, as the next request sees it
            while len(self._memo) > self.MEMO_SIZE:
                self._memo.popitem(last=False)
        return value

    # -- caching --------------------------------------------------------------------------------------------------
    def _once(self, name: str, compute: Callable[[], Any]) -> Any:
        with self._guard:
            slot = self._slots.setdefault(name, _Slot())
        with slot.lock:
            if not slot.done:
                t0 = time.perf_counter()
                try:
                    slot.value = compute()
                except ChemoradError as exc:  # e.g. no data bundle: the pages say so instead of failing
                    slot.error = str(exc)
                except Exception as exc:  # a bug: kept as the table's error (not a table left "not ready" forever)
                    slot.error = f"{name}: {type(exc).__name__}: {exc}"
                    traceback.print_exc()
                slot.seconds = time.perf_counter() - t0
                slot.done = True
        return slot.value

    def _ready(self) -> tuple[str, ...]:
        return tuple(sorted(n for n, s in self._slots.items() if s.done))

    def status(self) -> dict:
        """Which tables are ready, how long each took, and any one-line error."""
        return {
            name: {"ready": s.done, "seconds": round(s.seconds, 2), "error": s.error}
            for name, s in sorted(self._slots.items())
        }

    def error(self, name: str) -> str | None:
        slot = self._slots.get(name)
        return slot.error if slot else None

    def warm(self) -> threading.Thread:
        """Fill the caches in background threads (the landing page's tables in one; claims, then cross-resistance, in
        the other).

        JAX is imported here first, in the calling thread: the calibrated verdicts import it lazily, and a module
        half-imported by one thread breaks SciPy in the other (`scipy.stats` asks `sys.modules["jax"]` for its array
        type and finds a partially initialised module: measured, the claims table then never filled). So are the modules
        the two threads import (measured: two threads importing `chemorad.chain` at once, in a process that had not
        imported it yet, failed one with "cannot import name 'resistance_factors' from partially initialized
        module")."""
        for name in _WARM_IMPORTS:
            importlib.import_module(name)

        def run() -> None:
            self.answer()
            self.crossres()
            release_memory()

        def run_answer() -> None:  # the landing page's tables; their own thread, so the landing page is first ready
            self.calibrated()
            self.answer_doc()
            release_memory()

        threading.Thread(target=run_answer, name="chemorad-warm-answer", daemon=True).start()
        thread = threading.Thread(target=run, name="chemorad-warm", daemon=True)
        thread.start()
        return thread

    # -- data -----------------------------------------------------------------------------------------------------
    def data(self) -> Path:
        return self.ctx.data_dir()

    def has_data(self) -> bool:
        try:
            self.data()
        except ChemoradError:
            return False
        return True

    def resistance_factors(self) -> pd.DataFrame:
        from chemorad.chain.specificity import resistance_factors

        return self._once("resistance_factors", lambda: resistance_factors(self.cat))

    def specificity_verdicts(self) -> pd.DataFrame:
        from chemorad.chain.specificity import verdicts

        return self._once("specificity_verdicts", lambda: verdicts(self.cat, self.resistance_factors()))

    def claims(self) -> pd.DataFrame | None:
        from chemorad.evidence.claims import claim_verdicts

        return self._once("claims", lambda: claim_verdicts(self.cat, self.data()))

    def answer(self) -> pd.DataFrame:
        from chemorad.report.answer import answer_matrix

        return self._once("answer", lambda: answer_matrix(self.cat, self.resistance_factors(), self.claims()))

    def calibrated(self) -> pd.DataFrame | None:
        """The calibrated verdicts per mechanism and direction (`app.answer.calibrated_verdicts`, cached on disk)."""
        from chemorad.app.answer import calibrated_verdicts

        return self._once("calibrated_verdicts", lambda: calibrated_verdicts(self.ctx))

    def answer_doc(self) -> dict | None:
        """The `chemorad answer` document of the whole bundle (`report.answer_doc.cached_answer`: the same function and
        disk cache as the command), or the catalog-and-model-only document without a data bundle."""
        from chemorad.report.answer_doc import cached_answer

        def compute() -> dict:
            folder = self.data() if self.has_data() else None
            return cached_answer(self.cat, folder, self.ctx.cache_dir)[0]

        return self._once("answer_doc", compute)

    def evidence_tables(self):
        from chemorad.evidence.claims import evidence_tables

        return self._once("evidence_tables", lambda: evidence_tables(self.cat, self.data()))

    def tissue(self) -> pd.Series:
        from chemorad.bundle import datasets as ds

        return self._once("tissue", lambda: ds.cell_lines(self.data())["tissue"])

    def crossres(self) -> pd.DataFrame | None:
        """Radiation vs every drug response: partial r given tissue, bootstrap CI, FDR, mediating mechanisms."""
        from chemorad.evidence.crossres import explained_cross_resistance

        def compute() -> pd.DataFrame:
            tables = self.evidence_tables()
            if tables is None:
                raise ChemoradError(self.error("evidence_tables") or "no data bundle")
            sc, resp, _ = tables
            tissue = self.tissue()
            return explained_cross_resistance(
                self.cat,
                resp,
                tissue,
                sc.scores,
                self.data(),
                seed=0,
                n_boot=self.n_boot,
                drug_pairs=False,
                n_boot_explain=self.n_boot,
            )

        return self._once("crossres", compute)

    def cell_lines(self) -> list[str]:
        """Bundle lines with a tissue, for the tumour page's chooser."""
        tissue = self._once("tissue_for_lines", lambda: self.tissue())
        return [] if tissue is None else sorted(str(x) for x in tissue.dropna().index)

    # -- catalog --------------------------------------------------------------------------------------------------
    def perturbations(self, mechanism: str | None = None, gene: str | None = None) -> list[dict]:
        """Published perturbation experiments, when this catalog carries them (`Catalog.perturbations`)."""
        items = getattr(self.cat, "perturbations", None) or {}
        out = []
        for p in items.values():
            rec = p.model_dump(mode="json") if hasattr(p, "model_dump") else dict(p)
            if mechanism is not None and rec.get("mechanism") != mechanism:
                continue
            if gene is not None and rec.get("gene") != gene:
                continue
            out.append(rec)
        return out
