"""``specgen introspect``: a spec set for an existing schema, from its catalog and statistics.

One entity file per table with every column, type, key, unique set, index, check and foreign
key; a fan-out parent per table chosen from the foreign-key graph (a NOT NULL key first, one in a
composite unique set before others), other foreign keys as links; generators guessed from type,
name and statistics; and a profile. Every guess is explained in a comment.

Only statistics are read, never rows: row counts and children per parent for each foreign key,
NULL fractions, distinct counts, ranges and mean lengths, the share of true booleans, time ranges
and whether a time follows its parent's, and - for enum-like columns only (few distinct values,
each repeated, names that do not suggest personal data) - the values with their frequencies.
``--scale`` multiplies the root tables' rows; fan-out ratios keep the rest in proportion.

The reading and the graph are ``evolve.stats``, the guesses and the YAML ``evolve.specwriter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specgen.db.loader import LEDGER
from specgen.db.urls import DatabaseUrl
from specgen.errors import SpecgenError
from specgen.evolve import catalog as cat
from specgen.evolve import specwriter
from specgen.evolve.stats import Reader, choose_graph


@dataclass
class Result:
    out: Path
    tables: list[str]
    rows: dict[str, int]
    profile: str
    notes: list[str]


def run(url: DatabaseUrl, out: str | Path, *, scale: float = 1.0, profile: str = "default",
        seed: int = 1) -> Result:
    if scale <= 0:
        raise SpecgenError("--scale must be above 0")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SpecgenError(f"{out}: not empty; introspect writes a new spec set (choose another --out)")
    catalog = cat.read(url)
    tables = [n for n in catalog.tables if n != LEDGER]
    if not tables:
        raise SpecgenError(f"{url.redacted()}: no tables to introspect")
    reader = Reader(url, catalog)
    stats = reader.table_stats(tables)
    reader.fan_stats(stats)
    graph = choose_graph(catalog, tables, stats)
    writer = specwriter.SpecWriter(catalog, stats, graph, url.dialect, scale)
    reader.enum_values(stats, writer.enum_candidates())
    files = writer.write_all(out, profile, seed)
    return Result(out, tables, {t: stats[t].rows for t in tables}, profile, files)


