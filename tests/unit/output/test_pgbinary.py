"""PostgreSQL's binary COPY rows (``output/pgbinary.py``), read back by a decoder written from
the format's documentation: every kind, NULLs, coded text, and the values a field cannot hold."""

from __future__ import annotations

import datetime as dt
import json
import struct

import numpy as np
import polars as pl
import pytest

from specgen.engine.column import Column
from specgen.engine.model import ColumnSpec, SqlType
from specgen.errors import SpecgenError
from specgen.output import pgbinary

EPOCH_2000 = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def decode(stream: bytes, types: list[str]) -> list[tuple]:
    """Rows of a binary COPY stream (header and trailer included), values as Python objects."""
    assert stream[:11] == b"PGCOPY\n\xff\r\n\x00"
    flags, ext = struct.unpack(">ii", stream[11:19])
    assert flags == 0 and ext == 0
    pos, rows = 19, []
    while True:
        (count,) = struct.unpack(">h", stream[pos : pos + 2])
        pos += 2
        if count == -1:
            assert pos == len(stream)
            return rows
        assert count == len(types)
        row = []
        for typ in types:
            (size,) = struct.unpack(">i", stream[pos : pos + 4])
            pos += 4
            if size == -1:
                row.append(None)
                continue
            raw = stream[pos : pos + size]
            pos += size
            row.append(_value(typ, raw))
        rows.append(tuple(row))


def _value(typ: str, raw: bytes):
    fixed = {"int2": ">h", "int4": ">i", "int8": ">q", "float4": ">f", "float8": ">d"}
    if typ in fixed:
        assert len(raw) == struct.calcsize(fixed[typ])
        return struct.unpack(fixed[typ], raw)[0]
    if typ == "bool":
        assert raw in (b"\x00", b"\x01")
        return raw == b"\x01"
    if typ in ("timestamp", "timestamptz"):
        return EPOCH_2000 + dt.timedelta(microseconds=struct.unpack(">q", raw)[0])
    if typ == "date":
        return dt.date(2000, 1, 1) + dt.timedelta(days=struct.unpack(">i", raw)[0])
    if typ == "jsonb":
        assert raw[:1] == b"\x01"
        return json.loads(raw[1:])
    if typ == "bytea":
        return raw
    return raw.decode()


def encoded(columns: dict[str, Column], types: list[str]) -> bytes:
    body = pgbinary.encode_rows("t", list(columns), columns, tuple(types))
    return pgbinary.HEADER + b"".join(bytes(b) for b in body) + pgbinary.TRAILER


def test_every_kind_reads_back_as_generated():
    ts = np.array([0, 1_767_225_599, -86_400], dtype=np.int64)
    columns = {
        "small": Column("int", np.array([-32768, 7, 32767])),
        "i4": Column("int", np.array([-(2**31), 0, 2**31 - 1]), np.array([False, True, False])),
        "i8": Column("int", np.array([-(2**63), 42, 2**63 - 1])),
        "f8": Column("float", np.array([0.1, -0.0, float("inf")])),
        "f4": Column("float", np.array([0.5, 1.25, -3.0], dtype=np.float32)),
        "flag": Column("bool", np.array([True, False, True])),
        "at": Column("timestamp", ts),
        "at_tz": Column("timestamp", ts, np.array([True, False, False])),
        "day": Column("date", np.array([0, 20_454, -1])),
        "name": Column("text", pl.Series(["", "héllo\tworld\n", "a,\"b\"\\N"])),
        "doc": Column("json", pl.Series(['{"a": [1, 2]}', "null", "[]"])),
        "docb": Column("json", pl.Series(['{"k": "v"}', "1", '"s"'])),
        "blob": Column("bytes", pl.Series(["00ff10", "", "DEADbeef"])),
    }
    types = ["int2", "int4", "int8", "float8", "float4", "bool", "timestamp", "timestamptz", "date", "varchar",
             "json", "jsonb", "bytea"]
    rows = decode(encoded(columns, types), types)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert rows[0] == (-32768, -(2**31), -(2**63), 0.1, 0.5, True, epoch, None, dt.date(1970, 1, 1), "",
                       '{"a": [1, 2]}', {"k": "v"}, b"\x00\xff\x10")
    assert rows[1] == (7, None, 42, -0.0, 1.25, False, epoch + dt.timedelta(seconds=1_767_225_599),
                       epoch + dt.timedelta(seconds=1_767_225_599), dt.date(2026, 1, 1), "héllo\tworld\n", "null",
                       1, b"")
    assert rows[2][2] == 2**63 - 1 and rows[2][3] == float("inf") and rows[2][5] is True
    assert rows[2][6] == dt.datetime(1969, 12, 31, tzinfo=dt.UTC) and rows[2][8] == dt.date(1969, 12, 31)
    assert rows[2][9] == 'a,"b"\\N' and rows[2][11] == "s" and rows[2][12] == b"\xde\xad\xbe\xef"


def test_coded_text_and_nulls_inside_values():
    """A coded column's distinct values are encoded once and gathered; a NULL inside the
    dictionary or the mask is a NULL field."""
    col = Column.coded("text", pl.Series(["x", None, "zz"]), np.array([2, 0, 1, 2, 0]),
                       np.array([False, False, False, False, True]))
    assert decode(encoded({"c": col}, ["text"]), ["text"]) == [("zz",), ("x",), (None,), ("zz",), (None,)]
    plain = Column("text", pl.Series(["a", None, "c"]))
    assert decode(encoded({"c": plain}, ["text"]), ["text"]) == [("a",), (None,), ("c",)]


def test_an_empty_batch_is_no_bytes():
    assert pgbinary.encode_rows("t", ["a"], {"a": Column("int", np.array([], dtype=np.int64))}, ("int4",)) == []


@pytest.mark.parametrize("typ,value", [("int2", 32768), ("int2", -32769), ("int4", 2**31), ("int4", -(2**31) - 1)])
def test_a_value_its_field_cannot_hold_is_refused_not_wrapped(typ, value):
    col = Column("int", np.array([1, value, 3]))
    with pytest.raises(SpecgenError, match=f"t.n: value {value} is out of range for {typ}"):
        pgbinary.encode_rows("t", ["n"], {"n": col}, (typ,))
    # Under a NULL it is not a value.
    masked = Column("int", np.array([1, value, 3]), np.array([False, True, False]))
    assert decode(encoded({"n": masked}, [typ]), [typ]) == [(1,), (None,), (3,)]


def test_a_blob_that_is_not_hex_is_refused():
    with pytest.raises(SpecgenError, match="t.b: a value is not hex digits"):
        pgbinary.encode_rows("t", ["b"], {"b": Column("bytes", pl.Series(["0g"]))}, ("bytea",))


def _spec(name: str, type_: str) -> ColumnSpec:
    return ColumnSpec(name, SqlType.parse(type_), None)


def test_a_table_travels_in_binary_only_when_every_column_type_is_carried():
    cols = [_spec("id", "bigint"), _spec("name", "varchar(20)"), _spec("at", "timestamptz")]
    catalog = {"id": "int8", "name": "varchar", "at": "timestamptz"}
    assert pgbinary.wire_types(cols, catalog) == ("int8", "varchar", "timestamptz")
    # A numeric, a uuid, a domain or a missing column keeps the table on CSV.
    for other in ("numeric", "uuid", "my_domain", None):
        assert pgbinary.wire_types(cols, {**catalog, "name": other}) is None
    # An int column the database declares as text: its CSV digits would load, its binary would not.
    assert pgbinary.wire_types(cols, {**catalog, "id": "text"}) is None
    # A REAL column takes binary only from values the engine made float32 (spec real/float4).
    assert pgbinary.wire_types([_spec("x", "real")], {"x": "float4"}) == ("float4",)
    assert pgbinary.wire_types([_spec("x", "double")], {"x": "float4"}) is None
    assert pgbinary.wire_types([_spec("x", "double")], {"x": "float8"}) == ("float8",)
