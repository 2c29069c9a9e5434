"""`FittedModels`: the response models fitted once per bundle, catalog, estimator and code version, kept on disk
(the state behind `predictor.ProfilePredictor`, which adds `predict`).

`fit` fits one model per response column (`training.fit_all`) on every line of the bundle, plus the same models once
per cross-fitting fold without that fold's lines (`K` = `N_FOLDS` folds of `selection.line_folds`, seed 0: the folds
of the benchmark). A prediction (`predict.predict_with`) takes a sample that is
not a bundle line by the full models, a bundle line by the models of its fold, which never saw its response (nor chose
their penalties with it), so its prediction is honest and does not move when its own response is changed.

Why folds and not the closed-form leave-one-out of the ridge: the penalties are chosen by leave-one-out over all
training lines, so a closed-form leave-one-out prediction at those penalties still depends (through the choice of
penalty) on the line's own response; the fold models do not, at the cost of training on 4/5 of the lines.

Storage (`save` / `load`): one NumPy ``.npz`` archive per data folder and estimator in the cache folder
(`Context.cache_dir`: ``$CHEMORAD_CACHE``, else the user's cache; ``off`` disables it), holding the coefficients as
arrays and a JSON description (`fitted_state`); read with ``allow_pickle=False``, so it cannot run code. Its key is the
SHA-256 of the bundle's files, of the catalog's mechanisms and therapies, of the estimator's name and parameters and
of the source of the modules that compute the features and fit the models. A file whose key differs (stale) or that
cannot be read (corrupt) is never used: it is refitted and replaced, with a one-line notice on stderr. The stack's
and the hybrid's inner ridges are stored inside them (`fitted_state`, nested); a model that is not numbers and text
(the boosted trees, a user's ``module:Class`` regressor) is kept in memory only, with a one-line notice: each command
line run refits it (a pickle would be smaller work but reading one runs code from the file).

Estimators (`ESTIMATORS`; docs/profile.md has each one's accuracy and speed): 'marker' (default), 'gene', 'chain',
'hybrid', 'stacked' (`gene_models`), 'boosted' and 'module:Class' (`blackbox`). Each class names the inputs it reads
(`model_inputs`: markers, genes, the chain's prediction per therapy); the bundle lines and the samples get the same
columns.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from chemorad.catalog.load import Catalog
from chemorad.errors import ChemoradError, unknown
from chemorad.profile.fitted_state import NotStorable, from_state, to_state
from chemorad.profile.ridge_terms import StoredRidge
from chemorad.profile.training import ModelSet, fit_all

__all__ = [
    "ESTIMATORS",
    "FORMAT",
    "N_FOLDS",
    "EstimatorRegistry",
    "FittedModels",
    "check_estimator",
    "estimator_inputs",
    "fitted_models",
    "nested_classes",
    "state_key",
]

#: bump when the stored layout changes
FORMAT = 1
#: cross-fitting folds for the bundle lines' own predictions (the benchmark's K)
N_FOLDS = 5
SEED = 0


class EstimatorRegistry(Mapping):
    """Estimator name -> class, each imported when first looked up (``"module:Class"`` paths), so that reading a
    stored marker ridge for prediction loads no estimator module and no scikit-learn (`ridge_terms`). Each entry also
    declares the inputs its class reads (`model_inputs`), so the inputs of a name are known without the import; the
    tests check every declaration against the class's own `inputs` attribute."""

    def __init__(self, entries: dict[str, tuple[str, tuple[str, ...]]]) -> None:
        self._entries = dict(entries)
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        if name not in self._classes:
            import importlib

            module, cls = self._entries[name][0].split(":")
            self._classes[name] = getattr(importlib.import_module(module), cls)
        return self._classes[name]

    def __contains__(self, name: object) -> bool:  # Mapping's would import the class
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def inputs(self, name: str) -> tuple[str, ...]:
        """The inputs the estimator `name` reads (`model_inputs.inputs_of` of its class)."""
        return self._entries[name][1]

    def has_class(self, class_name: str) -> bool:
        """True when an entry's class is called `class_name` (nothing imported)."""
        return any(path.split(":")[1] == class_name for path, _ in self._entries.values())

    def class_named(self, class_name: str) -> type:
        """The class of the entry whose class is called `class_name` (imports that one only); KeyError if none."""
        for name, (path, _) in self._entries.items():
            if path.split(":")[1] == class_name:
                return self[name]
        raise KeyError(class_name)


#: estimator name -> class; every class here has the attributions and intervals `predict` reports, and reads the
#: inputs its `inputs` attribute names (`model_inputs`). 'marker' is the default (docs/profile.md: why, with the
#: benchmark's figures). Besides these names, 'module:Class' names any scikit-learn regressor (`user_estimator`).
ESTIMATORS = EstimatorRegistry(
    {
        "marker": ("chemorad.profile.estimators:ResponseModel", ("markers",)),
        "boosted": ("chemorad.profile.blackbox:BlackBoxResponse", ("markers",)),
        "gene": ("chemorad.profile.gene_models:GeneRidgeResponse", ("genes",)),
        "chain": ("chemorad.profile.gene_models:ChainResponse", ("chain",)),
        "hybrid": ("chemorad.profile.gene_models:HybridResponse", ("genes", "chain")),
        "stacked": ("chemorad.profile.gene_models:StackedResponse", ("markers", "genes", "chain")),
    }
)


def _rebuilt(class_name: str):
    """(params, attrs) -> the registry's class `class_name` with those parameters and fitted attributes."""

    def rebuild(params: dict, attrs: dict):
        est = ESTIMATORS.class_named(class_name)(**params)
        for name, value in attrs.items():
            setattr(est, name, value)
        return est

    return rebuild


#: stored class name -> read-only stand-in for prediction (`fitted_state.from_state`'s views): the marker ridge
#: predicts from its arrays without scikit-learn (`ridge_terms`); its table interface rebuilds the estimator
_VIEWS = {StoredRidge.stands_for: partial(StoredRidge, rebuild=_rebuilt(StoredRidge.stands_for))}
#: the modules whose source decides the fitted numbers (their text is part of the key)
_CODE = (
    "chemorad.profile.estimators",
    "chemorad.profile.ridge_terms",
    "chemorad.profile.blackbox",
    "chemorad.profile.gene_models",
    "chemorad.profile.model_inputs",
    "chemorad.profile.training",
    "chemorad.profile.activities",
    "chemorad.profile.selection",
    "chemorad.profile.fitted_state",
    "chemorad.profile.fitted",
    "chemorad.evidence.scores",
    "chemorad.evidence.responses",
)
_MEMO: dict[tuple, FittedModels] = {}


def estimator_class(name: str) -> type:
    """The estimator class of `name`; an unknown name is a one-line error with the closest names. 'module:Class'
    (an import path) gives `BlackBoxResponse` around that scikit-learn regressor (`blackbox.user_regressor` checks
    it), as a callable taking the same parameters."""
    if ":" in name:
        from chemorad.profile.blackbox import BlackBoxResponse, user_regressor

        user_regressor(name)
        return partial(BlackBoxResponse, base=name)
    check_estimator(name)
    return ESTIMATORS[name]


def nested_classes() -> tuple[type, ...]:
    """The estimators that may be stored inside another (`fitted_state.to_state`'s `nested`): the registry's own
    classes, exactly (imports every one)."""
    return tuple(ESTIMATORS.values())


def check_estimator(name: str) -> str:
    """`name` when it names an estimator (as `estimator_class`, without importing a registry class); else the same
    one-line error."""
    if ":" in name:
        estimator_class(name)
    elif name not in ESTIMATORS:
        err = unknown("estimator", name, ESTIMATORS)
        raise ChemoradError(f"{err}; known: {', '.join(ESTIMATORS)}")
    return name


def estimator_inputs(name: str) -> tuple[str, ...]:
    """The inputs the estimator `name` reads (`model_inputs.inputs_of`), without importing a registry class."""
    from chemorad.profile.model_inputs import inputs_of

    return ESTIMATORS.inputs(check_estimator(name)) if ":" not in name else inputs_of(estimator_class(name))


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def catalog_hash(cat: Catalog) -> str:
    """SHA-256 of the catalog's mechanisms and therapies (what decides the features and the response columns)."""
    dump = {
        "mechanisms": {k: m.model_dump(mode="json") for k, m in sorted(cat.mechanisms.items())},
        "therapies": {k: t.model_dump(mode="json") for k, t in sorted(cat.therapies.items())},
    }
    return _sha(json.dumps(dump, sort_keys=True, default=str).encode())


def bundle_hash(data) -> str:
    """SHA-256 over the names and SHA-256s of the data folder's files (not its sub-folders), each file hashed once
    per size and modification time (`bundle_cache.file_sha256`)."""
    from chemorad.bundle import datasets as ds
    from chemorad.bundle.cache import file_sha256

    root = ds.data_dir(data)
    files = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    return _sha(json.dumps([[p.name, file_sha256(p)] for p in files]).encode())


def code_hash() -> str:
    """SHA-256 of chemorad's version and the source of the modules in `_CODE`."""
    from importlib.util import find_spec

    import chemorad

    parts = [chemorad.__version__, str(FORMAT)]
    for name in _CODE:  # read, not imported: a prediction from stored models loads no estimator module
        parts.append(Path(find_spec(name).origin).read_text(encoding="utf-8"))
    return _sha("\n".join(parts).encode())


def state_key(cat: Catalog, data, estimator: str, spec: dict) -> dict[str, str]:
    """The hashes a stored state must match to be used (`spec`: the estimator's parameters and the therapies)."""
    return {
        "bundle": bundle_hash(data),
        "catalog": catalog_hash(cat),
        "estimator": _sha(json.dumps([estimator, spec], sort_keys=True, default=str).encode()),
        "code": code_hash(),
        "folds": f"{N_FOLDS}/{SEED}",
    }


class FittedModels:
    """Response models fitted once on the bundle (module doc), for predicting many times.

    Parameters
    ----------
    cat : the catalog (its markers are the features, its therapies the response columns).
    estimator : a name of `ESTIMATORS` ('marker': `ResponseModel`, the marker ridge with tissue) or 'module:Class'
        (a scikit-learn regressor, `estimator_class`).
    params : parameters of the estimator.
    therapies : the therapies to model (default: every therapy with data).

    Fitted: `full_` (a `ModelSet` on every line), `folds_` (one `ModelSet` per fold, without its lines), `fold_of_`
    (bundle line -> fold), `key_` (the hashes of `state_key`).
    """

    def __init__(
        self, cat: Catalog, estimator: str = "marker", params: dict | None = None, therapies: list[str] | None = None
    ) -> None:
        check_estimator(estimator)
        self.cat = cat
        self.estimator = estimator
        self.params = dict(params or {})
        self.therapies = None if therapies is None else sorted(therapies)

    # ------------------------------------------------------------------------------------------------------- fit
    def fit(self, data=None, progress: Callable[[int, int], None] | None = None, key: dict | None = None):
        """Fit the full and the fold models on the bundle in `data` (default: the resolved data folder)."""
        from chemorad.bundle import datasets as ds
        from chemorad.bundle.names import canonical_name
        from chemorad.evidence.responses import responses
        from chemorad.profile.activities import reference
        from chemorad.profile.model_inputs import training_table
        from chemorad.profile.selection import line_folds

        ref = reference(self.cat, data)
        resp = responses(self.cat, data)
        inputs = estimator_inputs(self.estimator)
        features = training_table(self.cat, data, ref, inputs, self.therapies)
        tables = (features, resp, ref.tissue)
        lines = {canonical_name(s) for s in ds.cell_lines(data).index} | set(map(str, resp.index))
        self.fold_of_ = line_folds(sorted(lines), N_FOLDS, SEED)
        cls = estimator_class(self.estimator)
        total = N_FOLDS + 1

        def step(j: int) -> Callable[[int, int], None] | None:
            return None if progress is None else (lambda k, n: progress(j * n + k, total * n))

        kw = dict(tables=tables, therapies=self.therapies, estimator=cls, **self.params)
        self.full_ = fit_all(self.cat, data, progress=step(0), **kw)
        self.folds_ = []
        for f in range(N_FOLDS):
            held = set(self.fold_of_.index[self.fold_of_.to_numpy() == f])
            self.folds_.append(fit_all(self.cat, data, exclude=held, progress=step(f + 1), **kw))
        self.key_ = key if key is not None else state_key(self.cat, data, self.estimator, self._spec())
        return self

    def _spec(self) -> dict:
        """What, besides the data, the catalog and the code, decides the fitted numbers."""
        return {"params": self.params, "therapies": self.therapies}

    @property
    def full_(self) -> ModelSet:
        """The models fitted on every line (a stored set is rebuilt from the archive on first use)."""
        full = self.__dict__.get("_full")
        if full is None:
            raise AttributeError("full_: the predictor is not fitted")
        if isinstance(full, _LazySet):
            full.build(light=True)
        return full

    @full_.setter
    def full_(self, models: ModelSet) -> None:
        self._full = models

    def models_for(self, sample_lines: Iterable[str | None]) -> list[ModelSet]:
        """The model set predicting each sample: its fold's for a bundle line (its canonical name), else the full."""
        out = []
        for line in sample_lines:
            fold = self.fold_of_.get(line) if line is not None else None
            out.append(self.full_ if fold is None else self.folds_[int(fold)])
        for models in out:
            if isinstance(models, _LazySet):
                models.build(light=True)
        return out

    # ------------------------------------------------------------------------------------------------- storage
    def _sets(self) -> list[tuple[str, ModelSet]]:
        for models in [self.full_, *self.folds_]:
            if isinstance(models, _LazySet):
                models.build()
        return [("full", self.full_)] + [(f"fold{f}", m) for f, m in enumerate(self.folds_)]

    def to_bytes(self) -> bytes:
        """The fitted state as an `.npz` archive (arrays and one JSON text; no pickled objects)."""
        arrays: dict[str, np.ndarray] = {}
        sets: dict[str, dict] = {}
        strings: dict[str | None, int] = {}
        for name, models in self._sets():
            entry = {"therapy": models.therapy, "skipped": models.skipped, "models": {}}
            for i, (col, model) in enumerate(models.items()):
                prefix = f"{name}.{i}."
                a, desc = to_state(model, prefix, strings, nested_classes())
                arrays.update(a)
                entry["models"][col] = {"prefix": prefix, **desc}
            sets[name] = entry
        meta = {
            "format": FORMAT,
            "estimator": self.estimator,
            "params": self.params,
            "therapies": self.therapies,
            "key": self.key_,
            "folds": {"lines": list(self.fold_of_.index), "fold": [int(v) for v in self.fold_of_]},
            "sets": sets,
            "strings": list(strings),
        }
        packed, where = _pack(arrays)
        meta["arrays"] = where
        packed["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **packed)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, cat: Catalog, payload: bytes, key: dict) -> FittedModels:
        """A predictor from `to_bytes`; ValueError 'stale' when its key differs from `key`, other errors when the
        archive is damaged."""
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            if meta.get("format") != FORMAT or meta.get("key") != key:
                raise ValueError("stale")
            buffers = {k: z[k] for k in z.files if k != "meta"}
        arrays = _Unpacked(buffers, meta["arrays"])
        out = cls(cat, meta["estimator"], meta["params"], meta["therapies"])
        out.key_ = meta["key"]
        out.fold_of_ = pd.Series(meta["folds"]["fold"], index=pd.Index(meta["folds"]["lines"], name="cell_line"))
        table = np.array(meta["strings"], dtype=object)
        sets = [_LazySet(meta["sets"][name], arrays, table) for name in _SET_NAMES]
        for models in sets:  # a damaged archive is found here, not in the middle of a prediction
            models.check()
        out.full_, out.folds_ = sets[0], sets[1:]
        return out


_SET_NAMES = ["full"] + [f"fold{f}" for f in range(N_FOLDS)]


def _pack(arrays: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """Many small arrays as one flat array per dtype, and where each lies ([dtype, start, shape]): an archive of a
    few members reads in milliseconds where thousands take seconds."""
    by_dtype: dict[str, list[np.ndarray]] = {}
    where: dict[str, list] = {}
    sizes: dict[str, int] = {}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        dt = a.dtype.str
        start = sizes.get(dt, 0)
        by_dtype.setdefault(dt, []).append(a.ravel())
        sizes[dt] = start + a.size
        where[name] = [dt, start, list(a.shape)]
    packed = {f"d{i}": np.concatenate(parts) for i, parts in enumerate(by_dtype.values())}
    names = {dt: f"d{i}" for i, dt in enumerate(by_dtype)}
    return packed, {k: [names[v[0]], v[1], v[2]] for k, v in where.items()}


class _Unpacked:
    """name -> array view into the packed buffers (`_pack`)."""

    def __init__(self, buffers: dict[str, np.ndarray], where: dict[str, list]) -> None:
        self.buffers, self.where = buffers, where

    def __getitem__(self, name: str) -> np.ndarray:
        buf, start, shape = self.where[name]
        size = math.prod(shape)
        return self.buffers[buf][start : start + size].reshape(shape)


class _LazySet(ModelSet):
    """A stored `ModelSet` whose models are rebuilt from the archive by `build` (called by
    `FittedModels.models_for` before use: a prediction of one new sample needs the full set only; of one bundle
    line, its fold's). `build(light=True)` gives the prediction path's read-only stand-ins where there is one
    (`_VIEWS`: the marker ridge as `ridge_terms.StoredRidge`); storing the set again rebuilds the estimators."""

    def __init__(self, entry: dict, arrays: _Unpacked, strings: np.ndarray) -> None:
        super().__init__()
        self.therapy = dict(entry["therapy"])
        self.skipped = dict(entry["skipped"])
        # None: not built; True: built as prediction views (light); False: built as the estimators themselves
        self._entry, self._arrays, self._strings, self._built = entry, arrays, strings, None

    def check(self) -> None:
        """KeyError when a model's class is unknown or an array it names is not in the archive (a damaged state),
        without building anything."""
        names = getattr(self._arrays, "where", self._arrays)  # an archive's table of arrays, or a plain mapping
        for desc in self._entry["models"].values():
            _check_desc(desc, desc["prefix"], names)

    def build(self, light: bool = False) -> None:
        if self._built is None or (self._built and not light):
            views = _VIEWS if light else None
            indexes: dict = {}
            for col, desc in self._entry["models"].items():
                model = from_state(ESTIMATORS, self._arrays, desc["prefix"], desc, self._strings, views, indexes)
                dict.__setitem__(self, col, model)
            self._built = light


def _check_desc(desc: dict, prefix: str, where: dict) -> None:
    """KeyError unless `desc` (`fitted_state.to_state`) names a known class and every array it needs is in `where`."""
    if not ESTIMATORS.has_class(desc["class"]):
        raise KeyError(desc["class"])
    for name, spec in desc["attrs"].items():
        needed = {"series": [name, f"{name}.index"], "array": [name], "text": [name]}.get(spec["kind"], [])
        for key in needed:
            if prefix + key not in where:
                raise KeyError(prefix + key)
        if spec["kind"] == "estimator":
            _check_desc(spec["desc"], f"{prefix}{name}.", where)


def _state_path(folder: Path, data, estimator: str, therapies: list[str] | None) -> Path:
    from chemorad.bundle import datasets as ds

    where = _sha(json.dumps([str(ds.data_dir(data).resolve()), therapies]).encode())[:16]
    return folder / f"predictor-{estimator}-{where}.npz"


def _notice(text: str) -> None:
    print(f"chemorad: note: {text}", file=sys.stderr)


def fitted_models(
    cat: Catalog,
    data=None,
    estimator: str = "marker",
    params: dict | None = None,
    therapies: list[str] | None = None,
    cache_dir: Path | None | str = "default",
    progress: Callable[[int, int], None] | None = None,
    cls: type[FittedModels] | None = None,
) -> FittedModels:
    """The fitted predictor for this bundle, catalog, estimator and code: from this process's memory, else from the
    cache folder (`cache_dir`; 'default' = ``$CHEMORAD_CACHE`` or the user's cache, as `Context.cache_dir`; None =
    no disk), else fitted (and stored).

    `therapies`: the therapies needed (None: every therapy with data). A stored predictor of every therapy serves any
    request; otherwise only the wanted therapies are fitted (and stored as their own state), so a first prediction of
    two therapies costs two therapies' fits, not all of them. Each response column's models are fitted alone, so the
    predictions are the same whichever state serves them.
    `cls`: the class returned (a subclass of `FittedModels`, e.g. `predictor.ProfilePredictor`)."""
    cls = cls or FittedModels
    from chemorad.bundle.cache import cache_dir as default_cache_dir  # `Context.cache_dir`'s default

    check_estimator(estimator)
    params = dict(params or {})
    therapies = None if therapies is None else sorted(set(therapies))
    key = state_key(cat, data, estimator, {"params": params, "therapies": therapies})
    full_key = key if therapies is None else state_key(cat, data, estimator, {"params": params, "therapies": None})
    found = _memo_covering(cls, full_key, estimator, params, therapies)
    if found is not None:
        return found
    folder = default_cache_dir() if cache_dir == "default" else (None if cache_dir is None else Path(cache_dir))
    out = None
    if folder is not None and therapies is not None:  # a stored state of every therapy serves a subset
        full_path = _state_path(folder, data, estimator, None)
        out = _read(cls, cat, full_path, full_key, quiet=True) if full_path.exists() else None
    path = None if folder is None else _state_path(folder, data, estimator, therapies)
    if out is None and path is not None and path.exists():
        out = _read(cls, cat, path, key)
    if out is None:
        out = cls(cat, estimator, params, therapies).fit(data, progress=progress, key=key)
        if path is not None:
            _store(out, path)
    _MEMO.clear()  # one fitted predictor per process: a server's memory stays flat
    _MEMO[(cls.__name__, json.dumps(_without_therapies(out.key_), sort_keys=True))] = out
    return out


def _without_therapies(key: dict) -> dict:
    """A state key minus its estimator part (which holds the therapies): what two states must share for one to serve
    the other; the estimator's name and parameters are compared separately."""
    return {k: v for k, v in key.items() if k != "estimator"}


def _memo_covering(
    cls: type, full_key: dict, estimator: str, params: dict, therapies: list[str] | None
) -> FittedModels | None:
    """The predictor in memory with this bundle, catalog, code, estimator and parameters whose therapies include the
    wanted ones (None: all), or None."""
    found = _MEMO.get((cls.__name__, json.dumps(_without_therapies(full_key), sort_keys=True)))
    if found is None or found.estimator != estimator or found.params != params:
        return None
    if found.therapies is None or (therapies is not None and set(therapies) <= set(found.therapies)):
        return found
    return None


def _read(cls: type[FittedModels], cat: Catalog, path: Path, key: dict, quiet: bool = False) -> FittedModels | None:
    """The stored state at `path` when its key is `key`; else None, with a one-line notice (unless `quiet`: a state
    that is only consulted, not refitted here) that it is stale or corrupt and will be refitted."""
    why = None
    try:
        return cls.from_bytes(cat, path.read_bytes(), key)
    except ValueError as exc:
        why = "stale (the bundle, catalog, estimator or code changed)" if str(exc) == "stale" else "corrupt"
    except (OSError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile, ChemoradError) as exc:
        why = f"corrupt ({type(exc).__name__})"
    if not quiet:
        _notice(f"the stored fitted predictor {path.name} is {why}; refitting it")
    return None


def _store(pred: FittedModels, path: Path) -> None:
    try:
        payload = pred.to_bytes()
    except NotStorable as exc:
        _notice(f"the fitted predictor is kept in memory only (each command refits it): {exc}")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache folder costs speed, not correctness
