"""Verification checks derived from the specs and the manifest, as SQL for one dialect.

Each ``Check`` is one number computed by SQL and compared with an expected value:

* ``rows``          row count equals the manifest's;
* ``nulls``         NULL count per column equals the manifest's (0 for NOT NULL columns);
* ``sum``/``min``/``max``/``length``  column aggregates equal the manifest's (floats within a
                    relative tolerance), so a changed value is found, not only a lost row;
* ``fk``            rows whose foreign key has no parent: 0;
* ``unique``        duplicated key values (primary keys, unique constraints and indexes): 0;
                    where the dialect can read it from the catalog (``verify_unique_enforced``:
                    PostgreSQL, SQLite), a unique index or key the database holds on exactly
                    those columns answers 0 without the scan: the database proved it building the index and cannot be made to
                    skip it, whereas a foreign key is bypassed by session_replication_role or
                    disabled checks, so orphans are always counted;
* ``enum``          values outside the domain (CHECK lists and categorical generators): 0;
* ``format``        emails and generated ids that do not match their shape: 0;
* ``not_before``    child rows older than their parent row: 0.

Aggregates of one table share a single scan: ``Query`` groups the checks it answers.
The dialect profile supplies the few SQL spellings that differ (``verify_*`` knobs) and quoting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specgen.engine import generators as gens
from specgen.engine.model import Model, TableSpec

# verify.sql's line prefixes: each statement is preceded by the JSON of the checks it computes.
CHECK_PREFIX = "-- specgen-check: "
SQL_PREFIX = "-- specgen-sql: "

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
HEX32_RE = gens.HEX32_RE
UUID_RE = gens.UUID_RE


# Checks whose query counts offending rows.
_COUNTS = ("enum", "format", "fk", "not_before", "unique", "nulls")


@dataclass
class Check:
    name: str  # e.g. "fk tools.gateway_id -> gateways.id"
    kind: str
    table: str
    expected: float | int | None
    tolerance: float = 0.0  # relative, for float aggregates
    actual: float | int | None = None

    @property
    def ok(self) -> bool:
        if self.expected is None:
            return self.actual is None
        if self.actual is None:
            # SUM over no rows is NULL: a count of offending rows (values out of domain or format)
            # on an empty table is 0 (verify.sql keeps its bytes; the comparison knows).
            return self.kind in _COUNTS and self.expected == 0
        if self.tolerance:
            scale = max(abs(self.expected), abs(self.actual), 1.0)
            return abs(self.actual - self.expected) <= self.tolerance * scale
        return self.actual == self.expected


@dataclass
class Query:
    """One SQL statement whose result columns answer ``checks`` in order."""

    sql: str
    checks: list[Check] = field(default_factory=list)


def build(model: Model, manifest: dict, dialect) -> list[Query]:
    """Every check for a loaded dump, grouped into as few table scans as possible."""
    sp = _Sql(dialect)
    queries: list[Query] = []
    for name, table in model.tables.items():
        info = manifest["tables"].get(name)
        if info is None:
            continue
        queries.append(_table_scan(sp, table, info, model))
        queries += _keys(sp, table)
        queries += _parent_joins(sp, table, model, manifest["tables"])
    return queries


class _Sql:
    """The dialect's spellings, as the check builders use them."""

    def __init__(self, dialect):
        from specgen.sql.spelling import literal

        self.dialect = dialect
        self.ident = dialect.quote
        self.epoch = dialect.verify_epoch
        self.epoch_range = dialect.verify_epoch_range
        self.epoch_wide = dialect.verify_epoch_wide
        self.epoch_days = dialect.verify_epoch_days
        self.regex = dialect.verify_regex
        self.char_length = dialect.verify_char_length
        self.byte_length = dialect.verify_byte_length
        self.int_sum = dialect.verify_int_sum
        self.int_sum_tolerance = float(dialect.verify_int_sum_tolerance)
        self.float_value = dialect.verify_float_value
        self.true_count = "CASE WHEN {x} THEN 1 ELSE 0 END"
        self.join_select = dialect.verify_join_select
        self.unique_enforced = dialect.verify_unique_enforced
        self._literal = literal

    def lit(self, value) -> str:
        text = self._literal(value, self.dialect)
        # verify.sql goes to the database's shell, which may drop a CR before a line end even
        # inside a literal ('a\r\nb' would become 'a\nb'): spelt as the INSERT encoder spells it.
        cr = self.dialect.sql_carriage_return
        return text.replace("\r", str(cr)) if cr and isinstance(value, str) else text

    @staticmethod
    def unless(proven: str, count_sql: str) -> str:
        """0 where the catalog shows the database enforces the rule, else the rows ``count_sql``
        counts: the count is a sub-select in the ELSE branch, run only when it is reached."""
        return f"SELECT CASE WHEN {proven} THEN 0 ELSE ({count_sql}) END"

    def predicate(self, sql: str) -> str:
        from specgen.sql.spelling import predicate

        return predicate(sql, self.dialect)


def _table_scan(sp: _Sql, table: TableSpec, info: dict, model: Model) -> Query:
    t = sp.ident(table.name)
    cols: list[str] = ["COUNT(*)"]
    checks = [Check(f"rows {table.name}", "rows", table.name, info["rows"])]
    stats = info.get("stats", {})
    for c in table.stored:
        x = sp.ident(c.name)
        st = stats.get(c.name, {})
        cols.append(f"COUNT(*) - COUNT({x})")
        checks.append(Check(f"nulls {table.name}.{c.name}", "nulls", table.name, st.get("nulls", 0)))
        for agg, expr, tol in _aggregates(sp, c, x, st):
            cols.append(expr)
            checks.append(Check(f"{agg} {table.name}.{c.name}", agg, table.name, st[agg], tol))
        domain = _domain(table, c)
        if domain:
            cols.append(f"SUM(CASE WHEN {x} NOT IN ({', '.join(sp.lit(v) for v in domain)}) THEN 1 ELSE 0 END)")
            checks.append(Check(f"enum {table.name}.{c.name}", "enum", table.name, 0))
        pattern = _pattern(c)
        if pattern:
            cols.append(f"SUM(CASE WHEN {x} IS NOT NULL AND NOT {sp.regex.format(x=x, pattern=sp.lit(pattern))} THEN 1 ELSE 0 END)")
            checks.append(Check(f"format {table.name}.{c.name}", "format", table.name, 0))
    sql = f"SELECT {', '.join(cols)} FROM {t}"
    return Query(sql, checks)


def _aggregates(sp: _Sql, c, x: str, st: dict):
    kind = c.kind
    if kind == "float" and c.type.single:
        # A 4-byte column summed in its own type loses digits (PostgreSQL's SUM(real) adds in
        # float4), and its MIN/MAX print as float4 (8 digits): read as doubles, they are exactly the
        # float32 values the manifest summed. Other columns' SQL keeps its bytes.
        x = sp.float_value.format(x=x)
    if kind == "int" and "sum" in st:
        yield "sum", f"COALESCE({sp.int_sum.format(x=x)}, 0)", sp.int_sum_tolerance
    if kind == "float" and "sum" in st:
        yield "sum", f"COALESCE(SUM({x}), 0)", 1e-9
    if kind == "bool" and "sum" in st:
        yield "sum", f"COALESCE(SUM({sp.true_count.format(x=x)}), 0)", 0.0
    if kind in ("int", "float"):
        for agg in ("min", "max"):
            if agg in st:
                yield agg, f"{agg.upper()}({x})", 1e-12 if kind == "float" else 0.0
    if kind in ("timestamp", "date"):
        epoch = sp.epoch if kind == "timestamp" else sp.epoch_days
        if kind == "timestamp" and sp.epoch_range and "min" in st and not (
                sp.epoch_range[0] <= st["min"] and st["max"] <= sp.epoch_range[1]):
            epoch = sp.epoch_wide
        for agg in ("min", "max"):
            if agg in st:
                yield agg, epoch.format(x=f"{agg.upper()}({x})"), 0.0
    if kind in ("text", "json") and "sum_length" in st:
        yield "sum_length", f"COALESCE(SUM({sp.char_length.format(x=x)}), 0)", 0.0
    if kind == "bytes" and "sum_length" in st:
        yield "sum_length", f"COALESCE(SUM({sp.byte_length.format(x=x)}), 0)", 0.0


def _domain(table: TableSpec, c) -> list | None:
    """Allowed values: a CHECK list, or everything a categorical/const/switch generator can make."""
    for ck in table.checks:
        if ck.column == c.name:
            return list(ck.values)
    if c.kind not in ("text", "int") or c.gen is None:
        return None

    def column_gen(name: str):  # a copy of another column of this row lists that column's values
        return table.columns[name].gen if name in table.columns and name != c.name else None

    values = c.gen.listed_values(column_gen)
    if not values:
        return None
    return sorted(set(values), key=str)


def _pattern(c) -> str | None:
    if c.kind != "text" or c.gen is None:
        return None
    pattern = c.gen.pattern()
    if pattern is not None:
        return pattern
    if "email" in c.name.lower():
        return EMAIL_RE
    return None


def _keys(sp: _Sql, table: TableSpec) -> list[Query]:
    t = sp.ident(table.name)
    sets: list[tuple[str, list[str], str | None]] = []
    if table.primary_key:
        sets.append(("primary key", table.primary_key, None))
    for u in table.uniques:
        sets.append((u.name or "unique", u.columns, None))
    for ix in table.indexes:
        if ix.unique:
            sets.append((ix.name or "unique index", ix.columns, ix.where))
    sets += [("unique", [c.name], None) for c in table.stored if c.unique and [c.name] not in [s[1] for s in sets]]
    out = []
    for label, cols, where in sets:
        colsql = ", ".join(sp.ident(c) for c in cols)
        conds = [f"{sp.ident(c)} IS NOT NULL" for c in cols]
        if where:
            conds.append(f"({sp.predicate(where)})")
        sql = (f"SELECT COUNT(*) FROM (SELECT {colsql} FROM {t} WHERE {' AND '.join(conds)} "
               f"GROUP BY {colsql} HAVING COUNT(*) > 1) d")
        if sp.unique_enforced and not where:
            sql = sp.unless(sp.unique_enforced.format(table=sp.lit(t), name=sp.lit(table.name), count=len(cols),
                                                      columns=", ".join(sp.lit(c) for c in sorted(cols))), sql)
        out.append(Query(sql, [Check(f"unique {table.name}({', '.join(cols)}) [{label}]", "unique", table.name, 0)]))
    return out


def _parent_joins(sp: _Sql, table: TableSpec, model: Model, loaded: dict) -> list[Query]:
    """Orphans of every foreign key, and timestamps generated ``after`` a parent's column that are
    older than it: one pass over the child per foreign key, the not-before checks riding along on
    the foreign key they join through (or on a join of their own)."""
    fks = [(col, ref_table, ref_col) for col, ref_table, ref_col, _ in table.foreign_keys()
           if ref_table in loaded]  # a --tables subset without the parent: nothing to join
    later = _not_before(table, model)
    out = []
    if sp.dialect.verify_merge_joins and len(fks) > 1:
        out.append(_merged_joins(sp, table, fks, later))
        later = [nb for nb in later if nb[:3] not in set(fks)]
        fks = []
    for col, ref_table, ref_col in fks:
        riding = [nb for nb in later if nb[:3] == (col, ref_table, ref_col)]
        later = [nb for nb in later if nb not in riding]
        c, p = sp.ident(col), sp.ident(ref_col)
        cols = [f"COALESCE(SUM(CASE WHEN p.{p} IS NULL THEN 1 ELSE 0 END), 0)"]
        checks = [Check(f"fk {table.name}.{col} -> {ref_table}.{ref_col}", "fk", table.name, 0)]
        for _, _, _, ts, pcol in riding:
            cols.append(f"COALESCE(SUM(CASE WHEN c.{sp.ident(ts)} < p.{sp.ident(pcol)} THEN 1 ELSE 0 END), 0)")
            checks.append(_not_before_check(table.name, ts, ref_table, pcol))
        out.append(Query(f"{sp.join_select} {', '.join(cols)} FROM {sp.ident(table.name)} c LEFT JOIN "
                         f"{sp.ident(ref_table)} p ON p.{p} = c.{c} WHERE c.{c} IS NOT NULL", checks))
    for key, parent, parent_key, ts, pcol in later:
        out.append(Query(f"{sp.join_select} COUNT(*) FROM {sp.ident(table.name)} c JOIN {sp.ident(parent)} p "
                         f"ON p.{sp.ident(parent_key)} = c.{sp.ident(key)} WHERE c.{sp.ident(ts)} < p.{sp.ident(pcol)}",
                         [_not_before_check(table.name, ts, parent, pcol)]))
    return out


def _merged_joins(sp: _Sql, table: TableSpec, fks: list, later: list) -> Query:
    """Every foreign key of ``table`` (and the not-before checks riding on them) in one pass over
    the child, one LEFT JOIN per key: for a database that runs each statement on one core and
    reads a big child from disk for each of its keys (``verify_merge_joins``)."""
    cols, checks, joins = [], [], []
    for i, (col, ref_table, ref_col) in enumerate(fks):
        c, p, alias = sp.ident(col), sp.ident(ref_col), f"p{i}"
        joins.append(f"LEFT JOIN {sp.ident(ref_table)} {alias} ON {alias}.{p} = c.{c}")
        cols.append(f"COALESCE(SUM(CASE WHEN c.{c} IS NOT NULL AND {alias}.{p} IS NULL THEN 1 ELSE 0 END), 0)")
        checks.append(Check(f"fk {table.name}.{col} -> {ref_table}.{ref_col}", "fk", table.name, 0))
        for _, _, _, ts, pcol in [nb for nb in later if nb[:3] == (col, ref_table, ref_col)]:
            cols.append(f"COALESCE(SUM(CASE WHEN c.{sp.ident(ts)} < {alias}.{sp.ident(pcol)} THEN 1 ELSE 0 END), 0)")
            checks.append(_not_before_check(table.name, ts, ref_table, pcol))
    return Query(f"{sp.join_select} {', '.join(cols)} FROM {sp.ident(table.name)} c {' '.join(joins)}", checks)


def _not_before_check(table: str, column: str, parent: str, pcol: str) -> Check:
    return Check(f"not_before {table}.{column} >= {parent}.{pcol}", "not_before", table, 0)


def _not_before(table: TableSpec, model: Model) -> list[tuple[str, str, str, str, str]]:
    """(child key, parent, parent key, timestamp column, parent column) for each timestamp
    generated ``after`` a parent's column, joined through the key copied from the parent."""
    if table.parent is None:
        return []
    parent = model.tables[table.parent.table]
    join = _parent_key(table, parent)
    if join is None:
        return []
    child_key, parent_key = join
    out = []
    for c in table.stored:
        g = c.gen
        if not isinstance(g, gens.Timestamp):
            continue
        for after in g.after:
            pcol = after.split(".", 1)[1] if after.startswith("parent.") else ""
            if not pcol or "." in pcol or pcol not in parent.columns or parent.columns[pcol].virtual:
                continue
            out.append((child_key, parent.name, parent_key, c.name, pcol))
    return out


def _parent_key(table: TableSpec, parent: TableSpec) -> tuple[str, str] | None:
    """(child column, parent column) where the child stores a unique key of its parent."""
    uniques = {tuple(parent.primary_key)} | {(c.name,) for c in parent.stored if c.unique}
    for c in table.stored:
        if isinstance(c.gen, gens.Ref) and c.gen.path.startswith("parent.") and c.gen.path.count(".") == 1:
            pc = c.gen.path.split(".", 1)[1]
            if (pc,) in uniques and not parent.columns[pc].virtual:
                return c.name, pc
    return None


def parse_number(text: str | None):
    """A client's text output as int or float (None for NULL)."""
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        v = float(text)
        return int(v) if v.is_integer() and abs(v) < 2**53 and "." not in text and "e" not in text.lower() else v
