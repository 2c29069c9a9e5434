"""Parse-cache storage details (`bundle.cache`): index kinds come back as stored, rows read alone equal `.loc`, and
the expression floor mask read from the cache equals the one computed from the matrix."""

import numpy as np
import pandas as pd
import pytest

from chemorad.bundle import cache
from chemorad.bundle import datasets as ds


def test_range_index_comes_back_as_a_range_index(tmp_path):
    frames = (
        pd.DataFrame({"a": ["x", None, "z"], "b": [1, 2, 3]}),
        pd.DataFrame({"v": [0.5, np.nan]}, index=pd.RangeIndex(4, 8, 2, name="row")),
        pd.DataFrame({"v": [1.0, 2.0]}, index=pd.Index([3, 1], dtype="int64")),
    )
    for _ in range(2):  # computed, then read back from disk
        got = cache.cached("layout", (), [], lambda: frames, folder=tmp_path)
        for g, f in zip(got, frames, strict=True):
            pd.testing.assert_frame_equal(g, f, check_exact=True)
            assert type(g.index) is type(f.index)


def test_check_refuses_a_stored_value(tmp_path):
    frame = pd.DataFrame({"v": [1.0]})
    cache.cached("checked", (), [], lambda: frame, folder=tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return frame

    cache.cached("checked", (), [], compute, folder=tmp_path, check=lambda value: False)
    assert calls == [1]
    cache.cached("checked", (), [], compute, folder=tmp_path, check=lambda value: True)
    assert calls == [1]


def test_floor_mask_from_the_cache_equals_the_matrix_sd(shared_data):
    """The cached sd gives exactly the columns that a pass over a copy of the whole matrix gives (the former code)."""
    src = ds._resolve(shared_data)
    matrix = ds._read_wide("expression", src, None).copy()
    sd = matrix.std(axis=0)
    for _ in range(2):
        pd.testing.assert_frame_equal(
            ds.load_expression(data=shared_data), matrix.loc[:, sd >= ds.FLOOR_SD], check_exact=True
        )
        assert ds.floor_genes(shared_data) == sorted(sd.index[sd < ds.FLOOR_SD])
        ds.clear_cache()  # the second round reads the sd from the disk cache
    pd.testing.assert_series_equal(ds._expression_sd(src), sd.rename("sd"), check_exact=True)


def _stored(tmp_path, frame):
    return cache.cached("rows", (), [], lambda: frame, folder=tmp_path)


def test_rows_of_a_stored_frame_equal_loc(tmp_path):
    rng = np.random.default_rng(0)
    names = pd.Index([f"L{i}" for i in range(12)], name="cell_line", dtype=object)
    matrix = pd.DataFrame(
        rng.normal(size=(12, 300)).astype("float32"), index=names, columns=[f"g{i}" for i in range(300)]
    )
    mixed = pd.DataFrame(
        {"a": rng.normal(size=12), "s": ["x", None] * 6, "n": np.arange(12, dtype="int8")}, index=names
    )
    for frame in (matrix, mixed):
        folder = tmp_path / str(frame.shape[1])
        _stored(folder, frame)
        for labels in (["L3"], ["L7", "L0", "L11"]):
            got = cache.cached_rows("rows", (), [], labels, lambda f=frame: 1 / 0, folder=folder)
            pd.testing.assert_frame_equal(got, frame.loc[labels], check_exact=True)


def test_rows_fall_back_to_the_whole_table(tmp_path):
    frame = pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=pd.Index(["a", "b", "a"], dtype=object))
    calls = []

    def whole():
        calls.append(1)
        return frame

    got = cache.cached_rows("rows", (), [], ["b"], whole, folder=tmp_path)  # no entry yet
    pd.testing.assert_frame_equal(got, frame.loc[["b"]])
    _stored(tmp_path, frame)
    got = cache.cached_rows("rows", (), [], ["a"], whole, folder=tmp_path)  # repeated labels: as .loc does
    pd.testing.assert_frame_equal(got, frame.loc[["a"]])
    assert len(calls) == 2
    with pytest.raises(KeyError):
        cache.cached_rows("rows", (), [], ["zz"], whole, folder=tmp_path)
