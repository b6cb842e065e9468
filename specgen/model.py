"""The validated model of a spec set under one profile: tables, columns, links, generators.

Produced by ``specgen.spec.build_model``; read by the planner, the engine and the writers.
Profile parameters are already substituted, so every number here is concrete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specgen.distributions import CountDistribution
from specgen.generators import Generator

_TYPE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*(?:\(\s*([0-9 ,]+)\s*\))?\s*$")

TYPE_KINDS = {
    "integer": "int", "int": "int", "bigint": "int", "smallint": "int",
    "float": "float", "double": "float", "double precision": "float", "real": "float",
    "numeric": "float", "decimal": "float",
    "boolean": "bool", "bool": "bool",
    "text": "text", "varchar": "text", "char": "text", "string": "text", "uuid": "text",
    "timestamptz": "timestamp", "timestamp": "timestamp", "datetime": "timestamp",
    "timestamp with time zone": "timestamp",
    "date": "date",
    "json": "json", "jsonb": "json",
    "blob": "bytes", "bytea": "bytes", "binary": "bytes", "varbinary": "bytes",
}


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
        return self.args[0] if self.base in ("varchar", "char") and self.args else None

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
    references: tuple[str, str] | None = None
    on_delete: str | None = None
    default: object = None
    null_rate: float = 0.0
    null_when: Condition | None = None
    description: str = ""
    stream: str | None = None  # the name its random streams are keyed by (default: its own)

    @property
    def kind(self) -> str:
        return self.type.kind

    @property
    def stream_name(self) -> str:
        return self.stream or self.name


@dataclass
class CountSpec:
    """Children per parent row: one distribution, or one per value of a parent column."""

    dist: CountDistribution | None = None
    switch_on: str | None = None
    cases: dict[str, CountDistribution] = field(default_factory=dict)
    default: CountDistribution | None = None

    def all(self) -> list[CountDistribution]:
        out = [self.dist] if self.dist is not None else list(self.cases.values())
        if self.default is not None:
            out.append(self.default)
        return out

    @property
    def max(self) -> int:
        return max(d.max for d in self.all())

    @property
    def min(self) -> int:
        return min(d.min for d in self.all())


@dataclass
class ParentSpec:
    table: str
    count: CountSpec


@dataclass
class LinkSpec:
    """A reference from each row to one row of ``table``."""

    name: str
    table: str
    pick: str = "random"  # random | distinct (different rows for one parent's children)
    zipf: float | None = None
    first: str | None = None  # distinct: the first child of a parent takes this link path


@dataclass
class UniqueSpec:
    name: str | None
    columns: list[str]


@dataclass
class IndexSpec:
    name: str | None
    columns: list[str]
    unique: bool = False
    where: str | None = None


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

    @property
    def stored(self) -> list[ColumnSpec]:
        """The columns that exist in the database, in spec order."""
        return [c for c in self.columns.values() if not c.virtual]

    def link_table(self, name: str) -> str:
        return self.parent.table if name == "parent" else self.links[name].table

    def foreign_keys(self) -> list[tuple[str, str, str, str | None]]:
        """(column, referenced table, referenced column, on_delete) in column order."""
        return [(c.name, *c.references, c.on_delete) for c in self.stored if c.references]


@dataclass
class Profile:
    name: str
    file: str
    seed: int
    window_end: int  # epoch seconds, UTC
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
    pools: object  # specgen.pools.PoolStore
    spec_hash: str

    def table(self, name: str) -> TableSpec:
        return self.tables[name]
