"""Parse-cache storage details (`bundle.cache`): index kinds come back as stored, and the expression floor mask read
from the cache equals the one computed from the matrix."""

import numpy as np
import pandas as pd

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
