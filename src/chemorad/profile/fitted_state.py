"""A fitted estimator as plain arrays and JSON, and back: the on-disk form of `profile.fitted.FittedModels`.

Only data are stored: NumPy arrays of numbers (one `.npz` archive, read with ``allow_pickle=False``) and a JSON text of
the scalars, strings, string arrays, pandas Series indexes and the estimator's parameters. Reading a state never runs
code from the file: the class is chosen by name from the registry the caller passes (`from_state`). A fitted
attribute that is itself an estimator of that registry (the stack's marker and gene ridges, the hybrid's residual
ridge) is stored the same way under its own prefix (``prefix + attribute + '.'``); an attribute of any other kind (a
foreign estimator such as a scikit-learn pipeline, a function) makes `to_state` refuse (`NotStorable`), so such an
estimator is kept in memory only.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from chemorad.errors import ChemoradError

__all__ = ["NotStorable", "from_state", "to_state"]


class NotStorable(ChemoradError):
    """A fitted attribute that is not numbers, text or a Series of them: the estimator cannot be stored as data."""


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


def _codes(items: list, strings: dict[str | None, int]) -> np.ndarray | None:
    """Strings (or None) as positions in the shared table `strings` (extended as needed); None when an item is
    anything else. One table per archive keeps the many repeated names (features, tissues) out of every model."""
    if not all(x is None or isinstance(x, str) for x in items):
        return None
    return np.array([strings.setdefault(x, len(strings)) for x in items], dtype=np.int32)


def _numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def to_state(
    est, prefix: str, strings: dict[str | None, int], nested: tuple[type, ...] = ()
) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays keyed ``prefix + attribute``, JSON-able description) of a fitted estimator: its class name, parameters
    and every fitted attribute (the names ending in '_'); text is stored as positions in `strings` (the archive's
    table, extended here); an attribute that is an instance of one of the `nested` classes is stored the same way.
    Raises `NotStorable` for an attribute of another kind."""
    arrays: dict[str, np.ndarray] = {}
    attrs: dict[str, dict] = {}
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if nested and type(value) in nested:
            sub, desc = to_state(value, f"{prefix}{name}.", strings, nested)
            arrays.update(sub)
            attrs[name] = {"kind": "estimator", "desc": desc}
        elif isinstance(value, pd.Series):
            if not _numeric(np.asarray(value.to_numpy())):
                raise NotStorable(f"{type(est).__name__}.{name}: a Series of non-numbers cannot be stored")
            arrays[prefix + name] = np.asarray(value.to_numpy())
            arrays[prefix + name + ".index"] = _codes([str(i) for i in value.index], strings)
            attrs[name] = {"kind": "series", "name": value.name, "dtype": str(value.dtype)}
        elif isinstance(value, np.ndarray):
            if _numeric(value):
                arrays[prefix + name] = value
                attrs[name] = {"kind": "array"}
            else:
                codes = _codes(value.ravel().tolist(), strings)
                if codes is None:
                    raise NotStorable(f"{type(est).__name__}.{name}: an array of objects cannot be stored")
                arrays[prefix + name] = codes
                attrs[name] = {"kind": "text", "shape": list(value.shape)}
        elif (
            value is None
            or isinstance(value, bool | int | float | str)
            or (isinstance(value, list | tuple) and _jsonable(value))
        ):
            attrs[name] = {"kind": "value", "value": list(value) if isinstance(value, tuple) else value}
        else:
            raise NotStorable(f"{type(est).__name__}.{name}: a {type(value).__name__} cannot be stored as data")
    params = est.get_params(deep=False)
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    if not _jsonable(params):
        raise NotStorable(f"{type(est).__name__}: parameters that are not numbers or text cannot be stored")
    return arrays, {"class": type(est).__name__, "params": params, "attrs": attrs}


def from_state(
    classes, arrays, prefix: str, desc: dict, strings, views: dict | None = None, indexes: dict | None = None
):
    """The estimator `to_state` described, its class looked up by class name in `classes` (a mapping name -> class;
    nothing else is instantiated; a mapping with a ``class_named`` method resolves that one class only); `strings` is
    the archive's text table (a list, or the object array of it, built once per archive). `views`: class name -> a
    read-only stand-in built from (parameters, fitted attributes) instead of the class (`ridge_terms.StoredRidge`
    for the prediction path; never for a nested estimator, whose holder calls its full interface). Raises KeyError,
    IndexError or ValueError on a state that does not match (the caller treats it as corrupt). `indexes`: a dict the
    caller keeps across the models of one archive, so that models with the same Series labels (every model's features,
    most models' tissues) share one immutable pandas Index instead of building one each."""
    table = strings if isinstance(strings, np.ndarray) else np.array(strings, dtype=object)
    attrs = {}
    for name, spec in desc["attrs"].items():
        kind = spec["kind"]
        if kind == "series":
            values = np.asarray(arrays[prefix + name])
            codes = np.asarray(arrays[prefix + name + ".index"])
            memo_key = codes.tobytes()
            index = None if indexes is None else indexes.get(memo_key)
            if index is None:
                index = pd.Index(table[codes], dtype=object)
                if indexes is not None:
                    indexes[memo_key] = index
            value = pd.Series(values, index=index, name=spec["name"], copy=False)
            if str(value.dtype) != spec["dtype"]:  # only then: astype costs as much as the Series itself
                value = value.astype(spec["dtype"])
        elif kind == "array":
            value = np.asarray(arrays[prefix + name])
        elif kind == "text":
            value = table[np.asarray(arrays[prefix + name])].reshape(spec["shape"])
        elif kind == "value":
            value = spec["value"]
        elif kind == "estimator":
            value = from_state(classes, arrays, f"{prefix}{name}.", spec["desc"], table, indexes=indexes)
        else:
            raise ValueError(f"unknown attribute kind {kind!r}")
        attrs[name] = value
    if views and desc["class"] in views:
        return views[desc["class"]](desc["params"], attrs)
    find = getattr(classes, "class_named", None)
    cls = find(desc["class"]) if find is not None else {c.__name__: c for c in classes.values()}[desc["class"]]
    est = cls(**desc["params"])
    for name, value in attrs.items():
        setattr(est, name, value)
    return est
