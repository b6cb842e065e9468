"""A live schema, read through the database's own client into a neutral structure.

The queries are templates (``templates/<dialect>/catalog_*.sql.j2``, one row per column of a
table, index or constraint); this module groups their rows into ``Catalog`` -> ``Table`` ->
columns, keys, indexes, foreign keys and checks, and spells every type in one vocabulary
(``Type``): ``character varying(255)``, MySQL's ``varchar(255)`` and SQLite's ``VARCHAR(255)``
are all ``varchar(255)``; ``timestamp with time zone`` is ``timestamptz``; MySQL's
``tinyint(1)`` is ``boolean``; MariaDB's ``longtext`` with a ``json_valid()`` check is ``json``;
a profile's ``catalog_types`` and ``catalog_text_lengths`` say what else its database prints its
own way (DuckDB: ``VARCHAR`` for any text type, without its length).

The same vocabulary spells a spec's types (``spec_type``: the spec type as the dialect would
create it, read back), so a comparison never depends on how one database prints a type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from specgen.db.clients import ClientError, client_for
from specgen.db.urls import DatabaseUrl
from specgen.errors import SpecgenError
from specgen.sql import ddl
from specgen.sql import dialect as dialects

# -- types ------------------------------------------------------------------------------------------

# What each canonical base holds, for judging whether one type can take another's values.
KINDS = {
    "smallint": "int", "integer": "int", "bigint": "int",
    "real": "float", "float": "float", "numeric": "numeric",
    "boolean": "bool",
    "char": "text", "varchar": "text", "text": "text", "uuid": "text",
    "timestamptz": "timestamp", "timestamp": "timestamp", "date": "date", "time": "time",
    "json": "json", "jsonb": "json",
    "bytes": "bytes",
}
INT_BYTES = {"smallint": 2, "integer": 4, "bigint": 8}

_SYNONYMS = {
    # PostgreSQL's format_type()
    "character varying": "varchar", "character": "char", "double precision": "float", "float8": "float",
    "float4": "real", "int4": "integer", "int8": "bigint", "int2": "smallint", "int": "integer", "bool": "boolean",
    "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
    "time without time zone": "time", "time with time zone": "time", "bytea": "bytes", "decimal": "numeric",
    "serial": "integer", "bigserial": "bigint", "smallserial": "smallint",
    # MySQL / MariaDB
    "mediumint": "integer", "double": "float", "tinytext": "text", "mediumtext": "text", "longtext": "text",
    "datetime": "timestamp", "blob": "bytes", "tinyblob": "bytes", "mediumblob": "bytes", "longblob": "bytes",
    "varbinary": "bytes", "binary": "bytes", "enum": "varchar", "set": "varchar", "year": "smallint",
    # SQLite's declared types (as SQLAlchemy and specgen write them)
    "string": "text", "clob": "text", "nvarchar": "varchar", "nchar": "char", "varchar2": "varchar",
}


@dataclass(frozen=True)
class Type:
    """A column type in specgen's vocabulary: ``base`` (a key of ``KINDS``, or the database's own
    word for a type specgen has no name for) and its arguments."""

    base: str
    args: tuple[int, ...] = ()

    @property
    def kind(self) -> str:
        return KINDS.get(self.base, "other")

    @property
    def length(self) -> int | None:
        """Characters a text type holds (None: unbounded)."""
        if self.base in ("varchar", "char") and self.args:
            return self.args[0]
        return 36 if self.base == "uuid" else None

    def __str__(self) -> str:
        return f"{self.base}({','.join(map(str, self.args))})" if self.args else self.base


_TYPE = re.compile(r"^\s*([a-z][a-z0-9_ ]*?)\s*(?:\(([^)]*)\))?\s*((?:with|without) time zone)?\s*(unsigned)?\s*(zerofill)?\s*$")


def parse_type(raw: str | None, d: dialects.Dialect) -> Type:
    """A type as the database of profile ``d`` prints it (``format_type``, ``COLUMN_TYPE``, SQLite's
    declaration, DuckDB's ``data_type``), in its DDL or its catalog."""
    t = _parse_type(raw, _family(d), d.catalog_types)
    if not d.catalog_text_lengths and t.kind == "text" and t.base != "uuid":
        return Type(t.base)  # the catalog forgets them: comparing them would report every VARCHAR(n)
    return t


def _family(d: dialects.Dialect) -> str:
    """The shipped profile whose type quirks ``d`` has (a profile extending mysql is MySQL)."""
    return next((n for n in d.chain if n in ("postgres", "mysql", "sqlite")), d.name)


def _parse_type(raw: str | None, dialect: str, words: dict) -> Type:
    text = " ".join((raw or "").lower().split())
    if not text:
        return Type("")  # SQLite: a column declared without a type takes anything
    m = _TYPE.match(text)
    if not m:
        return Type(text)
    word, arg_text, zone = m.group(1), m.group(2), m.group(3)
    if zone:  # timestamp(6) with time zone
        word = f"{word} {zone}"
    word = words.get(word, word)  # the database's own meaning first (DuckDB's FLOAT is a REAL)
    base = _SYNONYMS.get(word, word)
    args: tuple[int, ...] = ()
    if arg_text and word not in ("enum", "set"):
        try:
            args = tuple(int(a) for a in arg_text.replace(" ", "").split(",") if a)
        except ValueError:
            args = ()
    if dialect == "mysql":
        if word == "tinyint":
            return Type("boolean") if args == (1,) else Type("smallint")
        if base in ("integer", "bigint", "smallint"):
            args = ()  # int(11): a display width, not a size
        if word == "float":
            return Type("real")
        if word in ("enum", "set"):
            return Type("varchar", (max((len(v) for v in re.findall(r"'((?:[^']|'')*)'", arg_text or "")), default=1),))
    if dialect == "sqlite" and base == "real":
        base = "float"  # SQLite's REAL is eight bytes
    if base in ("timestamp", "timestamptz", "time"):
        args = ()  # fractional digits
    if base in ("text", "bytes") and word != "varbinary":
        args = ()
    if word == "varbinary":
        args = ()
    return Type(base, args)


def spec_type(sql_type, dialect) -> Type:
    """A spec column's type as ``dialect`` would create it, in the same vocabulary as the catalog's."""
    return parse_type(dialect.sql_type(sql_type), dialect)


# -- the structure ----------------------------------------------------------------------------------


@dataclass
class Column:
    name: str
    type: Type
    raw_type: str
    nullable: bool
    default: str | None = None
    auto: bool = False  # filled by the database when left out (identity, serial, auto_increment, rowid)
    position: int = 0

    @property
    def has_default(self) -> bool:
        return self.auto or self.default is not None


@dataclass
class Index:
    """A unique constraint, a unique index or a plain index. ``columns`` hold expressions for
    expression indexes; ``where`` is a partial index's predicate."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    constraint: bool = False  # a UNIQUE constraint (or the index behind one), not CREATE INDEX


@dataclass
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None  # cascade | set null | set default; None: no action / restrict


@dataclass
class Check:
    name: str
    text: str
    column: str | None = None  # `column IN (values)`, when the check has that form
    values: tuple[str, ...] | None = None


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    uniques: list[Index] = field(default_factory=list)  # unique constraints and unique indexes
    indexes: list[Index] = field(default_factory=list)  # the other indexes
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


@dataclass
class Catalog:
    dialect: str  # sqlite | postgres | mysql | duckdb
    url: str  # redacted
    tables: dict[str, Table]
    server: str = ""  # the server's version string (MySQL/MariaDB)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"dialect": self.dialect, "url": self.url, "server": self.server,
                "tables": {n: asdict(t) for n, t in self.tables.items()}}


# -- reading -------------------------------------------------------------------------------------


def read(url: DatabaseUrl) -> Catalog:
    """The schema at ``url`` (PostgreSQL: its current schema; MySQL: its database)."""
    dialect = dialects.load(url.dialect)
    if url.dialect == "sqlite" and not Path(url.database).is_file():
        raise SpecgenError(f"{url.redacted()}: no such database file")
    client = client_for(url)
    tpl = ddl.Templates(dialect)
    server = ""
    try:
        if url.dialect == "mysql":
            server = (client.query("SELECT VERSION()") or [[""]])[0][0] or ""
        context = {"mariadb": "mariadb" in server.lower()}
        columns = client.query(tpl.render("catalog_columns.sql", **context))
        indexes = client.query(tpl.render("catalog_indexes.sql", **context))
        constraints = client.query(tpl.render("catalog_constraints.sql", **context))
    except ClientError as exc:
        raise SpecgenError(f"cannot read the schema of {url.redacted()}: {exc}") from None
    tables: dict[str, Table] = {}
    for table, pos, name, raw, nullable, default, extra in columns:
        t = tables.setdefault(table, Table(table))
        auto = bool(extra) and (("auto_increment" in extra.lower()) if url.dialect == "mysql" else
                                extra in ("a", "d") if url.dialect == "postgres" else False)
        if default and default.startswith("nextval("):
            auto = True  # a sequence's next value: PostgreSQL's serial, DuckDB's only way to number rows
        col = Column(name, parse_type(raw, dialect), raw or "", nullable == "t", default, auto, int(pos))
        t.columns[name] = col
        if url.dialect == "sqlite" and extra and extra != "0":
            t.primary_key = (*t.primary_key, (int(extra), name))  # ordered below
    if url.dialect == "sqlite":
        for t in tables.values():
            keyed = sorted(t.primary_key)
            t.primary_key = tuple(n for _, n in keyed)
            if len(keyed) == 1 and t.columns[keyed[0][1]].raw_type.upper() == "INTEGER":
                t.columns[keyed[0][1]].auto = True  # the rowid: SQLite numbers rows left without one
    _read_indexes(tables, indexes, url.dialect)
    _read_constraints(tables, constraints, url.dialect)
    return Catalog(url.dialect, url.redacted(), dict(sorted(tables.items())), server)


def _read_indexes(tables: dict[str, Table], rows, dialect: str) -> None:
    grouped: dict[tuple[str, str], list] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row)
    for (table, name), parts in grouped.items():
        t = tables.get(table)
        if t is None:
            continue
        _, _, unique, primary, backs, _, _, extra = parts[0]
        cols = tuple(_unquote_ident(p[6]) if p[6] is not None else "<expression>"
                     for p in sorted(parts, key=lambda p: int(p[5])))
        if primary == "t":
            if dialect != "sqlite":
                t.primary_key = cols
            continue
        where = extra if dialect != "sqlite" else _where_of(extra)
        ix = Index(name, cols, unique == "t", where or None, backs == "t")
        (t.uniques if ix.unique else t.indexes).append(ix)


def _unquote_ident(name: str) -> str:
    """PostgreSQL's pg_get_indexdef quotes a column named like a keyword ("timestamp")."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _read_constraints(tables: dict[str, Table], rows, dialect: str) -> None:
    grouped: dict[tuple[str, str, str], list] = {}
    for row in rows:
        grouped.setdefault((row[0], row[2], row[1] or ""), []).append(row)
    fk_names: dict[str, list[str]] = {}
    for (table, kind, name), parts in grouped.items():
        t = tables.get(table)
        if t is None:
            continue
        parts.sort(key=lambda p: int(p[3] or 0))
        if kind == "t":  # SQLite: the CREATE TABLE statement
            clauses = _table_clauses(parts[0][8] or "")
            t.checks += [_check(n, text) for n, text in clauses["checks"]]
            fk_names[table] = clauses["foreign_keys"]
            _name_sqlite_uniques(t, clauses["uniques"])
        elif kind == "f":
            ref_table = parts[0][5]
            ref_cols = tuple(p[6] for p in parts)
            if dialect == "sqlite" and all(c is None for c in ref_cols):
                ref_cols = tables[ref_table].primary_key if ref_table in tables else ("?",)
            t.foreign_keys.append(ForeignKey(name, tuple(p[4] for p in parts), ref_table, ref_cols,
                                             _on_delete(parts[0][7], dialect)))
        elif kind == "c":
            t.checks.append(_check(name, parts[0][8] or ""))
        elif kind == "u":
            for ix in t.uniques:
                if ix.name == name:
                    ix.constraint = True
        # p: the primary key came with the indexes
    for table, names in fk_names.items():  # SQLite numbers its foreign keys; the statement names them
        t = tables[table]
        for fk in t.foreign_keys:
            fk.name = names.get(fk.columns, f"{table}_fk{fk.name}")
    if dialect == "mysql":
        for t in tables.values():
            _mysql_fixups(t)


def _on_delete(rule: str | None, dialect: str) -> str | None:
    if rule is None:
        return None
    if dialect == "postgres":
        rule = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}.get(rule, rule)
    rule = rule.lower().replace("_", " ")
    return None if rule in ("no action", "restrict", "") else rule


def _mysql_fixups(t: Table) -> None:
    """MariaDB keeps JSON as LONGTEXT with a json_valid() check: a json column. InnoDB creates
    an index for each foreign key that has none, named after it: not an index of the schema's."""
    keep = []
    for ck in t.checks:
        m = re.fullmatch(r"\s*json_valid\(\s*`?(\w+)`?\s*\)\s*", ck.text, re.I)
        if m and m.group(1) in t.columns:
            t.columns[m.group(1)].type = Type("json")
            continue
        keep.append(ck)
    t.checks = keep
    fk_names = {fk.name: fk.columns for fk in t.foreign_keys}
    t.indexes = [ix for ix in t.indexes if fk_names.get(ix.name) != ix.columns]


# -- checks -----------------------------------------------------------------------------------------

_QUOTED = r"'((?:[^']|'')*)'"
# A PostgreSQL cast: ::text, ::character varying, ::text[]
_CAST = r"::\s*(?:character varying|double precision|timestamp with(?:out)? time zone|[a-z_]+)(?:\(\d+\))?(?:\[\])?"


def _check(name: str, text: str) -> Check:
    column, values = parse_in_check(text)
    return Check(name, normalise_sql(text), column, values)


def parse_in_check(text: str) -> tuple[str | None, tuple[str, ...] | None]:
    """``(column, values)`` of a check of the form ``column IN (v, ...)`` as each database prints
    it: ``visibility IN ('private', 'public')``, PostgreSQL's ``((visibility)::text = ANY
    ((ARRAY['private'::character varying, ...])::text[]))``, MariaDB's ``\\`visibility\\` in
    ('private','public')``, or ``c = 'a' OR c = 'b'``; (None, None) for any other check."""
    s = re.sub(r"^\s*CHECK\s*", "", text.strip(), flags=re.I)
    strings = re.findall(_QUOTED, s)
    # casts (::text, ::character varying, ::text[]) and quoting of names; strings are kept aside
    bare = re.sub(_QUOTED, "''", s)
    bare = re.sub(_CAST, "", bare, flags=re.I)
    bare = re.sub(r"[`\"]", "", bare)
    flat = " ".join(bare.replace("(", " ").replace(")", " ").split())
    m = re.fullmatch(r"(\w+) (?:IN|= ANY) (?:ARRAY\[)?((?:''|-?\d+(?:\.\d+)?)(?: ?, ?(?:''|-?\d+(?:\.\d+)?))*)\]?", flat, re.I)
    if m:
        items = [v.strip() for v in m.group(2).split(",")]
        it = iter(strings)
        values = tuple(next(it).replace("''", "'") if v == "''" else v for v in items)
        return m.group(1), values
    terms = re.split(r"\s+OR\s+", flat, flags=re.I)
    eq = [re.fullmatch(r"(\w+) = (''|-?\d+)", term) for term in terms]
    if len(terms) > 1 and all(eq) and len({e.group(1) for e in eq}) == 1:
        it = iter(strings)
        return eq[0].group(1), tuple(next(it).replace("''", "'") if e.group(2) == "''" else e.group(2) for e in eq)
    return None, None


def normalise_sql(text: str) -> str:
    """A check's or predicate's text for comparison: without casts, name quoting, redundant
    parentheses and case; booleans as 1 and 0."""
    s = re.sub(r"^\s*CHECK\s*", "", text.strip(), flags=re.I)
    strings: list[str] = []

    def keep(m):
        strings.append(m.group(0))
        return f"\x00{len(strings) - 1}\x00"

    s = re.sub(_QUOTED, keep, s)
    s = re.sub(_CAST, "", s, flags=re.I)
    s = re.sub(r"[`\"]", "", s).lower()
    s = re.sub(r"\bnot ([\w.]+) is null\b", r"\1 is not null", s)
    s = re.sub(r"\btrue\b", "1", s)
    s = re.sub(r"\bfalse\b", "0", s)
    s = re.sub(r"\s*([(),=<>!])\s*", r"\1", s)
    s = " ".join(s.split())
    prev = None
    while prev != s:  # (x) -> x where the parentheses enclose a single term
        prev = s
        s = re.sub(r"(?<![\w])\(([\w.\x00]+)\)", r"\1", s)  # not a function's parentheses
        if s.startswith("(") and _closing(s, 0) == len(s) - 1:
            s = s[1:-1]
    return re.sub(r"\x00(\d+)\x00", lambda m: strings[int(m.group(1))], s)


def _closing(s: str, start: int) -> int:
    depth = 0
    for i in range(start, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


# -- SQLite statements ----------------------------------------------------------------------------


def _where_of(create_index: str | None) -> str | None:
    """The WHERE clause of a CREATE INDEX statement (None for a full index)."""
    if not create_index:
        return None
    body = re.sub(_QUOTED, lambda m: "\x01" * len(m.group(0)), create_index)
    m = re.search(r"\)\s*WHERE\s+", body, re.I)
    return create_index[m.end():].strip().rstrip(";").strip() if m else None


def _split_top(body: str) -> list[str]:
    """``body`` split at commas outside parentheses and quotes."""
    out, depth, cur, quote = [], 0, [], None
    for ch in body:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] in "\"`[" and name[-1] in "\"`]":
        return name[1:-1]
    return name


def _table_clauses(sql: str) -> dict:
    """CHECK constraints (name, text), named UNIQUE sets and foreign-key names of a CREATE TABLE."""
    sql = re.sub(r"--[^\n]*", "", sql)
    start = sql.find("(")
    end = _closing(sql, start) if start >= 0 else -1
    out: dict = {"checks": [], "uniques": {}, "foreign_keys": {}}
    if start < 0 or end < 0:
        return out
    for item in _split_top(sql[start + 1:end]):
        name = None
        m = re.match(r"CONSTRAINT\s+(\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|\S+)\s+(.*)$", item, re.I | re.S)
        rest = item
        if m:
            name, rest = _unquote(m.group(1)), m.group(2)
        head = rest.lstrip().upper()
        if head.startswith("CHECK"):
            p = rest.find("(")
            out["checks"].append((name or "", rest[p + 1:_closing(rest, p)]))
        elif head.startswith("UNIQUE"):
            p = rest.find("(")
            cols = tuple(_unquote(c) for c in _split_top(rest[p + 1:_closing(rest, p)]))
            if name:
                out["uniques"][cols] = name
        elif head.startswith("FOREIGN"):
            p = rest.find("(")
            cols = tuple(_unquote(c) for c in _split_top(rest[p + 1:_closing(rest, p)]))
            if name:
                out["foreign_keys"][cols] = name
        elif not head.startswith(("PRIMARY", "CONSTRAINT")):
            # a column definition: inline CHECK (...) clauses
            col = _unquote(re.match(r"(\"[^\"]+\"|`[^`]+`|\[[^\]]+\]|\S+)", rest.strip()).group(1))
            for cm in re.finditer(r"(?:CONSTRAINT\s+(\S+)\s+)?CHECK\s*\(", rest, re.I):
                p = cm.end() - 1
                out["checks"].append((_unquote(cm.group(1)) if cm.group(1) else f"{col}_check", rest[p + 1:_closing(rest, p)]))
    return out


def _name_sqlite_uniques(t: Table, named: dict) -> None:
    for ix in t.uniques:
        if ix.constraint and ix.name.startswith("sqlite_autoindex_") and ix.columns in named:
            ix.name = named[ix.columns]
