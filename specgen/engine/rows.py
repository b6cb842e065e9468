"""The generation engine: columns of any table for any set of row indices.

``Rows(plan, table, idx)`` is the context generators evaluate in. Columns are computed on demand
and memoised; a path such as ``parent.owner.user_email`` follows links to other tables and
computes the target column *for the target row indices only* - the target table is never
materialised. That is how foreign keys, "child not older than parent" and "a token's team is one
of its user's teams" hold at any scale: a child recomputes what it needs of its parent.

Links:

* ``parent`` - the fan-out parent, located from prefix sums (``fanout.Fanout.locate``);
* ``random`` - one row of the target per child, optionally zipf-skewed, through an affine
  bijection of the rank so popular rows are spread over the table;
* ``distinct`` - the children of one parent get pairwise different targets (many-to-many):
  skewed draws are sorted and pushed apart (``r_j = j + cummax(s_j - j)``), which makes them
  strictly increasing, hence distinct, without any retry.
"""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, as_text, matches, single_precision, zeros
from specgen.engine.distributions import skewed_rank

SPECIAL = ("_index", "_ordinal")


def _reuse_freed_memory() -> None:
    """Keep freed batch arrays in the heap for the next batch instead of returning them.

    glibc serves allocations above 128 KB with mmap and gives them back on free, so every batch
    paid the kernel to map and zero-fill fresh pages (a third of the CPU time was system time).
    Raising the mmap and trim thresholds lets the next batch reuse the same memory: measured
    13% faster on the medium profile with a lower peak RSS. No effect outside glibc.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 256 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


_reuse_freed_memory()


class Rows:
    """Rows ``idx`` (int64 array) of ``table`` under ``plan``."""

    def __init__(self, plan, table: str, idx: np.ndarray):
        self.plan = plan
        self.table = table
        self.spec = plan.model.tables[table]
        self.idx = np.asarray(idx, dtype=np.int64)
        self._columns: dict[str, Column] = {}
        self._links: dict[str, tuple[Rows, np.ndarray | None]] = {}
        self._located: tuple[np.ndarray, np.ndarray] | None = None
        self._of: tuple[Rows, np.ndarray] | None = None  # (rows, positions) this is a subset of

    def subset(self, positions: np.ndarray) -> Rows:
        """These rows at ``positions``; columns already computed here are reused, not recomputed."""
        sub = Rows(self.plan, self.table, self.idx[positions])
        sub._of = (self, positions)
        if self._located is not None:
            sub._located = (self._located[0][positions], self._located[1][positions])
        return sub

    # -- context for generators ---------------------------------------------------------------

    @property
    def pools(self):
        return self.plan.model.pools

    @property
    def window_start(self) -> int:
        return self.plan.model.profile.window_start

    @property
    def window_end(self) -> int:
        return self.plan.model.profile.window_end

    def key(self, *names) -> np.uint64:
        return counter.stream_key(self.plan.seed, self.table, *names)

    def of(self, table: str, idx: np.ndarray) -> Rows:
        """Rows ``idx`` of another table under the same plan (an aggregate's children)."""
        return Rows(self.plan, table, idx)

    def located(self) -> tuple[np.ndarray, np.ndarray]:
        """(parent index, ordinal) of each row."""
        if self._located is None:
            self._located = self.plan.fanouts[self.table].locate(self.idx)
        return self._located

    def ordinal(self) -> np.ndarray:
        return self.located()[1]

    def position(self) -> np.ndarray:
        """Where these rows are written (their row index, but in an interleaved table)."""
        perm = self.plan.order(self.table)
        return self.idx if perm is None else perm.inverse(self.idx)

    # -- columns and paths ----------------------------------------------------------------------

    def column(self, name: str) -> Column:
        col = self._columns.get(name)
        if col is None:
            whole = self._of[0]._columns.get(name) if self._of is not None else None
            col = whole.take(self._of[1]) if whole is not None else self._compute(name)
            self._columns[name] = col
        return col

    def path(self, path: str) -> Column:
        """A column of this row, ``_index``/``_ordinal``, or ``link[.link...].column``."""
        head, _, rest = path.partition(".")
        if not rest:
            if head == "_index":
                return Column("int", self.position())
            if head == "_ordinal":
                return Column("int", self.ordinal())
            if head in self.spec.columns:
                return self.column(head)
            target, inverse = self.link(head)  # a path ending on a link: the target's row index
            return Column("int", target.idx if inverse is None else target.idx[inverse])
        target, inverse = self.link(head)
        col = target.path(rest)
        return col if inverse is None else col.take(inverse)

    def link(self, name: str) -> tuple[Rows, np.ndarray | None]:
        """The linked rows (deduplicated) and, if deduplicated, positions back to these rows."""
        if name not in self._links:
            if name == "parent":
                idx = self.located()[0]
                table = self.spec.parent.table
            else:
                spec = self.spec.links[name]
                table = spec.table
                if spec.pick == "match":
                    idx = self._pick_match(spec)
                elif spec.pick == "row":
                    idx = self._pick_row(spec)
                elif spec.pick == "distinct":
                    idx = self._pick_distinct(spec)
                else:
                    idx = self._pick_random(spec)
            self._links[name] = _dedupe(self.plan, table, idx)
        return self._links[name]

    def _compute(self, name: str) -> Column:
        c = self.spec.columns[name]
        n = len(self.idx)
        if c.gen is None or n == 0:  # no generator, or no rows (an aggregate's parents without children)
            return Column(c.kind, zeros(c.kind, n), np.ones(n, dtype=bool) if n else None)
        col = c.gen.evaluate(self, self.key(c.stream_name), c.kind)
        if col.kind != c.kind:
            col = _convert(col, c.kind)
        if c.type.scale is not None and col.kind == "float":
            col = Column("float", np.round(col.values, c.type.scale), col.nulls)
        elif c.type.single and col.kind == "float":
            # The database rounds a 4-byte float on the way in: rounded here, once for every
            # generator, the dump, the manifest's statistics and the columns computed from this
            # one all hold the value it stores.
            col = Column("float", single_precision(col.values), col.nulls)
        if c.null_rate:
            col = col.with_nulls(counter.uniform(self.key(c.stream_name, "__null"), self.idx) < c.null_rate)
        if c.null_when is not None:
            col = col.with_nulls(self._condition(c.null_when))
        if not c.virtual and c.bounded:
            _check_domain(self, c, col)
        if not c.virtual and not c.nullable and col.nulls is not None and col.nulls.any():
            # An expression's NULL (a division by zero, an invalid cast, a NULL it reads): the
            # database would refuse it or, MySQL's LOAD DATA LOCAL, store 0 or '' with a warning.
            from specgen.errors import SpecgenError

            i = int(np.argmax(col.nulls))
            raise SpecgenError(f"{self.spec.file}: columns.{c.name}: row {int(self.idx[i])} of '{self.table}': the "
                               "generator gives NULL and the column is not nullable: make it nullable, or give "
                               "the value another way there (coalesce)")
        return col

    def _condition(self, cond) -> np.ndarray:
        if cond.is_null is not None:
            nulls = self.path(cond.column).null_mask()
            return nulls if cond.is_null else ~nulls
        mask = matches(self.path(cond.column), cond.values)
        return ~mask if cond.negate else mask

    # -- links ------------------------------------------------------------------------------------

    def _pick_match(self, spec) -> np.ndarray:
        """The row of a literal-rows table whose columns equal this row's ``match`` expressions."""
        target = self.plan.model.tables[spec.table]
        cols = list(spec.match)
        literal = [target.columns[c].gen.values for c in cols]
        lookup = {"\x1f".join(_case_text(vals[i]) for vals in literal): i for i in range(target.rows)}
        here = [spec.match[c].evaluate(self, self.key("__link", spec.name)) for c in cols]
        text = pl.select(pl.concat_str([as_text(c) for c in here], separator="\x1f")).to_series()
        idx = text.replace_strict(lookup, default=-1, return_dtype=pl.Int64).to_numpy()
        missing = idx < 0
        for c in here:
            if c.nulls is not None:
                missing |= c.nulls
        if missing.any():
            from specgen.errors import SpecgenError

            i = int(np.flatnonzero(missing)[0])
            wanted = ", ".join(f"{c} = {text[i].split(chr(31))[j]!r}" for j, c in enumerate(cols))
            raise SpecgenError(f"{self.spec.file}: links.{spec.name}: no row of '{spec.table}' has {wanted} "
                               f"(row {int(self.idx[i])} of '{self.table}')")
        return idx

    def _pick_row(self, spec) -> np.ndarray:
        """The target row an expression names (``row: "0"``: the first row)."""
        col = spec.match["__row__"].evaluate(self, self.key("__link", spec.name))
        idx = np.asarray(col.values).astype(np.int64)
        n = self.plan.space[spec.table]
        bad = (idx < 0) | (idx >= n) | col.null_mask()
        if bad.any():
            from specgen.errors import SpecgenError

            i = int(np.flatnonzero(bad)[0])
            raise SpecgenError(f"{self.spec.file}: links.{spec.name}.row: '{spec.match['__row__'].source}' gives "
                               f"{'NULL' if col.null_mask()[i] else int(idx[i])} for row {int(self.idx[i])} of "
                               f"'{self.table}', but '{spec.table}' has rows 0..{n - 1}")
        return idx

    def _pick_random(self, spec) -> np.ndarray:
        n_target = self.plan.space[spec.table]
        u = counter.uniform(self.key("__link", spec.name), self.idx)
        rank = skewed_rank(u, n_target, spec.zipf)
        return self.plan.affine(self.table, spec.name, n_target)(rank)

    def _pick_distinct(self, spec) -> np.ndarray:
        """Pairwise different targets for the children of each parent (see module doc)."""
        n_target = self.plan.space[spec.table]
        has_first = spec.first is not None
        n_pool = n_target - 1 if has_first else n_target
        r, up, inv, seg_start = self._sibling_draws(self.key("__link", spec.name), n_pool, spec.zipf, has_first)
        ordinal = self.ordinal()
        picks = self.plan.affine(self.table, spec.name, n_pool)(r) if n_pool > 0 else r
        out = np.empty(len(self.idx), dtype=np.int64)
        if has_first:
            seg = np.repeat(np.arange(len(up), dtype=np.int64), np.diff(np.append(seg_start, len(r))))
            parent_rows = Rows(self.plan, self.spec.parent.table, up)
            first_path = spec.first.partition(".")[2]
            first = parent_rows.path(first_path).values.astype(np.int64)
            picks += picks >= first[seg]
            is_first = ordinal == 0
            out[is_first] = first[inv[is_first]]
            rest = ~is_first
            out[rest] = picks[seg_start[inv[rest]] + ordinal[rest] - 1]
        else:
            out[:] = picks[seg_start[inv] + ordinal]
        return out

    def sibling_ranks(self, key, n_pool: int, zipf: float | None) -> np.ndarray:
        """Ranks in [0, n_pool), pairwise different among the children of each parent.

        The sorted draws of one parent are handed to its children in an order rotated by a
        per-parent offset, so a child's position does not predict how popular its value is.
        """
        r, up, inv, seg_start = self._sibling_draws(key, n_pool, zipf, False)
        k = np.diff(np.append(seg_start, len(r)))
        shift = counter.below(counter.sub_key(key, "rotate"), up, np.maximum(k, 1))
        pos = (self.ordinal() + shift[inv]) % np.maximum(k[inv], 1)
        return r[seg_start[inv] + pos]

    def _sibling_draws(self, key, n_pool: int, zipf: float | None, skip_first: bool):
        """Sorted, pairwise different ranks for all children of every parent of these rows.

        Returns (ranks, parents, row -> parent position, first rank of each parent): skewed draws
        are sorted per parent and pushed apart (``r_j = j + cummax(s_j - j)``), which makes them
        strictly increasing, hence distinct, without any retry.
        """
        fan = self.plan.fanouts[self.table]
        parent, _ = self.located()
        up, inv = np.unique(parent, return_inverse=True)
        k = fan.counts(up)
        m = np.maximum(k - (1 if skip_first else 0), 0)  # draws per parent
        seg_start = np.cumsum(m) - m
        total = int(m.sum())
        seg = np.repeat(np.arange(len(up), dtype=np.int64), m)
        j = np.arange(total, dtype=np.int64) - seg_start[seg]
        stride = np.int64(fan.count.max + 1)
        draws = skewed_rank(counter.uniform(key, up[seg] * stride + j), n_pool, zipf)
        order = np.lexsort((draws, seg))
        s = draws[order]
        big = np.int64(n_pool + stride + 1)
        t = s - j + seg * big
        np.maximum.accumulate(t, out=t)
        r = t - seg * big + j
        np.minimum(r, n_pool - m[seg] + j, out=r)
        return r, up, inv, seg_start


# Integer types' ranges in every dialect (a value outside fails the load, or wraps).
INT_RANGES = {"smallint": (-(1 << 15), (1 << 15) - 1), "integer": (-(1 << 31), (1 << 31) - 1),
              "int": (-(1 << 31), (1 << 31) - 1)}


_HEX_PAIRS = r"^(?:[0-9a-fA-F]{2})*$"  # how a bytes value is written: two hex digits a byte


def _check_domain(rows, c, col: Column) -> None:
    """Values the column's SQL type cannot hold stop the compile here, before the database sees
    them: text longer than varchar(n) (unless the validator proved the length), bytes not written as
    hex digits or not of binary(n)'s or varbinary(n)'s length, numbers beyond
    numeric(p, s)'s digits, a single-precision float's range or an integer type's range."""
    from specgen.errors import SpecgenError

    keep = ~col.nulls if col.nulls is not None else None
    problem = None
    if c.kind in ("text", "json") and c.type.length is not None and not c.length_proven:
        lens = col.per_row(lambda s: s.str.len_chars().fill_null(0))
        if keep is not None:
            lens = np.where(keep, lens, 0)
        if len(lens) and lens.max() > c.type.length:
            i = int(np.argmax(lens))
            value = col.take(np.array([i])).values[0]
            problem = (i, f"a value of {int(lens[i])} characters is longer than {c.type}: '{value[:60]}"
                          f"{'...' if len(value) > 60 else ''}'")
    elif c.kind == "bytes" and len(col):
        # Bytes travel as hex digits, two a byte: anything else PostgreSQL refuses at the load and
        # MySQL's UNHEX turns into NULL. MySQL's BINARY(n) pads a shorter value with zero bytes and
        # LOAD DATA LOCAL cuts a longer one with a mere warning: neither is written.
        ok = col.per_row(lambda s: s.str.contains(_HEX_PAIRS).fill_null(True))
        n = c.type.byte_length
        lens = col.per_row(lambda s: s.str.len_bytes().fill_null(0)) // 2
        if n is not None:
            ok &= (lens == n) if c.type.base == "binary" else (lens <= n)
        bad = np.flatnonzero(~ok if keep is None else ~ok & keep)
        if len(bad):
            i = int(bad[0])
            value = col.take(np.array([i])).values[0]
            if not re.match(_HEX_PAIRS, value):
                problem = (i, f"'{value[:60]}{'...' if len(value) > 60 else ''}' is not bytes written as hex digits "
                              f"(two a byte), which a {c.type} column takes")
            else:
                problem = (i, f"a value of {int(lens[i])} bytes does not fit {c.type}"
                              f"{f' (exactly {n} byte' + ('s)' if n != 1 else ')') if c.type.base == 'binary' else ''}")
    elif c.kind in ("int", "float") and len(col):
        v = np.asarray(col.values)
        if keep is not None:
            v = np.where(keep, v, 0)
        if c.kind == "float" and c.type.scale is not None:
            limit = 10.0 ** (c.type.args[0] - c.type.scale)
            bad = np.flatnonzero(~(np.abs(v) < limit))
            if len(bad):
                problem = (int(bad[0]), f"{float(v[bad[0]])!r} does not fit {c.type} (|value| < {limit:g})")
        elif c.kind == "float" and c.type.single:
            # Rounded to float32 already (_compute): a value past its range became infinite.
            bad = np.flatnonzero(np.isinf(v))
            if len(bad):
                problem = (int(bad[0]), f"a value beyond {c.type}'s range (|value| <= {float(np.finfo(np.float32).max):g})")
        elif c.kind == "int" and c.type.base in INT_RANGES:
            lo, hi = INT_RANGES[c.type.base]
            bad = np.flatnonzero((v < lo) | (v > hi))
            if len(bad):
                problem = (int(bad[0]), f"{int(v[bad[0]])} does not fit {c.type} ({lo}..{hi})")
    if problem is not None:
        i, what = problem
        raise SpecgenError(f"{rows.spec.file}: columns.{c.name}: row {int(rows.idx[i])} of '{rows.table}': {what}")


def _case_text(v) -> str:
    """A literal as ``as_text`` writes the same value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _dedupe(plan, table: str, idx: np.ndarray) -> tuple[Rows, np.ndarray | None]:
    """Rows at the distinct indices, plus positions to expand back, when that saves work."""
    n = len(idx)
    if n > 1 and np.all(idx[1:] >= idx[:-1]):
        keep = np.empty(n, dtype=bool)
        keep[0] = True
        np.not_equal(idx[1:], idx[:-1], out=keep[1:])
        uniq = idx[keep]
        if len(uniq) == n:
            return Rows(plan, table, idx), None
        return Rows(plan, table, uniq), np.cumsum(keep) - 1
    if n > 64 and plan.space[table] < n // 2:
        uniq, inverse = np.unique(idx, return_inverse=True)
        return Rows(plan, table, uniq), inverse
    return Rows(plan, table, idx), None


def _convert(col: Column, kind: str) -> Column:
    """Widen a referenced value to the column's kind (int -> float, anything -> text)."""
    if kind == "float" and col.kind == "int":
        return Column(kind, col.values.astype(np.float64), col.nulls)
    if kind in ("text", "json", "bytes"):
        return Column(kind, as_text(col), col.nulls)
    if kind == "date" and col.kind == "timestamp":
        return Column(kind, col.values // 86400, col.nulls)
    if kind == "timestamp" and col.kind == "date":
        return Column(kind, col.values * 86400, col.nulls)
    return Column(kind, col.values, col.nulls)


def coprime_multiplier(seed_word: int, n: int) -> int:
    """A multiplier coprime with ``n`` (so ``a*r + b mod n`` is a bijection), below 2**31."""
    if n <= 1:
        return 1
    a = seed_word % min(n, 1 << 31) or 1
    while math.gcd(a, n) != 1:
        a += 1
    return a


class Chunk:
    """Generated columns of one table for rows [start, stop), in spec column order."""

    def __init__(self, table: str, start: int, stop: int, columns: dict[str, Column]):
        self.table = table
        self.start = start
        self.stop = stop
        self.columns = columns

    def __len__(self) -> int:
        return self.stop - self.start

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame([c.to_series(name) for name, c in self.columns.items()])


def generate(plan, table: str, start: int = 0, stop: int | None = None) -> Chunk:
    """All columns of ``table`` for rows [start, stop) - identical whatever the chunking."""
    total = plan.rows[table]
    stop = total if stop is None else min(stop, total)
    start = max(0, min(start, stop))
    rows = Rows(plan, table, plan.row_index(table, np.arange(start, stop, dtype=np.int64)))
    return Chunk(table, start, stop, {c.name: rows.column(c.name) for c in plan.model.tables[table].stored})


BATCH_ROWS = 1 << 18  # rows generated at once: per-call costs amortised, memory well under 1 GiB per worker


def batches(plan, table: str, start: int = 0, stop: int | None = None, batch_rows: int = BATCH_ROWS):
    """``generate`` for [start, stop) in batches of ``batch_rows`` (what writers stream)."""
    stop = plan.rows[table] if stop is None else min(stop, plan.rows[table])
    for lo in range(start, stop, batch_rows):
        yield generate(plan, table, lo, min(stop, lo + batch_rows))


def generate_at(plan, table: str, idx: np.ndarray) -> Chunk:
    """All columns of ``table`` for arbitrary row indices (not output positions: see
    ``Plan.row_index``)."""
    rows = Rows(plan, table, np.asarray(idx, dtype=np.int64))
    return Chunk(table, -1, -1, {c.name: rows.column(c.name) for c in plan.model.tables[table].stored})
