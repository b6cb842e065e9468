"""The validated model of a spec set under one profile: tables, columns, links, generators.

Produced by ``specgen.spec.checker.build_model``; read by the planner, the engine and the writers.
Profile parameters are already substituted, so every number here is concrete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specgen.engine.distributions import CountDistribution
from specgen.engine.generators import Generator

_TYPE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ]*?)\s*(?:\(\s*([0-9 ,]+)\s*\))?\s*$")

TYPE_KINDS = {
    "integer": "int", "int": "int", "bigint": "int", "smallint": "int",
    "float": "float", "double": "float", "double precision": "float", "real": "float", "float4": "float",
    "numeric": "float", "decimal": "float",
    "boolean": "bool", "bool": "bool",
    "text": "text", "varchar": "text", "char": "text", "string": "text", "uuid": "text",
    "timestamptz": "timestamp", "timestamp": "timestamp", "datetime": "timestamp",
    "timestamp with time zone": "timestamp",
    "date": "date",
    "json": "json", "jsonb": "json",
    "blob": "bytes", "bytea": "bytes", "binary": "bytes", "varbinary": "bytes",
}

# Spec types that are single precision in some shipped dialect: ``real`` is 4 bytes in PostgreSQL
# and DuckDB (8 in SQLite, DOUBLE in MySQL), ``float4`` 4 bytes in all but SQLite. Their values
# are rounded to float32 in every dialect alike (the engine knows no dialect): a 4-byte column then
# stores exactly the value written, and an 8-byte one stores it unchanged. ``float`` and
# ``float(n)`` stay double: every shipped dialect creates them 8 bytes wide.
SINGLE_PRECISION = frozenset({"real", "float4"})


@dataclass(frozen=True)
class SqlType:
    """A portable SQL type as written in the spec, e.g. ``varchar(255)``."""

    base: str
    args: tuple[int, ...] = ()

    @property
    def kind(self) -> str:
        return TYPE_KINDS[self.base]

    @property
    def length(self) -> int | None:
        """Characters a ``varchar(n)`` or ``char(n)`` value holds; a ``char`` without one holds one,
        as SQL says (PostgreSQL and MySQL alike)."""
        if self.base == "char" and not self.args:
            return 1
        return self.args[0] if self.base in ("varchar", "char") and self.args else None

    @property
    def byte_length(self) -> int | None:
        """Bytes a ``binary(n)`` (exactly n) or ``varbinary(n)`` (at most n) value holds; a
        ``binary`` without one holds one, as SQL says."""
        if self.base == "binary" and not self.args:
            return 1
        return self.args[0] if self.base in ("binary", "varbinary") and self.args else None

    @property
    def scale(self) -> int | None:
        """Digits after the point of ``numeric(p, s)``: generated values are rounded to them.
        ``numeric(p)`` is ``numeric(p, 0)``, as SQL says (PostgreSQL and MySQL alike)."""
        if self.base not in ("numeric", "decimal") or not self.args:
            return None
        return self.args[1] if len(self.args) == 2 else 0

    @property
    def single(self) -> bool:
        """A 4-byte float (PostgreSQL's and DuckDB's REAL, MySQL's FLOAT for ``float4``): the
        database rounds what it is given to float32, so the engine generates float32 values (see
        ``SINGLE_PRECISION``)."""
        return self.base in SINGLE_PRECISION

    def __str__(self) -> str:
        return f"{self.base}({', '.join(map(str, self.args))})" if self.args else self.base

    @staticmethod
    def parse(text: str) -> SqlType | None:
        m = _TYPE.match(text or "")
        if not m:
            return None
        base = " ".join(m.group(1).lower().split())
        if base not in TYPE_KINDS:
            return None
        args = tuple(int(a) for a in m.group(2).replace(" ", "").split(",")) if m.group(2) else ()
        return SqlType(base, args)


@dataclass(frozen=True)
class Condition:
    """``null_when``: compare a column of this row (as text) with a value or a set; or, with
    ``is_null`` set, test whether it is NULL (True) or not (False)."""

    column: str
    values: tuple[str, ...] = ()
    negate: bool = False
    is_null: bool | None = None


@dataclass
class ColumnSpec:
    name: str
    type: SqlType
    gen: Generator | None
    nullable: bool = False
    virtual: bool = False  # computed for other columns, never stored
    primary_key: bool = False
    unique: bool = False
    # An auto-increment column (SERIAL, AUTO_INCREMENT, a rowid alias): the database numbers the
    # rows an application inserts later, counting on from the loaded keys.
    identity: bool = False
    references: tuple[str, str] | None = None
    on_delete: str | None = None
    default: object = None
    null_rate: float = 0.0
    null_when: Condition | None = None
    description: str = ""
    length_proven: bool = False  # the validator proved every value fits varchar(n)
    stream: str | None = None  # the name its random streams are keyed by (default: its own)

    @property
    def kind(self) -> str:
        return self.type.kind

    @property
    def bounded(self) -> bool:
        """Whether generated values are checked against the SQL type (length, digits, range)."""
        t = self.type
        return (t.length is not None and not self.length_proven) or t.kind == "bytes" or \
            t.scale is not None or t.single or t.base in ("smallint", "integer", "int")

    @property
    def stream_name(self) -> str:
        return self.stream or self.name


@dataclass
class CountSpec:
    """Children per parent row: one distribution, one per value of a parent column, or an
    expression over the parent row (``expr``, bounded by ``expr_max``)."""

    dist: CountDistribution | None = None
    switch_on: str | None = None
    cases: dict[str, CountDistribution] = field(default_factory=dict)
    default: CountDistribution | None = None
    expr: object = None  # expr.Expr over the parent row
    expr_max: int = 0

    def all(self) -> list[CountDistribution]:
        out = [self.dist] if self.dist is not None else list(self.cases.values())
        if self.default is not None:
            out.append(self.default)
        return out

    @property
    def max(self) -> int:
        return self.expr_max if self.expr is not None else max(d.max for d in self.all())

    @property
    def min(self) -> int:
        return 0 if self.expr is not None else min(d.min for d in self.all())


@dataclass
class ParentSpec:
    table: str
    count: CountSpec
    # Children of the parents where this condition (over the parent row) is false exist - other
    # tables may aggregate them - but are not written: the table holds a subset of its rows.
    keep_when: object = None  # expr.Expr


@dataclass
class LinkSpec:
    """A reference from each row to one row of ``table``."""

    name: str
    table: str
    pick: str = "random"  # random | distinct (different rows for one parent's children) | match
    zipf: float | None = None
    first: str | None = None  # distinct: the first child of a parent takes this link path
    match: dict = field(default_factory=dict)  # match: target column -> expr.Expr over this row


@dataclass
class UniqueSpec:
    name: str | None
    columns: list[str]
    proof: str | None = None  # "compile": proved on the generated rows (specgen.spec.proofs)


@dataclass
class IndexSpec:
    name: str | None
    columns: list[str]
    unique: bool = False
    where: str | None = None
    proof: str | None = None
    condition: object = None  # ``where`` as an expr.Expr, for a proof at compile time


@dataclass
class CheckSpec:
    name: str
    column: str
    values: list


@dataclass
class TableSpec:
    name: str
    file: str
    columns: dict[str, ColumnSpec]
    rows: int | None = None
    parent: ParentSpec | None = None
    links: dict[str, LinkSpec] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    uniques: list[UniqueSpec] = field(default_factory=list)
    indexes: list[IndexSpec] = field(default_factory=list)
    checks: list[CheckSpec] = field(default_factory=list)
    description: str = ""
    order: str | None = None  # "interleaved": rows written in an order unrelated to their parent's

    @property
    def stored(self) -> list[ColumnSpec]:
        """The columns that exist in the database, in spec order."""
        return [c for c in self.columns.values() if not c.virtual]

    def link_table(self, name: str) -> str:
        return self.parent.table if name == "parent" else self.links[name].table

    def compile_proofs(self) -> list[tuple[str, list[str], object]]:
        """(spec path, columns, condition) of the unique sets proved at compile time."""
        out = [(f"unique[{i}]", u.columns, None) for i, u in enumerate(self.uniques) if u.proof == "compile"]
        out += [(f"indexes[{i}]", ix.columns, ix.condition) for i, ix in enumerate(self.indexes)
                if ix.unique and ix.proof == "compile"]
        return out

    def foreign_keys(self) -> list[tuple[str, str, str, str | None]]:
        """(column, referenced table, referenced column, on_delete) in column order."""
        return [(c.name, *c.references, c.on_delete) for c in self.stored if c.references]


@dataclass
class Profile:
    name: str
    file: str
    seed: int
    # Epoch seconds, UTC. None in a profile that says ``end: now`` until the model is built for a
    # run (``spec.build_model``), which sets the instant: a cached model never holds a stale one.
    window_end: int | None
    window_days: float
    params: dict[str, float]
    chunk_rows: int = 1_000_000
    description: str = ""

    @property
    def window_start(self) -> int:
        return self.window_end - int(self.window_days * 86400)


@dataclass
class Model:
    spec_dir: str
    profile: Profile
    tables: dict[str, TableSpec]  # in dependency order: parents and link targets first
    pools: object  # specgen.spec.pools.PoolStore
    spec_hash: str

    def table(self, name: str) -> TableSpec:
        return self.tables[name]
