"""Fan-out: how many child rows each parent row has, and which parent a child row belongs to.

The count for parent ``p`` is a pure function of ``p`` (a counter-based uniform pushed through
the count distribution), so totals are exact before any value is generated. Planning walks the
parents once and keeps prefix sums at block boundaries (``block`` parents per block, at most
``MAX_BLOCKS`` blocks, so the index stays small at any scale). Locating child rows recomputes the
counts of only the blocks involved.
"""

from __future__ import annotations

import contextlib
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from specgen.engine import counter
from specgen.engine.model import CountSpec

# The block index is capped so that a plan stays cheap to hold and to ship to workers at any
# profile; locating a batch then recomputes a few more parent counts per block, which costs less
# than moving a bigger index (bench/NOTES.md has the measurements).
MAX_BLOCKS = 1 << 18
_PLAN_BATCH = 1 << 20
_THREADS = os.cpu_count() or 1


class Fanout:
    """Children-per-parent for one child table; built by the planner in dependency order."""

    def __init__(self, plan, table: str, parent: str, count: CountSpec, cap: int | None, caps=(), keep=None):
        self.plan = plan
        self.table = table
        self.parent = parent
        self.count = count
        self.cap = cap  # distinct picks cannot give a parent more children than distinct targets
        self.caps = tuple(caps)  # per-parent caps: callables (parent Rows) -> int64 array
        self.keep = keep  # a condition over the parent row: the other parents' children are not kept
        self.key = counter.stream_key(plan.seed, table, "__count")
        self.n_parents = plan.space[parent]
        self.block = max(1, math.ceil(self.n_parents / MAX_BLOCKS))
        self.cum = self._prefix_sums()

    @property
    def total(self) -> int:
        return int(self.cum[-1])

    def counts(self, parents: np.ndarray) -> np.ndarray:
        """Number of children of each parent index (int64)."""
        u = counter.uniform(self.key, parents)
        spec = self.count
        prow = None
        if spec.dist is not None:
            k = spec.dist.sample(u)
        elif spec.expr is not None:
            from specgen.engine.rows import Rows

            prow = Rows(self.plan, self.parent, parents)
            c = spec.expr.evaluate(prow, self.key)
            k = np.asarray(c.values).astype(np.int64)
            if c.nulls is not None:
                k[c.nulls] = 0
            bad = (k < 0) | (k > spec.expr_max)
            if bad.any():
                from specgen.errors import SpecgenError

                i = int(np.flatnonzero(bad)[0])
                raise SpecgenError(f"{self.plan.model.tables[self.table].file}: parent.count.expr: "
                                   f"'{spec.expr.source}' gives {int(k[i])} children for row {int(parents[i])} of "
                                   f"'{self.parent}', outside [0, {spec.expr_max}] (raise 'max')")
        else:
            from specgen.engine.column import matches
            from specgen.engine.rows import Rows

            prow = Rows(self.plan, self.parent, parents)
            on = prow.path(spec.switch_on)
            k = np.zeros(len(parents), dtype=np.int64)
            matched = np.zeros(len(parents), dtype=bool)
            for value, dist in spec.cases.items():
                mask = matches(on, [value])
                if mask.any():
                    k[mask] = dist.sample(u[mask])
                matched |= mask
            if spec.default is not None and (~matched).any():
                k[~matched] = spec.default.sample(u[~matched])
        if self.cap is not None:
            np.minimum(k, self.cap, out=k)
        if self.caps or self.keep is not None:
            from specgen.engine.rows import Rows

            prow = prow if prow is not None else Rows(self.plan, self.parent, parents)
            for cap in self.caps:
                np.minimum(k, np.maximum(cap(prow), 0), out=k)
            if self.keep is not None:
                from specgen.engine.expr import truth

                k[~truth(self.keep.evaluate(prow, self.key))] = 0
        return k

    def kept(self, parents: np.ndarray) -> np.ndarray:
        """Whether the children of each parent are kept (written)."""
        if self.keep is None:
            return np.ones(len(parents), dtype=bool)
        from specgen.engine.expr import truth
        from specgen.engine.rows import Rows

        return truth(self.keep.evaluate(Rows(self.plan, self.parent, parents), self.key))

    def _constant(self) -> int | None:
        """The count every parent has, when it does not depend on the parent (None otherwise)."""
        d = self.count.dist
        if d is None or d.min != d.max or self.caps or self.keep is not None:
            return None
        return d.min if self.cap is None else min(d.min, self.cap)

    def _prefix_sums(self) -> np.ndarray:
        n, b = self.n_parents, self.block
        nblocks = math.ceil(n / b) if n else 0
        const = self._constant()
        if const is not None:
            # Every block holds ``b`` parents of ``const`` children, the last one the rest: no
            # parent is visited, so a constant fan-out over trillions of parents plans at once.
            self._check_total(float(n) * const)
            cum = np.arange(nblocks + 1, dtype=np.int64) * (b * const)
            if nblocks:
                cum[-1] = n * const
            return cum
        sums = np.zeros(nblocks, dtype=np.int64)
        # Sums that could pass 2^63 are checked in floating point as they are made.
        wide = n * self.count.max >= 2**62
        # The threads below share one batch's worth of parents, so memory stays what one takes.
        threads = _THREADS if n > _PLAN_BATCH else 1
        step = max(b, (_PLAN_BATCH // threads // b) * b)

        def block_sums(lo: int) -> float:
            c = self.counts(np.arange(lo, min(n, lo + step), dtype=np.int64))
            pad = (-len(c)) % b
            if pad:
                c = np.concatenate([c, np.zeros(pad, dtype=np.int64)])
            sums[lo // b : lo // b + len(c) // b] = c.reshape(-1, b).sum(axis=1)
            return float(c.sum(dtype=np.float64)) if wide else 0.0

        starts = range(0, n, step)
        # Each batch of parents is a pure function of its indices, and numpy's array work releases
        # the GIL: the batches of a big parent table are counted on every core.
        parallel = threads > 1 and len(starts) > 1
        with ThreadPoolExecutor(max_workers=threads) if parallel else contextlib.nullcontext() as pool:
            so_far = 0.0
            for total in (pool.map if parallel else map)(block_sums, starts):
                so_far += total
                if wide:
                    self._check_total(so_far)
        cum = np.zeros(nblocks + 1, dtype=np.int64)
        np.cumsum(sums, out=cum[1:])
        return cum

    def _check_total(self, total: float) -> None:
        """A total that would wrap a 64-bit integer is an error, not a negative row count."""
        if total >= 2.0**63:
            from specgen.errors import SpecgenError

            raise SpecgenError(f"{self.plan.model.tables[self.table].file}: parent.count: the {self.n_parents:,} "
                               f"rows of '{self.parent}' have about {total:,.0f} children in all, more than 2^63-1 "
                               "(the most a table can have); lower the counts")

    def starts(self, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first child row, number of children) of each parent index."""
        parents = np.asarray(parents, dtype=np.int64)
        if len(parents) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self.block == 1:
            return self.cum[parents], self.cum[parents + 1] - self.cum[parents]
        blk = parents // self.block
        ublk, inv = np.unique(blk, return_inverse=True)
        members = (ublk[:, None] * self.block + np.arange(self.block)).ravel()
        valid = members < self.n_parents
        c = np.zeros(len(members), dtype=np.int64)
        c[valid] = self.counts(members[valid])
        c = c.reshape(len(ublk), self.block)
        first = np.cumsum(c, axis=1) - c + self.cum[ublk][:, None]
        pos = parents - blk * self.block
        return first[inv, pos], c[inv, pos]

    def locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(parent index, ordinal among the parent's children) for child row indices."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self.block == 1:
            starts = self.cum[:-1]
            parent = np.searchsorted(self.cum, rows, side="right") - 1
            return parent, rows - starts[parent]
        blk = np.searchsorted(self.cum, rows, side="right") - 1
        ublk = _unique_sorted(blk) if _is_sorted(blk) else np.unique(blk)
        parents = (ublk[:, None] * self.block + np.arange(self.block)).ravel()
        valid = parents < self.n_parents
        c = np.zeros(len(parents), dtype=np.int64)
        c[valid] = self.counts(parents[valid])
        c = c.reshape(len(ublk), self.block)
        starts = (np.cumsum(c, axis=1) - c + self.cum[ublk][:, None]).ravel()
        pos = np.searchsorted(starts, rows, side="right") - 1
        return parents[pos], rows - starts[pos]


def _is_sorted(a: np.ndarray) -> bool:
    return len(a) < 2 or bool(np.all(a[1:] >= a[:-1]))


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    if len(a) == 0:
        return a
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]
