"""What ``specgen introspect`` reads of an existing schema: statistics, never rows.

Row counts and children per parent for each foreign key, NULL fractions, distinct counts, ranges
and mean lengths, the share of true booleans, time ranges and whether a time follows its
parent's, and - for enum-like columns only - the values with their frequencies; and the fan-out
graph chosen from the foreign keys (``choose_graph``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specgen.db.clients import ClientError, client_for
from specgen.db.urls import DatabaseUrl
from specgen.errors import SpecgenError
from specgen.evolve import catalog as cat
from specgen.sql import dialect as dialects

# A column's values are read (as an enum) only when it has at most this many distinct values and
# every value repeats on average at least ENUM_REPEAT times.
ENUM_MAX = 12
ENUM_REPEAT = 3
# Names that suggest personal or secret data: their values are never read, however few.
PERSONAL = re.compile(r"email|name|phone|address|password|secret|token|hash|key|ip|url|uri|message|comment|note|"
                      r"description|body|content|text|title|user|login|jti|session|agent", re.I)
CREATED = ("created_at", "created", "creation_time", "inserted_at", "timestamp", "started_at", "hour_start")


@dataclass
class ColumnStats:
    nonnull: int = 0
    distinct: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    mean_sq: float | None = None
    true: int | None = None
    off_hour: int | None = None  # times not on a whole hour
    before: dict[str, int] = field(default_factory=dict)  # same-row time column -> rows earlier than it
    values: list[tuple[str, int]] | None = None  # enum-like columns: value, rows


@dataclass
class FanStats:
    parents_with_children: int = 0
    max: int = 0
    min: int = 0
    sum_sq: int = 0
    children: int = 0  # rows with a non-NULL key
    before_parent: dict[str, int] = field(default_factory=dict)  # child time column -> rows earlier than the parent's


@dataclass
class TableStats:
    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    fks: dict[str, FanStats] = field(default_factory=dict)  # fk column -> stats


def kind_of(col: cat.Column) -> str:
    return col.type.kind


def created_col(t: cat.Table) -> str | None:
    """The table's creation time: a NOT NULL time column, by name when one is named so."""
    times = [c for c in t.columns.values() if kind_of(c) in ("timestamp", "date") and not c.nullable]
    for name in CREATED:
        if any(c.name == name for c in times):
            return name
    return times[0].name if times else None


# -- statistics ---------------------------------------------------------------------------------------


class Reader:
    def __init__(self, url: DatabaseUrl, catalog: cat.Catalog):
        self.url, self.catalog = url, catalog
        self.d = dialects.load(url.dialect)
        self.client = client_for(url)
        self.q = self.d.quote
        from specgen.sql import ddl

        self.prefix = ddl.Templates(self.d).render("load_session.sql") if url.dialect == "mysql" else ""

    def epoch(self, x: str, kind: str) -> str:
        if kind == "date":
            return f"({self.d.verify_epoch_days.format(x=x)}) * 86400"
        return (self.d.verify_epoch_wide or self.d.verify_epoch).format(x=x)

    def run(self, statements: list[str]) -> list[list[str | None]]:
        if not statements:
            return []
        try:
            return self.client.query_many(statements, prefix=self.prefix)
        except ClientError as exc:
            raise SpecgenError(f"cannot read statistics from {self.url.redacted()}: {exc}") from None

    def created_col(self, t: cat.Table) -> str | None:
        return created_col(t)

    def table_stats(self, tables: list[str]) -> dict[str, TableStats]:
        q = self.q
        statements, layouts = [], []
        for name in tables:
            t = self.catalog.tables[name]
            created = self.created_col(t)
            exprs, layout = ["COUNT(*)"], []
            for c in t.columns.values():
                x = q(c.name)
                k = kind_of(c)
                exprs += [f"COUNT({x})", f"COUNT(DISTINCT {self.d.stats_as_text.format(x=x)})"]
                parts = []
                if k in ("int", "float", "numeric"):
                    parts = [f"MIN({x})", f"MAX({x})", f"AVG({x} * 1.0)", f"AVG(({x} * 1.0) * {x})"]
                elif k in ("timestamp", "date"):
                    e = self.epoch(x, k)
                    parts = [f"MIN({e})", f"MAX({e})", f"AVG(({e}) * 1.0)", "NULL",
                             f"SUM(CASE WHEN ({e}) % 3600 <> 0 THEN 1 ELSE 0 END)"]
                    if created and c.name != created:
                        parts.append(f"SUM(CASE WHEN {x} < {q(created)} THEN 1 ELSE 0 END)")
                elif k == "text":
                    n = self.d.verify_char_length.format(x=x)
                    parts = [f"MIN({n})", f"MAX({n})", f"AVG({n} * 1.0)", "NULL"]
                elif k == "bool":
                    parts = ["NULL", "NULL", "NULL", "NULL", f"SUM(CASE WHEN {x} THEN 1 ELSE 0 END)"]
                exprs += parts
                layout.append((c.name, len(parts)))
            statements.append(f"SELECT {', '.join(exprs)} FROM {q(name)}")
            layouts.append((name, layout, created))
        out: dict[str, TableStats] = {}
        for (name, layout, created), row in zip(layouts, self.run(statements), strict=True):
            ts = TableStats(int(row[0]))
            i = 1
            for cname, n in layout:
                cs = ColumnStats(int(row[i] or 0), int(row[i + 1] or 0))
                vals = [_num(v) for v in row[i + 2:i + 2 + n]]
                i += 2 + n
                kind = kind_of(self.catalog.tables[name].columns[cname])
                if n >= 4:
                    cs.min, cs.max, cs.mean, cs.mean_sq = vals[:4]
                if kind == "bool":
                    cs.true = int(vals[4] or 0)
                elif kind in ("timestamp", "date"):
                    cs.off_hour = int(vals[4] or 0)
                    if n == 6:
                        cs.before[created] = int(vals[5] or 0)
                ts.columns[cname] = cs
            out[name] = ts
        return out

    def fan_stats(self, stats: dict[str, TableStats]) -> None:
        q = self.q
        statements, keys = [], []
        for name, t in self.catalog.tables.items():
            if name not in stats:
                continue
            for fk in t.foreign_keys:
                if len(fk.columns) != 1 or fk.ref_table not in stats:
                    continue
                col = q(fk.columns[0])
                statements.append(f"SELECT COUNT(*), COALESCE(MAX(n), 0), COALESCE(MIN(n), 0), "
                                  f"COALESCE(SUM(n * n), 0), COALESCE(SUM(n), 0) FROM (SELECT {col}, COUNT(*) AS n "
                                  f"FROM {q(name)} WHERE {col} IS NOT NULL GROUP BY {col}) x")
                keys.append((name, fk, None))
                pcreated = self.created_col(self.catalog.tables[fk.ref_table])
                if pcreated is None or fk.ref_table == name:
                    continue
                for c in t.columns.values():
                    if kind_of(c) in ("timestamp", "date"):
                        statements.append(
                            f"SELECT COUNT(*) FROM {q(name)} c JOIN {q(fk.ref_table)} p ON c.{col} = p.{q(fk.ref_columns[0])} "
                            f"WHERE c.{q(c.name)} < p.{q(pcreated)}")
                        keys.append((name, fk, (c.name, pcreated)))
        for (name, fk, pair), row in zip(keys, self.run(statements), strict=True):
            f = stats[name].fks.setdefault(fk.columns[0], FanStats())
            if pair is None:
                f.parents_with_children, f.max, f.min, f.sum_sq, f.children = (int(v or 0) for v in row[:5])
            else:
                f.before_parent[f"{pair[0]}<{pair[1]}"] = int(row[0] or 0)

    def enum_values(self, stats: dict[str, TableStats], wanted: list[tuple[str, str]]) -> None:
        """Value frequencies of the enum-like columns (hex-encoded on the way: any text survives)."""
        if not wanted:
            return
        q = self.q
        parts = []
        for i, (t, c) in enumerate(wanted):
            x = self.d.stats_hex.format(x=self.d.stats_as_text.format(x=q(c)))
            parts.append(f"SELECT {i} AS k, {x} AS v, COUNT(*) AS n FROM {q(t)} WHERE {q(c)} IS NOT NULL GROUP BY {x}")
        try:
            rows = self.client.query(self.prefix + " UNION ALL ".join(parts) + ";")
        except ClientError as exc:
            raise SpecgenError(f"cannot read statistics from {self.url.redacted()}: {exc}") from None
        for k, v, n in rows:
            t, c = wanted[int(k)]
            cs = stats[t].columns[c]
            cs.values = (cs.values or []) + [(bytes.fromhex(v or "").decode("utf-8", "replace"), int(n))]
        for t, c in wanted:
            cs = stats[t].columns[c]
            if cs.values:
                cs.values.sort(key=lambda vn: (-vn[1], vn[0]))


def _num(v):
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return None


# -- choosing parents, links and generators -------------------------------------------------------------


@dataclass
class Plan:
    parent: dict[str, cat.ForeignKey | None] = field(default_factory=dict)
    links: dict[str, list[cat.ForeignKey]] = field(default_factory=dict)
    broken: dict[str, list[tuple[cat.ForeignKey, str]]] = field(default_factory=dict)  # fk, why


def unique_sets(t: cat.Table) -> list[tuple[str, ...]]:
    sets = [t.primary_key] if t.primary_key else []
    return sets + [tuple(u.columns) for u in t.uniques]


def choose_graph(catalog: cat.Catalog, tables: list[str], stats: dict[str, TableStats]) -> Plan:
    """Parents and links: a DAG over the tables, cycles broken at the edge that closes them."""
    plan = Plan()
    deps: dict[str, set[str]] = {t: set() for t in tables}

    def reaches(src: str, dst: str) -> bool:  # is dst reachable from src along deps?
        seen, todo = set(), [src]
        while todo:
            x = todo.pop()
            if x == dst:
                return True
            if x not in seen:
                seen.add(x)
                todo += deps.get(x, ())
        return False

    # Tables with fewer foreign keys first: parents settle before the tables that hang off them.
    order = sorted(tables, key=lambda n: (len(catalog.tables[n].foreign_keys), n))
    for name in order:
        t = catalog.tables[name]
        # A key the source leaves NULL in every row is generated NULL: no parent, no link.
        fks = [fk for fk in t.foreign_keys if len(fk.columns) == 1 and fk.ref_table in deps
               and (stats[name].columns[fk.columns[0]].nonnull > 0 or not t.columns[fk.columns[0]].nullable)]
        in_sets = {c for s in unique_sets(t) if len(s) > 1 for c in s}

        def score(fk, t=t, in_sets=in_sets):
            col = t.columns[fk.columns[0]]
            return (not col.nullable, fk.columns[0] in in_sets, -list(t.columns).index(fk.columns[0]))

        plan.parent[name] = None
        plan.links[name] = []
        plan.broken[name] = []
        for fk in sorted(fks, key=score, reverse=True):
            target = fk.ref_table
            if target == name or reaches(target, name):
                why = ("it references its own table" if target == name else
                       f"{target} already depends on {name}: a reference back would close a cycle")
                plan.broken[name].append((fk, why))
                continue
            col = t.columns[fk.columns[0]]
            nulls = 1 - stats[name].columns[col.name].nonnull / stats[name].rows if stats[name].rows else 0
            if plan.parent[name] is None and (not col.nullable or nulls < 0.5) and stats[target].rows > 0:
                plan.parent[name] = fk
            else:
                plan.links[name].append(fk)
            deps[name].add(target)
    return plan


