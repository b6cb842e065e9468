"""The static uniqueness prover: which unique sets are unique by construction.

The checker asks this module whether a unique column, a unique constraint, a unique index or a
composite primary key holds for every row the generators can give, reading only the validated
tables and the pools - no row is generated. A set is unique by construction when a column of it
is (a sequence, a uuid, a template with a unique part whose edges its delimiters can find, a ref
to a unique column of a one-to-one parent, literal rows that differ); or, in a fan-out table, when
its columns carry what identifies the parent row and a value that differs among the children of
one parent (``_carries``). The checker reports the sets it cannot prove.

``proofs`` is its counterpart at compile time: a set marked ``proof: compile`` holds for reasons
beyond these rules and is checked there on the generated rows instead.
"""

from __future__ import annotations

import functools
import json

from specgen.engine import generators as gens
from specgen.engine.model import ColumnSpec, TableSpec
from specgen.errors import SpecgenError
from specgen.spec.pools import PoolStore

_as_case = gens.case_text


def _row_values(g) -> list | None:
    """A column's literal row values (``Generator.row_values``); None also for a column without a generator."""
    return None if g is None else g.row_values()


class UniquenessProver:
    """Proves unique sets unique by construction over the checker's tables and pool registry.

    ``tables`` is the checker's own dict (filled while it builds, read here as it stands); the
    prover is the ``spec`` a generator kind's ``differs_among_siblings`` asks (``pool_injective``).
    """

    def __init__(self, tables: dict[str, TableSpec], pools: PoolStore):
        self.tables = tables
        self.pools = pools

    def unique_by_construction(self, table: TableSpec, col: ColumnSpec, depth: int = 0) -> bool:
        return self._gen_unique(table, col.gen, depth)

    def _gen_unique(self, table: TableSpec, g, depth: int, first_child: bool = False) -> bool:
        """Whether generator ``g`` gives every row of ``table`` a different value.

        ``first_child``: only the first child of each parent gets this value (case 0 of a switch
        on ``_ordinal``), so a unique column of the parent is unique here too.
        """
        if g is None or depth > 8:
            return False
        if isinstance(g, gens.Switch):
            # Unique when every case is: the cases must not produce one another's values (give
            # them different literal prefixes), the same care a template's delimiters need.
            if g.default is None:
                return False
            cases = [*g.cases.items(), ("", g.default)]
            return all(self._gen_unique(table, b, depth + 1, first_child=(g.on == "_ordinal" and k == "0"))
                       for k, b in cases)
        if isinstance(g, gens.Template):
            edge = functools.partial(self._pool_edge, table, g)
            for i, (_, name, filters) in enumerate(g.pieces):
                if name is None or not all(f[0] in gens.INDEX_SAFE_FILTERS for f in filters) \
                        or not g.recoverable(i, edge):
                    continue
                if name == "_index" or (name in g.parts and g.parts[name].unique):
                    return True
                # slug/lower keep the digits a unique part is built from (an index or a key), so
                # they keep it unique; title/upper/json could merge values and do not count.
                if name not in g.parts:
                    if self._unique_path(table, name, depth, first_child):
                        return True
            return False
        if isinstance(g, gens.Ref):
            return self._unique_path(table, g.path, depth, first_child)
        if (listed := g.row_values()) is not None:
            texts = [json.dumps(v, sort_keys=True) for v in listed if v is not None]
            return len(texts) == len(listed) == len(set(texts))
        return bool(g.unique)

    def _pool_edge(self, table: TableSpec, g, name: str, filters, side: str, delimiter) -> bool:
        """Whether every value of placeholder ``name`` of template ``g`` (a part or a column of
        this row whose values are known: a pool, a categorical, a constant, a boolean) starts
        (``side`` "start") or ends with a delimiter character."""
        import polars as pl

        src = g.parts.get(name)
        if src is None and name in table.columns:
            src = table.columns[name].gen
        if any(f[0] not in ("lower", "slug") for f in filters):
            return False
        if isinstance(src, gens.Pool):  # its values are in the pool registry
            try:
                values = self.pools.get(src.name).values
            except SpecgenError:
                return False
        else:
            listed = None if src is None else src.known_values()
            if listed is None or all(v is None for v in listed):
                return False  # not listed; or NULL on every row (a constant null): no edge to judge
            values = pl.Series([_as_case(v) for v in listed], dtype=pl.String)
        if filters:
            values = gens.apply_filters(values, filters)
        chars = (values.str.slice(0, 1) if side == "start" else values.str.slice(-1, 1)).unique().to_list()
        return all(ch and delimiter(ch) for ch in chars)

    def _unique_col(self, table: TableSpec, cname: str, depth: int) -> bool:
        if cname == "_index":
            return True
        if cname == "_ordinal":
            return False
        return self.unique_by_construction(table, table.columns[cname], depth + 1)

    def _unique_path(self, table: TableSpec, path: str, depth: int, first_child: bool = False) -> bool:
        """A path keeps uniqueness when every hop is to a parent with at most one child per parent
        (or, for the first hop, when only the first child of each parent takes the value)."""
        segs = path.split(".")
        t = table
        for i, seg in enumerate(segs[:-1]):
            if seg != "parent" or t.parent is None or (t.parent.count.max > 1 and not (i == 0 and first_child)):
                return False
            t = self.tables.get(t.parent.table)
            if t is None:
                return False
        last = segs[-1]
        if last in t.columns:
            return self._unique_col(t, last, depth)
        return last == "_index"

    def unique_set(self, table: TableSpec, cols: list[str], depth: int = 0) -> bool:
        """Whether the values of ``cols`` together are unique by construction.

        Unique when one column is; when one column is always NULL (SQL unique constraints never
        compare NULLs); or, in a fan-out table, when the columns carry values that identify the
        parent row (its key, or columns copied from a unique set of the parent) and a value that
        differs between the children of one parent (a 'distinct' link or pool, ``_ordinal``) - or
        the parent has at most one child. Templates count as carrying what their placeholders do.
        """
        if depth > 8:
            return False
        if any(self.unique_by_construction(table, table.columns[c]) for c in cols):
            return True
        listed = [_row_values(table.columns[c].gen) for c in cols]
        if all(v is not None for v in listed):
            rows = list(zip(*listed, strict=True))
            return len({json.dumps(r, sort_keys=True) for r in rows}) == len(rows)
        if any(table.columns[c].nullable and table.columns[c].gen is None for c in cols):
            return True
        if table.parent is None or table.parent.table not in self.tables:
            return False
        carried: set[str] = set()
        distinct = table.parent.count.max <= 1
        for c in cols:
            p, d = self._carries(table, table.columns[c].gen, depth, ())
            carried |= p
            distinct = distinct or d
        if not distinct:
            return False
        parent = self.tables[table.parent.table]
        if "_index" in carried or any(c in parent.columns and self._unique_col(parent, c, depth) for c in carried):
            return True
        return any(set(s) <= carried and self.unique_set(parent, s, depth + 1) for s in self._declared_sets(parent))

    def _carries(self, table: TableSpec, g, depth: int, filters: tuple) -> tuple[set[str], bool]:
        """(parent columns a generator's value carries, whether it differs among siblings).

        ``filters`` are the template filters applied on the way out: slug/lower/pad are assumed to
        keep values apart (as for unique parts); a distinct pool stays distinct through any filter
        that provably keeps its values apart (checked on the pool itself).
        """
        if g is None or depth > 8:
            return set(), False
        if isinstance(g, gens.Ref):
            return self._carries_path(table, g.path, depth, filters)
        if isinstance(g, gens.Switch):
            # What every case carries (rows without a case would be NULL: no default, no proof).
            if g.default is None:
                return set(), False
            if g.on == "_ordinal" and self._ordinal_cases_differ(table, g):
                return set(), True
            results = [self._carries(table, b, depth + 1, filters) for b in [*g.cases.values(), g.default]]
            return set.intersection(*[p for p, _ in results]), all(d for _, d in results)
        if isinstance(g, gens.Template):
            out: set[str] = set()
            distinct = False
            for _, name, piece_filters in g.pieces:
                if name is None:
                    continue
                inner = (*piece_filters, *filters)
                if name in g.parts:
                    p, d = self._carries(table, g.parts[name], depth + 1, inner)
                else:
                    p, d = self._carries_path(table, name, depth, inner)
                out |= p
                distinct = distinct or d
            return out, distinct
        return set(), g.differs_among_siblings(self, filters)  # a leaf carries no parent column

    @staticmethod
    def _ordinal_cases_differ(table: TableSpec, g) -> bool:
        """A switch on ``_ordinal`` with constant cases 0..k-1, a constant default and no two
        values alike gives siblings different values when no parent has more than k + 1 children."""
        branches = [*g.cases.values(), g.default]
        if table.parent is None or not all(isinstance(b, gens.Const) and b.value is not None for b in branches):
            return False
        if sorted(g.cases) != [str(i) for i in range(len(g.cases))]:
            return False
        values = [json.dumps(b.value, sort_keys=True) for b in branches]
        return len(set(values)) == len(values) and table.parent.count.max <= len(branches)

    def _carries_path(self, table: TableSpec, path: str, depth: int, filters: tuple) -> tuple[set[str], bool]:
        safe = all(f[0] in gens.INDEX_SAFE_FILTERS for f in filters)
        head, _, rest = path.partition(".")
        if not rest:
            if head == "_ordinal":
                return set(), safe
            col = table.columns.get(head)
            return self._carries(table, col.gen, depth + 1, filters) if col is not None else (set(), False)
        if not safe:
            return set(), False
        if head == "parent" and table.parent is not None and table.parent.table in self.tables:
            parent = self.tables[table.parent.table]
            c = rest if rest == "_index" else self._column_for(parent, rest)
            return ({c} if c else set()), False
        link = table.links.get(head)
        if link is not None and link.pick == "distinct" and "." not in rest and link.table in self.tables:
            target = self.tables[link.table]
            if rest == "_index" or (rest in target.columns and self._unique_col(target, rest, depth)):
                return set(), True
        return set(), False

    def pool_injective(self, name: str, filters: tuple) -> bool:
        """Whether ``filters`` keep the values of pool ``name`` pairwise different."""
        if not filters:
            return True
        if self.pools.path_of(name) is None:
            return False
        values = self.pools.through(name, filters, gens.apply_filters)
        return values.null_count() == 0 and values.n_unique() == len(values)

    @staticmethod
    def _column_for(table: TableSpec, path: str) -> str | None:
        """The column of ``table`` holding ``path``'s value: the path itself or a ref copying it."""
        if path in table.columns:
            return path
        for c in table.columns.values():
            if isinstance(c.gen, gens.Ref) and c.gen.path == path:
                return c.name
        return None

    @staticmethod
    def _declared_sets(table: TableSpec) -> list[list[str]]:
        """Column sets the table declares unique for every row (partial indexes excluded)."""
        sets = [u.columns for u in table.uniques] + [ix.columns for ix in table.indexes if ix.unique and not ix.where]
        sets += [table.primary_key] + [[c.name] for c in table.columns.values() if c.unique]
        return [s for s in sets if s]
