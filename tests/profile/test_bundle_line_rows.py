"""A bundle line's Profile reads only that line's rows from the parse cache (`datasets._rows`): every layer must equal
the whole table's row, for the first line a process reads (rows from the cache entry) and the next ones (the whole
table, loaded once)."""

import pandas as pd

from chemorad.bundle import datasets as ds
from chemorad.profile.readers import from_cell_line

_WHOLE = {
    "expression": lambda d: ds.load_expression(data=d),
    "mutations": lambda d: ds.load_mutations(data=d),
    "copy_number": lambda d: ds.load_copy_number(data=d),
    "protein": lambda d: ds.load_rppa(data=d),
}
_EXTRA = {
    "ccle_expression": lambda d: ds.load_ccle_expression(data=d),
    "driver_mutation": lambda d: ds.load_genomic_features(data=d).filter(regex="_mut$"),
}


def _check(prof, key, data):
    for layer, whole in (*_WHOLE.items(), *_EXTRA.items()):
        got = prof.extra.get(layer) if layer in _EXTRA else getattr(prof, layer)
        table = whole(data)
        if key not in table.index:
            assert got is None, layer
            continue
        pd.testing.assert_frame_equal(got, table.loc[[key]].rename_axis("sample"), check_exact=True)


def test_a_bundle_line_equals_its_rows_of_the_whole_tables(shared_data):
    lines = ds.cell_lines(shared_data)
    partial = lines.index[lines["in_expression"] & ~lines["in_rppa"]][0]
    for name in ("FADU", "FaDu", partial):
        ds.clear_cache()  # the first read of each table in a process comes from the cache entry's rows
        first = from_cell_line(name, shared_data)
        key = first.samples[0]
        second = from_cell_line(name, shared_data)  # the whole tables, now loaded
        _check(first, key, shared_data)
        _check(second, key, shared_data)
