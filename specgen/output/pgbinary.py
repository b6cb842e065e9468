"""PostgreSQL's binary COPY format: what direct mode sends a PostgreSQL session instead of CSV.

The server's text input functions are a large part of what COPY costs it: a timestamp parsed from
``2025-12-24 21:14:34+00``, a float from its shortest digits. In the binary format
(https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4) a row is a 16-bit field
count and, per field, a 32-bit length (-1: NULL) and the value as the type's ``recv`` function
reads it: big-endian integers and IEEE floats, microseconds since 2000-01-01, days since
2000-01-01, text bytes (``jsonb`` behind a version byte). The server takes them as they are.

A column travels in binary only where its value reaches the table exactly as its CSV field
would (``wire_types``): the kinds and catalog types in ``CARRIES``, and a ``real`` column only
when the engine generated float32 values (a double rounded to float32 here could differ in the
last bit from the server's rounding of the decimal text). A table with any other column - a
``numeric``, a ``uuid``, a domain, an array - goes as CSV. The manifest and ``--keep-dump``
still describe the CSV files: the binary stream is only what the pipe carries.

Vectorised like ``encode``: each column becomes one Arrow binary array of whole fields (length
and value), built in numpy; one ``take`` lays the fields out row after row, and the taken
array's data buffer is the stream.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from specgen.errors import SpecgenError
from specgen.output import encode

# The file header (signature, flags, no header extension) and the trailer (field count -1).
HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
TRAILER = b"\xff\xff"

# Catalog types (pg_type.typname) each kind of generated column may travel as.
_TEXT = frozenset({"text", "varchar", "bpchar", "json", "jsonb"})
CARRIES = {
    "int": frozenset({"int2", "int4", "int8"}),
    "float": frozenset({"float8", "float4"}),
    "bool": frozenset({"bool"}),
    "timestamp": frozenset({"timestamp", "timestamptz"}),
    "date": frozenset({"date"}),
    "text": _TEXT,
    "json": _TEXT,
    "bytes": frozenset({"bytea"}),
}

_INT_WIDTH = {"int2": 2, "int4": 4, "int8": 8}
_EPOCH_2000_SECONDS = 946_684_800
_EPOCH_2000_DAYS = 10_957
_NULL = pa.scalar(b"\xff\xff\xff\xff", pa.large_binary())
_JSONB_VERSION = b"\x01"


def wire_types(columns, catalog: dict[str, str]) -> tuple[str, ...] | None:
    """Each column's catalog type, if every one of ``columns`` (a table's stored ``ColumnSpec``s)
    can travel in binary into the table whose column types ``catalog`` gives; else None."""
    types = []
    for c in columns:
        typ = catalog.get(c.name)
        if typ not in CARRIES.get(c.kind, ()):
            return None
        if typ == "float4" and not c.type.single:
            return None
        types.append(typ)
    return tuple(types)


def encode_rows(table: str, names: list[str], columns: dict, types: tuple[str, ...]) -> list:
    """One batch (``columns`` by name, in ``names`` order) as binary COPY rows: a list of
    buffers to write in order (no header or trailer)."""
    fields = [_field(table, name, columns[name], typ) for name, typ in zip(names, types, strict=True)]
    n = len(fields[0]) if fields else 0
    if n == 0:
        return []
    count = np.frombuffer(len(fields).to_bytes(2, "big"), np.uint8)
    fields.insert(0, _fixed_array(np.tile(count, n), 2, n))
    k = len(fields)
    # Field j of row i sits at j * n + i of the concatenation; rows are laid out one after another.
    order = (np.arange(k, dtype=np.int64)[None, :] * n + np.arange(n, dtype=np.int64)[:, None]).ravel()
    laid = pa.concat_arrays(fields).take(pa.array(order))
    offsets = np.frombuffer(laid.buffers()[1], np.int64, count=len(laid) + 1, offset=laid.offset * 8)
    return [laid.buffers()[2][int(offsets[0]) : int(offsets[-1])]]


def _fixed_array(data: np.ndarray, width: int, n: int) -> pa.Array:
    """A large_binary array of ``n`` items of ``width`` bytes each, over ``data`` (no copy)."""
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fixed(values: np.ndarray, mask: np.ndarray | None) -> pa.Array:
    """Fields of a fixed-width type: its width, then the big-endian ``values``."""
    n, w = len(values), values.dtype.itemsize
    out = np.empty((n, 4 + w), np.uint8)
    out[:, :4] = np.frombuffer(w.to_bytes(4, "big"), np.uint8)
    out[:, 4:] = np.ascontiguousarray(values).view(np.uint8).reshape(n, w)
    return _with_nulls(_fixed_array(out.ravel(), 4 + w, n), mask)


def _with_nulls(fields: pa.Array, mask: np.ndarray | None) -> pa.Array:
    return fields if mask is None else pc.if_else(pa.array(mask), _NULL, fields)


def _text_fields(values: pa.Array, lead: bytes) -> pa.Array:
    """Fields of text: its length in bytes (with ``lead``), then ``lead`` and the bytes."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    raw = values.cast(pa.large_binary())
    lengths = pc.binary_length(raw).to_numpy(zero_copy_only=False).astype(np.int64) + len(lead)
    n = len(raw)
    prefix = np.empty((n, 4 + len(lead)), np.uint8)
    prefix[:, :4] = lengths.astype(">i4").view(np.uint8).reshape(n, 4)
    if lead:
        prefix[:, 4:] = np.frombuffer(lead, np.uint8)
    heads = _fixed_array(prefix.ravel(), 4 + len(lead), n)
    return pc.binary_join_element_wise(heads, raw, pa.scalar(b"", pa.large_binary()))


def _checked_range(table: str, name: str, values: np.ndarray, mask, lo: int, hi: int, what: str) -> None:
    """Values a fixed-width field could not hold would wrap around silently, where the server
    refuses them in text: refused here too, before anything is sent."""
    live = values if mask is None else values[~mask]
    if len(live) and (live.min() < lo or live.max() > hi):
        bad = live[(live < lo) | (live > hi)][0]
        raise SpecgenError(f"{table}.{name}: value {bad} is out of range for {what}")


def _unhexed(table: str, name: str, hexed: pl.Series) -> pl.Series:
    try:
        return hexed.str.decode("hex")
    except pl.exceptions.ComputeError as exc:
        raise SpecgenError(f"{table}.{name}: a value is not hex digits, as a blob's must be: {exc}") from None


def _field(table: str, name: str, col, typ: str) -> pa.Array:
    mask = encode.null_mask(col)
    kind = col.kind
    if kind == "int":
        w = _INT_WIDTH[typ]
        v = np.asarray(col.values, dtype=np.int64)
        if w < 8:
            bound = 1 << (8 * w - 1)
            _checked_range(table, name, v, mask, -bound, bound - 1, typ)
        return _fixed(v.astype(f">i{w}"), mask)
    if kind == "float":
        return _fixed(np.asarray(col.values).astype(">f4" if typ == "float4" else ">f8"), mask)
    if kind == "bool":
        return _fixed(np.asarray(col.values, dtype=bool).astype(np.uint8), mask)
    if kind == "timestamp":
        secs = np.asarray(col.values, dtype=np.int64)
        limit = (1 << 63) // 1_000_000 - _EPOCH_2000_SECONDS
        _checked_range(table, name, secs, mask, -limit, limit, typ)
        return _fixed(((secs - _EPOCH_2000_SECONDS) * 1_000_000).astype(">i8"), mask)
    if kind == "date":
        days = np.asarray(col.values, dtype=np.int64) - _EPOCH_2000_DAYS
        _checked_range(table, name, days, mask, -(1 << 31), (1 << 31) - 1, typ)
        return _fixed(days.astype(">i4"), mask)
    if kind == "bytes":  # hex digits in the engine, the bytes themselves on the wire
        return _with_nulls(_text_fields(_unhexed(table, name, encode.text_values(col)).to_arrow(), b""), mask)
    lead = _JSONB_VERSION if typ == "jsonb" else b""
    if encode.worth_coding(col):
        # Each distinct value once, then gathered.
        fields = _text_fields(col.dictionary.fill_null("").to_arrow(), lead).take(pa.array(col.codes))
    else:
        fields = _text_fields(encode.text_values(col).to_arrow(), lead)
    return _with_nulls(fields, mask)
