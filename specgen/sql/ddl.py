"""SQL around the data: schema, post-data constraints, load scripts, verify checks, stream framing.

Python prepares plain structures (quoted names, SQL types, literals, file lists); Jinja templates
frame them into SQL. Templates dispatch like dbt's ``adapter.dispatch``: ``<dialect>/X.j2``, then
each parent dialect's along ``extends``, then ``default/X.j2``; a missing template is an error
that lists every name searched. Templates are found in ``templates/`` next to a user's dialect
file first, then in the shipped ``templates/`` (``data_dir("templates")``).
"""

from __future__ import annotations

import functools

import jinja2

from specgen import __version__
from specgen.errors import SpecgenError
from specgen.resources import cache_dir, data_dir
from specgen.sql import checks
from specgen.sql.spelling import literal, predicate


class Templates:
    """The Jinja environment of one dialect, with dispatch along its ``extends`` chain."""

    def __init__(self, dialect):
        self.dialect = dialect
        roots = [d / "templates" for d in dialect.dirs if (d / "templates").is_dir()]
        shipped = data_dir("templates")
        self.roots = list(dict.fromkeys([*roots, shipped]))
        self.env = _environment(tuple(str(r) for r in self.roots))

    def candidates(self, name: str) -> list[str]:
        return [f"{d}/{name}.j2" for d in self.dialect.chain if d != "base"] + [f"default/{name}.j2"]

    def find(self, name: str) -> jinja2.Template:
        searched = self.candidates(name)
        try:
            return self.env.select_template(searched)
        except jinja2.TemplatesNotFound:
            where = ", ".join(str(r) for r in self.roots)
            raise SpecgenError(f"no template for '{name}' (dialect {self.dialect.name}); searched "
                               f"{', '.join(searched)} under {where}.") from None

    def has(self, name: str) -> bool:
        try:
            self.env.select_template(self.candidates(name))
        except jinja2.TemplatesNotFound:
            return False
        return True

    def require(self, names) -> None:
        """Fail before anything is written when a template is missing."""
        for name in names:
            self.find(name)

    def render(self, name: str, **context) -> str:
        return self.find(name).render(dialect=self.dialect, version=__version__, **context)


@functools.cache
def _environment(roots: tuple[str, ...]) -> jinja2.Environment:
    """One environment per template search path: compile, load and verify share its compiled
    templates (Jinja reloads a template whose file changed). Compiled templates are also kept in
    Jinja's bytecode cache (``resources.cache_dir``), checked against each template's source: a
    command's first render skips compiling the template."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(roots)),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        extensions=["jinja2.ext.do"],
    )


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, for which a failed write (a full disk, a
    directory made read-only) only means compiling again next time."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    where = cache_dir("templates")
    return None if where is None else _BytecodeCache(str(where), f"specgen-{__version__}-%s.cache")


# -- structures the templates frame ---------------------------------------------------------------


def table_context(plan, dialect, name: str, included: set[str]) -> dict:
    spec = plan.model.tables[name]
    q = dialect.quote

    def qs(cols):
        return [q(c) for c in cols]

    columns = [{"name": q(c.name), "raw": c.name, "kind": c.kind, "not_null": not c.nullable, "identity": c.identity,
                "type": (c.identity and dialect.identity_types.get(c.type.base)) or dialect.sql_type(c.type),
                "default": None if c.default is None else literal(c.default, dialect)}
               for c in spec.stored]
    identity = [c.name for c in spec.stored if c.identity]
    fks, skipped = [], []
    for col, ref_table, ref_col, on_delete in spec.foreign_keys():
        fk = {"name": q(dialect.short_name(f"fk_{name}_{col}")), "columns": [q(col)], "ref_table": q(ref_table),
              "ref_columns": [q(ref_col)], "on_delete": on_delete.upper().replace("_", " ") if on_delete else None,
              "raw_columns": [col], "raw_ref_table": ref_table, "raw_ref_columns": [ref_col]}
        (fks if ref_table in included else skipped).append(fk)
    uniques = [{"name": q(dialect.short_name(f"uq_{name}_{c.name}")), "columns": [q(c.name)], "raw_columns": [c.name]}
               for c in spec.stored if c.unique and not (spec.primary_key == [c.name])]
    for u in spec.uniques:
        uname = u.name or f"uq_{name}_{'_'.join(u.columns)}"
        uniques.append({"name": q(dialect.short_name(uname)), "columns": qs(u.columns), "raw_columns": list(u.columns)})
    indexes = []
    for ix in spec.indexes:
        iname = ix.name or f"ix_{name}_{'_'.join(ix.columns)}"
        indexes.append({"name": q(dialect.short_name(iname)), "raw_name": iname, "columns": qs(ix.columns),
                        "unique": ix.unique, "where": predicate(ix.where, dialect) if ix.where else None})
    checks = [{"name": q(dialect.short_name(ck.name)), "column": q(ck.column), "raw_column": ck.column,
               "values": [literal(v, dialect) for v in ck.values]} for ck in spec.checks]
    return {
        "name": q(name), "raw": name, "columns": columns, "column_list": ", ".join(c["name"] for c in columns),
        "primary_key": qs(spec.primary_key), "raw_primary_key": list(spec.primary_key),
        "foreign_keys": fks, "skipped_foreign_keys": skipped, "uniques": uniques, "indexes": indexes,
        "checks": checks, "rows": plan.rows[name],
        "identity": identity_context(dialect, name, identity) if identity else None,
    }


def identity_context(dialect, table: str, columns: list[str]) -> dict:
    """What the set_identity template needs to set the counters of ``table``'s identity
    ``columns`` past the loaded keys: known from the spec, or found in an existing schema."""
    q = dialect.quote
    return {"table_literal": literal(q(table), dialect), "raw_literal": literal(table, dialect),
            "columns": [{"name": q(c), "raw": c, "literal": literal(c, dialect)} for c in columns]}


def header(plan, what: str) -> dict:
    p = plan.model
    return {"what": what, "profile": p.profile.name, "seed": plan.seed, "spec_hash": p.spec_hash}


def schema_sql(tpl: Templates, plan, tables: list[dict]) -> str:
    return tpl.render("schema.sql", tables=tables, header=header(plan, "schema"))


def post_data_sql(tpl: Templates, plan, tables: list[dict]) -> str:
    return tpl.render("post_data.sql", tables=tables, header=header(plan, "post-data constraints"),
                      identity_template=tpl.find("set_identity.sql").name)


def verify_sql(tpl: Templates, plan, manifest_tables: dict) -> str:
    """verify.sql: every check of ``checks.build``, each statement preceded by its checks' JSON."""
    import json


    queries = []
    for q in checks.build(plan.model, {"tables": manifest_tables}, tpl.dialect):
        meta = []
        for c in q.checks:
            m = {"name": c.name, "kind": c.kind, "table": c.table, "expected": c.expected}
            if c.tolerance:
                m["tolerance"] = c.tolerance
            meta.append(checks.CHECK_PREFIX + json.dumps(m, sort_keys=True))
        meta.append(checks.SQL_PREFIX + json.dumps(q.sql + ";", ensure_ascii=True))
        queries.append({"meta": meta, "sql": q.sql})
    return tpl.render("verify.sql", queries=queries, header=header(plan, "verification checks"))


def load_context(dialect, table: str, entry: dict, suffix: str = "") -> dict:
    """What the load templates need of one table, from its manifest entry alone (the loader has
    no specs): names, columns, files, and the columns the SQLite NULL fix-up must visit."""
    q = dialect.quote
    columns = [{"name": q(c["name"]), "raw": c["name"], "kind": c.get("kind", "text")} for c in entry["columns"]]
    stats = entry.get("stats", {})
    paths = [f["path"] for f in entry["files"]]
    return {
        "name": q(table), "raw": table, "rows": entry["rows"], "columns": columns,
        "column_list": ", ".join(c["name"] for c in columns),
        "files": paths,
        "plain_files": [p[: len(p) - len(suffix)] if suffix else p for p in paths],
        "null_columns": [c for c in columns if stats.get(c["raw"], {}).get("nulls", 0) > 0],
        "escaped_columns": [c for c in columns if stats.get(c["raw"], {}).get("escaped", 0) > 0],
    }


def load_script(tpl: Templates, plan, tables: list[dict], manifest_tables: dict, *, fmt: str,
                decompress: str | None, suffix: str) -> str:
    loads = [load_context(tpl.dialect, t["raw"], manifest_tables[t["raw"]], suffix) for t in tables]
    return tpl.render(tpl.dialect.load_script, tables=loads, format=fmt, decompress=decompress,
                      part_template=tpl.find("load_part.sql").name,
                      fixup_template=tpl.find("load_fixups.sql").name if tpl.has("load_fixups.sql") else "",
                      compressed=bool(suffix), staged=False, header=header(plan, "load script"))
