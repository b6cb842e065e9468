"""Encoders: one batch of generated columns -> the bytes of a data file or an SQL stream.

Everything here is vectorised. A column becomes one polars Series of *fields*: numbers stay
numeric (the CSV writer formats them, shortest round-trip floats), everything else becomes
text already escaped for the target (``replace_all``/``replace_many``, booleans and quoting with
``when/then``, timestamps assembled from lookup tables in numpy), NULL stays a real null. Then
polars' CSV writer, with quoting switched off, joins the fields with the separator, writes nulls
as the format's NULL token and ends each row with ``\\n``. No Python runs per row or per value.

Three encodings, chosen by the dialect profile:

``csv``           comma separated, ``"`` quoting (doubled inside), quoted when a value holds
                  ``" , CR LF \\`` or is empty; NULL is the profile's ``csv_null`` unquoted. With
                  ``csv_escape_null_marker`` (SQLite, NULL = ``\\N``) a text matching ``^\\+N$``
                  gets one more leading backslash and the count is reported so a loader undoes it.
``escaped_text``  tab separated, ``\\N`` NULL, backslash escapes ``\\\\ \\t \\n \\r`` (and ``\\0``):
                  PostgreSQL's COPY text format and MySQL's LOAD DATA default format
                  (https://www.postgresql.org/docs/current/sql-copy.html,
                  https://mariadb.com/kb/en/load-data-infile/).
``insert``        multi-row ``INSERT`` statements with SQL literals escaped per dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa

from specgen.engine.column import TEXT_KINDS, Column, from_arrow, text_from_bytes

NULL_MARKER = r"^\\+N$"  # SQLite CSV: text that a loader could take for the \N NULL marker
# A field holding one of these is quoted. A regex character class: polars scans with it about 3x
# faster than with str.contains_any (Aho-Corasick) over the same characters.
_CSV_SPECIAL = r'["\r\n,\\]'
_CSV_SPECIAL_BYTES = b'"\r\n,\\'


def _holds_any(s: pl.Series, chars: bytes) -> bool:
    """Whether any value of a text Series holds one of ``chars`` (bytes < 128): one ``memchr``
    scan of the Arrow data buffer per character, much faster than a per-value regex and
    enough for the usual answer, no (a sliced buffer may hold bytes outside the values: a yes is
    then only a maybe, settled by the exact per-value scan that follows)."""
    arr = s.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type not in (pa.large_string(), pa.string()):  # e.g. a view type: its short values live elsewhere
        return True
    data = arr.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(raw.find(c) >= 0 for c in chars)  # bytes.find takes a byte value


@dataclass
class Encoded:
    """The bytes of one batch (in pieces, as polars' writer hands them over), and per column how
    many text values were escaped as ``\\N``-like."""

    chunks: list[bytes]
    escaped: dict[str, int]


# -- timestamps -------------------------------------------------------------------------------------


_FIELD = re.compile(r"%([YmdHMS%])")
_TIME_FIELDS = {"H", "M", "S"}


def _civil(days: np.ndarray):
    """(year, month, day) of days since 1970-01-01: Howard Hinnant's ``civil_from_days``."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


@cache
def _layout(pattern: str) -> tuple[tuple, int]:
    """Pattern -> ((kind, start, text), ...) with fixed widths (%Y 4, others 2), total width."""
    parts, pos, col = [], 0, 0
    for m in _FIELD.finditer(pattern):
        if m.start() > pos:
            parts.append(("lit", col, pattern[pos : m.start()]))
            col += m.start() - pos
        if m.group(1) == "%":
            parts.append(("lit", col, "%"))
            col += 1
        else:
            parts.append((m.group(1), col, ""))
            col += 4 if m.group(1) == "Y" else 2
        pos = m.end()
    if pos < len(pattern):
        parts.append(("lit", col, pattern[pos:]))
        col += len(pattern) - pos
    return tuple(parts), col


def _render(parts, width: int, values: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Fields into an (n, width) byte array (fields absent from ``values`` are left out)."""
    out = np.zeros((n, width), dtype=np.uint8)
    for kind, col, text in parts:
        if kind == "lit":
            out[:, col : col + len(text)] = np.frombuffer(text.encode(), dtype=np.uint8)
        elif kind in values:
            v = values[kind]
            digits = 4 if kind == "Y" else 2
            for i in range(digits):
                out[:, col + i] = 48 + v // 10 ** (digits - 1 - i) % 10
    return out


@cache
def _time_table(pattern: str) -> tuple[np.ndarray, int, int] | None:
    """Bytes of the time-of-day span of ``pattern`` for each of the 86400 seconds of a day."""
    parts, width = _layout(pattern)
    cols = [(col, col + 2) for kind, col, _ in parts if kind in _TIME_FIELDS]
    if not cols:
        return None
    lo, hi = cols[0][0], cols[-1][1]
    sod = np.arange(86400, dtype=np.int64)
    full = _render(parts, width, {"H": sod // 3600, "M": sod // 60 % 60, "S": sod % 60}, 86400)
    return np.ascontiguousarray(full[:, lo:hi]), lo, hi


def format_epoch(seconds: np.ndarray, pattern: str) -> pl.Series:
    """Epoch seconds (UTC) as text under a strftime-style ``pattern`` (``%Y %m %d %H %M %S``).

    Each distinct day of the batch is rendered once (a batch spans a few hundred days) and each
    row takes its day's bytes and its second-of-day's bytes from lookup tables: about 20 ns a
    row against 130 for ``strftime``. Years outside 0..9999 (not fixed width) and batches that
    span over 100,000 days fall back to polars' ``strftime``.
    """
    secs = np.asarray(seconds, dtype=np.int64)
    n = len(secs)
    parts, width = _layout(pattern)
    if n == 0:
        return pl.Series([], dtype=pl.String)
    days = np.floor_divide(secs, 86400)
    first, last = int(days.min()), int(days.max())
    span = np.arange(first, last + 1, dtype=np.int64)
    year = _civil(span)[0] if last - first < 100_000 else None
    if year is None or year.min() < 0 or year.max() > 9999:
        s = pl.Series(secs * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
        return s.dt.strftime(pattern)
    y, m, d = _civil(span)
    day_bytes = _render(parts, width, {"Y": y, "m": m, "d": d}, len(span))
    # Whole rows gathered as opaque width-byte items: one copy per row instead of per byte.
    out = day_bytes.view(f"V{width}").ravel()[days - first].view(np.uint8).reshape(n, width)
    table = _time_table(pattern)
    if table is not None:
        rows, lo, hi = table
        out[:, lo:hi] = rows.view(f"V{hi - lo}").ravel()[secs - days * 86400].view(np.uint8).reshape(n, hi - lo)
    return text_from_bytes(out, width).cast(pl.String)


# -- fields -----------------------------------------------------------------------------------------


def null_mask(col: Column) -> np.ndarray | None:
    """Rows that are NULL: the column's mask, plus any polars null inside text values."""
    mask = col.nulls
    if col.codes is not None and col._values is None:
        if col.dictionary.null_count():
            inner = col.dictionary.is_null().to_numpy()[col.codes]
            mask = inner if mask is None else (mask | inner)
    elif isinstance(col.values, pl.Series) and col.values.null_count():
        inner = col.values.is_null().to_numpy()
        mask = inner if mask is None else (mask | inner)
    return mask if mask is not None and mask.any() else None


def _all_null(col: Column, mask: np.ndarray | None) -> pl.Series | None:
    """A field of nothing but NULLs, built without touching the values (many columns are)."""
    if mask is not None and len(mask) and mask.all():
        return pl.repeat(None, len(mask), dtype=pl.String, eager=True)
    return None


def worth_coding(col: Column) -> bool:
    """A text column worth encoding through its dictionary (fewer distinct values than rows)."""
    return col.codes is not None and col._values is None and len(col.dictionary) < len(col.codes)


def _dictionary_column(col: Column) -> Column:
    return Column(col.kind, col.dictionary.fill_null("") if col.dictionary.null_count() else col.dictionary)


def _nulled(s: pl.Series, mask: np.ndarray | None) -> pl.Series:
    """``s`` with real nulls where ``mask`` is true (the writer prints its NULL token there)."""
    if mask is None:
        return s
    if s.dtype in (pl.Int64, pl.Float64):
        return from_arrow(pa.array(s.to_numpy(), mask=mask))
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(pl.lit(None, dtype=s.dtype)).otherwise(pl.lit(s))).to_series()


def text_values(col: Column) -> pl.Series:
    v = col.values
    s = v if isinstance(v, pl.Series) else pl.Series(v, dtype=pl.String)
    return s.fill_null("") if s.null_count() else s


def _choose(flags: np.ndarray, yes: str, no: str) -> pl.Series:
    return pl.select(pl.when(pl.Series(flags)).then(pl.lit(yes)).otherwise(pl.lit(no))).to_series()


def _prefix(s: pl.Series, before: str, after: str = "") -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(before), pl.lit(s), pl.lit(after)])).to_series()


def spelled(col: Column, dialect) -> pl.Series:
    """Values as the database reads them in a data file: numbers stay numeric, the rest text."""
    kind = col.kind
    if kind == "int":
        return pl.Series(col.values, dtype=pl.Int64)
    if kind == "float":
        return pl.Series(col.values, dtype=pl.Float64)
    if kind == "bool":
        return _choose(col.values, str(dialect.bool_true), str(dialect.bool_false))
    if kind == "timestamp":
        return format_epoch(col.values, dialect.timestamp_format)
    if kind == "date":
        return format_epoch(np.asarray(col.values, dtype=np.int64) * 86400, dialect.date_format)
    s = text_values(col)
    if kind == "bytes" and dialect.bytes_prefix:
        s = _prefix(s, str(dialect.bytes_prefix))
    return s


def csv_field(col: Column, dialect) -> tuple[pl.Series, int]:
    """One CSV field per row, and how many values got the extra ``\\N``-marker backslash."""
    mask = null_mask(col)
    if (empty := _all_null(col, mask)) is not None:
        return empty, 0
    if col.kind in TEXT_KINDS and worth_coding(col):
        # Quote and escape each distinct value once, then gather.
        field, hit = _csv_text(spelled(_dictionary_column(col), dialect), dialect)
        return _nulled(field.gather(col.codes), mask), _escaped(None if hit is None else hit[col.codes], mask)
    s = spelled(col, dialect)
    hit = None
    if col.kind in TEXT_KINDS:
        s, hit = _csv_text(s, dialect)
    return _nulled(s, mask), _escaped(hit, mask)


def _escaped(hit: np.ndarray | None, mask: np.ndarray | None) -> int:
    """Values (not NULL) that took the extra marker backslash."""
    if hit is None:
        return 0
    return int((hit & ~mask).sum() if mask is not None else hit.sum())


def _csv_text(s: pl.Series, dialect) -> tuple[pl.Series, np.ndarray | None]:
    """Text as CSV fields, and which values took the extra marker backslash (None: none did).

    A value that looks like the NULL marker holds a backslash, one of the characters that make a
    field quoted: most columns hold none of them, and one scan settles both questions."""
    needs = s.str.contains(_CSV_SPECIAL) if _holds_any(s, _CSV_SPECIAL_BYTES) else None
    if needs is None or not needs.any():
        empty = s.str.len_bytes() == 0
        if not empty.any():
            return s, None
        needs = empty
    else:
        needs = needs | (s.str.len_bytes() == 0)
    hit = None
    if dialect.csv_escape_null_marker:
        marker = s.str.contains(NULL_MARKER)
        if marker.any():
            hit = marker.to_numpy()
            s = s.str.replace(NULL_MARKER, r"\${0}")
    quoted = pl.concat_str([pl.lit('"'), pl.lit(s).str.replace_all('"', '""', literal=True), pl.lit('"')])
    return pl.select(pl.when(pl.lit(needs)).then(quoted).otherwise(pl.lit(s))).to_series(), hit


_TEXT_SPECIALS = ["\\", "\t", "\n", "\r"]
_TEXT_ESCAPES = ["\\\\", "\\t", "\\n", "\\r"]
_TEXT_SPECIAL_BYTES = b"\\\t\n\r\x00"  # the same characters and NUL


def text_escape(s: pl.Series, escape_nul: bool) -> pl.Series:
    """Backslash escapes of COPY text / LOAD DATA: ``\\\\ \\t \\n \\r`` (and NUL as ``\\0``)."""
    if not _holds_any(s, _TEXT_SPECIAL_BYTES):
        return s
    specials = _TEXT_SPECIALS + (["\x00"] if escape_nul else [])
    escapes = _TEXT_ESCAPES + (["\\0"] if escape_nul else [])
    return s.str.replace_many(specials, escapes)


def escaped_text_field(col: Column, dialect) -> pl.Series:
    if (empty := _all_null(col, col.nulls)) is not None:
        return empty
    if col.kind in TEXT_KINDS and worth_coding(col):
        return _nulled(escaped_text_field(_dictionary_column(col), dialect).gather(col.codes), null_mask(col))
    s = spelled(col, dialect)
    if col.kind in TEXT_KINDS:
        s = text_escape(s, bool(dialect.escape_nul))
    return _nulled(s, null_mask(col))


# As mysqldump (mysql_real_escape_string): the mysql client reading a script drops a CR before a
# line end, so CR and LF travel escaped; Ctrl-Z is end-of-file on Windows.
_SQL_BACKSLASH = {"\\": "\\\\", "'": "''", "\x00": "\\0", "\r": "\\r", "\n": "\\n", "\x1a": "\\Z"}


def sql_literal(col: Column, dialect) -> pl.Series:
    """SQL literals: numbers bare, text quoted and escaped, blobs per ``sql_bytes``, NULL as null."""
    kind = col.kind
    if (empty := _all_null(col, col.nulls)) is not None:
        return empty
    if kind in TEXT_KINDS and worth_coding(col):
        return _nulled(sql_literal(_dictionary_column(col), dialect).gather(col.codes), null_mask(col))
    if kind == "float" and dialect.sql_float_exponent:
        # Shortest round-trip digits with an exponent: a database that reads a plain decimal
        # literal as DECIMAL (DuckDB) then rounds it to DOUBLE and may change the last bit.
        s = pl.Series(col.values, dtype=pl.Float64).cast(pl.String)
        s = pl.select(pl.when(s.str.contains("[eEN]")).then(s).otherwise(s + "e0")).to_series()
    elif kind in ("int", "float"):
        s = spelled(col, dialect)
    elif kind == "bool":
        s = _choose(col.values, str(dialect.sql_true), str(dialect.sql_false))
    elif kind in ("timestamp", "date"):
        s = _prefix(spelled(col, dialect), "'", "'")
    elif kind == "bytes":
        before, _, after = str(dialect.sql_bytes).partition("{hex}")
        s = _prefix(text_values(col), before, after)
    else:
        s = text_values(col)
        if dialect.sql_string_escape == "backslash":
            if s.str.contains(r"[\\'\x00\r\n\x1a]").any():
                s = s.str.replace_many(list(_SQL_BACKSLASH), list(_SQL_BACKSLASH.values()))
        else:
            if s.str.contains("'", literal=True).any():
                s = s.str.replace_all("'", "''", literal=True)
            if dialect.sql_carriage_return and s.str.contains("\r", literal=True).any():
                s = s.str.replace_all("\r", str(dialect.sql_carriage_return), literal=True)
        s = _prefix(s, "'", "'")
    return _nulled(s, null_mask(col))


# -- rows -> bytes ----------------------------------------------------------------------------------


class _Pieces(list):
    """A file-like object collecting what is written to it, without copying (a ``BytesIO`` copies
    each piece once more and grows by reallocation, a large share of the CSV writer's time on wide
    tables)."""

    def write(self, b: bytes) -> int:
        self.append(b)
        return len(b)

    def flush(self) -> None:
        pass


def write_rows(fields: list[pl.Series], separator: str, null: str) -> list[bytes]:
    """Fields joined by ``separator``, one ``\\n``-ended line per row, nulls as ``null``, in the
    pieces polars' writer produced (a few MB each).

    polars' CSV writer with quoting off: fields are written exactly as prepared (they are
    already escaped), numbers in their shortest round-trip form.
    """
    if not fields or len(fields[0]) == 0:
        return []
    frame = pl.DataFrame({f"c{i}": s for i, s in enumerate(fields)})
    out = _Pieces()
    frame.write_csv(out, include_header=False, separator=separator, line_terminator="\n", quote_style="never",
                    null_value=null)
    return list(out)


def encode_delimited(columns: dict[str, Column], dialect, encoder: str) -> Encoded:
    """A batch as data-file lines (``csv`` or ``escaped_text``), one line per row."""
    escaped: dict[str, int] = {}
    fields = []
    for name, col in columns.items():
        if encoder == "csv":
            field, n = csv_field(col, dialect)
            if n:
                escaped[name] = n
        else:
            field = escaped_text_field(col, dialect)
        fields.append(field)
    if encoder == "csv":
        return Encoded(write_rows(fields, ",", str(dialect.csv_null)), escaped)
    return Encoded(write_rows(fields, "\t", "\\N"), escaped)


def encode_inserts(table_sql: str, column_sql: list[str], columns: dict[str, Column], dialect,
                   first_row: int, part_start: int, part_stop: int, rows_per_statement: int) -> Encoded:
    """A batch as multi-row INSERTs. Statements start at every ``rows_per_statement``-th row of
    the table and at part starts, so the bytes do not depend on how batches were cut."""
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        return Encoded([], {})
    g = np.arange(first_row, first_row + n, dtype=np.int64)
    starts = (g % rows_per_statement == 0) | (g == part_start)
    ends = ((g + 1) % rows_per_statement == 0) | (g + 1 == part_stop)
    head = f"INSERT INTO {table_sql} ({', '.join(column_sql)}) VALUES\n("
    fields = [sql_literal(col, dialect) for col in columns.values()]
    # The statement head and the row's closing go into the first and last fields.
    first = fields[0].cast(pl.String).fill_null("NULL")
    fields[0] = pl.select(pl.when(pl.Series(starts)).then(pl.lit(head)).otherwise(pl.lit("(")) + pl.lit(first)).to_series()
    last = fields[-1].cast(pl.String).fill_null("NULL")
    fields[-1] = pl.select(pl.lit(last) + pl.when(pl.Series(ends)).then(pl.lit(");")).otherwise(pl.lit("),"))).to_series()
    return Encoded(write_rows(fields, ",", "NULL"), {})
