"""Uniqueness the validator cannot prove, proved on the generated rows before anything is written.

Most unique sets are unique by construction and ``spec`` proves them. A few hold for reasons
beyond its rules - the gateway's "one active global role per user" holds because every user has
exactly one personal team. A spec marks such a set ``proof: compile``: compile then generates
the set's columns for every row of the table (where the partial index's predicate holds), hashes
each row's values, and stops before writing if two rows agree - naming both rows and the values.
Memory: 8 bytes per row of the table (16 while sorting); time: generating those columns once more.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from specgen.errors import SpecgenError

BATCH = 1 << 20


def sql_condition(sql: str) -> str:
    """A partial index's SQL predicate as a specgen expression (``scope_id IS NULL AND
    is_active = true`` -> ``(isnull(scope_id)) and (is_active == true)``). Raises ValueError for
    what it cannot translate."""
    import sqlglot
    from sqlglot import exp

    def walk(node) -> str:
        if isinstance(node, exp.Paren):
            return f"({walk(node.this)})"
        if isinstance(node, exp.And):
            return f"({walk(node.left)}) and ({walk(node.right)})"
        if isinstance(node, exp.Or):
            return f"({walk(node.left)}) or ({walk(node.right)})"
        if isinstance(node, exp.Not):
            if isinstance(node.this, exp.Is):
                return f"not {walk(node.this)}"
            return f"not ({walk(node.this)})"
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return f"isnull({walk(node.this)})"
        ops = {exp.EQ: "==", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
        if type(node) in ops:
            return f"{walk(node.left)} {ops[type(node)]} {walk(node.right)}"
        if isinstance(node, exp.Column):
            return node.name
        if isinstance(node, exp.Boolean):
            return "true" if node.this else "false"
        if isinstance(node, exp.Literal):
            return repr(node.this) if node.is_string else node.this
        raise ValueError(f"cannot evaluate '{node.sql()}' in a predicate proved at compile time")

    return walk(sqlglot.parse_one(sql))


def check(plan, tables: list[str]) -> None:
    """Every ``proof: compile`` set of ``tables`` holds, or a ``SpecgenError`` says where not."""
    for name in tables:
        spec = plan.model.tables[name]
        for where, cols, cond in spec.compile_proofs():
            _check_set(plan, name, spec, where, cols, cond)


def _check_set(plan, name: str, spec, where: str, cols: list[str], cond) -> None:
    from specgen.engine.rows import Rows

    total = plan.rows[name]
    hashes, rows = [], []
    for lo in range(0, total, BATCH):
        ranks = np.arange(lo, min(total, lo + BATCH), dtype=np.int64)
        r = Rows(plan, name, plan.row_index(name, ranks))
        keep = np.ones(len(ranks), dtype=bool)
        if cond is not None:
            keep &= cond.condition(r, r.key("__proof"))
        values = [r.column(c) for c in cols]
        for v in values:
            if v.nulls is not None:
                keep &= ~v.nulls  # SQL never finds NULLs equal
        if not keep.any():
            continue
        frame = pl.DataFrame({c: v.to_series(c) for c, v in zip(cols, values, strict=True)})
        h = frame.select(pl.struct(pl.all()).hash(seed=7)).to_series().to_numpy()[keep]
        hashes.append(h)
        rows.append(ranks[keep])
    if not hashes:
        return
    h = np.concatenate(hashes)
    at = np.concatenate(rows)
    order = np.argsort(h, kind="stable")
    sh = h[order]
    same = np.flatnonzero(sh[1:] == sh[:-1])
    for i in same:
        a, b = int(at[order[i]]), int(at[order[i + 1]])
        chunk = Rows(plan, name, plan.row_index(name, np.array([a, b], dtype=np.int64)))
        va = [chunk.column(c).to_series(c).to_list() for c in cols]
        if all(x[0] == x[1] for x in va):
            shown = ", ".join(f"{c} = {x[0]!r}" for c, x in zip(cols, va, strict=True))
            raise SpecgenError(f"{spec.file}: {where}: rows {a} and {b} of '{name}' both have {shown}: "
                               f"unique ({', '.join(cols)}) does not hold (checked at compile time, nothing written)")
