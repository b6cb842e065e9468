"""``specgen verify``: prove a load with SQL, using only the dump directory.

``verify.sql`` (written by compile from ``checks.build``, see ``ddl.verify_sql``) holds every check: each statement is
preceded by one ``-- specgen-check: {json}`` line per result column naming the check and its
expected value, and by ``-- specgen-sql: "<statement as a JSON string>"``. The file also runs as is in the native client, for a human look. Verification
runs the statements in one client session (or shares them among ``--jobs`` sessions), compares,
and fails naming every failed check.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

from specgen.db.clients import client_for
from specgen.db.urls import DatabaseUrl
from specgen.errors import SpecgenError
from specgen.sql.checks import CHECK_PREFIX, SQL_PREFIX, Check, parse_number


def parse(text: str) -> list[tuple[str, list[Check]]]:
    """verify.sql -> [(sql, checks answered by its result columns)].

    The statement is read from its ``-- specgen-sql:`` JSON line, not from the SQL text below it,
    so literals holding newlines, CRs or ``--`` cannot confuse the parser."""
    statements: list[tuple[str, list[Check]]] = []
    pending: list[Check] = []
    for line in text.split("\n"):
        if line.startswith(CHECK_PREFIX):
            m = json.loads(line[len(CHECK_PREFIX):])
            pending.append(Check(m["name"], m["kind"], m["table"], m["expected"], m.get("tolerance", 0.0)))
        elif line.startswith(SQL_PREFIX):
            statements.append((json.loads(line[len(SQL_PREFIX):]), pending))
            pending = []
    return statements


def run(dump_dir: Path, url: DatabaseUrl, jobs: int = 1) -> list[Check]:
    """Execute every check of ``dump_dir/verify.sql`` against ``url``; returns them with results.

    With ``jobs`` > 1 (and a database that takes parallel sessions) the statements are shared
    among that many client sessions, the costliest first; results keep the file's order."""
    path = Path(dump_dir) / "verify.sql"
    if not path.is_file():
        raise SpecgenError(f"{path}: not found (is {dump_dir} a specgen dump directory?)")
    try:
        statements = parse(path.read_text())
    except (ValueError, KeyError) as exc:
        raise SpecgenError(f"{path}: not a specgen verify.sql ({exc})") from None
    if not statements:
        raise SpecgenError(f"{path}: holds no checks; was it written by another specgen version? Compile again.")
    client = client_for(url, cwd=Path(dump_dir))
    manifest, dialect = _dump(dump_dir)
    prefix = _session(dialect)
    sessions = _share(statements, manifest, jobs if dialect.load_parallel else 1)
    results: list = [None] * len(statements)
    if len(sessions) == 1:
        results = client.query_many([sql for sql, _ in statements], prefix=prefix)
    else:
        def one(positions: list[int]) -> None:
            rows = client.query_many([statements[i][0] for i in positions], prefix=prefix)
            for i, row in zip(positions, rows, strict=True):
                results[i] = row

        with ThreadPoolExecutor(len(sessions)) as pool:
            for f in [pool.submit(one, positions) for positions in sessions]:
                f.result()
    checks: list[Check] = []
    for (_, cs), row in zip(statements, results, strict=True):
        if len(row) != len(cs):
            raise SpecgenError(f"verify.sql: a statement returned {len(row)} values for {len(cs)} checks")
        for c, v in zip(cs, row, strict=True):
            c.actual = parse_number(v)
            checks.append(c)
    return checks


def _share(statements: list[tuple[str, list[Check]]], manifest: dict, jobs: int) -> list[list[int]]:
    """Statement positions for each of at most ``jobs`` sessions, a statement's cost being the
    rows of the tables its checks read."""
    from specgen.db.postdata import balance

    rows = {t: e["rows"] for t, e in manifest["tables"].items()}

    def cost(checks: list[Check]) -> int:
        tables = {c.table for c in checks} | {t for c in checks for t in rows if f" {t}." in f" {c.name}"}
        return sum(rows.get(t, 0) for t in tables) + 1

    if jobs <= 1 or len(statements) <= 1:
        return [list(range(len(statements)))]
    return balance([cost(cs) for _, cs in statements], jobs)


def _dump(dump_dir):
    from specgen.db.loader import read_manifest
    from specgen.sql import dialect as dialects

    manifest = read_manifest(Path(dump_dir))
    return manifest, dialects.load(manifest["dialect"])


def _session(dialect) -> str:
    """The dialect's session statements (MySQL: UTC time zone for the epoch of DATETIMEs)."""
    from specgen.sql import ddl

    return ddl.Templates(dialect).render("load_session.sql")


def report(checks: list[Check]) -> dict:
    failed = [c for c in checks if not c.ok]
    names = [f.name for f in fields(Check)]
    return {
        "passed": len(checks) - len(failed),
        "failed": len(failed),
        # Shallow (the fields are scalars): dataclasses.asdict deep-copies, ~30 us a check.
        "checks": [{**{f: getattr(c, f) for f in names}, "ok": c.ok} for c in checks],
    }


def table_text(checks: list[Check]) -> str:
    """A plain table of checks for the terminal."""
    rows = checks
    w = max([len(c.name) for c in rows] + [5])
    lines = [f"{'check':<{w}}  {'expected':>16}  {'actual':>16}  result"]
    for c in rows:
        lines.append(f"{c.name:<{w}}  {_fmt(c.expected):>16}  {_fmt(c.actual):>16}  {'ok' if c.ok else 'FAIL'}")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


__all__ = ["CHECK_PREFIX", "SQL_PREFIX", "VerificationFailed", "parse", "report", "run", "table_text"]


class VerificationFailed(SpecgenError):
    """Some checks failed; the message names each of them."""

    def __init__(self, checks, report_path: str | None = None):
        failed = [c for c in checks if not c.ok]
        self.checks = checks
        where = f" (report: {report_path})" if report_path else ""
        super().__init__(f"verification failed: {len(failed)} of {len(checks)} checks{where}\n"
                         + table_text(failed))
