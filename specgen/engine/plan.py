"""The plan: exact row counts per table, chunking and size estimates, before any data exists.

Root tables have a fixed row count; a fan-out table has the sum of its per-parent counts, which
``Fanout`` computes exactly from the parents' indices. The plan is a frozen description
(``to_dict`` is what ``specgen plan --format json`` prints) plus the fan-out indexes the engine
uses to place child rows.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from specgen.engine import counter
from specgen.engine.fanout import Fanout
from specgen.engine.model import Model

SAMPLE_ROWS = 1000


@dataclass(frozen=True)
class TablePlan:
    name: str
    rows: int
    chunks: int
    est_bytes: int
    parent: str | None
    per_parent: float | None


class Plan:
    """Row counts and fan-out indexes for one model (spec set + profile)."""

    def __init__(self, model: Model, chunk_rows: int | None = None, seed: int | None = None,
                 estimate: bool = True):
        self.model = model
        self.seed = model.profile.seed if seed is None else int(seed)
        self.chunk_rows = int(chunk_rows or model.profile.chunk_rows)
        self.rows: dict[str, int] = {}  # rows written
        self.space: dict[str, int] = {}  # rows that exist (a table with `keep_when` writes a subset)
        self.fanouts: dict[str, Fanout] = {}
        self.kept: dict[str, Fanout] = {}  # tables with `keep_when`: the written children per parent
        self._affine: dict[tuple, object] = {}
        self._orders: dict[str, object] = {}
        self._row_bytes: dict[str, float] = {}
        for name, spec in model.tables.items():
            if spec.parent is None:
                self.rows[name] = self.space[name] = int(spec.rows)
                continue
            caps = self._slot_caps(spec)
            self.fanouts[name] = Fanout(self, name, spec.parent.table, spec.parent.count, self._cap(spec), caps)
            self.rows[name] = self.space[name] = self.fanouts[name].total
            if spec.parent.keep_when is not None and spec.parent.keep_when.constant is not True:
                self.kept[name] = Fanout(self, name, spec.parent.table, spec.parent.count, self._cap(spec), caps,
                                         keep=spec.parent.keep_when)
                self.rows[name] = self.kept[name].total
        _check_ranges(model, self.rows, self.space)
        for name, spec in model.tables.items():
            for link in spec.links.values():
                if link.pick == "random" and self.rows[name] and not self.space[link.table]:
                    from specgen.errors import SpecgenError

                    raise SpecgenError(f"{spec.file}: links.{link.name}: table '{link.table}' has no rows under "
                                       f"profile '{model.profile.name}', so the {self.rows[name]:,} rows of "
                                       f"'{name}' have nothing to link to")
        self.tables: dict[str, TablePlan] = {}
        for name, spec in model.tables.items():
            rows = self.rows[name]
            parent = spec.parent.table if spec.parent else None
            per_parent = rows / self.rows[parent] if parent and self.rows[parent] else None
            self.tables[name] = TablePlan(
                name=name,
                rows=rows,
                chunks=math.ceil(rows / self.chunk_rows),
                est_bytes=self._estimate(name) if estimate else 0,
                parent=parent,
                per_parent=per_parent,
            )

    def __getstate__(self):
        # The affine maps are closures, rebuilt on demand; the rest pickles, so a process pool can
        # receive the plan instead of building it again in every worker.
        return {**self.__dict__, "_affine": {}, "_orders": {}}

    def _cap(self, spec) -> int | None:
        """Most children a parent can have when a distinct link or pool needs one value per child."""
        from specgen.engine.generators import Pool, walk

        caps = [self.rows[link.table] for link in spec.links.values() if link.pick == "distinct"]
        for col in spec.columns.values():
            if col.gen is not None:
                caps += [len(self.model.pools.get(g.name)) for _, g in walk(col.gen)
                         if isinstance(g, Pool) and g.distinct]
        return min(caps) if caps else None

    def _slot_caps(self, spec) -> list:
        """Per-parent caps from generators that give each child of a parent its own time slot."""
        from specgen.engine.generators import walk

        return [g.slot_cap for col in spec.columns.values() if col.gen is not None
                for _, g in walk(col.gen) if getattr(g, "slots", None)]

    def order(self, table: str):
        """The permutation of an interleaved table (position -> row index), else None."""
        if self.model.tables[table].order != "interleaved":
            return None
        if table not in self._orders:
            from specgen.engine.permutation import Permutation

            self._orders[table] = Permutation(counter.stream_key(self.seed, table, "__order"), self.rows[table])
        return self._orders[table]

    def row_index(self, table: str, ranks: np.ndarray) -> np.ndarray:
        """Row indices of the written rows ``ranks`` (0-based positions in the table's output)."""
        perm = self.order(table)
        if perm is not None:
            return perm.forward(ranks)
        kept = self.kept.get(table)
        if kept is None:
            return ranks
        parents, ordinal = kept.locate(ranks)
        first, _ = self.fanouts[table].starts(parents)
        return first + ordinal

    def affine(self, table: str, link: str, n: int):
        """The bijection rank -> row used by a link: ``(a * rank + b) mod n``."""
        key = (table, link, n)
        if key not in self._affine:
            from specgen.engine.rows import coprime_multiplier

            w = int(counter.stream_key(self.seed, table, "__affine", link))
            a, b = coprime_multiplier(w, n), (w >> 32) % max(n, 1)

            def apply(rank, a=a, b=b, n=n):
                return (rank * a + b) % n

            self._affine[key] = apply
        return self._affine[key]

    def _estimate(self, name: str) -> int:
        """Bytes as CSV, from the first rows (deterministic and cheap)."""
        return int(round(self.row_bytes(name) * self.rows[name]))

    def row_bytes(self, name: str) -> float:
        """Average bytes of a row as CSV, measured on the table's first rows (0 if it has none)."""
        if name in self._row_bytes:
            return self._row_bytes[name]
        rows = self.rows[name]
        if rows == 0:
            return 0.0
        from specgen.engine.crypto import sizing
        from specgen.engine.rows import generate

        with sizing():  # encrypted values of the right length, without deriving keys
            sample = generate(self, name, 0, min(rows, SAMPLE_ROWS)).to_frame()
        buf = io.BytesIO()
        sample.write_csv(buf, include_header=False)
        self._row_bytes[name] = len(buf.getvalue()) / sample.height
        return self._row_bytes[name]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict:
        p = self.model.profile
        return {
            "profile": p.name,
            "seed": self.seed,
            "spec_hash": self.model.spec_hash,
            "window": {"start": _iso(p.window_start), "end": _iso(p.window_end)},
            "chunk_rows": self.chunk_rows,
            "total_rows": self.total_rows,
            "total_chunks": sum(t.chunks for t in self.tables.values()),
            "est_bytes": sum(t.est_bytes for t in self.tables.values()),
            "tables": {
                t.name: {
                    "rows": t.rows,
                    "chunks": t.chunks,
                    "est_bytes": t.est_bytes,
                    "parent": t.parent,
                    "per_parent": None if t.per_parent is None else round(t.per_parent, 4),
                }
                for t in self.tables.values()
            },
        }


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def sequence_overflow(g, rows: int, last: int) -> str:
    return (f"sequence from {g.start:,} by {g.step:,} over {rows:,} rows reaches {last:,}, beyond "
            "64-bit integers (-2^63 .. 2^63-1)")


def _check_ranges(model: Model, rows: dict[str, int], space: dict[str, int]) -> None:
    """Exact row counts that 64-bit integers hold: in all, and in every sequence's last value."""
    from specgen.engine.generators import Sequence
    from specgen.errors import SpecgenError

    total = sum(rows.values())
    if total > INT64_MAX:
        raise SpecgenError(f"profile '{model.profile.name}': the tables add up to {total:,} rows, more than 2^63-1")
    problems = []
    for name, spec in model.tables.items():
        for c in spec.columns.values():
            g = c.gen
            if isinstance(g, Sequence) and space[name]:
                last = g.start + g.step * (space[name] - 1)
                if not INT64_MIN <= last <= INT64_MAX:
                    problems.append(f"{spec.file}: columns.{c.name}.gen: {sequence_overflow(g, space[name], last)}")
    if problems:
        raise SpecgenError("\n".join(problems))


def human_size(n: float) -> str:
    """Bytes for people: ``512 B``, ``10.2 GB`` (binary units, as ``ls -h`` and ``df -h``)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def _iso(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
