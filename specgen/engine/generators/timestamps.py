"""The ``timestamp`` kind (a window, recency, offsets, distinct slots per parent) and ``_bound``,
the latest or earliest of several time paths per row."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from specgen.engine import counter
from specgen.engine.column import Column
from specgen.engine.generators.base import Generator, _paths, seconds
from specgen.engine.generators.values import is_instant, parse_instant

# -- time ---------------------------------------------------------------------------------------


@dataclass
class Timestamp(Generator):
    """A time in ``[after, before]`` (defaults: the profile window), uniform or with exponential
    recency; or ``after + offset`` when an offset range is given (e.g. expiry dates).

    ``after`` and ``before`` are paths, or lists of paths: the latest of the ``after`` values and
    the earliest of the ``before`` values bound the time (NULL values are ignored), so a child can
    be kept after both of its parents. Without an offset the time never passes the window's end;
    with one it may (expiry dates), unless ``bounded`` or a ``before`` is given ("soon after").

    With ``slots`` (``distinct: 1h``) the children of one parent get pairwise different slot
    starts (whole hours since the epoch, say) from the slot holding ``after`` to the last slot
    starting before the end, in child order, weighted by ``recency``: child ``j`` (counted from
    the last) is ``j`` slots plus a non-decreasing share of the free slots back from the end, so
    the slots are distinct by construction. The fan-out gives a parent no more children than it
    has slots (``slot_cap``).
    """

    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    half_life_days: float | None = None
    offset: tuple[int, int] | None = None
    bounded: bool = False  # offset results kept before `before` and the window's end
    slots: int | None = None  # seconds per slot: children of a parent get distinct slots
    kind = "timestamp"
    names = ("timestamp",)
    valued = True
    dep_key = ("timestamp",)

    @classmethod
    def from_spec(cls, name, params, p):
        offset = p.get("offset")
        return cls(
            after=_paths(p.get("after")),
            before=_paths(p.get("before")),
            half_life_days=(p.get("recency") or {}).get("half_life_days"),
            offset=(seconds(offset["min"]), seconds(offset["max"])) if offset else None,
            bounded=bool(p.get("bounded", False)),
            slots=seconds(p["distinct"]) if p.get("distinct") else None,
        )

    def check(self, ctx):
        if self.slots:
            if ctx.table.parent is None:
                ctx.error(("timestamp", "distinct"), "'distinct' gives a parent's children different "
                          "time slots, so it needs 'parent'")
            elif not self.after or any(not p.startswith("parent.") for p in (*self.after, *self.before)):
                ctx.error(("timestamp", "distinct"), "'distinct' slots count from the parent: 'after' "
                          "(and 'before') must be paths from it, e.g. parent.created_at")
            if self.offset:
                ctx.error(("timestamp", "offset"), "'offset' and 'distinct' exclude each other")
        for which in ("after", "before"):
            for p in getattr(self, which):
                if is_instant(p):
                    try:
                        parse_instant(p)
                    except ValueError:
                        ctx.error(("timestamp", which), f"not an ISO-8601 date or time: '{p}'")
                    continue
                k = ctx.kind_at(p)
                if k is not None and k not in ("timestamp", "date"):
                    ctx.error(("timestamp", which), f"'{p}' is {k}, not a timestamp")
        if self.offset and self.offset[0] > self.offset[1]:
            ctx.error(("timestamp", "offset"), "offset min > max")
        if self.offset and not self.after:
            ctx.error(("timestamp", "offset"), "'offset' counts from 'after': add 'after'")

    def text_length(self):
        return 20

    def differs_among_siblings(self, spec, filters):
        # Slots are distinct by construction (see the class); filters are not consulted.
        return bool(self.slots)

    def accepts(self, kind):
        return kind in ("timestamp", "date")

    def deps(self):
        yield from (p for p in (*self.after, *self.before) if not is_instant(p))

    def _slot_range(self, rows, paths_after, paths_before, n):
        """(last slot, number of slots): the slots are those of the epoch's grid that start
        before the end; counted from the time span alone, so that moving the window (--as-of)
        by any amount keeps every parent's number of slots."""
        lo = _bound(rows, paths_after, rows.window_start, n, latest=True)
        hi = np.minimum(_bound(rows, paths_before, rows.window_end, n, latest=False), rows.window_end)
        return (hi - 1) // self.slots, np.maximum((hi - lo) // self.slots, 0)

    def slot_cap(self, parent_rows) -> np.ndarray:
        """How many distinct slots each parent offers its children."""
        strip = [p.split(".", 1)[1] for p in self.after]
        before = [p.split(".", 1)[1] for p in self.before]
        return self._slot_range(parent_rows, strip, before, len(parent_rows.idx))[1]

    def _slotted(self, rows, key, n) -> np.ndarray:
        last, slots = self._slot_range(rows, self.after, self.before, n)
        parent, ordinal = rows.located()
        k = rows.plan.fanouts[rows.table].counts(parent)
        free = np.maximum(slots - k, 0)
        j = k - 1 - ordinal  # counted from the last child: j = 0 is the most recent slot
        x = (j + counter.uniform(key, rows.idx)) / np.maximum(k, 1)
        if self.half_life_days:
            lam = math.log(2.0) * self.slots / (self.half_life_days * 86400.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = -np.log1p(-x * -np.expm1(-lam * free)) / lam
        else:
            q = x * free
        share = np.clip(np.floor(q), 0, free).astype(np.int64)
        return (last - j - share) * self.slots

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        if self.slots:
            t = self._slotted(rows, key, n)
            return Column("date", t // 86400) if kind == "date" else Column("timestamp", t)
        lo = _bound(rows, self.after, rows.window_start, n, latest=True)
        u = counter.uniform(key, rows.idx)
        if self.offset is not None:
            a, b = self.offset
            t = lo + a + (u * (b - a + 1)).astype(np.int64)
            if self.bounded or self.before:
                hi = np.minimum(_bound(rows, self.before, rows.window_end, n, latest=False), rows.window_end)
                t = np.maximum(np.minimum(t, hi), lo)
        else:
            hi = np.minimum(_bound(rows, self.before, rows.window_end, n, latest=False), rows.window_end)
            hi = np.maximum(hi, lo)
            span = (hi - lo).astype(np.float64)
            if self.half_life_days:
                lam = math.log(2.0) / (self.half_life_days * 86400.0)
                back = -np.log1p(-u * -np.expm1(-lam * span)) / lam
            else:
                back = u * (span + 1.0)
            back = np.minimum(back.astype(np.int64), (hi - lo))
            t = hi - back
        if kind == "date":
            return Column("date", t // 86400)
        return Column("timestamp", t)


_NONE_LATEST = np.iinfo(np.int64).min
_NONE_EARLIEST = np.iinfo(np.int64).max


def _bound(rows, paths, default, n, latest: bool):
    """The latest (or earliest) non-NULL value of ``paths`` per row; ``default`` where none."""
    if not paths:
        return np.full(n, default, dtype=np.int64)
    neutral = _NONE_LATEST if latest else _NONE_EARLIEST
    out = None
    for path in paths:
        if is_instant(path):
            v = np.full(n, parse_instant(path), dtype=np.int64)
            out = v if out is None else (np.maximum(out, v) if latest else np.minimum(out, v))
            continue
        col = rows.path(path)
        v = (col.values if col.kind == "timestamp" else col.values * 86400).astype(np.int64, copy=False)
        if col.nulls is not None:
            v = np.where(col.nulls, neutral, v)
        out = v.copy() if out is None else (np.maximum(out, v) if latest else np.minimum(out, v))
    return np.where(out == neutral, default, out)
