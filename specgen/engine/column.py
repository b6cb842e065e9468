"""Columns of generated values, one array per column for a whole chunk.

Kinds and their in-memory form (numpy for numbers, polars for text):

========== ============================== =====================================
kind       values                         notes
========== ============================== =====================================
int        numpy int64
float      numpy float64
bool       numpy bool
timestamp  numpy int64                    seconds since the Unix epoch, UTC
date       numpy int64                    days since the Unix epoch
text       polars String Series
json       polars String Series           serialised JSON documents
bytes      polars String Series           hex digits; dialects render blobs
========== ============================== =====================================

NULLs are a separate boolean mask (True = NULL), so value arrays never hold sentinels.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

TEXT_KINDS = ("text", "json", "bytes")


class Column:
    """One column of a batch: ``values`` (see the table above) and a NULL mask.

    A text column drawn from a small set of values (a pool, a categorical, a constant) can stay
    *coded*: ``dictionary`` (the distinct values) and ``codes`` (an index per row). Encoders then
    escape or quote each distinct value once and gather, and ``values`` is only materialised if
    something reads it.
    """

    __slots__ = ("kind", "_values", "nulls", "dictionary", "codes")

    def __init__(self, kind: str, values=None, nulls: np.ndarray | None = None, *,
                 dictionary: pl.Series | None = None, codes: np.ndarray | None = None):
        self.kind = kind
        self._values = values
        self.nulls = nulls
        self.dictionary = dictionary
        self.codes = codes

    @classmethod
    def coded(cls, kind: str, dictionary: pl.Series, codes: np.ndarray, nulls: np.ndarray | None = None) -> Column:
        return cls(kind, None, nulls, dictionary=dictionary, codes=np.asarray(codes))

    @property
    def values(self):
        if self._values is None and self.codes is not None:
            self._values = self.dictionary.gather(self.codes)
        return self._values

    def per_row(self, fn) -> np.ndarray:
        """``fn`` (a polars Series -> Series) of every row's value, as numpy: computed on the
        dictionary of a coded column (once per distinct value), then spread by the codes."""
        if self._values is None and self.codes is not None:
            return fn(self.dictionary).to_numpy()[self.codes]
        return fn(self._values).to_numpy()

    def __len__(self) -> int:
        return len(self.codes) if self._values is None and self.codes is not None else len(self._values)

    def __repr__(self) -> str:
        return f"Column({self.kind!r}, rows={len(self)}, coded={self.codes is not None})"

    def take(self, positions: np.ndarray) -> Column:
        """Rows at ``positions`` (numpy integer array)."""
        nulls = None if self.nulls is None else self.nulls[positions]
        if self._values is None and self.codes is not None:
            return Column.coded(self.kind, self.dictionary, self.codes[positions], nulls)
        if isinstance(self.values, pl.Series):
            # Text stays coded: a parent's values reached by many children (a token's jti in its
            # usage logs) are escaped and quoted once per distinct value by the encoders.
            return Column.coded(self.kind, self.values, positions, nulls)
        else:
            values = self.values[positions]
        return Column(self.kind, values, nulls)

    def null_mask(self) -> np.ndarray:
        return np.zeros(len(self), dtype=bool) if self.nulls is None else self.nulls

    def with_nulls(self, mask: np.ndarray | None) -> Column:
        """This column with ``mask`` rows set to NULL as well."""
        if mask is None or not mask.any():
            return self
        nulls = mask if self.nulls is None else (self.nulls | mask)
        return Column(self.kind, self._values, nulls, dictionary=self.dictionary, codes=self.codes)

    def to_series(self, name: str) -> pl.Series:
        """A typed polars Series with real NULLs (the public shape of generated data)."""
        v = self.values
        if self.kind == "timestamp":
            s = pl.Series(name, v * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
        elif self.kind == "date":
            s = pl.Series(name, v, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date)
        elif isinstance(v, pl.Series):
            s = v.alias(name)
        else:
            s = pl.Series(name, v)
        if self.nulls is not None and self.nulls.any():
            s = pl.select(pl.when(pl.Series(self.nulls)).then(None).otherwise(s).alias(name)).to_series()
        return s


def single_precision(values: np.ndarray) -> np.ndarray:
    """float64 ``values`` rounded to the nearest float32 (ties to even), kept as float64. Each
    result is a float32 exactly, so its shortest float64 text - what the encoders write - parses to
    that float32 with no rounding left to do: a 4-byte column stores the value written, an 8-byte
    one too. A value beyond float32's range becomes infinite, which the type check refuses
    (``rows._check_domain``)."""
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float64).astype(np.float32).astype(np.float64)


def text_from_bytes(data: np.ndarray, width: int) -> pl.Series:
    """A String Series from an (n, width) uint8 array of ASCII rows, without per-row Python."""
    n = data.shape[0]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    arr = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))]
    )
    return from_arrow(arr)


class _ArrowArray:
    """A pyarrow array seen only through the Arrow C data interface (``__arrow_c_array__``)."""

    __slots__ = ("array",)

    def __init__(self, array: pa.Array):
        self.array = array

    def __arrow_c_array__(self, requested_schema=None):
        return self.array.__arrow_c_array__(requested_schema)


def from_arrow(array: pa.Array) -> pl.Series:
    """A pyarrow array as a Series, zero-copy through the Arrow C data interface: the same as
    ``pl.Series(array)``, whose conversion helper imports pyarrow.compute (a noticeable part of a
    small run's start-up) for chunked dictionaries specgen never makes."""
    return pl.Series(_ArrowArray(array))


def as_text(col: Column) -> pl.Series:
    """Values as text, for templates and JSON assembly (NULLs ignored: callers mask them)."""
    v = col.values
    if isinstance(v, pl.Series):
        return v
    if col.kind == "bool":
        return pl.Series(v).cast(pl.String)
    if col.kind == "timestamp":
        return pl.Series(v * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    if col.kind == "date":
        return pl.Series(v, dtype=pl.Int64).cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")
    return pl.Series(v).cast(pl.String)


def matches(col: Column, values) -> np.ndarray:
    """Rows whose value, written as text (``as_text``), is one of ``values``; NULLs never match.

    Compared natively where the kind allows (booleans, integers; coded text on its dictionary),
    so no per-row Python strings are made.
    """
    values = [str(v) for v in values]
    n = len(col)
    if col.kind == "bool":
        want = {v for v in values if v in ("true", "false")}
        if len(want) == 2:
            hit = np.ones(n, dtype=bool)
        elif want:
            hit = col.values == (want.pop() == "true")
        else:
            hit = np.zeros(n, dtype=bool)
    elif col.kind == "int":
        ints = [int(v) for v in values if v.lstrip("-").isdigit() and str(int(v)) == v]
        hit = np.isin(col.values, np.array(ints, dtype=np.int64)) if ints else np.zeros(n, dtype=bool)
    elif (col.codes is not None and col._values is None) or isinstance(col.values, pl.Series):
        hit = col.per_row(lambda s: s.is_in(values).fill_null(False))
    else:
        hit = as_text(col).is_in(values).fill_null(False).to_numpy()
    return hit & ~col.null_mask() if col.nulls is not None else hit


def zeros(kind: str, n: int):
    """A column of ``n`` zero values of ``kind`` (empty strings for text): the stand-in under NULLs."""
    if kind in ("text", "json", "bytes"):
        return pl.repeat("", n, eager=True, dtype=pl.String)
    return np.zeros(n, dtype={"int": np.int64, "float": np.float64, "bool": np.bool_}.get(kind, np.int64))
