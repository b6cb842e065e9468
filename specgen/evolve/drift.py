"""``specgen drift``: the spec set against a live schema.

Every difference has a stable ``code`` (``column.missing``, ``fk.on_delete``, ...), the object it
concerns (``tools.new_col``), the place in the spec set it belongs to (``file:line:col``; the table
for tables only the database has) and a severity:

* ``load`` - loading specgen's data into this database would fail, or may (a column the
  database lacks, a NOT NULL column the spec does not fill, a narrower type, a unique set or
  foreign key or check the generated values are not built to satisfy);
* ``app`` - the data loads, but a database that specgen creates from the spec is not the
  application's (constraints, nullability, ON DELETE, type flavours), or the application finds a
  column or table empty that it may expect filled;
* ``cosmetic`` - names of indexes and constraints, column order, plain indexes.

``specset.yaml`` lists tables the spec set deliberately does not fill (not reported) and known
differences (reported apart, with their reason, never failing the command).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from specgen.db.loader import LEDGER
from specgen.evolve import catalog as cat
from specgen.evolve import specset
from specgen.sql import checks as spec_checks
from specgen.sql import dialect as dialects
from specgen.sql import spelling

SEVERITIES = ("load", "app", "cosmetic")
TITLES = {"load": "breaks the load", "app": "breaks the application's expectations", "cosmetic": "cosmetic"}


@dataclass
class Difference:
    severity: str
    code: str
    object: str  # table, table.column, or table.constraint
    message: str  # what differs
    why: str  # what it means
    file: str = ""
    line: int = 0
    col: int = 0
    known: str | None = None  # the reason specset.yaml gives, when the difference is accepted

    @property
    def where(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file

    def text(self) -> str:
        return f"{self.where}: {self.message} - {self.why}"


@dataclass
class Report:
    spec_dir: str
    url: str
    dialect: str
    spec_tables: int
    db_tables: int
    ignored: dict[str, str] = field(default_factory=dict)  # table -> reason
    differences: list[Difference] = field(default_factory=list)

    @property
    def open(self) -> list[Difference]:
        return [d for d in self.differences if d.known is None]

    @property
    def known(self) -> list[Difference]:
        return [d for d in self.differences if d.known is not None]

    @property
    def breaks_load(self) -> bool:
        return any(d.severity == "load" for d in self.open)

    def counts(self) -> dict[str, int]:
        out = {s: sum(1 for d in self.open if d.severity == s) for s in SEVERITIES}
        out["known"] = len(self.known)
        return out

    def to_dict(self) -> dict:
        return {"spec_dir": self.spec_dir, "url": self.url, "dialect": self.dialect,
                "tables": {"spec": self.spec_tables, "database": self.db_tables, "ignored": self.ignored},
                "summary": self.counts(), "breaks_load": self.breaks_load,
                "differences": [asdict(d) for d in self.differences]}

    def render(self, fmt: str = "text") -> str:
        """The report as ``text``, ``markdown`` or ``json`` (``render``)."""
        return render(self, fmt)


# -- comparing ------------------------------------------------------------------------------------


def compare(model, docs: dict, catalog: cat.Catalog, settings: specset.Settings) -> Report:
    """``model``: the spec set's model; ``docs``: table -> spec Document (for positions)."""
    d = dialects.load(catalog.dialect)
    report = Report(model.spec_dir, catalog.url, catalog.dialect, len(model.tables), len(catalog.tables))
    out = report.differences
    for name, spec in model.tables.items():
        doc = docs.get(name)
        live = catalog.tables.get(name)
        if live is None:
            out.append(_diff(doc, ("table",), "load", "table.missing", name,
                             f"table in the spec, not in the database: {name}",
                             "the load would fail (no table to load into)"))
            continue
        _TableComparison(spec, live, doc, d, catalog.tables, model, out).run()
    for name in catalog.tables:
        if name in model.tables or name == LEDGER:
            continue
        why = settings.ignored(name)
        if why is not None:
            report.ignored[name] = why
            continue
        t = catalog.tables[name]
        required = [c.name for c in t.columns.values() if not c.nullable and not c.has_default]
        out.append(Difference("app", "table.extra", name,
                              f"table in the database, not in the spec: {name} ({len(t.columns)} columns)",
                              "specgen leaves it empty; add an entity spec, or list it under drift.ignore_tables "
                              "in specset.yaml" + (f" (NOT NULL without default: {', '.join(required[:4])}"
                                                   f"{'...' if len(required) > 4 else ''})" if required else ""),
                              f"{catalog.url} table {name}"))
    for diff in out:
        k = settings.known_for(diff.code, diff.object, catalog.dialect)
        if k is not None:
            diff.known = k.why
    order = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda x: (x.known is not None, order[x.severity], x.file, x.line, x.col, x.code, x.object))
    return report


def _diff(doc, path, severity, code, obj, message, why) -> Difference:
    if doc is None:
        return Difference(severity, code, obj, message, why)
    line, col = doc.marks.at(path, key=True)
    return Difference(severity, code, obj, message, why, doc.name, line, col)


def _fmt_column(c: cat.Column) -> str:
    extra = "" if c.nullable else " NOT NULL"
    if c.auto:
        extra += " (filled by the database)"
    elif c.default is not None:
        extra += f" DEFAULT {c.default}"
    return f"{c.raw_type or c.type}{extra}"


class _TableComparison:
    def __init__(self, spec, live: cat.Table, doc, dialect, tables: dict, model, out: list):
        self.spec, self.live, self.doc, self.d, self.tables, self.model, self.out = \
            spec, live, doc, dialect, tables, model, out
        self.name = spec.name
        self.sqlite = dialect.name == "sqlite"

    def add(self, path, severity, code, obj, message, why):
        self.out.append(_diff(self.doc, path, severity, code, obj, message, why))

    def run(self) -> None:
        self.columns()
        self.primary_key()
        self.uniques()
        self.indexes()
        self.foreign_keys()
        self.checks()

    # -- columns ------------------------------------------------------------------------------

    def columns(self) -> None:
        spec, live, name = self.spec, self.live, self.name
        stored = {c.name: c for c in spec.stored}
        for cname, c in stored.items():
            where = ("columns", cname)
            lc = live.columns.get(cname)
            if lc is None:
                self.add(where, "load", "column.missing", f"{name}.{cname}",
                         f"column in the spec, not in the database: {name}.{cname} {c.type}",
                         "the load would fail (no column to load into)")
                continue
            self.column_type(c, lc, where)
            may_be_null = c.nullable and (c.gen is None or c.null_rate > 0 or c.null_when is not None
                                          or self._ref_nullable(c))
            if c.nullable and not lc.nullable:
                if may_be_null:
                    self.add((*where, "nullable"), "load", "column.nullable", f"{name}.{cname}",
                             f"column NOT NULL in the database, nullable in the spec: {name}.{cname}",
                             "the spec writes NULLs there, which the load would refuse")
                else:
                    self.add((*where, "nullable"), "app", "column.nullable", f"{name}.{cname}",
                             f"column NOT NULL in the database, nullable in the spec: {name}.{cname}",
                             "the data has no NULLs, but a schema specgen creates would accept them")
            elif not c.nullable and lc.nullable:
                self.add(where, "app", "column.not_null", f"{name}.{cname}",
                         f"column nullable in the database, NOT NULL in the spec: {name}.{cname}",
                         "the data loads; a schema specgen creates refuses the NULLs the application may write")
        for cname, lc in live.columns.items():
            if cname in stored:
                continue
            if not lc.nullable and not lc.has_default:
                sev, why = "load", "the load would fail (NOT NULL, no default, and the spec gives no value)"
            else:
                sev, why = "app", ("the application finds it " + ("at its default" if lc.has_default else "NULL")
                                   + " in every row")
            self.add(("columns",), sev, "column.extra", f"{name}.{cname}",
                     f"column in the database, not in the spec: {name}.{cname} {_fmt_column(lc)}", why)
        common_spec = [c for c in stored if c in live.columns]
        common_live = [c for c in live.columns if c in stored]
        if common_spec != common_live:
            self.add(("columns",), "cosmetic", "column.order", name,
                     f"columns in another order in the database: {name}",
                     "loads name their columns; only SELECT * sees the order "
                     f"(database: {', '.join(common_live[:6])}{'...' if len(common_live) > 6 else ''})")

    def _ref_nullable(self, c) -> bool:
        return False

    def column_type(self, c, lc: cat.Column, where) -> None:
        want = cat.spec_type(c.type, self.d)
        got = lc.type
        if want == got:
            return
        obj = f"{self.name}.{c.name}"
        msg = f"type differs: {obj} is {lc.raw_type or got} in the database, {c.type} in the spec"
        if self.sqlite:
            if want.kind == got.kind or got.base == "":
                return  # SQLite keeps any value in any column; lengths are not enforced
            self.add((*where, "type"), "app", "column.type", obj, msg,
                     "SQLite stores the values anyway; the application reads another type's affinity")
            return
        sev, why = _type_severity(want, got)
        self.add((*where, "type"), sev, "column.type", obj, msg, why)

    # -- keys -----------------------------------------------------------------------------------

    def _spec_uniques(self) -> list[tuple[tuple[str, ...], str | None, str | None, tuple]]:
        """(columns, name, normalised predicate, spec path) of every unique set the spec declares."""
        spec = self.spec
        out = []
        for c in spec.stored:
            if c.unique and spec.primary_key != [c.name]:
                out.append(((c.name,), None, None, ("columns", c.name, "unique")))
        for i, u in enumerate(spec.uniques):
            out.append((tuple(u.columns), u.name, None, ("unique", i)))
        for i, ix in enumerate(spec.indexes):
            if ix.unique:
                if ix.where and not self.d.partial_indexes:
                    continue  # specgen skips it on this database: nothing to compare
                out.append((tuple(ix.columns), ix.name, self._pred(ix.where), ("indexes", i)))
        return out

    def _pred(self, where: str | None) -> str | None:
        if not where:
            return None
        return cat.normalise_sql(spelling.predicate(where, self.d))

    def _guaranteed(self, cols: tuple[str, ...], where: str | None) -> bool:
        """Whether the spec builds ``cols`` unique (among the rows ``where`` selects): some set it
        declares unique over all rows (or under the same predicate) lies within ``cols``."""
        spec = self.spec
        if any(c in spec.columns and spec.columns[c].gen is None for c in cols):
            return True  # a column the spec leaves NULL: SQL never compares NULLs in a unique set
        if any(c in spec.columns and _unique_generator(spec.columns[c].gen) for c in cols):
            return True
        sets = [tuple(spec.primary_key)] if spec.primary_key else []
        sets += [s for s, _, w, _ in self._spec_uniques() if w is None or w == where]
        return any(s and set(s) <= set(cols) for s in sets)

    def primary_key(self) -> None:
        spec_pk, live_pk = tuple(self.spec.primary_key), self.live.primary_key
        if spec_pk == live_pk:
            return
        obj = self.name
        if not live_pk:
            self.add(("primary_key",), "app", "primary_key.extra", obj,
                     f"primary key in the spec, not in the database: {obj} ({', '.join(spec_pk)})",
                     "a schema specgen creates has a key the application's has not")
            return
        sev = "app" if self._guaranteed(live_pk, None) else "load"
        what = f"({', '.join(spec_pk)})" if spec_pk else "none"
        self.add(("primary_key",), sev, "primary_key.differs", obj,
                 f"primary key differs: {obj} ({', '.join(live_pk)}) in the database, {what} in the spec",
                 "the generated keys are unique, but the database's key is another" if sev == "app" else
                 "the data is not built unique on the database's key: the load may fail on duplicates")

    def uniques(self) -> None:
        spec_sets = self._spec_uniques()
        live = [ix for ix in self.live.uniques if tuple(ix.columns) != self.live.primary_key or ix.where]
        matched = set()
        for ix in live:
            where = cat.normalise_sql(ix.where) if ix.where else None
            hit = next((k for k, (cols, _, w, _) in enumerate(spec_sets)
                        if k not in matched and cols == tuple(ix.columns) and w == where), None)
            obj = f"{self.name}.{ix.name}"
            desc = f"({', '.join(ix.columns)})" + (f" WHERE {ix.where}" if ix.where else "")
            if hit is None:
                near = next((k for k, (cols, _, w, _) in enumerate(spec_sets)
                             if k not in matched and cols == tuple(ix.columns)), None)
                sev = "app" if self._guaranteed(tuple(ix.columns), where) else "load"
                if near is not None:
                    matched.add(near)
                    self.add(spec_sets[near][3], sev, "unique.where", obj,
                             f"unique set with another condition: {obj} {desc} in the database, "
                             f"WHERE {spec_sets[near][2] or '(all rows)'} in the spec",
                             "the generated rows are unique where the database needs them" if sev == "app" else
                             "the database checks rows the spec does not build unique: the load may fail")
                    continue
                self.add(("columns",) if not self.spec.uniques else ("unique",), sev, "unique.missing", obj,
                         f"unique set in the database, not in the spec: {obj} {desc}",
                         "the generated values are unique on it by construction; a schema specgen creates lacks it"
                         if sev == "app" else "the spec does not build these values unique: the load may fail "
                                              "on duplicates")
                continue
            matched.add(hit)
            cols, sname, _, path = spec_sets[hit]
            if sname and sname != ix.name and not (self.sqlite and ix.name.startswith("sqlite_autoindex_")):
                self.add(path, "cosmetic", "unique.name", obj,
                         f"unique set named differently: {ix.name} in the database, {sname} in the spec",
                         "only the name differs")
        for k, (cols, sname, w, path) in enumerate(spec_sets):
            if k in matched or (w is None and cols == self.live.primary_key):
                continue  # the database's primary key makes the same set unique
            obj = f"{self.name}.{sname or '_'.join(cols)}"
            self.add(path, "app", "unique.extra", obj,
                     f"unique set in the spec, not in the database: {self.name} ({', '.join(cols)})"
                     + (f" WHERE {w}" if w else ""),
                     "a schema specgen creates refuses duplicates the application's accepts")

    def indexes(self) -> None:
        spec_ix = [(i, ix) for i, ix in enumerate(self.spec.indexes) if not ix.unique
                   and not (ix.where and not self.d.partial_indexes)]
        live = list(self.live.indexes)
        used = set()
        for i, ix in spec_ix:
            where = self._pred(ix.where)
            hit = next((j for j, lx in enumerate(live) if j not in used and tuple(lx.columns) == tuple(ix.columns)
                        and (cat.normalise_sql(lx.where) if lx.where else None) == where), None)
            name = ix.name or f"ix_{self.name}_{'_'.join(ix.columns)}"
            if hit is None:
                self.add(("indexes", i), "cosmetic", "index.extra", f"{self.name}.{name}",
                         f"index in the spec, not in the database: {name} ({', '.join(ix.columns)})",
                         "a schema specgen creates has one index more (queries are not affected)")
                continue
            used.add(hit)
            if ix.name and live[hit].name != ix.name:
                self.add(("indexes", i), "cosmetic", "index.name", f"{self.name}.{live[hit].name}",
                         f"index named differently: {live[hit].name} in the database, {ix.name} in the spec",
                         "only the name differs")
        for j, lx in enumerate(live):
            if j in used:
                continue
            desc = f"({', '.join(lx.columns)})" + (f" WHERE {lx.where}" if lx.where else "")
            self.add(("indexes",) if self.spec.indexes else ("columns",), "cosmetic", "index.missing",
                     f"{self.name}.{lx.name}", f"index in the database, not in the spec: {lx.name} {desc}",
                     "a schema specgen creates lacks it: the same queries, slower")

    # -- foreign keys -----------------------------------------------------------------------------

    def foreign_keys(self) -> None:
        spec_fks = {(col,): (t, c, od) for col, t, c, od in self.spec.foreign_keys()}
        seen = set()
        for fk in self.live.foreign_keys:
            obj = f"{self.name}.{'_'.join(fk.columns)}"
            target = f"{fk.ref_table}.{','.join(fk.ref_columns)}"
            s = spec_fks.get(tuple(fk.columns))
            col = self.spec.columns.get(fk.columns[0]) if len(fk.columns) == 1 else None
            path = ("columns", fk.columns[0], "references") if col is not None else ("columns",)
            if s is not None:
                seen.add(tuple(fk.columns))
                t, c, od = s
                if (t, (c,)) != (fk.ref_table, tuple(fk.ref_columns)):
                    self.add(path, "load", "fk.target", obj,
                             f"foreign key points elsewhere: {obj} -> {target} in the database, -> {t}.{c} in the spec",
                             "the values come from the wrong table: the load would fail on them")
                    continue
                spec_od = _norm_on_delete(od)
                if spec_od != fk.on_delete:
                    self.add(("columns", fk.columns[0], "on_delete"), "app", "fk.on_delete", obj,
                             f"ON DELETE differs: {obj} -> {target} is {(fk.on_delete or 'no action').upper()} in "
                             f"the database, {(spec_od or 'no action').upper()} in the spec",
                             "a schema specgen creates deletes differently from the application's")
                continue
            if any(c not in self.spec.columns for c in fk.columns):
                continue  # the column itself is reported
            never = all(self.spec.columns[c].gen is None for c in fk.columns)
            if never:
                sev, why = "app", "the spec leaves the column NULL, so the constraint holds; a schema specgen " \
                                  "creates lacks it"
            elif self.sqlite:
                sev, why = "app", "SQLite does not check it during the load, but the values are not built to " \
                                  f"exist in {fk.ref_table}"
            else:
                sev, why = "load", f"the values are not built to exist in {fk.ref_table}: the load would fail " \
                                   "(reference it from a link: gen: {ref: link.column})"
            self.add(path, sev, "fk.missing", obj,
                     f"foreign key in the database, not in the spec: {obj} -> {target}"
                     + (f" ON DELETE {fk.on_delete.upper()}" if fk.on_delete else ""), why)
        if self.d.foreign_keys == "none":
            return  # specgen declares none on this database: a schema it creates lacks them too
        for cols, (t, c, _od) in spec_fks.items():
            if cols in seen or cols[0] not in self.live.columns:
                continue  # a column the database lacks is reported as such
            obj = f"{self.name}.{cols[0]}"
            self.add(("columns", cols[0], "references"), "app", "fk.extra", obj,
                     f"foreign key in the spec, not in the database: {obj} -> {t}.{c}",
                     "the data holds it; a schema specgen creates refuses rows the application's accepts")

    # -- checks ----------------------------------------------------------------------------------

    def checks(self) -> None:
        spec_cks = list(enumerate(self.spec.checks))
        used = set()
        for ck in self.live.checks:
            if ck.column is not None and ck.column in self.spec.columns and self._boolean_check(ck):
                continue
            obj = f"{self.name}.{ck.name}"
            desc = f"{ck.column} IN ({', '.join(repr(v) for v in ck.values)})" if ck.values is not None else ck.text
            hit = None
            if ck.column is not None:
                hit = next(((i, s) for i, s in spec_cks if i not in used and s.column == ck.column), None)
            if hit is not None:
                i, s = hit
                used.add(i)
                spec_values = {str(v) for v in s.values}
                if spec_values != set(ck.values):
                    fits = spec_values <= set(ck.values)
                    self.add(("checks", i), "app" if fits else "load", "check.values", obj,
                             f"check allows other values: {desc} in the database, {sorted(spec_values)} in the spec",
                             "every generated value passes it" if fits else
                             "the spec may write values the database refuses")
                elif s.name != ck.name and self.d.catalog_check_names \
                        and not (self.sqlite and ck.name.endswith("_check")):
                    self.add(("checks", i), "cosmetic", "check.name", obj,
                             f"check named differently: {ck.name} in the database, {s.name} in the spec",
                             "only the name differs")
                continue
            fits = False
            if ck.column is not None and ck.column in self.spec.columns:
                domain = spec_checks._domain(self.spec, self.spec.columns[ck.column])
                fits = domain is not None and {str(v) for v in domain} <= set(ck.values)
                if not fits and self.spec.columns[ck.column].gen is None:
                    fits = True  # always NULL: a CHECK holds on NULL
            self.add(("checks",) if self.spec.checks else ("columns",), "app" if fits else "load", "check.missing",
                     obj, f"check in the database, not in the spec: {obj} CHECK ({desc})",
                     "every generated value passes it; a schema specgen creates lacks it" if fits else
                     "the spec may write values it refuses: the load may fail")
        for i, s in spec_cks:
            if i in used:
                continue
            self.add(("checks", i), "app", "check.extra", f"{self.name}.{s.name}",
                     f"check in the spec, not in the database: {s.name} ({s.column} IN {tuple(s.values)})",
                     "a schema specgen creates refuses values the application's accepts")

    def _boolean_check(self, ck: cat.Check) -> bool:
        """SQLAlchemy's CHECK (flag IN (0, 1)) of a boolean column on SQLite and MySQL: the type."""
        return (ck.values is not None and set(ck.values) <= {"0", "1"}
                and self.spec.columns[ck.column].kind == "bool")


def _unique_generator(g) -> bool:
    """Generators whose values are pairwise different by construction (uuid, sequence, hex...)."""
    return g is not None and bool(getattr(g, "unique", False))


def _norm_on_delete(od: str | None) -> str | None:
    if not od:
        return None
    od = od.lower().replace("_", " ")
    return None if od in ("no action", "restrict") else od


def _type_severity(want: cat.Type, got: cat.Type) -> tuple[str, str]:
    """How a database type ``got`` takes the values of the spec's ``want``."""
    if want.kind == got.kind:
        if want.kind == "text":
            wl, gl = want.length, got.length
            if gl is not None and (wl is None or wl > gl):
                return "load", f"values up to {wl or 'any'} characters may not fit in {gl}: the load may fail"
            return "app", "every value fits; a schema specgen creates has the spec's type"
        if want.kind == "int":
            if cat.INT_BYTES.get(got.base, 8) < cat.INT_BYTES.get(want.base, 8):
                return "load", "values may not fit in the smaller integer: the load may fail"
            return "app", "every value fits; a schema specgen creates has the spec's type"
        if want.kind == "numeric":
            if want.args and got.args and (got.args[0] - (got.args[1:] or (0,))[0]
                                           < want.args[0] - (want.args[1:] or (0,))[0]):
                return "load", "values may not fit its precision: the load may fail"
            return "app", "every value fits; a schema specgen creates has the spec's type"
        if want.kind == "timestamp":
            return "app", "the values load; the application reads times " + (
                "with a time zone" if got.base == "timestamptz" else "without a time zone")
        return "app", "every value fits; a schema specgen creates has the spec's type"
    if got.kind == "text" and got.length is None:
        return "app", "the values load as text; the application expects text there"
    if {want.kind, got.kind} <= {"int", "float", "numeric"}:
        if got.kind == "int":
            return "load", "fractions would not load into an integer column"
        return "app", "the numbers load; the application reads another numeric type"
    if want.kind == "json" and got.kind == "text":
        return "app", "the documents load as text"
    return "load", f"{want.kind} values do not load into a {got.kind} column"


# -- rendering -------------------------------------------------------------------------------------


def render(report: Report, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2)
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


def _headline(r: Report) -> str:
    c = r.counts()
    state = ("breaks the load" if r.breaks_load else "no open difference" if not r.open else "loads")
    return (f"drift: {r.spec_dir} ({r.spec_tables} tables) vs {r.url} ({r.db_tables} tables, "
            f"{len(r.ignored)} ignored): {state}; {c['load']} break the load, {c['app']} the application's "
            f"expectations, {c['cosmetic']} cosmetic, {c['known']} known")


def _text(r: Report) -> str:
    lines = [_headline(r)]
    for sev in SEVERITIES:
        group = [d for d in r.open if d.severity == sev]
        if group:
            lines += ["", f"{TITLES[sev]} ({len(group)}):"]
            lines += [f"  {d.text()}" for d in group]
    if r.known:
        lines += ["", f"known, accepted in specset.yaml ({len(r.known)}):"]
        lines += [f"  {d.text()} [{TITLES[d.severity]}; known: {d.known}]" for d in r.known]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _markdown(r: Report) -> str:
    c = r.counts()
    verdict = "**breaks the load**" if r.breaks_load else ("no open difference" if not r.open else "loads")
    lines = [f"### Schema drift: `{r.spec_dir}` vs `{r.url}`", "",
             f"{verdict}: {r.spec_tables} spec tables, {r.db_tables} database tables ({len(r.ignored)} ignored).", "",
             "| breaks the load | breaks the application's expectations | cosmetic | known |",
             "|---:|---:|---:|---:|", f"| {c['load']} | {c['app']} | {c['cosmetic']} | {c['known']} |", ""]
    for sev in SEVERITIES:
        group = [d for d in r.open if d.severity == sev]
        if not group:
            continue
        opened = " open" if sev == "load" else ""
        lines += [f"<details{opened}><summary>{TITLES[sev]} ({len(group)})</summary>", "",
                  "| where | difference | meaning |", "|---|---|---|"]
        lines += [f"| `{d.where}` | {_md_escape(d.message)} | {_md_escape(d.why)} |" for d in group]
        lines += ["", "</details>", ""]
    if r.known:
        lines += [f"<details><summary>known, accepted in specset.yaml ({len(r.known)})</summary>", "",
                  "| where | difference | severity | why accepted |", "|---|---|---|---|"]
        lines += [f"| `{d.where}` | {_md_escape(d.message)} | {TITLES[d.severity]} | {_md_escape(d.known)} |"
                  for d in r.known]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def run(spec_dir: str | Path, url, profile: str | None = None) -> Report:
    """The drift of the spec set at ``spec_dir`` against the database at ``url`` (a DatabaseUrl)."""
    from specgen.evolve import common
    from specgen.spec import documents

    model = common.model(spec_dir, profile)
    docs = common.documents(spec_dir)
    settings = specset.read(spec_dir)
    catalog = cat.read(url)
    report = compare(model, docs, catalog, settings)
    report.spec_dir = documents.display(Path(spec_dir))
    return report
