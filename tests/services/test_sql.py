"""services.sql: the shared read helpers (page rows in id order across IN-list chunks, WHERE building)."""

import pytest

from ledgerdesk.services.sql import CHUNK, Where, chunks, id_list, marks, rows_by_id


def test_chunks_and_marks():
    ids = [str(i) for i in range(2 * CHUNK + 3)]
    parts = list(chunks(ids))
    assert [len(p) for p in parts] == [CHUNK, CHUNK, 3] and sum(parts, []) == ids
    assert list(chunks([])) == [] and marks(3) == "?, ?, ?"


def test_rows_by_id_keeps_the_order_asked_across_chunks_and_leaves_out_unknown_ids(villages):
    s = villages
    sql = "SELECT id, name FROM village WHERE deleted = 0 AND id IN ({marks})"
    ids = ["v-2", "nope", *[f"x-{i}" for i in range(CHUNK)], "v-1"]
    with s.reading():
        assert rows_by_id(s, sql, ids, tuple) == [("v-2", "巴音嘎查"), ("v-1", "红旗村")]
        assert rows_by_id(s, "SELECT id, ? FROM village WHERE id IN ({marks})", ["v-1"], tuple, before=["甲"]) == [
            ("v-1", "甲")]
        assert id_list(s, "SELECT id FROM village WHERE deleted = 0 ORDER BY sort_order DESC") == ["v-2", "v-1"]
        assert id_list(s, "SELECT id FROM village WHERE 0") == []


@pytest.mark.parametrize("name, sort, expected", [
    (None, None, ["v-1", "v-2"]), ("红旗村", None, ["v-1"]), (None, 2, ["v-2"]), ("红旗村", 2, []),
])
def test_where_adds_only_the_filters_given(villages, name, sort, expected):
    s = villages
    where = Where("deleted = 0").equal("name", name).equal("sort_order", sort).add("township_id IS NOT ?", None)
    assert str(where).count("?") == len(where.params) == 1 + (name is not None) + (sort is not None)
    with s.reading():
        assert id_list(s, f"SELECT id FROM village WHERE {where} ORDER BY id", where.params) == expected
