"""The ``template`` kind: text assembled from literal parts and ``{name|filter}`` placeholders
(the filters are in ``filters``), and the kind a template part is drawn in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, as_text
from specgen.engine.generators.base import Generator, GenError, _sub
from specgen.engine.generators.filters import _FILTERS, INDEX_SAFE_FILTERS, apply_filters
from specgen.engine.generators.numeric import Uniform
from specgen.engine.generators.values import Pool
from specgen.errors import did_you_mean

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass
class Template(Generator):
    """Text assembled from literal parts and placeholders ``{name|filter}``.

    A placeholder names a part (a sub-generator under ``parts``), a column of this row, a path
    through links (``parent.slug``) or ``_index``/``_ordinal``. Filters: ``lower``, ``upper``,
    ``title``, ``slug`` (the gateway's slugify), ``pad:N`` (zero-pad numbers), ``json`` (JSON
    string escaping), ``get:KEY`` (a member of a JSON document, e.g. one entry of a JSON pool, so
    several columns can share one pooled record), ``base64`` (standard base64 of the UTF-8 text,
    with padding, as in HTTP Basic credentials). ``{{`` and ``}}`` are literal braces.
    """

    text: str = ""
    parts: dict[str, Generator] = field(default_factory=dict)
    kind = "text"
    names = ("template",)
    draws = False
    valued = True
    dep_key = ("template",)

    @classmethod
    def from_spec(cls, name, params, p):
        if isinstance(params, str):
            return cls(params)
        return cls(p["text"], {k: _sub(v, "template", "parts", k) for k, v in (p.get("parts") or {}).items()})

    def own_deps(self):
        return [name for _, name, _ in self.pieces if name is not None and name not in self.parts]

    def spec_child(self, name):
        return ("template", "parts", name), self.parts[name]

    def __post_init__(self):
        self.pieces: list[tuple[str, str | None, list[tuple[str, str | None]]]] = []
        body = self.text.replace("{{", "\x00").replace("}}", "\x01")
        pos = 0
        for m in _PLACEHOLDER.finditer(body):
            self.pieces.append((self._literal(body[pos : m.start()]), *self._placeholder(m.group(1))))
            pos = m.end()
        self.pieces.append((self._literal(body[pos:]), None, []))

    def _literal(self, text: str) -> str:
        if "{" in text or "}" in text:
            raise GenError(f"unbalanced brace in template '{self.text}' (write {{{{ or }}}} for a literal brace)")
        return text.replace("\x00", "{").replace("\x01", "}")

    def _placeholder(self, body: str):
        name, *filters = [p.strip() for p in body.split("|")]
        if not name:
            raise GenError(f"empty placeholder in template '{self.text}'")
        parsed = []
        for f in filters:
            fname, _, arg = f.partition(":")
            if fname not in _FILTERS:
                raise GenError(f"unknown template filter '{fname}' in '{{{body}}}'." + did_you_mean(fname, _FILTERS))
            if fname == "pad" and not arg.isdigit():
                raise GenError(f"filter 'pad' needs a width, e.g. '{{{name}|pad:6}}'")
            if fname == "get" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", arg):
                raise GenError(f"filter 'get' needs a member name, e.g. '{{{name}|get:input_schema}}'")
            parsed.append((fname, arg or None))
        return name, parsed

    @property
    def unique(self):  # type: ignore[override]
        # Injective when it embeds a unique part between fixed delimiters; plain paths to unique
        # columns of this row count too (validated by the spec checker).
        for i, (_, name, filters) in enumerate(self.pieces):
            if name is None or not self.recoverable(i):
                continue
            if name in self.parts and self.parts[name].unique and all(f[0] in INDEX_SAFE_FILTERS for f in filters):
                return True
            if name == "_index" and all(f[0] in INDEX_SAFE_FILTERS for f in filters):
                return True
        return False

    def recoverable(self, i: int, edge=None) -> bool:
        """Whether placeholder ``i``'s value stays apart from its neighbours in every text the
        template makes, so that a unique value there keeps the whole text unique.
        ``"{_index}{n}"`` does not (``1`` + ``23`` and ``12`` + ``3`` are the same text). Each side
        must be the end of the template, a literal whose character next to the placeholder cannot
        occur in its values (for ``_index`` anything but a digit, else anything but a letter or
        digit), or a placeholder whose values never touch it with such a character:
        ``edge(name, filters, side)`` says so (``side`` "end" or "start" of the neighbour's values),
        when the caller knows the neighbour's values (a pool)."""
        name = self.pieces[i][1]

        def delimiter(ch: str) -> bool:
            return not ch.isdigit() if name == "_index" else not ch.isalnum()

        before, after = self.pieces[i][0], self.pieces[i + 1][0]
        if before:
            left = delimiter(before[-1])
        else:
            left = i == 0 or (edge is not None and edge(*self.pieces[i - 1][1:], "end", delimiter))
        if after:
            right = delimiter(after[0])
        else:
            right = i == len(self.pieces) - 2 or (edge is not None and edge(*self.pieces[i + 1][1:], "start", delimiter))
        return left and right

    def deps(self):
        for _, name, _ in self.pieces:
            if name is not None and name not in self.parts:
                yield name
        for _, g in self.parts.items():
            yield from g.deps()

    def children(self):
        yield from self.parts.items()

    def accepts(self, kind):
        return kind in ("text", "bytes", "json")

    def _pool_source(self, rows, key, name):
        """The pool generator behind a placeholder, when filters can run on the pool instead."""
        if name in self.parts:
            g = self.parts[name]
            return (g, counter.sub_key(key, name)) if isinstance(g, Pool) else (None, None)
        c = rows.spec.columns.get(name)
        if c is not None and isinstance(c.gen, Pool) and not c.null_rate and c.null_when is None:
            return c.gen, rows.key(c.stream_name)
        return None, None

    def _coded(self, rows, key, kind) -> Column | None:
        """``prefix{name|filters}suffix`` over a coded source (a pool, a categorical, a parent's
        values): the template is applied to the distinct values and the result stays coded."""
        if len(self.pieces) != 2:
            return None
        (prefix, name, filters), (suffix, _, _) = self.pieces
        n = len(rows.idx)
        pool, pool_key = self._pool_source(rows, key, name)
        if pool is not None:
            values = rows.pools.get(pool.name).values
            if len(values) >= n:
                return None
            if filters:
                values = rows.pools.through(pool.name, filters, apply_filters)
            codes = pool.ranks(rows, pool_key)
        else:
            if name in self.parts:
                return None
            col = rows.path(name)  # computed once per batch: the general path below reuses it
            if col.codes is None or col._values is not None or len(col.dictionary) >= n:
                return None
            values, codes = apply_filters(col.dictionary, filters), col.codes
        if prefix or suffix:
            values = pl.select(pl.concat_str([pl.lit(prefix), pl.lit(values), pl.lit(suffix)])).to_series()
        return Column.coded(kind, values, codes)

    def evaluate(self, rows, key, kind):
        if (coded := self._coded(rows, key, kind)) is not None:
            return coded
        exprs = []
        for literal, name, filters in self.pieces:
            if literal:
                exprs.append(pl.lit(literal))
            if name is None:
                continue
            pool, pool_key = self._pool_source(rows, key, name)
            if pool is not None and filters:
                exprs.append(pool.filtered(rows, pool_key, filters))
                continue
            if name in self.parts:
                g = self.parts[name]
                col = g.evaluate(rows, counter.sub_key(key, name), g.kind or _default_part_kind(g))
            else:
                col = rows.path(name)
            exprs.append(apply_filters(as_text(col), filters))
        if all(name is None for _, name, _ in self.pieces):
            # Literal text only: one value per row (concatenating literals alone gives one value).
            text = "".join(literal for literal, _, _ in self.pieces)
            return Column(kind, pl.repeat(text, len(rows.idx), eager=True, dtype=pl.String))
        return Column(kind, pl.select(pl.concat_str(exprs)).to_series())


def _default_part_kind(g: Generator) -> str:
    """The kind a template part is drawn in: whole numbers for a uniform between integers."""
    if isinstance(g, Uniform) and isinstance(g.min, int) and isinstance(g.max, int) and g.round is None:
        return "int"
    return "text"
