"""``specgen load``: a dump directory into a database, through the database's own client.

Stages (``load``):

1. read ``manifest.json``; the URL's database must be the dump's dialect;
2. look at the target: create the database if it is missing; find which of the dump's tables
   exist. None: a fresh load - ``schema.sql`` first, ``post_data.sql`` (keys, foreign keys,
   indexes) after the data. All: an existing schema (the gateway's own, from ``alembic upgrade
   head``) - check every column the data needs is there, skip specgen's DDL, keep the database's
   constraints and load parents before children;
3. refuse tables that already hold rows unless ``--truncate`` or ``--append`` (or ``--resume``);
4. load every part in its own transaction together with a row in the ledger table
   ``specgen_load_ledger``, in ``jobs`` parallel client sessions. A load killed halfway and rerun
   with ``--resume`` skips exactly the committed parts;
5. SQLite: turn the ``\\N`` markers into NULL (once per table, recorded in the ledger too; into
   an existing schema, whose unique indexes are live, each part on its way in instead);
6. constraints after the data (with ``--jobs``: tables' keys and indexes in parallel sessions, then
   the foreign keys), statistics (``ANALYZE``), then drop the ledger;
7. identity counters (sequences, AUTO_INCREMENT) past the loaded keys, so an application's next
   insert without a key gets max + 1: specgen's schema has these steps in ``post_data.sql``; an
   existing schema's identity columns are found in its catalog. Recorded in the ledger as well.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from specgen.db import postdata
from specgen.db.clients import Client, ClientError, client_for, end_sessions
from specgen.db.sessions import Session
from specgen.db.urls import DatabaseUrl
from specgen.errors import SpecgenError, parse_json
from specgen.output import manifest as manifests
from specgen.output import worker as write
from specgen.sql import ddl
from specgen.sql import dialect as dialects

LEDGER = "specgen_load_ledger"
# A part whose transaction the database rolls back for another session's sake is tried this often.
PART_ATTEMPTS = 5
_SCHEMA_MARK = "schema:created"  # ledger row: specgen made the schema, its constraints are still to come
# Ledger row kept after a complete load into a schema specgen made (the ledger then holds only
# this row): a later --truncate drops and recreates that schema, loading it like a fresh one
# (keys and indexes after the data) instead of into live keys as for a foreign schema.
_MADE_MARK = "schema:specgen"
_MARKS = (_SCHEMA_MARK, _MADE_MARK)
MODES = ("fail", "truncate", "append")


@dataclass
class Options:
    jobs: int = 1
    mode: str = "fail"  # fail | truncate | append (what to do with tables that hold rows)
    resume: bool = False
    existing_schema: bool | None = None  # None: detect
    keep_ledger: bool = False
    # False: keys and indexes only (a shard of a direct run holds children whose parents are in
    # other shards; its foreign keys cannot hold).
    foreign_keys: bool = True
    # Direct mode: parts travel in the database's binary bulk format where the target's column
    # types allow it (PostgreSQL's binary COPY; the dialect's catalog_column_types_sql), else as
    # the dump's CSV. The server then parses nothing, but specgen encodes each part twice (the
    # manifest hashes its CSV): it pays only where the server is the busier side.
    binary: bool = False


@dataclass
class TableResult:
    rows: int = 0
    parts: int = 0
    skipped_parts: int = 0
    seconds: float = 0.0
    wire: str = ""  # how its parts travelled: the dump's format (csv, sql) or binary (direct mode)


@dataclass
class Result:
    url: str
    dialect: str
    existing_schema: bool
    tables: dict[str, TableResult] = field(default_factory=dict)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def to_dict(self) -> dict:
        return {
            "url": self.url, "dialect": self.dialect, "existing_schema": self.existing_schema,
            "rows": self.rows, "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows / self.seconds) if self.seconds else None,
            "stages": {k: round(v, 3) for k, v in self.stages.items()},
            "tables": {n: {"rows": t.rows, "parts": t.parts, "skipped_parts": t.skipped_parts,
                           "seconds": round(t.seconds, 3)} for n, t in self.tables.items()},
        }


def read_manifest(dump_dir: Path) -> dict:
    path = Path(dump_dir) / "manifest.json"
    if not path.is_file():
        raise SpecgenError(f"{path}: not found; is {dump_dir} a complete specgen dump? "
                           "(compile writes manifest.json last)")
    doc = parse_json(path.read_text(), str(path))
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict) or "dialect" not in doc:
        raise SpecgenError(f"{path}: not a specgen manifest (no 'dialect' and 'tables')")
    from specgen.output.shards import safe_part_path

    for t, e in doc["tables"].items():
        for f in (e.get("files") or []) if isinstance(e, dict) else [None]:
            if not (isinstance(f, dict) and safe_part_path(f.get("path")) and isinstance(f.get("rows"), int)):
                raise SpecgenError(f"{path}: table '{t}': a part entry without 'path' under data/ and 'rows': "
                                   f"{json.dumps(f)[:80]}")
    return doc


class Loader:
    """One load of one dump directory into one database."""

    def __init__(self, dump_dir: Path, url: DatabaseUrl, options: Options, progress=None, manifest: dict | None = None,
                 source=None):
        """``manifest``: the dump's manifest as the compile will write it, for a load that starts
        while the compile runs (``run(ready=...)``); else ``manifest.json`` is read. ``source``:
        where parts come from when not from files (``direct.Source``: generated into a pipe as
        the client reads it)."""
        self.dir = Path(dump_dir).resolve()
        self.url = url
        self.options = options
        self.progress = progress
        self.manifest = read_manifest(self.dir) if manifest is None else manifest
        self.dialect = dialects.load(self.manifest["dialect"])
        if self.dialect.name != url.dialect and url.dialect not in self.dialect.chain:
            raise SpecgenError(f"{dump_dir} was compiled for {self.dialect.name} but the URL is {url.dialect} "
                               f"({url.redacted()}): compile with --dialect {url.dialect}")
        self.tpl = ddl.Templates(self.dialect)
        self.staged = False  # set by run(): see there
        self.finishing = None  # set by run(): see there
        self.created = False  # this load created the tables (so they are empty)
        self.tpl.require(["load_part.sql", "load_session.sql", "load_truncate.sql", "load_analyze.sql",
                          "set_identity.sql"])
        self.client: Client = client_for(url, cwd=self.dir)
        self.tables = list(self.manifest["tables"])
        self.dump_id = manifests.dump_id(self.manifest)
        self.suffix = write.COMPRESSION[self.manifest.get("compression", "none")][0]
        self.source = source
        self._done: set[str] = set()  # the ledger's marks when the data stage began

    # -- the stages ------------------------------------------------------------------------------

    def run(self, ready=None) -> Result:
        """The whole load. ``ready``: the dump's tables in load order, each given once its parts
        and manifest entry are complete (a load that keeps pace with the compile); None: all are."""
        t0 = time.perf_counter()
        result = Result(self.url.redacted(), self.url.dialect, existing_schema=False)
        stage = _Stopwatch(result.stages)
        with stage("connect"):
            self.ensure_database()
            existing = self.existing_tables()
        with stage("schema"):
            self.ensure_ledger()
            done = self.ledger_parts()
            try:
                fresh = self.prepare_schema(existing, result, done)
                # Before the ledger is cleared: rows a stopped load left behind are named, with --resume.
                self.check_empty({k for k in done if k not in _MARKS})
            except SpecgenError:
                if not getattr(self, "had_ledger", True):  # a refused load leaves nothing behind
                    self.script(f"DROP TABLE IF EXISTS {self.dialect.quote(LEDGER)};")
                raise
            # Into a schema specgen did not just create, its constraints are live during the load:
            # a dialect whose bulk format needs fix-ups afterwards (SQLite's NULL marker) must
            # fix each part on its way in instead (the load_part template's staging path).
            self.staged = not fresh
            if not self.options.resume:
                self.clear_ledger()
                done = {k for k in done if k in _MARKS}
            if self.source is not None and self.options.binary and self.dialect.catalog_column_types_sql:
                self.source.use_binary(self.column_types())
        # Keeping pace with the compile, into the schema it created: each table's fix-ups, keys
        # and identity counter follow its last part in the same session while the compile writes
        # the next table (recorded in the ledger like the parts, so the stages below skip them).
        self.finishing = postdata.post_data_steps(self.read("post_data")) if fresh and ready is not None else None
        with stage("data"):
            self.load_parts(done, result, ordered=not fresh, ready=ready)
        if self.source is not None:
            self.source.complete_all()  # every table's manifest entry, for the stages below
        if self._fixups_apply():
            with stage("null fix-ups"):
                self.null_fixups()
        if fresh:
            with stage("constraints"):
                self.constraints()
                q = self.dialect.quote
                self.script(f"{self.dialect.load_begin}\nDELETE FROM {q(LEDGER)} WHERE {q('part')} IN "
                            f"('{_SCHEMA_MARK}', '{_MADE_MARK}');\n{self.ledger_row(_MADE_MARK)}COMMIT;")
        else:
            with stage("identity"):
                self.set_identity(self.catalog_identity())
        with stage("analyze"):
            self.analyze()
        if not self.options.keep_ledger:
            q = self.dialect.quote
            if fresh or _MADE_MARK in done:  # the schema stays specgen's: the ledger keeps saying so
                self.script(f"DELETE FROM {q(LEDGER)} WHERE {q('part')} <> '{_MADE_MARK}';")
            else:
                self.script(f"DROP TABLE IF EXISTS {q(LEDGER)};")
        result.seconds = time.perf_counter() - t0
        return result

    def ensure_database(self) -> None:
        """Create the database when the URL names one that does not exist yet."""
        if _database_missing(self.client, self.dialect):
            admin = client_for(self.url.with_database(self.dialect.admin_database), cwd=self.dir)
            admin.run_script(self.dialect.create_database_sql.format(name=self.dialect.quote(self.url.database)) + "\n")
            self.log(f"created database {self.url.database}")

    def existing_tables(self) -> dict[str, set[str]]:
        """Tables of the dump that exist in the target, with their column names."""
        out: dict[str, set[str]] = {}
        self.had_ledger = False
        for table, column in self.client.query(self.dialect.catalog_columns_sql):
            if table in self.manifest["tables"]:
                out.setdefault(table, set()).add(column)
            self.had_ledger = self.had_ledger or table == LEDGER
        return out

    def prepare_schema(self, existing: dict[str, set[str]], result: Result, ledger: set[str]) -> bool:
        """Create specgen's schema (True: constraints to add after the data) or check the existing one.

        A schema specgen created whose constraints are not in yet (a load that stopped early) is
        marked in the ledger, so a rerun still adds them after the data."""
        want = self.options.existing_schema
        if not existing and want is not True:
            self.script(self.read("schema") + "\n" + self.ledger_row(_SCHEMA_MARK))
            self.created = True
            return True
        if existing and _SCHEMA_MARK in ledger and want is not True and len(existing) == len(self.tables):
            return True
        if self._recreate(existing, ledger):
            self.script(self.tpl.render("load_drop.sql", tables=[self.dialect.quote(t) for t in reversed(self.tables)])
                        + self.read("schema") + "\n" + self.ledger_row(_SCHEMA_MARK))
            self.created = True
            self.log(f"emptied {len(existing)} table(s) of the schema specgen made by creating it again "
                     "(keys and indexes after the data)")
            return True
        if want is False and existing:
            raise SpecgenError(f"{len(existing)} of the dump's tables already exist in {self.url.redacted()} "
                               f"({', '.join(sorted(existing)[:5])}{', ...' if len(existing) > 5 else ''}); "
                               "drop them, or load into the existing schema with --existing-schema")
        missing_tables = [t for t in self.tables if t not in existing]
        missing_cols = []
        for t in self.tables:
            if t in existing:
                need = [c["name"] for c in self.manifest["tables"][t]["columns"]]
                missing_cols += [f"{t}.{c}" for c in need if c not in existing[t]]
        if missing_tables or missing_cols:
            lines = []
            if missing_tables:
                lines.append(f"missing tables: {', '.join(missing_tables)}")
            if missing_cols:
                lines.append(f"missing columns: {', '.join(missing_cols)}")
            raise SpecgenError(f"the existing schema in {self.url.redacted()} lacks what the data needs; "
                               + "; ".join(lines))
        result.existing_schema = True
        self.log("loading into the existing schema (its constraints stay in place)")
        return False

    def _recreate(self, existing: dict[str, set[str]], ledger: set[str]) -> bool:
        """--truncate into the schema a complete specgen load made (the ledger's mark): exactly
        the dump's tables and columns, nothing outside them referencing them. Dropping and
        creating it again empties it and lets the load build keys after the data."""
        if self.options.mode != "truncate" or self.options.resume or self.options.existing_schema is True:
            return False
        if _MADE_MARK not in ledger or set(existing) != set(self.tables):
            return False
        if any(existing[t] != {c["name"] for c in self.manifest["tables"][t]["columns"]} for t in self.tables):
            return False
        return not self._referencing_others()

    def ensure_ledger(self) -> None:
        q = self.dialect.quote
        self.script(f"CREATE TABLE IF NOT EXISTS {q(LEDGER)} ({q('dump')} VARCHAR(16) NOT NULL, "
                    f"{q('part')} VARCHAR(512) NOT NULL, {q('rows')} BIGINT NOT NULL, "
                    f"PRIMARY KEY ({q('dump')}, {q('part')}));")

    def ledger_parts(self) -> set[str]:
        q = self.dialect.quote
        rows = self.client.query(f"SELECT {q('part')} FROM {q(LEDGER)} WHERE {q('dump')} = '{self.dump_id}' "
                                 f"OR {q('part')} IN ('{_SCHEMA_MARK}', '{_MADE_MARK}')")
        return {r[0] for r in rows}

    def clear_ledger(self) -> None:
        """Forget loaded parts (a new load), but not that specgen created the schema."""
        q = self.dialect.quote
        self.script(f"DELETE FROM {q(LEDGER)} WHERE {q('part')} NOT IN ('{_SCHEMA_MARK}', '{_MADE_MARK}');")

    def check_empty(self, done: set[str]) -> None:
        """Tables that hold rows: refused, emptied (--truncate) or added to (--append); with
        --resume, rows must come from this dump's ledger. ``done``: parts the ledger has."""
        if self.created:  # made by this load: empty
            return
        q = self.dialect.quote
        mode = self.options.mode
        counts = self._row_counts()
        busy = [t for t in self.tables if counts.get(t)]
        if self.options.resume:
            # Tables with rows but no committed part of this dump were filled by someone else.
            loaded_tables = {p.split("/")[1] for p in done if p.startswith("data/")} | {
                p.split(":", 1)[1] for p in done if p.startswith("fixup:")}
            foreign = [t for t in busy if t not in loaded_tables]
            if foreign and mode == "fail":
                raise SpecgenError(f"--resume: tables hold rows this dump did not load: {', '.join(foreign)}")
            return
        if not busy:
            return
        if mode == "fail":
            shown = ", ".join(busy[:6])
            again = ("the same 'specgen generate' with --resume" if self.source is not None
                     else f"'specgen load {self.dir} --resume'")
            stopped = (f"a load of this dump stopped after {len(done)} part(s): {again} (same URL) finishes it, or "
                       if done else "")
            raise SpecgenError(f"refusing to load into tables that already hold rows: {shown}"
                               f"{' ...' if len(busy) > 6 else ''}; {stopped}use --truncate to empty them "
                               "first, or --append to add to them")
        if mode == "truncate":
            others = self._referencing_others()
            if others:
                union = " UNION ALL ".join(
                    f"SELECT '{t}', (SELECT COUNT(*) FROM (SELECT 1 FROM {q(t)} LIMIT 1) x)" for t in others)
                full = [r[0] for r in self.client.query(union) if int(r[1])]
                if full:
                    raise SpecgenError(f"--truncate would have to empty tables outside the dump that reference its "
                                       f"tables and hold rows: {', '.join(full)}; empty them yourself first, or "
                                       "use --append")
            self.script(self.tpl.render("load_truncate.sql", tables=[q(t) for t in [*others, *reversed(self.tables)]]))
            self.log(f"emptied {len(busy)} table(s)")

    def _referencing_others(self) -> list[str]:
        """Tables outside the dump whose foreign keys reach the dump's tables (directly or through
        each other): a TRUNCATE must take them along. Empty ones are; full ones are refused."""
        if not self.dialect.catalog_foreign_keys_sql:
            return []
        edges = [(c.strip('"'), p.strip('"')) for c, p in self.client.query(self.dialect.catalog_foreign_keys_sql)]
        reached = set(self.tables)
        out: list[str] = []
        grew = True
        while grew:
            grew = False
            for child, parent in edges:
                if parent in reached and child not in reached:
                    reached.add(child)
                    out.insert(0, child)  # children before the tables they reference
                    grew = True
        return out

    def _row_counts(self) -> dict[str, int]:
        """1 for each table that holds at least one row, else 0 (without counting them all)."""
        q = self.dialect.quote
        union = " UNION ALL ".join(
            f"SELECT '{t}', (SELECT COUNT(*) FROM (SELECT 1 FROM {q(t)} LIMIT 1) x)" for t in self.tables)
        return {r[0]: int(r[1]) for r in self.client.query(union)}

    # -- data ---------------------------------------------------------------------------------------

    def load_parts(self, done: set[str], result: Result, ordered: bool, ready=None) -> None:
        """Every part not in ``done``, in ``jobs`` sessions; tables in ``ready``'s order as it gives them."""
        for t in self.tables:
            result.tables[t] = TableResult(wire=self._wire(t))
        self._pending: dict[str, int] = {}
        self._done = set(done)
        jobs = max(1, self.options.jobs) if self.dialect.load_parallel else 1
        if ordered and self.dialect.load_enforces_foreign_keys:
            # An existing schema keeps its foreign keys: parents must be complete before children,
            # in the order of the database's keys (once every table is ready).
            if ready is not None:
                for _ in ready:
                    pass
            work = list(self._parts(self.tables, done, result))
            for level in self._levels():
                batch = [w for w in work if w[0] in level]
                if batch:
                    self._run_sessions(batch, result, jobs)
            return
        self._run_sessions(self._parts(self.tables if ready is None else ready, done, result), result, jobs)

    def _parts(self, tables, done: set[str], result: Result):
        """(table, file) of each part still to load, table by table as ``tables`` yields them."""
        for t in tables:
            entry = self.manifest["tables"][t]
            skipped = [f for f in entry["files"] if f["path"] in done]
            r = result.tables[t]
            r.rows, r.skipped_parts = sum(f["rows"] for f in skipped), len(skipped)
            if self.progress and skipped:
                self.progress.advance(t, r.rows, entry["rows"])
            todo = [f for f in entry["files"] if f["path"] not in done]
            self._pending[t] = len(todo)
            if not todo and self.finishing is not None:
                yield t, None  # nothing to load: straight to its fix-ups and keys
            for f in todo:
                yield t, f

    def _finish_table_sql(self, table: str) -> str:
        """A loaded table's fix-ups, keys and identity counters (``finishing``), committed with
        their ledger rows."""
        steps = self.finishing
        body, marks = "", []
        if self.source is not None:
            self.source.table_complete(table)  # its real manifest entry (NULL counts for the fix-ups)
        if self._fixups_apply() and f"fixup:{table}" not in self._done:
            body += self._fixups_sql(table)
            marks.append(f"fixup:{table}")
        keys = table in steps.keys and f"keys:{table}" not in self._done  # a resumed load built them
        identity = table in steps.identity and f"identity:{table}" not in self._done
        if keys or identity:
            body += steps.prelude
        if keys:
            body += "".join(steps.keys[table])
            marks.append(f"keys:{table}")
        if identity:
            body += steps.identity[table]
            marks.append(f"identity:{table}")
        return self.ledgered(body, marks) if marks else ""

    def _levels(self) -> list[set[str]]:
        """Tables grouped so each group references (by the database's foreign keys) only earlier ones."""
        refs: dict[str, set[str]] = {t: set() for t in self.tables}
        for child, parent in self.client.query(self.dialect.catalog_foreign_keys_sql):
            child, parent = child.strip('"'), parent.strip('"')
            if child in refs and parent in refs and child != parent:
                refs[child].add(parent)
        levels: list[set[str]] = []
        placed: set[str] = set()
        while len(placed) < len(self.tables):
            level = {t for t in self.tables if t not in placed and refs[t] <= placed}
            if not level:  # a cycle of foreign keys: fall back to the manifest's order
                level = {next(t for t in self.tables if t not in placed)}
            levels.append(level)
            placed |= level
        return levels

    def _run_sessions(self, work, result: Result, jobs: int) -> None:
        """Load the (table, file) pairs of ``work`` in ``jobs`` sessions; ``work`` may be a
        generator that waits for parts still being written (read by one feeder thread)."""
        todo: queue.Queue = queue.Queue()
        errors: list[BaseException] = []
        lock = threading.Lock()
        end = object()

        stopped: list[BaseException] = []  # ``work`` failed: the parts given so far are loaded first

        def feed() -> None:
            try:
                for w in work:
                    if errors:
                        break
                    todo.put(w)
            except BaseException as exc:  # noqa: BLE001 - reported by the caller
                stopped.append(exc)
            finally:
                for _ in range(jobs):
                    todo.put(end)

        def worker() -> None:
            session = None
            try:
                session = Session(self).__enter__()
                while not errors:
                    item = todo.get()
                    if item is end:
                        break
                    table, f = item
                    if f is None:
                        session.run(self._finish_table_sql(table), f"finished {table}")
                        continue
                    t0 = time.perf_counter()
                    if self.progress:
                        self.progress.start(table)
                    for attempt in range(1, PART_ATTEMPTS + 1):
                        try:
                            session.load(table, f)
                            break
                        except ClientError as exc:
                            # Sessions loading one table can deadlock (InnoDB): the victim's
                            # transaction - the part and its ledger row - was rolled back and its
                            # client has exited; the part is loaded again in a new session.
                            if attempt == PART_ATTEMPTS or not self.client.transient(exc):
                                raise
                            session, failed = None, session
                            failed.abandon()
                            self.log(f"{f['path']}: rolled back by the database (deadlock or lock wait); "
                                     "loading it again")
                            time.sleep(0.05 * attempt)
                            session = Session(self).__enter__()
                    with lock:
                        r = result.tables[table]
                        r.rows += f["rows"]
                        r.parts += 1
                        r.seconds += time.perf_counter() - t0
                        self._pending[table] -= 1
                        last = self._pending[table] == 0
                    if self.progress:
                        self.progress.advance(table, f["rows"], self.manifest["tables"][table]["rows"])
                    if last and self.finishing is not None:
                        session.run(self._finish_table_sql(table), f"finished {table}")
                session, done = None, session
                done.__exit__(None, None, None)  # raises if the client failed at the end
            except BaseException as exc:  # noqa: BLE001 - reported by the caller
                if session is not None:
                    session.abandon()
                errors.append(exc)

        if isinstance(work, list):
            if not work:
                return
            jobs = min(jobs, len(work))
        threads = [threading.Thread(target=fn, daemon=True) for fn in [feed] + [worker] * jobs]
        for th in threads:
            th.start()
        try:
            for th in threads:
                while th.is_alive():
                    # In slices: a SIGINT that lands on another thread is only acted on when the
                    # main thread wakes up.
                    th.join(0.2)
        except KeyboardInterrupt as exc:
            # Ctrl-C in a program that calls the API (the command line stops through
            # ``specgen.stopping`` instead): the sessions take no further part and their clients
            # end, rolling back the parts in flight, so the run unwinds instead of loading the rest;
            # what was committed stays, for ``resume``.
            errors.append(exc)
            end_sessions()
            for th in threads:
                th.join(timeout=30)
            raise
        if errors or stopped:
            raise (errors or stopped)[0]

    def part_statements(self, table: str, path: str) -> str:
        return self.tpl.render("load_part.sql", t=self._context(table), f=path, format=self._wire(table),
                               decompress=None, staged=self.staged)

    def _wire(self, table: str) -> str:
        """How the table's parts travel: the database's binary format where ``source.use_binary``
        chose it, else the dump's format."""
        if self.source is not None and table in self.source.binary:
            return "binary"
        return self.manifest.get("format", "csv")

    def column_types(self) -> dict[str, dict[str, str]]:
        """The target's column types (table -> column -> the database's type name)."""
        out: dict[str, dict[str, str]] = {}
        for table, column, typ in self.client.query(self.dialect.catalog_column_types_sql):
            out.setdefault(table, {})[column] = typ
        return out

    def _context(self, table: str) -> dict:
        return ddl.load_context(self.dialect, table, self.manifest["tables"][table], self.suffix)

    def _fixups_apply(self) -> bool:
        """The dialect's bulk format needs fix-ups after the data (SQLite's \\N), not on the way in."""
        return self.tpl.has("load_fixups.sql") and self.manifest.get("format") == "csv" and not self.staged

    def null_fixups(self) -> None:
        """The dialect's NULL-marker fix-ups (SQLite: \\N -> NULL), once per table, recorded in the
        ledger with the same commit so a resumed load never runs them twice."""
        done = self.ledger_parts()
        steps = [self.ledgered(self._fixups_sql(t), [f"fixup:{t}"]) for t in self.tables if f"fixup:{t}" not in done]
        if steps:
            self.script("\n".join(steps))

    def _fixups_sql(self, table: str) -> str:
        return self.tpl.render("load_fixups.sql", t=self._context(table))

    def constraints(self) -> None:
        """post_data.sql: as one script, or with ``--jobs`` N (where the database takes parallel
        sessions) its key and index steps shared among N sessions, then the foreign keys in one
        session (adding one locks its parent table too): ``postdata.key_tasks`` says how. The
        identity counters follow, in one transaction with their ledger rows."""
        text = self.read("post_data")
        jobs = self.options.jobs if self.dialect.load_parallel else 1
        steps = postdata.post_data_steps(text)
        if steps is None:
            self.script(text)
            return
        # Steps done before: those that followed their table's data (``finishing``), and those of
        # a load that was stopped while building keys (each step is committed with its ledger row,
        # so --resume neither repeats one - "multiple primary keys" - nor misses one).
        done = self.ledger_parts()
        self._parallel_constraints(steps, done, jobs)
        self.set_identity({t: sql for t, sql in steps.identity.items() if f"identity:{t}" not in done}, done)

    def _parallel_constraints(self, steps: postdata.PostDataSteps, done: set[str], jobs: int) -> None:
        prelude, end = steps.prelude, steps.end
        foreign_keys = self.ledgered(steps.foreign_keys, ["foreign_keys"]) \
            if steps.foreign_keys and "foreign_keys" not in done else ""
        # Each step in its own transaction with its ledger row (keys:T#i); keys:T marks a table
        # whose keys followed its data.
        keys = {t: [self.ledgered(step, [f"keys:{t}#{i}"]) for i, step in enumerate(s) if f"keys:{t}#{i}" not in done]
                for t, s in steps.keys.items() if f"keys:{t}" not in done}
        keys = {t: s for t, s in keys.items() if s}
        size = {t: sum(f["bytes"] for f in e["files"]) for t, e in self.manifest["tables"].items()}
        tasks = postdata.key_tasks(keys, size, jobs)
        if len(tasks) > 1:
            with ThreadPoolExecutor(min(jobs, len(tasks))) as pool:
                futures = [pool.submit(self.script, prelude + sql) for sql in tasks]
                errors = [f.exception() for f in futures if f.exception() is not None]
            if errors:
                raise errors[0]
            tasks = []
        if not self.options.foreign_keys:
            foreign_keys = ""
        self.script(prelude + "".join(tasks) + foreign_keys + end)

    def catalog_identity(self) -> dict[str, str]:
        """The identity steps of an existing schema: each of the dump's tables whose columns have
        a counter (serial, identity, AUTO_INCREMENT, AUTOINCREMENT columns, as the database's
        catalog lists them), with the set_identity statements for them."""
        found: dict[str, list[str]] = {}
        if self.dialect.catalog_identity_sql:
            for table, column in self.client.query(self.dialect.catalog_identity_sql):
                if table in self.manifest["tables"]:
                    found.setdefault(table, []).append(column)
        return {t: self.tpl.render("set_identity.sql", t={"name": self.dialect.quote(t), "raw": t, "identity":
                                   ddl.identity_context(self.dialect, t, sorted(found[t]))})
                for t in self.tables if t in found}

    def set_identity(self, steps: dict[str, str], done: set[str] | None = None) -> None:
        """Identity counters past the loaded keys (``steps``: each table's statements), once all
        of the tables' data is in, committed with their ledger rows (``identity:T``): a resumed
        load runs again the ones that did not commit (``done``: the ledger, where already read)."""
        if done is None and (self.finishing is not None or self.options.resume):
            done = self.ledger_parts()
        steps = {t: sql for t, sql in steps.items() if f"identity:{t}" not in (done or ())}
        if steps:
            self.script(self.ledgered("".join(steps.values()), [f"identity:{t}" for t in steps]))

    def analyze(self) -> None:
        self.script(self.tpl.render("load_analyze.sql", tables=[self.dialect.quote(t) for t in self.tables]))

    # -- helpers ----------------------------------------------------------------------------------

    def read(self, key: str) -> str:
        return (self.dir / self.manifest["files"][key]).read_text()

    def session_sql(self) -> str:
        """What every connection of this load runs first (the dialect's load_session template)."""
        from specgen.output.compile import default_workers

        jobs = max(1, self.options.jobs) if self.dialect.load_parallel else 1
        return self.tpl.render("load_session.sql", sessions=jobs, cores=default_workers())

    def script(self, sql: str) -> None:
        self.client.run_script(self.session_sql() + sql + "\n")

    def log(self, message: str) -> None:
        if self.progress:
            self.progress.note(message)

    def ledger_row(self, mark: str, rows: int = 0) -> str:
        """The statement that records ``mark`` (a part's path, ``fixup:T``, ...) as done."""
        return f"INSERT INTO {self.dialect.quote(LEDGER)} VALUES ('{self.dump_id}', '{mark}', {int(rows)});\n"

    def ledgered(self, body: str, marks: list[str]) -> str:
        """``body`` in one transaction with the ledger rows of ``marks``: it runs exactly once."""
        rows = "".join(self.ledger_row(m) for m in marks)
        return f"{self.dialect.load_begin}\n{body}{rows}COMMIT;\n"


class _Stopwatch:
    def __init__(self, into: dict):
        self.into = into

    def __call__(self, name: str):
        @contextlib.contextmanager
        def timed():
            t = time.perf_counter()
            try:
                yield
            finally:
                self.into[name] = self.into.get(name, 0.0) + time.perf_counter() - t

        return timed()


def check_reachable(url: DatabaseUrl) -> None:
    """Fail early (``generate``: before a compile that may take minutes) when the server cannot be
    reached or refuses the login; a database that does not exist yet is fine (the load makes it)."""
    _database_missing(client_for(url), dialects.load(url.dialect))


def _database_missing(client: Client, dialect) -> bool:
    """Whether the URL's database is still to be created; any other failure to reach it raises.
    A database file (no admin database) appears when first opened: never missing."""
    client.prepare()
    if not dialect.admin_database:
        return False
    try:
        client.query("SELECT 1")
    except ClientError as exc:
        if not client.missing_database(exc):
            raise
        return True
    return False


def load(dump_dir: str | Path, url: DatabaseUrl, options: Options | None = None, progress=None) -> Result:
    options = options or Options()
    if options.mode not in MODES:
        raise SpecgenError(f"unknown mode '{options.mode}'")
    return Loader(Path(dump_dir), url, options, progress).run()
