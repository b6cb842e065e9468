"""Specs in, model out: read a spec set, validate it completely, build the ``Model``.

A spec set is a directory of entity specs (``*.yaml``, one table each), profiles
(``profiles/<name>.yaml``) and optionally pools (``pools/``). Validation runs in three layers and
reports every problem it finds, each with its file, line, column and spec path:

1. YAML syntax and 2. the JSON Schema of entities and profiles: ``documents``; a profile with
   its ``extends`` chain and window: ``profiles``;
3. here, semantics a schema cannot express: parameters defined by the profile, tables, links, columns
   and pools that exist, reference cycles, ranges (min <= mean <= max), generator vs column type,
   foreign keys fed from the referenced column, unique columns built unique by construction
   (proved by ``uniqueness``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from specgen import answers
from specgen.engine import generators as gens
from specgen.engine.distributions import COUNT_DISTS, MAX_COUNT_SUPPORT, CountDistribution
from specgen.engine.model import (
    TYPE_KINDS,
    CheckSpec,
    ColumnSpec,
    Condition,
    CountSpec,
    IndexSpec,
    LinkSpec,
    Model,
    ParentSpec,
    Profile,
    SqlType,
    TableSpec,
    UniqueSpec,
)
from specgen.engine.plan import INT64_MAX, INT64_MIN, Plan, sequence_overflow
from specgen.engine.rows import SPECIAL
from specgen.errors import Diagnostic, SpecErrors, did_you_mean
from specgen.spec import model_cache, window
from specgen.spec.documents import PARAM, Document, SpecSet, load_spec_set, schema_errors, value_errors
from specgen.spec.lengths import TextLengths
from specgen.spec.pools import PoolStore
from specgen.spec.profiles import at_window_end, resolve_profile, window_errors
from specgen.spec.uniqueness import UniquenessProver, _row_values

# Keys whose contents are literal data: a "$x" string there is text, not a parameter.
_LITERAL_KEYS = {"const", "values", "text", "description", "checks", "in", "equals", "not_equals",
                 # expressions: they read `$name` themselves (inside the text)
                 "expr", "keep_when", "of", "where", "order_by", "match", "when"}
_IS_NULL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+IS\s+NULL\s*$", re.IGNORECASE)

# Items of one generated JSON array, and the width of `pad:N`: bounds on the work one value takes.
MAX_ARRAY_ITEMS = 10_000
MAX_PAD = 1_000
# The shortest identifier limit of the databases specgen writes for (PostgreSQL's NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63
# Parents a plan reads a varying count of, at most: a plan computes every parent's count once
# (tens of millions a second), so this bounds it to minutes. Constant counts are not walked.
MAX_WALKED_PARENTS = 1 << 36


def _predicate_problem(sql: str) -> str:
    """Why a partial index's ``where`` is not one SQL condition ("" if it is): found here, not by
    the database after the data is loaded. Answers are remembered with sqlglot's other answers
    (``answers.ask``), so sqlglot is imported only for a condition not seen before."""
    def answer() -> str:
        import sqlglot

        try:
            parsed = sqlglot.parse(sql)
        except sqlglot.errors.SqlglotError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"not an SQL condition: '{sql}' ({first})"
        if len(parsed) != 1 or parsed[0] is None:
            return f"not one SQL condition: '{sql}' (a partial index takes one WHERE condition)"
        e = parsed[0]
        if not isinstance(e, sqlglot.exp.Condition) or isinstance(e, sqlglot.exp.Query):
            return f"not an SQL condition: '{sql}' (a partial index takes one WHERE condition)"
        return ""

    return answers.ask("condition", "", sql, answer)


def _mean_count(count: CountSpec) -> float:
    """About how many children a parent has (the largest mean of a switch's cases)."""
    if count.expr is not None:
        return count.expr_max / 2
    return max(d.expected() for d in count.all())


def _constant_count(parent: ParentSpec) -> bool:
    return parent.count.dist is not None and parent.count.dist.min == parent.count.dist.max \
        and parent.keep_when is None


# -- layer 3: semantics and the model ------------------------------------------------------------


class _Checker:
    """Builds the model for one profile, collecting every problem as a diagnostic."""

    def __init__(self, ss: SpecSet, profile: Profile):
        self.ss = ss
        self.profile = profile
        self.errors: list[Diagnostic] = []
        self.pools = PoolStore(ss.pool_dirs)
        self.docs: dict[str, Document] = {}
        self.tables: dict[str, TableSpec] = {}
        self.uniqueness = UniquenessProver(self.tables, self.pools)
        self.lengths = TextLengths(self.tables, self.pools, self.resolve)

    def error(self, doc: Document, path, message: str, key: bool = False) -> None:
        self.errors.append(doc.marks.diag(tuple(path), message, key=key))

    def error_in(self, doc: Document, path, offset: int, message: str) -> None:
        """An error at a character of the text at ``path`` (an expression)."""
        self.errors.append(doc.marks.diag_in(tuple(path), offset, message))

    def expression(self, doc: Document, source, path):
        """Parse an expression of the spec (``$name`` read from the profile), or report why not."""
        from specgen.engine import expr

        try:
            return expr.parse(source, self.profile.params)
        except expr.ExprError as exc:
            self.error_in(doc, path, exc.offset, str(exc))
            return None

    def infer(self, doc: Document, e, table: str, path, want: tuple[str, ...] | None = None, what: str = "") -> str | None:
        """Type-check expression ``e`` against the columns of ``table``; report problems at
        ``path``. ``want``: the kinds it may have."""
        from specgen.engine import expr

        def kind_of(p):
            if p in ("window_start", "window_end") and p not in self.tables[table].columns:
                return "timestamp"
            r = self.resolve(table, p)
            if isinstance(r, str):
                raise expr.ExprError(r, expr._offset_of(e.root, p))
            return "int" if r[1] in SPECIAL else self.tables[r[0]].columns[r[1]].kind

        try:
            k = e.infer(kind_of)
        except expr.ExprError as exc:
            self.error_in(doc, path, exc.offset, str(exc))
            return None
        if want is not None and k not in want and k != "null":
            self.error(doc, path, f"{what or 'the expression'} must be {' or '.join(want)}, but '{e.source}' is {k}")
            return None
        return k

    # parameters ------------------------------------------------------------------------------

    def substitute(self, doc: Document, value, path=()):
        if isinstance(value, dict):
            # A column's `default` is DDL text; a switch's `default` (and its cases) are generators or
            # counts whose parameters must be substituted.
            return {k: (v if k in _LITERAL_KEYS or (k == "default" and len(path) == 2 and path[0] == "columns")
                        or (k == "rows" and not path and isinstance(v, list))  # a reference table's rows
                        else self.substitute(doc, v, (*path, k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(doc, v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and (m := PARAM.match(value)):
            name = m.group(1)
            if name in self.profile.params:
                return self.profile.params[name]
            self.error(doc, path, f"unknown parameter '${name}': profile '{self.profile.name}' "
                       f"({self.profile.file}) does not define it." + did_you_mean(name, self.profile.params))
            return None
        return value

    # tables -------------------------------------------------------------------------------------

    def build(self) -> dict[str, TableSpec]:
        for doc in self.ss.entities:
            if not isinstance(doc.data, dict):
                self.error(doc, (), "an entity spec must be a mapping with 'table' and 'columns'")
                continue
            errs = schema_errors(doc, "entity")
            before = len(self.errors)
            data = self.substitute(doc, doc.data)  # reports unknown parameters in any case
            if errs or len(self.errors) > before:  # a missing parameter would leave a hole (None)
                self.errors.extend(errs)
                continue
            if data != doc.data:
                # Parameters were substituted: their values must be what the schema asks for where
                # they are used (a count of -5 or 2.5 from a profile, as if written in the spec).
                errs = schema_errors(Document(doc.path, doc.name, data, doc.marks), "entity")
                if errs:
                    self.errors.extend(dataclasses.replace(e, message=f"{e.message} (a value from profile "
                                                  f"'{self.profile.name}', {self.profile.file})") for e in errs)
                    continue
            if value_errors(doc, data, self.errors, self.profile):
                continue
            name = data["table"]
            if name in self.docs:
                self.error(doc, ("table",), f"table '{name}' is also defined in {self.docs[name].name}")
                continue
            self.docs[name] = doc
            table = self.table(doc, data)
            if table is not None:
                self.tables[name] = table
        for name, table in self.tables.items():
            self.check_table(self.docs[name], table)
        order = self.order()
        if order is not None:
            for name, table in self.tables.items():
                self.check_links(self.docs[name], table)
            self.check_column_cycles()
            self.check_scale(order)
        return {n: self.tables[n] for n in order} if order else {}

    def check_names(self, doc: Document, table: TableSpec) -> None:
        """Names no longer than every database takes: PostgreSQL cuts longer ones at 63 bytes
        without a word (two long names that share their start become one) and MySQL refuses
        them at load. Names specgen makes up itself are shortened with a hash (dialect.short_name)."""
        def check(name, path, key=False):
            if name is not None and len(str(name).encode()) > MAX_IDENTIFIER_BYTES:
                self.error(doc, path, f"name '{name}' is {len(str(name).encode())} bytes long: PostgreSQL "
                           f"takes names of up to {MAX_IDENTIFIER_BYTES} bytes (MySQL 64); shorten it", key=key)

        check(table.name, ("table",))
        for cname in table.columns:
            check(cname, ("columns", cname), key=True)
        for i, u in enumerate(table.uniques):
            check(u.name, ("unique", i, "name"))
        for i, ix in enumerate(table.indexes):
            check(ix.name, ("indexes", i, "name"))
        for i, c in enumerate(table.checks):
            check(c.name, ("checks", i, "name"))

    def check_scale(self, order: list[str]) -> None:
        """Row counts stay within 64 bits, and plans stay quick. About how many rows a table has
        is its parent's times the mean children per parent, worked out per table (never per
        parent row): counts that would wrap are refused before a plan adds them up (the plan
        checks the exact sums as it makes them, ``Fanout``), and so is a varying count over more
        parents than a plan can visit in minutes."""
        typical: dict[str, float] = {}  # rows expected from the counts' means
        for name in order:
            t = self.tables[name]
            doc = self.docs[name]
            if t.parent is None:
                typical[name] = float(t.rows or 0)
                continue
            parents = typical.get(t.parent.table, 0.0)
            typical[name] = parents * _mean_count(t.parent.count)
            if typical[name] > INT64_MAX:
                self.error(doc, ("parent", "count"), f"about {parents:,.0f} rows of '{t.parent.table}' with "
                           f"{_mean_count(t.parent.count):,.6g} children each on average make about "
                           f"{typical[name]:,.0f} rows, more than 2^63-1 (the most a table can have); lower the counts")
                typical[name] = 0.0  # reported: the tables below it are not reported again
            elif parents > MAX_WALKED_PARENTS and not _constant_count(t.parent):
                self.error(doc, ("parent", "count"), f"a count that varies per parent is planned by working out "
                           f"every parent's count, and '{t.parent.table}' has about {parents:,.0f} rows (more "
                           f"than {MAX_WALKED_PARENTS:,}); give a constant count or fewer parents")
        for name in order:  # a sequence past 2^63-1 even over the expected rows
            for c in self.tables[name].columns.values():
                g = c.gen
                if isinstance(g, gens.Sequence) and typical[name] >= 1:
                    last = g.start + g.step * (int(typical[name]) - 1)
                    if not INT64_MIN <= last <= INT64_MAX:
                        self.error(self.docs[name], ("columns", c.name, "gen"), sequence_overflow(g, int(typical[name]), last))

    def table(self, doc: Document, data: dict) -> TableSpec | None:
        has_rows, has_parent = "rows" in data, "parent" in data
        if has_rows == has_parent:
            self.error(doc, (), "a table needs exactly one of 'rows' (a root table) or 'parent' (a fan-out)")
        parent = None
        if has_parent:
            count = self.count(doc, data["parent"]["count"], ("parent", "count"))
            keep = data["parent"].get("keep_when")
            keep = self.expression(doc, keep, ("parent", "keep_when")) if keep is not None else None
            parent = ParentSpec(data["parent"]["table"], count, keep) if count else None
        links = {}
        for lname, ldata in (data.get("links") or {}).items():
            match = {}
            for tcol, source in (ldata.get("match") or {}).items():
                e = self.expression(doc, source, ("links", lname, "match", tcol))
                if e is not None:
                    match[tcol] = e
            if "row" in ldata:
                e = self.expression(doc, ldata["row"], ("links", lname, "row"))
                if e is not None:
                    match["__row__"] = e
            pick = "match" if "match" in ldata else "row" if "row" in ldata else ldata.get("pick", "random")
            links[lname] = LinkSpec(lname, ldata["table"], pick, (ldata.get("skew") or {}).get("zipf"),
                                    ldata.get("first"), match)
        literal = data["rows"] if isinstance(data.get("rows"), list) else None
        if literal is not None:
            for i, row in enumerate(literal):
                for k in row:
                    if k not in data["columns"]:
                        self.error(doc, ("rows", i, k), f"unknown column '{k}'." + did_you_mean(k, data["columns"]), key=True)
        columns = {}
        pk = list(data.get("primary_key") or [])
        for cname, cdata in data["columns"].items():
            if literal is not None and any(cname in row for row in literal):
                if "gen" in cdata:
                    self.error(doc, ("columns", cname, "gen"), f"column '{cname}' has values in 'rows' and a generator: "
                               "give one of the two")
                    continue
                cdata = {**cdata, "gen": {"__literal__": [row.get(cname) for row in literal]}}
            col = self.column(doc, cname, cdata)
            if col is not None:
                columns[cname] = col
                if col.primary_key and cname not in pk:
                    pk.append(cname)
        self.identity(doc, data["columns"], columns, pk)
        uniques = []
        for u in data.get("unique") or []:
            cols, uname, proof = (u, None, None) if isinstance(u, list) else (u["columns"], u.get("name"), u.get("proof"))
            uniques.append(UniqueSpec(uname, list(cols), proof))
        indexes = [IndexSpec(ix.get("name"), list(ix["columns"]), ix.get("unique", False), ix.get("where"), ix.get("proof"))
                   for ix in data.get("indexes") or []]
        checks = [CheckSpec(c["name"], c["column"], list(c["in"])) for c in data.get("checks") or []]
        return TableSpec(
            name=data["table"], file=doc.name, columns=columns,
            rows=len(literal) if literal is not None else data.get("rows"), parent=parent, order=data.get("order"),
            links=links, primary_key=pk, uniques=uniques, indexes=indexes, checks=checks,
            description=data.get("description", ""),
        )

    def identity(self, doc: Document, raw: dict, columns: dict[str, ColumnSpec], pk: list[str]) -> None:
        """Mark the table's identity column: the one with ``identity: true``, or by default a lone
        integer primary key fed by ``sequence`` (as the ORM declares ``Integer, primary_key=True``).

        MySQL auto-increments only a key and SQLite only its rowid alias (INTEGER PRIMARY KEY), so
        an identity column must be the whole primary key: one per table."""
        marked = None
        for name, col in columns.items():
            asked = raw[name].get("identity")
            where = ("columns", name, "identity")
            if asked is None:
                col.identity = (pk == [name] and col.kind == "int" and isinstance(col.gen, gens.Sequence)
                                and col.default is None and not col.virtual)
                continue
            col.identity = bool(asked)
            if not asked:
                continue
            if marked is not None:
                self.error(doc, where, f"only one identity column per table, and '{marked}' is one already")
            elif col.kind != "int":
                self.error(doc, where, f"an identity column must be an integer (integer, bigint, smallint), "
                           f"not {col.type}")
            elif pk != [name]:
                self.error(doc, where, f"an identity column must be the table's whole primary key "
                           f"(primary_key: [{name}]); the primary key is "
                           f"{'[' + ', '.join(pk) + ']' if pk else 'not declared'}")
            elif col.default is not None:
                self.error(doc, (*where[:2], "default"), "an identity column takes its values from the database's "
                           "counter: remove 'default'")
            marked = marked or name

    def count(self, doc: Document, c, path) -> CountSpec | None:
        if isinstance(c, dict) and "expr" in c:
            e = self.expression(doc, c["expr"], (*path, "expr"))
            hi = c.get("max")
            if isinstance(hi, float) and hi.is_integer():
                hi = int(hi)  # a $param
            if not isinstance(hi, int) or isinstance(hi, bool) or hi < 0:
                self.error(doc, (*path, "max"), f"a count expression needs 'max', a whole number >= 0 "
                           f"(the most children one parent may have), got {hi}")
                return None
            return CountSpec(expr=e, expr_max=hi) if e is not None else None
        if isinstance(c, dict) and "switch" in c:
            sw = c["switch"]
            cases = {}
            for k, v in sw["cases"].items():
                d = self.count_dist(doc, v, (*path, "switch", "cases", k))
                if d is not None:
                    cases[str(k).lower() if isinstance(k, bool) else str(k)] = d
            default = self.count_dist(doc, sw["default"], (*path, "switch", "default")) if "default" in sw else None
            return CountSpec(switch_on=sw["on"], cases=cases, default=default)
        d = self.count_dist(doc, c, path)
        return CountSpec(dist=d) if d is not None else None

    def count_dist(self, doc: Document, c, path) -> CountDistribution | None:
        if c is None:
            return None
        if isinstance(c, (int, float)):
            if c < 0 or int(c) != c:
                self.error(doc, path, f"a count must be a whole number >= 0, got {c}")
                return None
            return CountDistribution("const", int(c), int(c))
        if isinstance(c, dict) and "switch" in c:
            self.error(doc, path, "a count switch cannot be nested")
            return None
        dist = c["dist"]
        if dist == "const":
            v = c.get("value", c.get("mean"))
            if v is None:
                self.error(doc, path, "dist 'const' needs 'value'")
                return None
            return self.count_dist(doc, v, (*path, "value"))
        if dist == "bernoulli":
            p = c.get("p", c.get("mean"))
            if p is None or not 0 <= p <= 1:
                self.error(doc, path, "dist 'bernoulli' needs 'p' in [0, 1]")
                return None
            return CountDistribution("bernoulli", 0, 1, float(p))
        lo, hi, mean = c.get("min", 0), c.get("max"), c.get("mean")
        if hi is None:
            self.error(doc, (*path, "dist"), f"dist '{dist}' needs 'max' (counts are bounded)")
            return None
        ok = True
        for k, v in (("min", lo), ("max", hi)):
            if v is None or int(v) != v or v < 0:
                self.error(doc, (*path, k), f"'{k}' must be a whole number >= 0, got {v}")
                ok = False
        if not ok:
            return None
        lo, hi = int(lo), int(hi)
        if lo > hi:
            self.error(doc, (*path, "min"), f"min ({lo}) > max ({hi})")
            return None
        if hi - lo + 1 > MAX_COUNT_SUPPORT:
            self.error(doc, (*path, "max"), f"max - min must stay below {MAX_COUNT_SUPPORT:,}")
            return None
        if dist == "uniform":
            if mean is not None and abs(mean - (lo + hi) / 2) > 1e-9:
                self.error(doc, (*path, "mean"), f"a uniform count's mean is (min + max) / 2 = {(lo + hi) / 2}; "
                           "drop 'mean' or pick another dist")
            return CountDistribution("uniform", lo, hi)
        shape = c.get("std", c.get("sigma", c.get("alpha")))
        if mean is None and dist in ("poisson", "geometric", "normal", "lognormal") and shape is None:
            self.error(doc, path, f"dist '{dist}' needs 'mean'")
            return None
        if mean is not None and not (lo <= mean <= hi):
            self.error(doc, (*path, "mean"), f"mean must lie within [min, max]: min {lo} <= mean {mean} <= max {hi} does not hold")
            return None
        if mean is not None and lo < hi and (mean == lo or mean == hi):
            return CountDistribution("const", int(mean), int(mean))
        if dist not in COUNT_DISTS:
            return None
        return CountDistribution(dist, lo, hi, None if mean is None else float(mean),
                                 None if shape is None else float(shape))

    def column(self, doc: Document, name: str, c: dict) -> ColumnSpec | None:
        base = ("columns", name)
        sql = SqlType.parse(c["type"])
        if sql is None:
            word = str(c["type"]).split("(")[0].strip().lower()
            self.error(doc, (*base, "type"), f"unknown SQL type '{c['type']}'." + did_you_mean(word, TYPE_KINDS))
            return None
        gen = None
        if "gen" in c and isinstance(c["gen"], dict) and "__literal__" in c["gen"]:
            gen = gens.Literal(c["gen"]["__literal__"])
        elif "gen" in c:
            token = gens.PARAMS.set(self.profile.params)
            try:
                gen = gens.build(c["gen"])
            except gens.GenError as exc:
                self.error_in(doc, (*base, "gen", *exc.where), exc.offset, str(exc))
                return None
            except (KeyError, TypeError, ValueError) as exc:  # parameters the schema let through
                self.error(doc, (*base, "gen"), f"invalid generator parameters: {exc}")
                return None
            finally:
                gens.PARAMS.reset(token)
        nullable = bool(c.get("nullable", False))
        cond = None
        if "null_when" in c:
            nw = c["null_when"]
            if "is_null" in nw:
                cond = Condition(nw["column"], is_null=bool(nw["is_null"]))
            elif "in" in nw:
                cond = Condition(nw["column"], tuple(_as_case(v) for v in nw["in"]))
            elif "not_equals" in nw:
                cond = Condition(nw["column"], (_as_case(nw["not_equals"]),), negate=True)
            else:
                cond = Condition(nw["column"], (_as_case(nw.get("equals")),))
        refs = None
        if c.get("references"):
            t, _, col = c["references"].partition(".")
            refs = (t, col)
        col = ColumnSpec(
            name=name, type=sql, gen=gen, nullable=nullable, virtual=bool(c.get("virtual")),
            primary_key=bool(c.get("primary_key")),
            unique=bool(c.get("unique")), references=refs, on_delete=c.get("on_delete"),
            default=c.get("default"), null_rate=float(c.get("null_rate") or 0.0), null_when=cond,
            description=c.get("description", ""), stream=c.get("stream"),
        )
        if not nullable:
            if gen is None:
                self.error(doc, base, "column is NOT NULL but has no generator: add 'gen', or 'nullable: true'", key=True)
            if col.null_rate:
                self.error(doc, (*base, "null_rate"), "null_rate on a NOT NULL column: add 'nullable: true'")
            if cond is not None:
                self.error(doc, (*base, "null_when"), "null_when on a NOT NULL column: add 'nullable: true'")
        if col.virtual and (col.primary_key or col.unique or refs):
            self.error(doc, (*base, "virtual"), "a virtual column is not stored, so it cannot be a key or reference")
        if col.primary_key and nullable:
            self.error(doc, (*base, "nullable"), "a primary key column cannot be nullable")
        return col

    # cross-table checks ------------------------------------------------------------------------------

    def resolve(self, table: str, path: str) -> tuple[str, str] | str:
        """(table, column) at the end of ``path`` from ``table``, or an error message."""
        segs = path.split(".")
        t = table
        for i, seg in enumerate(segs):
            spec = self.tables[t]
            links = (["parent"] if spec.parent else []) + list(spec.links)
            if i == len(segs) - 1:
                if seg == "_index":
                    return t, "_index"
                if seg == "_ordinal":
                    return (t, "_ordinal") if spec.parent else f"'_ordinal' needs a fan-out table, and '{t}' has no parent"
                if seg in spec.columns:
                    return t, seg
                if seg in links:
                    return spec.link_table(seg), "_index"
                return f"unknown column '{seg}' in table '{t}'." + did_you_mean(seg, [*spec.columns, *SPECIAL, *links])
            if seg not in links:
                if seg == "parent":
                    return f"table '{t}' has no parent"
                return f"unknown link '{seg}' in table '{t}' (links: {', '.join(links) or 'none'})." + did_you_mean(seg, links)
            target = spec.link_table(seg)
            if target not in self.tables:
                return f"link '{seg}' of '{t}' points to unknown table '{target}'"
            t = target
        return f"empty path '{path}'"  # pragma: no cover

    def kind_at(self, table: str, path: str) -> str | None:
        r = self.resolve(table, path)
        if isinstance(r, str):
            return None
        t, c = r
        return "int" if c in SPECIAL else self.tables[t].columns[c].kind

    def check_table(self, doc: Document, table: TableSpec) -> None:
        self.check_names(doc, table)
        for i, ix in enumerate(table.indexes):
            if ix.where is not None:
                why = _predicate_problem(ix.where)
                if why:
                    self.error(doc, ("indexes", i, "where"), why)
        if table.parent is not None and table.parent.table not in self.tables:
            self.error(doc, ("parent", "table"), f"unknown table '{table.parent.table}'." +
                       did_you_mean(table.parent.table, self.tables))
        for lname, link in table.links.items():
            if link.table not in self.tables:
                self.error(doc, ("links", lname, "table"), f"unknown table '{link.table}'." + did_you_mean(link.table, self.tables))
        for cname, col in table.columns.items():
            if col.references:
                t, c = col.references
                if t not in self.tables:
                    self.error(doc, ("columns", cname, "references"), f"unknown table '{t}'." + did_you_mean(t, self.tables))
                elif c not in self.tables[t].columns:
                    self.error(doc, ("columns", cname, "references"), f"unknown column '{c}' in table '{t}'." +
                               did_you_mean(c, self.tables[t].columns))
        for where, cols in [(("primary_key",), table.primary_key)] + [(("unique", i), u.columns) for i, u in enumerate(table.uniques)] + [
                (("indexes", i, "columns"), ix.columns) for i, ix in enumerate(table.indexes)]:
            for c in cols:
                if c in table.columns and table.columns[c].virtual:
                    self.error(doc, where, f"column '{c}' is virtual (not stored) and cannot be in a key or index")
        for i, c in enumerate(table.primary_key):
            if c not in table.columns:
                self.error(doc, ("primary_key", i), f"unknown column '{c}'." + did_you_mean(c, table.columns))
        for i, u in enumerate(table.uniques):
            for j, c in enumerate(u.columns):
                if c not in table.columns:
                    self.error(doc, ("unique", i, j), f"unknown column '{c}'." +
                               did_you_mean(c, table.columns))
        for i, ix in enumerate(table.indexes):
            for j, c in enumerate(ix.columns):
                if c not in table.columns:
                    self.error(doc, ("indexes", i, "columns", j), f"unknown column '{c}'." + did_you_mean(c, table.columns))
        for i, ck in enumerate(table.checks):
            if ck.column not in table.columns:
                self.error(doc, ("checks", i, "column"), f"unknown column '{ck.column}'." + did_you_mean(ck.column, table.columns))
        drawing: dict[str, str] = {}  # stream -> the column drawing from it
        for cname, col in table.columns.items():
            if not _draws(col):
                continue
            other = drawing.setdefault(col.stream_name, cname)
            if other != cname:
                late = cname if col.stream else other
                self.error(doc, ("columns", late, "stream" if table.columns[late].stream else "gen"),
                           f"columns '{other}' and '{cname}' both draw random values from stream '{col.stream_name}': "
                           "they would draw the same ones (a stream may be shared only with a column that draws "
                           "nothing, such as a ref)")

    def order(self) -> list[str] | None:
        """Tables with parents and link targets first; reports reference cycles."""
        deps = {}
        for name, t in self.tables.items():
            d = []
            if t.parent and t.parent.table in self.tables:
                d.append(t.parent.table)
            d += [link.table for link in t.links.values() if link.table in self.tables and link.table != name]
            deps[name] = d
            for lname, link in t.links.items():
                if link.table == name:
                    self.error(self.docs[name], ("links", lname, "table"), "a table cannot link to itself")
        done: dict[str, int] = {}
        out: list[str] = []
        ok = True

        def visit(n: str, stack: list[str]) -> None:
            nonlocal ok
            state = done.get(n)
            if state == 2:
                return
            if state == 1:
                cycle = stack[stack.index(n):] + [n]
                first, nxt = cycle[0], cycle[1]
                t = self.tables[first]
                where = ("parent", "table") if t.parent and t.parent.table == nxt else next(
                    ("links", ln, "table") for ln, lk in t.links.items() if lk.table == nxt)
                self.error(self.docs[first], where, "reference cycle: " + " -> ".join(cycle))
                ok = False
                return
            done[n] = 1
            for d in deps[n]:
                visit(d, [*stack, n])
            done[n] = 2
            out.append(n)

        for n in self.tables:
            visit(n, [])
        return out if ok else None

    def check_links(self, doc: Document, table: TableSpec) -> None:
        if table.parent and table.parent.count.switch_on and table.parent.table in self.tables:
            r = self.resolve(table.parent.table, table.parent.count.switch_on)
            if isinstance(r, str):
                self.error(doc, ("parent", "count", "switch", "on"), r)
        if table.order == "interleaved" and (table.parent is None or table.parent.keep_when is not None):
            self.error(doc, ("order",), "'interleaved' reorders the children of a fan-out table (a parent, no keep_when)")
        if table.parent and table.parent.table in self.tables:
            if table.parent.count.expr is not None:
                self.infer(doc, table.parent.count.expr, table.parent.table, ("parent", "count", "expr"), ("int",),
                           "a count expression (over the parent row)")
            if table.parent.keep_when is not None:
                self.infer(doc, table.parent.keep_when, table.parent.table, ("parent", "keep_when"), ("bool",),
                           "keep_when (a condition over the parent row)")
        for lname, link in table.links.items():
            base = ("links", lname)
            if link.pick == "match":
                self.check_match(doc, table, link)
                continue
            if link.pick == "row":
                if "__row__" in link.match:
                    self.infer(doc, link.match["__row__"], table.name, (*base, "row"), ("int",), "'row' (a row index)")
                continue
            if link.table in self.tables and self.tables[link.table].parent is not None and \
                    self.tables[link.table].parent.keep_when is not None:
                self.error(doc, (*base, "table"), f"'{link.table}' writes only some of its rows (keep_when): "
                           "a link to it could point at a row that is not written")
            if link.pick == "distinct" and table.parent is None:
                self.error(doc, (*base, "pick"), "pick 'distinct' makes a parent's children differ, so it needs 'parent'")
            if link.first is not None:
                if link.pick != "distinct":
                    self.error(doc, (*base, "first"), "'first' only applies to pick 'distinct'")
                    continue
                if not link.first.startswith("parent."):
                    self.error(doc, (*base, "first"), "'first' must be a path from the parent, e.g. parent.parent")
                    continue
                r = self.resolve(table.name, link.first)
                if isinstance(r, str):
                    self.error(doc, (*base, "first"), r)
                elif r != (link.table, "_index"):
                    self.error(doc, (*base, "first"), f"'first' must lead to a row of '{link.table}' (a link path), "
                               f"not to {r[0]}.{r[1]}")
        for col in table.columns.values():
            self.check_column(doc, table, col)
        self.check_uniques(doc, table)

    def check_match(self, doc: Document, table: TableSpec, link) -> None:
        """A lookup link: the target is a table of literal rows, and the matched columns single
        out at most one of them."""
        base = ("links", link.name)
        target = self.tables.get(link.table)
        if target is None:
            return
        literal = {c: v for c, col in target.columns.items() if (v := _row_values(col.gen)) is not None}
        if not literal:
            self.error(doc, (*base, "table"), f"'match' looks rows up in a table of literal rows ('rows: [...]'), "
                       f"and '{link.table}' has none")
            return
        for tcol, e in link.match.items():
            if tcol not in target.columns:
                self.error(doc, (*base, "match", tcol), f"unknown column '{tcol}' in table '{link.table}'." +
                           did_you_mean(tcol, target.columns), key=True)
                continue
            if tcol not in literal:
                self.error(doc, (*base, "match", tcol), f"column '{tcol}' of '{link.table}' has no literal values", key=True)
                continue
            self.infer(doc, e, table.name, (*base, "match", tcol))
        cols = [c for c in link.match if c in literal]
        if cols:
            keys = [tuple(_as_case(literal[c][i]) for c in cols) for i in range(target.rows)]
            if len(set(keys)) != len(keys):
                self.error(doc, (*base, "match"), f"({', '.join(cols)}) does not single out one row of '{link.table}': "
                           "match on more columns")

    def check_length(self, doc: Document, table: TableSpec, col: ColumnSpec) -> None:
        """varchar(n): proven here when the generator's longest value is known (so compile need
        not measure it); refused when a value the generator gives is longer (a pool's, a
        categorical's); otherwise compile measures every batch."""
        n = col.type.length
        if n is None or col.virtual or col.gen is None or col.kind not in ("text", "json"):
            return
        longest = self.lengths.longest(table, col.gen)
        if longest is None:
            return
        if longest <= n:
            col.length_proven = True
            return
        exact = self.lengths.exact_longest(col.gen)
        if exact is not None and exact[0] > n:
            fit = f"{col.type}" if col.type.args else f"{col.type}, which holds one character"
            self.error(doc, ("columns", col.name, "gen"), f"values up to {exact[0]} characters do not fit {fit}: "
                       f"'{exact[1][:60]}{'...' if len(exact[1]) > 60 else ''}'")

    def check_column(self, doc: Document, table: TableSpec, col: ColumnSpec) -> None:
        base = ("columns", col.name)
        if col.null_when is not None:
            r = self.resolve(table.name, col.null_when.column)
            if isinstance(r, str):
                self.error(doc, (*base, "null_when", "column"), r)
        if col.gen is None:
            return
        self.check_length(doc, table, col)
        for where, g in gens.walk(col.gen):
            gpath = (*base, "gen", *_spec_path(col.gen, where))
            self.check_generator(doc, table, col, g, gpath, top=(where == ()))
        if col.references:
            self.check_foreign_key(doc, table, col)
        if (col.unique or table.primary_key == [col.name]) and not self.uniqueness.unique_by_construction(table, col):
            self.error(doc, (*base, "gen"), "column is unique but its generator does not build unique values: "
                       "use sequence, uuid, hex (>= 16 digits), token, a template with a unique part "
                       "(e.g. {_index}), or a ref to a unique column of a one-to-one parent")

    def check_generator(self, doc, table: TableSpec, col: ColumnSpec, g, gpath, top: bool) -> None:
        kind = col.kind
        if isinstance(g, gens.Expression):
            k = self.infer(doc, g.compiled, table.name, (*gpath, "expr"))
            if k is not None and not _kind_fits(_expr_kind(k), kind) and k != "null":
                self.error(doc, (*gpath, "expr"), f"'{g.compiled.source}' is {k} but the column is {col.type}")
            return
        if isinstance(g, gens.Aggregate):
            self.check_aggregate(doc, table, col, g, gpath)
            return
        if isinstance(g, gens.Switch):
            self.check_switch(doc, table, col, g, gpath, top)
        if (listed := g.row_values()) is not None:  # literal rows: their errors point at `rows:`
            if not g.accepts(kind):
                bad = next(v for v in listed if not gens.Const(v).accepts(kind))
                self.error(doc, ("rows",), f"column '{col.name}' is {col.type} but a row gives it {bad!r}")
            elif not col.nullable and any(v is None for v in listed):
                i = next(i for i, v in enumerate(listed) if v is None)
                self.error(doc, ("rows", i), f"row {i} has no value for NOT NULL column '{col.name}'")
            return
        for dep in ([] if isinstance(g, gens.Switch) and g.when else g.own_deps()):  # `when`: checked by infer
            r = self.resolve(table.name, dep)
            if isinstance(r, str):
                self.error(doc, (*gpath, *(g.dep_key or ("",))), r)
        g.check(_NodeView(self, doc, table, col, gpath, top))
        if top and not g.accepts(kind):  # a ref accepts any kind: its target's is checked below
            self.error(doc, gpath, f"generator '{_gen_name(col.gen)}' cannot fill a column of type {col.type}")
        if top and isinstance(g, gens.Ref):
            target = self.kind_at(table.name, g.path)
            if target is not None and not _kind_fits(target, kind):
                self.error(doc, (*gpath, "ref"), f"ref '{g.path}' is {target} but the column is {col.type}")
        if isinstance(g, gens.Template):
            self.check_members(doc, table, g, gpath)
        if isinstance(g, gens.JsonArray) and g.max > MAX_ARRAY_ITEMS:
            self.error(doc, (*gpath, "array", "max"), f"an array of up to {g.max:,} items per value: at most "
                       f"{MAX_ARRAY_ITEMS:,} (every row's array is built in memory)")
        if isinstance(g, gens.Template):
            for _, pname, filters in g.pieces:
                for fname, arg in filters:
                    if fname == "pad" and int(arg) > MAX_PAD:
                        self.error(doc, gpath, f"'{{{pname}|pad:{arg}}}': pad to at most {MAX_PAD} characters")
        if top and col.null_rate and not 0 <= col.null_rate <= 1:
            self.error(doc, ("columns", col.name, "null_rate"), f"probability must lie in [0, 1], got {col.null_rate}")

    def check_switch(self, doc, table: TableSpec, col: ColumnSpec, g, gpath, top: bool) -> None:
        """Conditions are conditions; a case value the switched column never takes is a mistake
        (``1.0:`` for an integer); and a NOT NULL column must get a value on every row: a
        default, or cases that cover every value the switched column can take."""
        for k, e in g.when.items():
            self.infer(doc, e, table.name, (*gpath, "switch", "cases", int(k), "when"), ("bool",), "'when'")
        domain = self.domain(table, g.on) if g.on else None
        if domain is not None:
            shown = ", ".join(sorted(domain)[:8]) + (", ..." if len(domain) > 8 else "")
            for k in g.cases:
                if k not in domain:
                    self.error(doc, (*gpath, "switch", "cases", k), f"case '{k}' never matches: '{g.on}' takes {shown}",
                               key=True)
        if g.default is not None or col.nullable or not top:
            return
        if g.when:
            self.error(doc, (*gpath, "switch"), "the column is NOT NULL but rows no 'when' holds for would be NULL: "
                       "add a 'default'")
        elif domain is None:
            self.error(doc, (*gpath, "switch"), f"the column is NOT NULL but specgen cannot prove the cases cover "
                       f"every value of '{g.on}': add a 'default'")
        elif missing := sorted(domain - set(g.cases)):
            self.error(doc, (*gpath, "switch"), f"the column is NOT NULL but no case covers {', '.join(missing[:8])}"
                       f"{', ...' if len(missing) > 8 else ''} (values of '{g.on}'): add the cases or a 'default'")

    def domain(self, table: TableSpec, path: str, depth: int = 0) -> set[str] | None:
        """Every value (as text, as a switch compares) the column at ``path`` can take, when
        its generator says; None when unknown. NULL is not a value (no case matches it)."""
        r = self.resolve(table.name, path)
        if isinstance(r, str) or depth > 8:
            return None
        t, c = self.tables[r[0]], r[1]
        if c == "_ordinal":
            hi = t.parent.count.max if t.parent else 0
            return {str(i) for i in range(hi)} if hi <= 64 else None
        if c == "_index":
            return None
        col = t.columns[c]
        if col.kind == "bool":
            return {"true", "false"}
        return self.gen_domain(t, col.gen, depth)

    def gen_domain(self, t: TableSpec, g, depth: int) -> set[str] | None:
        return None if g is None else g.domain(self, t, depth)

    def check_aggregate(self, doc, table: TableSpec, col: ColumnSpec, g, gpath) -> None:
        base = (*gpath, "aggregate")
        child = self.tables.get(g.table)
        if child is None:
            self.error(doc, (*base, "from"), f"unknown table '{g.table}'." + did_you_mean(g.table, self.tables))
            return
        if child.parent is None or child.parent.table != table.name:
            self.error(doc, (*base, "from"), f"'{g.table}' is not a fan-out of '{table.name}' (its children are "
                       f"the tables with parent: {{table: {table.name}}})")
            return
        if g.fn not in gens.AGGREGATES:
            self.error(doc, base, f"unknown aggregate '{g.fn}'." + did_you_mean(str(g.fn), gens.AGGREGATES))
            return
        if g.where is not None:
            self.infer(doc, g.where, child.name, (*base, "where"), ("bool",), "'where' (a condition over a child row)")
        if g.order_by is not None:
            self.infer(doc, g.order_by, child.name, (*base, "order_by"), ("int", "float", "timestamp", "date", "text"))
        of_kind = None
        if g.of is None:
            if g.fn != "count":
                self.error(doc, base, f"aggregate '{g.fn}' needs 'of' (an expression over a child row)")
                return
        else:
            want = {"sum": ("int", "float", "duration"), "avg": ("int", "float", "duration"),
                    "quantile": ("int", "float", "duration"), "min": ("int", "float", "duration", "timestamp", "date"),
                    "max": ("int", "float", "duration", "timestamp", "date"), "any": ("bool",), "all": ("bool",),
                    "count": None, "first": None, "last": None}[g.fn]
            of_kind = self.infer(doc, g.of, child.name, (*base, "of"), want, f"'of' of aggregate '{g.fn}'")
            if of_kind is None:
                return
        if g.fn == "quantile" and not 0 <= g.q <= 1:
            self.error(doc, (*base, "q"), f"q must lie in [0, 1], got {g.q}")
        k = _expr_kind(g.result_kind(of_kind))
        if not _kind_fits(k, col.kind):
            self.error(doc, base, f"aggregate '{g.fn}' gives {k} but the column is {col.type}")
        may_be_empty = child.parent.count.min == 0 or g.where is not None or (g.of is not None and self._may_be_null(child, g.of))
        if g.fn in ("min", "max", "avg", "quantile", "first", "last") and may_be_empty and not col.nullable:
            self.error(doc, base, f"aggregate '{g.fn}' is NULL for a parent without (matching) children: the column "
                       "must be nullable, or the children at least one per parent (count min >= 1, no 'where')")

    def _may_be_null(self, table: TableSpec, e) -> bool:
        for p in e.paths():
            r = self.resolve(table.name, p)
            if isinstance(r, str) or r[1] in SPECIAL:
                continue
            t = self.tables[r[0]]
            if not self._never_null(t, t.columns[r[1]]):
                return True
        return False

    def check_members(self, doc, table: TableSpec, g: gens.Template, gpath) -> None:
        """Every pooled record a ``get:KEY`` filter reads has that member."""
        for _, name, filters in g.pieces:
            if name is None or not any(f[0] == "get" for f in filters):
                continue
            source = g.parts.get(name) or (table.columns[name].gen if name in table.columns else None)
            # The pools behind it: itself, or a switch's pool branches.
            pools = [] if source is None else [b for b in source.branches() if isinstance(b, gens.Pool)]
            upto = filters[: max(i for i, f in enumerate(filters) if f[0] == "get") + 1]
            for pool in pools:
                if self.pools.path_of(pool.name) is None:
                    continue
                values = self.pools.through(pool.name, upto, gens.apply_filters)
                if values.null_count():
                    key = [f[1] for f in upto if f[0] == "get"][-1]
                    self.error(doc, (*gpath, "template"), f"{values.null_count()} of the {len(values)} records of "
                               f"pool '{pool.name}' have no member '{key}' (read by '{{{name}|get:{key}}}')")

    def check_foreign_key(self, doc, table: TableSpec, col: ColumnSpec) -> None:
        t, c = col.references
        if t not in self.tables or c not in self.tables[t].columns:
            return
        if not isinstance(col.gen, gens.Ref):
            self.error(doc, ("columns", col.name, "gen"), f"a foreign key to {t}.{c} must take its value from a link: "
                       f"gen: {{ref: <link>.{c}}}")
            return
        r = self.canonical(table.name, col.gen.path)
        if not isinstance(r, str) and r != self.canonical(t, c):
            self.error(doc, ("columns", col.name, "gen", "ref"), f"foreign key references {t}.{c} but the value comes from {r[0]}.{r[1]}")

    def check_uniques(self, doc: Document, table: TableSpec) -> None:
        related = ([table.parent.table] if table.parent else []) + [lk.table for lk in table.links.values()]
        if any(r not in self.tables for r in related):
            return  # a related spec did not build (its errors are reported): uniqueness cannot be judged
        sets = [(("unique", i), u.columns, u) for i, u in enumerate(table.uniques)]
        sets += [(("indexes", i), ix.columns, ix) for i, ix in enumerate(table.indexes)
                 if ix.unique and not self._vacuous_predicate(table, ix.where)]
        if len(table.primary_key) > 1:
            sets.append((("primary_key",), table.primary_key, None))
        for path, cols, decl in sets:
            if any(c not in table.columns for c in cols):
                continue
            if decl is not None and decl.proof == "compile":
                self.compile_proof(doc, table, path, decl)
                continue
            if self.uniqueness.unique_set(table, cols):
                continue
            self.error(doc, path, f"unique ({', '.join(cols)}) is not guaranteed by construction: include a unique "
                       "column, or the parent's key plus a column from a 'distinct' link or pool (or _ordinal); "
                       "or, if it holds for reasons of your own, 'proof: compile' checks it on the generated rows")

    def compile_proof(self, doc: Document, table: TableSpec, path, decl) -> None:
        """A set proved at compile time: its predicate must be one specgen can evaluate."""
        from specgen.spec import proofs

        where = getattr(decl, "where", None)
        if where is None:
            return
        try:
            source = proofs.sql_condition(where)
        except Exception as exc:  # sqlglot's parse errors and the translator's ValueError
            self.error(doc, (*path, "where"), f"{exc}".splitlines()[0])
            return
        cond = self.expression(doc, source, (*path, "where"))
        if cond is not None and self.infer(doc, cond, table.name, (*path, "where"), ("bool",), "the predicate"):
            decl.condition = cond

    def _vacuous_predicate(self, table: TableSpec, where: str | None) -> bool:
        """A partial index ``WHERE c IS NULL`` on a column that is never NULL covers no row."""
        m = _IS_NULL.match(where or "")
        return bool(m) and m.group(1) in table.columns and self._never_null(table, table.columns[m.group(1)])

    def _never_null(self, table: TableSpec, col: ColumnSpec, depth: int = 0) -> bool:
        if not col.nullable:
            return True
        if col.null_rate or col.null_when is not None or col.gen is None or depth > 8:
            return False
        return col.gen.never_null(self, table, depth)

    def never_null_path(self, table: TableSpec, path: str, depth: int) -> bool:
        r = self.resolve(table.name, path)
        if isinstance(r, str):
            return False
        if r[1] in SPECIAL:
            return True
        t = self.tables[r[0]]
        return self._never_null(t, t.columns[r[1]], depth + 1)

    def canonical(self, table: str, path: str) -> tuple[str, str] | str:
        """Where a value really comes from: follows columns that merely copy another (ref)."""
        r = self.resolve(table, path)
        for _ in range(16):
            if isinstance(r, str) or r[1] in SPECIAL:
                return r
            g = self.tables[r[0]].columns[r[1]].gen
            if not isinstance(g, gens.Ref):
                return r
            r = self.resolve(r[0], g.path)
        return r

    def check_column_cycles(self) -> None:
        graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for tname, table in self.tables.items():
            for cname, col in table.columns.items():
                deps = []
                if col.gen is not None:
                    for _, g in gens.walk(col.gen):
                        for dep in g.own_deps():
                            r = self.resolve(tname, dep)
                            if not isinstance(r, str) and r[1] not in SPECIAL:
                                deps.append(r)
                        if isinstance(g, gens.Aggregate) and g.table in self.tables:
                            for e in (g.of, g.where, g.order_by):
                                for dep in (e.paths() if e is not None else ()):
                                    r = self.resolve(g.table, dep)
                                    if not isinstance(r, str) and r[1] not in SPECIAL:
                                        deps.append(r)
                if col.null_when is not None:
                    r = self.resolve(tname, col.null_when.column)
                    if not isinstance(r, str) and r[1] not in SPECIAL:
                        deps.append(r)
                graph[(tname, cname)] = deps
        state: dict = {}

        def visit(node, stack):
            s = state.get(node)
            if s == 2:
                return
            if s == 1:
                cycle = stack[stack.index(node):] + [node]
                t, c = node
                self.error(self.docs[t], ("columns", c, "gen"), "column reference cycle: " +
                           " -> ".join(f"{a}.{b}" for a, b in cycle))
                return
            state[node] = 1
            for d in graph.get(node, []):
                visit(d, [*stack, node])
            state[node] = 2

        for node in graph:
            visit(node, [])


def _draws(col: ColumnSpec) -> bool:
    """Whether a column draws random values from its stream (a ref or a constant draws none)."""
    if col.null_rate:
        return True
    return col.gen is not None and any(g.draws for _, g in gens.walk(col.gen))


def _spec_path(root, where: tuple) -> tuple:
    """Generator tree position -> spec path under ``gen`` (for error locations)."""
    out: list = []
    g = root
    for name in where:
        path, g = g.spec_child(name)
        out += path
    return tuple(out)


def _gen_name(spec_gen) -> str:
    return {"numeric": "number"}.get(type(spec_gen).__name__.lower(), type(spec_gen).__name__.lower())


def _expr_kind(kind: str) -> str:
    """An expression's kind as a column kind (a duration is stored as its seconds)."""
    return "int" if kind == "duration" else kind


def _kind_fits(source: str, target: str) -> bool:
    if source == target:
        return True
    return (source, target) in {("int", "float"), ("timestamp", "date"), ("date", "timestamp")} or target in ("text",) and source != "json"


_as_case = gens.case_text


class _NodeView:
    """What a generator kind's ``check`` sees of the checker: one node of one column's ``gen``,
    errors placed under the node's spec path."""

    def __init__(self, checker: _Checker, doc: Document, table: TableSpec, column: ColumnSpec, gpath: tuple, top: bool):
        self.checker, self.doc, self.table, self.column, self.gpath, self.top = checker, doc, table, column, gpath, top
        self.pools = checker.pools

    def error(self, where: tuple, message: str) -> None:
        self.checker.error(self.doc, (*self.gpath, *where), message)

    def kind_at(self, path: str) -> str | None:
        return self.checker.kind_at(self.table.name, path)

    def resolve(self, path: str):
        return self.checker.resolve(self.table.name, path)


# -- entry points ---------------------------------------------------------------------------------


def spec_hash(ss: SpecSet, profile: Profile, pools: PoolStore) -> str:
    """SHA-256 over the entity specs, every profile and the pools in use, each under its name
    (not its directory): a spec bundle unpacked elsewhere hashes the same."""
    h = hashlib.sha256()
    files = [d.path for d in ss.entities] + [ss.profiles[n].path for n in sorted(ss.profiles)]
    files += [Path(p.file) for p in pools.loaded()]
    for p in files:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def check(ss: SpecSet, profile: str | None = None, as_of: int | None = None) -> list[Diagnostic]:
    """Every problem of the spec set under ``profile`` (default: under each of its profiles);
    with ``as_of`` (epoch seconds), of windows ending then instead of the profiles' ends."""
    errors = list(ss.errors)
    names = [profile] if profile else ss.profile_names()
    seen = set(errors)
    for name in names:
        prof, errs = resolve_profile(ss, name)
        errs = [e for e in errs if e not in seen]
        errors += errs
        seen.update(errs)
        if prof is None:
            continue
        checker = _Checker(ss, prof)
        tables = checker.build()
        if not checker.errors:
            if as_of is None:
                checker.errors += window_errors(ss, prof, tables)
            elif (why := window.problem(as_of, prof.window_days, tables)) is not None:
                errors.append(Diagnostic(f"--as-of {window.iso(as_of)}", 0, 0, "", f"profile '{name}': {why}"))
        for e in checker.errors:
            if e not in seen:
                errors.append(e)
                seen.add(e)
    return sorted(errors)


def build_model(spec_dir: str | Path, profile: str, as_of: int | None = None) -> Model:
    """The model of ``spec_dir`` under ``profile``, its window ending at ``as_of`` (epoch seconds;
    default: the profile's end, ``now`` resolved here); raises ``SpecErrors`` listing every problem.

    A model built before from the same files is read back from the cache (``model_cache``). The
    cache holds the profile's own window end (``now`` unresolved); the run's end is set after
    reading it (``at_window_end``), so a cached model never brings another run's window."""
    return at_window_end(model_cache.model(spec_dir, profile, lambda: _build_model(spec_dir, profile)), as_of)


def build_plan(spec_dir: str | Path, profile: str, *, seed: int | None = None, chunk_rows: int | None = None,
               estimate: bool = True, as_of: int | None = None) -> Plan:
    """The plan of ``spec_dir`` under ``profile`` (``build_model``, then exact counts): what the API
    hands down, and what a worker process or another machine rebuilds from the same files."""
    return Plan(build_model(spec_dir, profile, as_of), chunk_rows=chunk_rows, seed=seed, estimate=estimate)


def _build_model(spec_dir: str | Path, profile: str) -> Model:
    ss = load_spec_set(spec_dir)
    if ss.errors:
        raise SpecErrors(ss.errors)
    prof, errs = resolve_profile(ss, profile)
    if prof is None:
        raise SpecErrors(errs)
    checker = _Checker(ss, prof)
    tables = checker.build()
    if checker.errors:
        raise SpecErrors(checker.errors)
    # Located in the profile. For ``now``, today's window: a later run's starts later still.
    errs = window_errors(ss, prof, tables)
    if errs:
        raise SpecErrors(errs)
    for t in tables.values():  # load the pools now: they are part of the spec hash
        for c in t.columns.values():
            if c.gen is not None:
                for _, g in gens.walk(c.gen):
                    if isinstance(g, gens.Pool):  # an array's pool items too: walk reaches them
                        checker.pools.get(g.name)
    return Model(str(spec_dir), prof, tables, checker.pools, spec_hash(ss, prof, checker.pools))


__all__ = ["build_model", "build_plan", "check"]
