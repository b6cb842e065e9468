"""Aggregates over children: a parent column computed from its child rows.

``{aggregate: {from: lineitem, fn: sum, of: "extendedprice * (1 - discount)", where: "..."}}``

A fan-out child's rows for parent ``p`` are the contiguous range ``[first(p), first(p) + count(p))``
(``Fanout.starts``), and every child cell is a pure function of its row index. So a parent batch
recomputes exactly its children's cells - the columns the aggregate reads, nothing else - and
reduces them per parent with segmented numpy reductions. The parent stays a pure function of
(seed, table, column, row): any chunking, worker split or shard gives the same values, and the
child table is never materialised. The cost is about that of generating those child columns
once more; the aggregates of one parent batch over the same child table share one computation
of the children, a bounded batch at a time (``aggregate``). NULL child values are ignored, as SQL aggregates ignore them.
"""

from __future__ import annotations

import numpy as np

from specgen.engine.column import TEXT_KINDS, Column

# Children evaluated at once: bounds memory whatever a parent's fan-out.
CHILD_BATCH = 1 << 20


def aggregate(g, rows, kind: str) -> Column:
    """The column of aggregate ``g`` for ``rows``.

    The other aggregates of this table over the same child table are computed in the same pass
    and kept until asked for: the children are generated once, one batch of at most
    ``CHILD_BATCH`` at a time, and each batch is dropped once every aggregate has reduced it.
    Keeping the batches for the next aggregate instead held a whole part's children in memory."""
    done = rows.__dict__.setdefault("_aggregated", {})
    if id(g) not in done:
        batch = [(g, kind)] + [(c.gen, c.kind) for c in rows.spec.columns.values()
                               if isinstance(c.gen, type(g)) and c.gen is not g and c.gen.table == g.table
                               and id(c.gen) not in done]
        done.update(_aggregate_together(batch, rows))
    return done.pop(id(g))


def _aggregate_together(batch: list, rows) -> dict[int, Column]:
    n = len(rows.idx)
    kinds = {id(g): _result_kind(g) for g, _ in batch}
    pieces: dict[int, list[Column]] = {id(g): [] for g, _ in batch}
    for m, crow, seg in _children(rows, batch[0][0].table):
        for g, _ in batch:
            pieces[id(g)].append(_reduce(g, crow, seg, m, kinds[id(g)]))
    return {id(g): _joined(g, pieces[id(g)], kinds[id(g)], kind, n) for g, kind in batch}


def _result_kind(g) -> str:
    result_kind = g.result_kind(g.of.kind if g.of is not None else None)
    return "int" if result_kind == "duration" else result_kind


def _joined(g, pieces: list[Column], result_kind: str, kind: str, n: int) -> Column:
    if not pieces:
        return Column(kind, np.zeros(n, dtype=_dtype(result_kind)), None if g.fn in ("count", "sum", "any", "all")
                      else np.ones(n, dtype=bool))
    if result_kind in TEXT_KINDS:
        import polars as pl

        values = pl.concat([p.values for p in pieces])
    else:
        values = np.concatenate([np.asarray(p.values) for p in pieces])
    nulls = None
    if any(p.nulls is not None for p in pieces):
        nulls = np.concatenate([p.null_mask() for p in pieces])
    return Column(result_kind, values, nulls)


def _dtype(kind: str):
    return {"float": np.float64, "bool": bool}.get(kind, np.int64)


def _children(rows, table: str):
    """(parents in the group, child Rows, segment of each child) for consecutive groups of the
    parents of ``rows`` with at most ``CHILD_BATCH`` children each (or one parent)."""
    plan = rows.plan
    fan = plan.fanouts[table]
    first, count = fan.starts(rows.idx)
    n = len(rows.idx)
    ends = np.cumsum(count)
    lo = 0
    while lo < n:
        base = ends[lo - 1] if lo else 0
        hi = int(np.searchsorted(ends, base + CHILD_BATCH, side="right"))
        hi = max(hi, lo + 1)
        cnt = count[lo:hi]
        total = int(cnt.sum())
        seg = np.repeat(np.arange(hi - lo, dtype=np.int64), cnt)
        ordinal = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        idx = np.repeat(first[lo:hi], cnt) + ordinal
        crow = rows.of(table, idx)
        crow._located = (np.repeat(rows.idx[lo:hi], cnt), ordinal)
        yield hi - lo, crow, seg
        lo = hi


def _reduce(g, crow, seg: np.ndarray, m: int, kind: str) -> Column:
    """One value per segment 0..m-1 (segments are sorted: children come in parent order)."""
    from specgen.engine.expr import truth

    key = crow.key("__aggregate")
    keep = truth(g.where.evaluate(crow, key)) if g.where is not None else np.ones(len(seg), dtype=bool)
    if g.fn == "count" and g.of is None:
        return Column("int", np.bincount(seg[keep], minlength=m).astype(np.int64))
    col = g.of.evaluate(crow, key)
    if col.nulls is not None:
        keep = keep & ~col.nulls
    s = seg[keep]
    per = np.bincount(s, minlength=m).astype(np.int64)
    empty = per == 0
    if g.fn == "count":
        return Column("int", per)
    if g.fn in ("first", "last"):
        pos = np.flatnonzero(keep)
        if g.order_by is not None:
            order_col = g.order_by.evaluate(crow, key)
            order = np.lexsort((pos, np.asarray(order_col.values)[pos], s))
        else:
            order = np.arange(len(pos))
        starts = np.cumsum(per) - per
        at = starts if g.fn == "first" else starts + per - 1
        at = np.where(empty, 0, at)
        picked = pos[order][at] if len(pos) else np.zeros(m, dtype=np.int64)
        out = col.take(picked) if len(pos) else Column(kind, np.zeros(m, dtype=_dtype(kind)))
        if col.kind in TEXT_KINDS:
            out = Column(kind, out.values, None)
        return Column(kind, out.values, empty if empty.any() else None)
    v = np.asarray(col.values)[keep]
    if g.fn in ("any", "all"):
        true = np.bincount(s, weights=v.astype(np.float64), minlength=m)
        out = true > 0 if g.fn == "any" else true == per
        return Column("bool", out)
    if g.fn == "sum":
        if v.dtype.kind in "iub":
            out = np.zeros(m, dtype=np.int64)
            nz = ~empty
            if nz.any():
                starts = (np.cumsum(per) - per)[nz]
                out[nz] = np.add.reduceat(v.astype(np.int64), starts)
            return Column(kind, out)
        return Column(kind, np.bincount(s, weights=v, minlength=m))
    if g.fn == "avg":
        total = np.bincount(s, weights=v.astype(np.float64), minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(empty, 0.0, total / np.maximum(per, 1))
        return Column("float", out, empty if empty.any() else None)
    if g.fn in ("min", "max"):
        out = np.zeros(m, dtype=v.dtype)
        nz = ~empty
        if nz.any():
            starts = (np.cumsum(per) - per)[nz]
            out[nz] = (np.minimum if g.fn == "min" else np.maximum).reduceat(v, starts)
        return Column(kind, out, empty if empty.any() else None)
    # quantile: linear interpolation between the closest ranks, k = (n - 1) * q, as
    # PostgreSQL's percentile_cont and numpy's default method.
    sv = _sorted_within(crow, g, s, v)
    starts = np.cumsum(per) - per
    k = (np.maximum(per, 1) - 1) * g.q
    lo_rank = np.floor(k).astype(np.int64)
    hi_rank = np.minimum(lo_rank + 1, np.maximum(per - 1, 0))
    frac = k - lo_rank
    out = np.zeros(m, dtype=np.float64)
    nz = ~empty
    if nz.any():
        a = sv[(starts + lo_rank)[nz]]
        b = sv[(starts + hi_rank)[nz]]
        out[nz] = a + (b - a) * frac[nz]
    return Column("float", out, empty if empty.any() else None)


def _sorted_within(crow, g, seg: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``v`` sorted within each segment, as float64; shared by the quantiles of one child batch
    that read the same values (p50, p95 and p99 of a rollup sort once).

    One sort of the values gives each its global rank; the segment and rank then fit in one
    int64 key (segments < n, ranks < n), and sorting those keys is about twice as fast as
    ``np.lexsort((v, seg))``. Equal values are interchangeable, so the result is the same."""
    cache = crow.__dict__.setdefault("_sorted_within", {})
    key = (repr(g.of), repr(g.where))
    if key not in cache:
        cache[key] = _segment_sort(seg, v).astype(np.float64)
    return cache[key]


def _segment_sort(seg: np.ndarray, v: np.ndarray) -> np.ndarray:
    n = len(v)
    if n == 0 or n * n >= 2 ** 62:  # nothing to sort, or keys that would not fit in an int64
        return v[np.lexsort((v, seg))]
    order = np.argsort(v)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    keys = seg.astype(np.int64) * n + rank
    keys.sort()
    return v[order[keys % n]]
