"""Bounds a dialect's types put on values the spec leaves unbounded, checked batch by batch.

The engine knows no dialect: it checks what the spec's types say (``varchar(n)``,
``numeric(p, s)``, ...). Some databases bound a type the spec writes without a bound - MySQL makes
``varchar`` VARCHAR(255), ``varbinary`` VARBINARY(255) and ``numeric`` DECIMAL(10, 0) (the
dialect's ``type_default_args``), and its TEXT holds 65,535 bytes (``type_max_bytes``) - and
MySQL's LOAD DATA LOCAL then cuts or rounds a value with a mere warning. A compile for such a
dialect measures those columns and stops on a value the database would change.
"""

from __future__ import annotations

import numpy as np

from specgen.errors import SpecgenError


def of_table(plan, table: str, dialect) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Column -> (what is bounded, the bound): ``characters`` or ``bytes`` (of a blob) of a length
    the dialect gives, ``UTF-8 bytes`` a type holds, or the ``digits`` (precision, scale) the
    dialect gives a number."""
    out = {}
    for c in plan.model.tables[table].stored:
        given = tuple(int(a) for a in dialect.type_default_args.get(c.type.base, ())) if not c.type.args else ()
        if given and c.kind == "float" and c.type.base in ("numeric", "decimal"):
            out[c.name] = ("digits", (given + (0,))[:2])
        elif given and c.kind in ("text", "json", "bytes"):
            out[c.name] = ("bytes" if c.kind == "bytes" else "characters", given[:1])
        elif c.kind in ("text", "json") and c.type.base in dialect.type_max_bytes:
            out[c.name] = ("UTF-8 bytes", (int(dialect.type_max_bytes[c.type.base]),))
    return out


def _lengths(col, unit: str) -> np.ndarray:
    """Each row's length in ``unit``: characters, UTF-8 bytes, or bytes of a blob's hex digits."""
    if unit == "characters":
        return col.per_row(lambda s: s.str.len_chars().fill_null(0))
    lens = col.per_row(lambda s: s.str.len_bytes().fill_null(0))
    return lens // 2 if unit == "bytes" else lens


def check(plan, chunk, bounds: dict[str, tuple[str, tuple[int, ...]]], dialect) -> None:
    """Stop on the first value of ``chunk`` beyond its column's bound (``of_table``), naming the
    file, column and row, and what to write in the spec instead."""
    spec = plan.model.tables[chunk.table]
    for name, (unit, bound) in bounds.items():
        col = chunk.columns[name]
        c = spec.columns[name]
        if unit == "digits":
            p, s = bound
            v = np.asarray(col.values, dtype=np.float64)
            ok = (np.round(v, s) == v) & (np.abs(v) < 10.0 ** (p - s))
        else:
            lens = _lengths(col, unit)
            ok = lens <= bound[0]
        if col.nulls is not None:
            ok = ok | col.nulls
        bad = np.flatnonzero(~ok)
        if not len(bad):
            continue
        i = int(bad[0])
        where = f"{spec.file}: columns.{name}: row {chunk.start + i} of '{chunk.table}'"
        sql = dialect.sql_type(c.type)
        if unit == "digits":
            raise SpecgenError(f"{where}: {float(v[i])!r} does not fit {sql}, what {dialect.title} makes of {c.type} "
                               "without a precision (it would round or cut it): give the column its precision "
                               f"and scale (e.g. {c.type.base}(15, 2))")
        if unit == "UTF-8 bytes":
            raise SpecgenError(f"{where}: a value of {int(lens[i]):,} UTF-8 bytes is longer than {dialect.title}'s "
                               f"{sql} holds ({bound[0]:,} bytes): make the values shorter")
        raise SpecgenError(f"{where}: a value of {int(lens[i])} {unit} is longer than {sql}, what {dialect.title} "
                           f"makes of {c.type} without a length: give the column its length "
                           f"(e.g. {c.type.base}({int(lens.max())}))")
