"""The expression language's values and functions: the column helpers its operators share
(NULL masks, numbers, seconds, conversions, per-row choice) and the function library
(``FUNCTIONS``: ``min``, ``round``, ``trunc``, ``coalesce``, ``rand``, ...), each function
typed on argument kinds and applied to whole columns. ``expr`` parses and type-checks
expressions and evaluates their nodes with these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import TEXT_KINDS, Column, as_text

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
NUMERIC = ("int", "float")
TIMES = ("timestamp", "date")


# -- column helpers ---------------------------------------------------------------------------------


def nulls_of(*cols: Column) -> np.ndarray | None:
    masks = [c.nulls for c in cols if c.nulls is not None]
    if not masks:
        return None
    out = masks[0].copy()
    for m in masks[1:]:
        out |= m
    return out


def numbers(col: Column) -> np.ndarray:
    return np.asarray(col.values)


def seconds_of(col: Column) -> np.ndarray:
    """Times and durations in seconds (a date is its midnight)."""
    v = numbers(col).astype(np.int64, copy=False)
    return v * 86400 if col.kind == "date" else v


def as_kind(col: Column, kind: str) -> Column:
    if col.kind == kind:
        return col
    if kind == "float":
        return Column(kind, numbers(col).astype(np.float64), col.nulls)
    if kind == "timestamp" and col.kind == "date":
        return Column(kind, numbers(col) * 86400, col.nulls)
    if kind in TEXT_KINDS:
        return Column(kind, as_text(col), col.nulls)
    return Column(kind, col.values, col.nulls)


def select(kind: str, n: int, pieces: list[tuple[np.ndarray, Column]]) -> Column:
    """Per row, the value of the piece whose mask holds (masks are disjoint and cover all)."""
    if kind == "null":
        return Column("null", np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if len(pieces) == 1:
        return pieces[0][1]
    nulls = np.zeros(n, dtype=bool)
    if kind in TEXT_KINDS:
        which = np.zeros(n, dtype=np.int64)
        for i, (m, _) in enumerate(pieces):
            which[m] = i
        out = pl.select(
            pl.coalesce([pl.when(pl.Series(which == i)).then(as_text(c)) for i, (_, c) in enumerate(pieces)])
        ).to_series()
        for m, c in pieces:
            if c.nulls is not None:
                nulls |= m & c.nulls
        return Column(kind, out, nulls if nulls.any() else None)
    values = np.zeros(n, dtype=np.float64 if kind == "float" else bool if kind == "bool" else np.int64)
    for m, c in pieces:
        values[m] = numbers(c)[m]
        if c.nulls is not None:
            nulls |= m & c.nulls
    return Column(kind, values, nulls if nulls.any() else None)


# -- functions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    arity: tuple[int, int]
    kind: Callable  # argument kinds -> result kind (raises ExprError-free ValueError with a reason)
    apply: Callable  # (call node, rows, key, argument columns) -> Column
    doc: str


def _unify_numeric(ks):
    real = [k for k in ks if k != "null"]
    if all(k in NUMERIC for k in real):
        return "float" if "float" in real else "int"
    if all(k == "duration" for k in real):
        return "duration"
    if all(k in TIMES for k in real):
        return "timestamp" if "timestamp" in real else "date"
    if all(k in TEXT_KINDS for k in real):
        return "text"
    raise ValueError(f"arguments of different kinds: {', '.join(real)}")


def _need(k: str, allowed: tuple, what: str):
    if k not in (*allowed, "null"):
        raise ValueError(f"{what} needs {' or '.join(allowed)}, got {k}")


def _reduce(fn):
    def apply(node, rows, key, cols):
        kind = node.kind
        cols = [as_kind(c, kind) for c in cols]
        if kind in TEXT_KINDS:
            frame = pl.DataFrame({str(i): as_text(c) for i, c in enumerate(cols)})
            expr = pl.min_horizontal if fn is np.minimum else pl.max_horizontal
            return Column(kind, frame.select(expr(pl.all())).to_series(), nulls_of(*cols))
        v = numbers(cols[0])
        for c in cols[1:]:
            v = fn(v, numbers(c))
        return Column(kind, v, nulls_of(*cols))
    return apply


def _round(node, rows, key, cols):
    x = numbers(cols[0]).astype(np.float64)
    digits = int(numbers(cols[1])[0]) if len(cols) > 1 and len(cols[1]) else 0
    v = np.round(x, digits)
    if node.kind == "int":
        v = v.astype(np.int64)
    return Column(node.kind, v, nulls_of(*cols))


def _trunc(node, rows, key, cols):
    unit = str(node.args[1].value) if len(node.args) > 1 else "day"
    step = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}[unit]
    c = cols[0]
    if c.kind == "date":
        return Column("date", numbers(c) // max(step // 86400, 1) * max(step // 86400, 1), c.nulls)
    v = numbers(c)
    if unit == "week":  # weeks start on Monday (1970-01-01 was a Thursday)
        v = (v + 3 * 86400) // step * step - 3 * 86400
    else:
        v = v // step * step
    return Column(node.kind, v, c.nulls)


def _trunc_kind(ks):
    _need(ks[0], TIMES, "trunc()")
    return ks[0]


def _calendar(part):
    def apply(node, rows, key, cols):
        c = cols[0]
        s = pl.Series(seconds_of(c) * 1_000_000, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
        v = getattr(s.dt, part)().cast(pl.Int64).to_numpy()
        return Column("int", v, c.nulls)
    return apply


def _length(node, rows, key, cols):
    c = cols[0]
    return Column("int", as_text(c).str.len_chars().fill_null(0).cast(pl.Int64).to_numpy(), c.nulls)


def _coalesce(node, rows, key, cols):
    n = len(rows.idx)
    cols = [as_kind(c, node.kind) for c in cols]
    rest = np.ones(n, dtype=bool)
    pieces = []
    for c in cols:
        take = rest & ~c.null_mask() if c.nulls is not None else rest.copy()
        if take.any():
            pieces.append((take, c))
            rest &= ~take
    if rest.any():
        pieces.append((rest, Column(node.kind, cols[-1].values, np.ones(n, dtype=bool))))
    return select(node.kind, n, pieces)


def _rand(node, rows, key, cols):
    u = counter.uniform(counter.sub_key(key, f"rand@{node.pos}"), rows.idx)
    if not cols:
        return Column("float", u)
    lo, hi = numbers(cols[0]), numbers(cols[1])
    if node.kind in ("int", "timestamp", "date", "duration"):
        span = np.maximum(hi - lo + 1, 1)
        return Column("int", lo + np.minimum((u * span).astype(np.int64), span - 1), nulls_of(*cols))
    return Column(node.kind, lo + u * (hi - lo), nulls_of(*cols))


def _rand_kind(ks):
    if not ks:
        return "float"
    k = _unify_numeric(ks)
    if k not in (*NUMERIC, "duration", *TIMES):
        raise ValueError(f"rand(min, max) needs numbers, durations or times, got {k}")
    return k


def _cast(kind):
    def apply(node, rows, key, cols):
        c = cols[0]
        if kind == "text":
            return Column("text", as_text(c), c.nulls)
        if c.kind in TEXT_KINDS:
            s = as_text(c)
            dtype = pl.Int64 if kind == "int" else pl.Float64
            parsed = s.cast(dtype, strict=False)
            bad = parsed.is_null().to_numpy()
            nulls = bad if c.nulls is None else (bad | c.nulls)
            return Column(kind, parsed.fill_null(0).to_numpy(), nulls if nulls.any() else None)
        v = numbers(c)
        if kind == "int":
            v = np.trunc(v).astype(np.int64) if v.dtype.kind == "f" else v.astype(np.int64)
        else:
            v = v.astype(np.float64)
        return Column(kind, v, c.nulls)
    return apply


def _duration_of(unit):
    return lambda node, rows, key, cols: Column("float", numbers(cols[0]) / DURATION_UNITS[unit], cols[0].nulls)


def _isnull(node, rows, key, cols):
    return Column("bool", cols[0].null_mask().copy())


def _text_fn(method):
    def apply(node, rows, key, cols):
        return Column("text", getattr(as_text(cols[0]).str, method)(), cols[0].nulls)
    return apply


def _concat(node, rows, key, cols):
    out = as_text(cols[0])
    for c in cols[1:]:
        out = out + as_text(c)
    return Column("text", out, nulls_of(*cols))


def _abs(node, rows, key, cols):
    return Column(node.kind, np.abs(numbers(cols[0])), cols[0].nulls)


def _floorceil(fn):
    def apply(node, rows, key, cols):
        return Column("int", fn(numbers(cols[0])).astype(np.int64), cols[0].nulls)
    return apply


def _to_date(node, rows, key, cols):
    c = cols[0]
    return Column("date", numbers(c) // 86400 if c.kind == "timestamp" else numbers(c), c.nulls)


def _kind_numeric_1(name):
    def k(ks):
        _need(ks[0], (*NUMERIC, "duration"), f"{name}()")
        return ks[0]
    return k


FUNCTIONS: dict[str, Function] = {
    "min": Function((2, 99), _unify_numeric, _reduce(np.minimum), "smallest of its arguments"),
    "max": Function((2, 99), _unify_numeric, _reduce(np.maximum), "largest of its arguments"),
    "abs": Function((1, 1), _kind_numeric_1("abs"), _abs, "absolute value"),
    "round": Function((1, 2), lambda ks: (_need(ks[0], NUMERIC, "round()"), "float" if len(ks) > 1 else "int")[1],
                      _round, "round(x) to an integer, round(x, n) to n decimals"),
    "floor": Function((1, 1), lambda ks: (_need(ks[0], NUMERIC, "floor()"), "int")[1], _floorceil(np.floor),
                      "largest integer <= x"),
    "ceil": Function((1, 1), lambda ks: (_need(ks[0], NUMERIC, "ceil()"), "int")[1], _floorceil(np.ceil),
                     "smallest integer >= x"),
    "int": Function((1, 1), lambda ks: "int", _cast("int"), "to an integer (text is parsed; invalid: NULL)"),
    "float": Function((1, 1), lambda ks: "float", _cast("float"), "to a float (text is parsed; invalid: NULL)"),
    "text": Function((1, 1), lambda ks: "text", _cast("text"), "as text (times as ISO-8601)"),
    "length": Function((1, 1), lambda ks: "int", _length, "number of characters of a text"),
    "octets": Function((1, 1), lambda ks: "int", lambda node, rows, key, cols: Column(
        "int", as_text(cols[0]).str.len_bytes().fill_null(0).cast(pl.Int64).to_numpy(), cols[0].nulls),
        "number of bytes of a text in UTF-8"),
    "lower": Function((1, 1), lambda ks: "text", _text_fn("to_lowercase"), "lower-case text"),
    "upper": Function((1, 1), lambda ks: "text", _text_fn("to_uppercase"), "upper-case text"),
    "concat": Function((1, 99), lambda ks: "text", _concat, "the arguments as text, one after another"),
    "coalesce": Function((2, 99), lambda ks: _unify_numeric(ks), _coalesce, "first argument that is not NULL"),
    "isnull": Function((1, 1), lambda ks: "bool", _isnull, "whether the argument is NULL"),
    "days": Function((1, 1), lambda ks: (_need(ks[0], ("duration",), "days()"), "float")[1], _duration_of("d"),
                     "a duration in days"),
    "hours": Function((1, 1), lambda ks: (_need(ks[0], ("duration",), "hours()"), "float")[1], _duration_of("h"),
                      "a duration in hours"),
    "seconds": Function((1, 1), lambda ks: (_need(ks[0], ("duration",), "seconds()"), "int")[1],
                        lambda node, rows, key, cols: Column("int", numbers(cols[0]).astype(np.int64), cols[0].nulls),
                        "a duration in seconds"),
    "trunc": Function((1, 2), _trunc_kind, _trunc,
                      "a time truncated to its 'second', 'minute', 'hour', 'day' (default) or 'week'"),
    "date": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "date()"), "date")[1], _to_date, "the day of a time"),
    "year": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "year()"), "int")[1], _calendar("year"), "calendar year"),
    "month": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "month()"), "int")[1], _calendar("month"), "month 1-12"),
    "day": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "day()"), "int")[1], _calendar("day"), "day of month"),
    "hour": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "hour()"), "int")[1], _calendar("hour"), "hour 0-23"),
    "weekday": Function((1, 1), lambda ks: (_need(ks[0], TIMES, "weekday()"), "int")[1], _calendar("weekday"),
                        "ISO weekday, Monday 1 to Sunday 7"),
    "rand": Function((0, 2), _rand_kind, _rand,
                     "rand(): uniform in (0, 1); rand(a, b): uniform in [a, b] (integers inclusive) - a pure "
                     "function of (seed, table, column, row)"),
}
