"""The longest text a generator gives: the checker's proofs of ``varchar(n)``.

A text column whose generator's longest value is known is proved to fit its ``varchar(n)`` here
(the compile then does not measure it) or, holding a value that cannot fit, refused by the
checker. A bound that is too low would let a longer value through unmeasured, so every step bounds
from above, template filters included; where no bound is known the answer is None and the
compile measures every batch.
"""

from __future__ import annotations

from specgen.engine import generators as gens
from specgen.engine.model import TableSpec
from specgen.engine.rows import SPECIAL


class TextLengths:
    """Bounds on the text length of generators' values over the checker's ``tables`` and
    ``pools``; ``resolve(table, path)`` is the checker's (a (table, column) pair or why not)."""

    def __init__(self, tables: dict[str, TableSpec], pools, resolve):
        self.tables, self.pools, self.resolve = tables, pools, resolve

    def longest(self, table: TableSpec, g) -> int | None:
        """An upper bound of the text length of ``g``'s values in ``table`` (None: not known)."""
        return self.max_length(table, g, 0, ())

    def exact_longest(self, g) -> tuple[int, str] | None:
        """(length, value) of the longest value a generator certainly gives."""
        values = None
        if isinstance(g, gens.Pool):  # its values are in the pool registry
            if self.pools.path_of(g.name) is not None:
                values = self.pools.get(g.name).values.to_list()
        else:
            listed = g.known_values()
            if listed is None:
                listed = g.row_values()  # a reference table's literal rows
            if listed is not None:
                values = [v for v in listed if isinstance(v, str)]
        if not values:
            return None
        v = max(values, key=len)
        return len(v), v

    def max_length(self, table: TableSpec, g, depth: int, filters: tuple) -> int | None:
        """An upper bound of the text length of ``g``'s values through template ``filters``."""
        if g is None or depth > 8:
            return None
        if isinstance(g, gens.Pool):  # exact: the pool's values through the filters (``get`` too)
            if self.pools.path_of(g.name) is None or any(f[0] == "json" for f in filters):
                return None
            values = self.pools.through(g.name, filters, gens.apply_filters) if filters else self.pools.get(g.name).values
            return int(values.str.len_chars().max() or 0)
        if isinstance(g, gens.Switch):  # each branch through the filters
            parts = [self.max_length(table, b, depth + 1, filters) for b in g.children_gens()]
            if g.default is None:
                parts.append(0)
            return None if any(p is None for p in parts) else max(parts)
        if any(f[0] in ("json", "get") for f in filters):
            return None
        return through_filters(self._text_length(table, g, depth), filters)

    def _text_length(self, table: TableSpec, g, depth: int) -> int | None:
        """An upper bound of the text length of ``g``'s own values, before any filter."""
        inner = g.text_length()  # what the kind's parameters tell
        if inner is not None:
            return inner
        if isinstance(g, gens.Ref):
            r = self.resolve(table.name, g.path)
            if isinstance(r, str):
                return None
            if r[1] in SPECIAL:
                return 20
            t = self.tables[r[0]]
            return self.max_length(t, t.columns[r[1]].gen, depth + 1, ())
        if not isinstance(g, gens.Template):
            return None
        total = 0
        for literal, name, piece_filters in g.pieces:
            total += len(literal)
            if name is None:
                continue
            if name in g.parts:
                m = self.max_length(table, g.parts[name], depth + 1, tuple(piece_filters))
            elif name in table.columns:
                m = self.max_length(table, table.columns[name].gen, depth + 1, tuple(piece_filters))
            elif name in SPECIAL:
                m = through_filters(20, piece_filters)
            else:
                m = self.max_length(table, gens.Ref(name), depth + 1, tuple(piece_filters))
            if m is None:
                return None
            total += m
        return total


def through_filters(n: int | None, filters) -> int | None:
    """A bound of a text length after template ``filters`` (None: none known). Unicode case
    mappings give at most three characters for one (SpecialCasing: 'ΐ' upper-cased is three;
    ``slug`` lower-cases, then only shortens); base64 writes four characters for every three
    UTF-8 bytes, at most four bytes a character."""
    for name, arg in filters:
        if n is None:
            return None
        if name == "pad":
            n = max(n, int(arg))
        elif name in ("lower", "upper", "title", "slug"):
            n *= 3
        elif name == "base64":
            n = 4 * -(-4 * n // 3)
        else:
            return None
    return n
