"""Direct mode: ``generate`` straight into the database, with no dump on disk.

The compile's part tasks feed the loader's sessions. For each part a session asks ``Source.open``
for a named pipe, tells its client to read it (``\\copy ... FROM``, ``LOAD DATA LOCAL INFILE``,
``.import``, the dialect's ``load_part`` template as for a file) and a producer runs the part's
task (``write.send_part``, in a worker process or in this one), which writes into the pipe the
bytes the part file would hold, hashing and counting them on the way. The part is committed
together with its ledger row only once the task has succeeded; a task that fails leaves the
client a short read, and the session rolls the part back. A run that was killed resumes with
``--resume``: the ledger names the committed parts, the others are generated again (every part
is a pure function of the spec).

Back-pressure is the pipe: a task generates only as fast as its client reads, so memory is the
batch in flight per session whatever the profile, and the only disk written is the database's.

The dump directory still receives what is small - ``schema.sql``, ``post_data.sql``, the load
script, ``verify.sql`` and ``manifest.json`` with every part's rows, bytes, sha256 and column
statistics as if the files existed - so ``specgen verify`` works unchanged. Each part's result
is appended to ``direct-parts.jsonl`` before its commit, so a resumed run knows the statistics
of the parts committed earlier (parts committed without a line there, or when the file is gone,
are generated again without loading, for their statistics only). ``keep`` (``--keep-dump``)
also writes the part files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from specgen.output import compile as comp
from specgen.output import manifest as manifests
from specgen.output import worker as write
from specgen.output.destination import Destination

RESULTS = "direct-parts.jsonl"
# A producer whose task failed before it opened its pipe gives the waiting client an empty read;
# the client opens the pipe right after the session's BEGIN, so this bounds a wait that is
# otherwise short.
_RELEASE_SECONDS = 120.0


class Source:
    """Where the loader's sessions get their parts in direct mode (``load.Loader(source=...)``)."""

    def __init__(self, plan, dialect, job: write.Job, executor, out_dir: Path, manifest: dict, *, keep: bool,
                 resume: bool, progress=None):
        self.plan, self.dialect, self.job, self.executor = plan, dialect, job, executor
        self.sent = comp._for_executor(executor, job, plan)
        self.keep = keep
        self.manifest = manifest
        self.progress = progress  # rows written (the loader's own progress counts rows committed)
        self.lock = threading.Lock()
        self.results: dict[str, dict] = {}
        self.complete: set[str] = set()
        self.path = Path(out_dir) / RESULTS
        if resume and self.path.is_file():
            for line in self.path.read_text().splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):  # a line cut short by a kill
                    r = json.loads(line)
                    self.results[r["path"]] = r
        else:
            self.path.unlink(missing_ok=True)
        self._log = open(self.path, "a")  # noqa: SIM115 - closed by close()
        self.fifo_dir = tempfile.mkdtemp(prefix="specgen-direct-")
        self._serial = 0
        self.binary: dict[str, tuple[str, ...]] = {}  # tables whose parts travel as binary COPY

    def use_binary(self, catalog: dict[str, dict[str, str]]) -> None:
        """The target's column types (table -> column -> pg_type name): each table whose columns
        can all travel in binary gets its parts that way (``pgbinary.wire_types``)."""
        from specgen.output import pgbinary  # with pyarrow.compute: start-up a CSV run does not pay

        for table in self.manifest["tables"]:
            types = pgbinary.wire_types(self.plan.model.tables[table].stored, catalog.get(table, {}))
            if types is not None:
                self.binary[table] = types

    # -- the loader's side ----------------------------------------------------------------------

    def open(self, table: str, f: dict):
        """A named pipe for the client to read the part from, and its producer (not started)."""
        with self.lock:
            self._serial += 1
            fifo = os.path.join(self.fifo_dir, f"part-{self._serial}.pipe")
        os.mkfifo(fifo, 0o600)
        return fifo, _Producer(self, table, f["part"], fifo, self.binary.get(table))

    def before_commit(self, table: str, f: dict, producer: _Producer) -> None:
        """The part was read whole: its result is kept (on disk first, then the commit)."""
        r = producer.result
        line = json.dumps(r, separators=(",", ":"))
        with self.lock:
            self._log.write(line + "\n")
            self._log.flush()
            os.fsync(self._log.fileno())
            self.results[r["path"]] = r

    def table_complete(self, table: str) -> None:
        """All of ``table``'s parts are in: its manifest entry from their results."""
        self._complete([table])

    def complete_all(self) -> None:
        self._complete(list(self.manifest["tables"]))

    def _complete(self, tables: list[str]) -> None:
        with self.lock:
            tables = [t for t in tables if t not in self.complete]
            missing = [(t, f["part"]) for t in tables for f in self.manifest["tables"][t]["files"]
                       if f["path"] not in self.results]
        # Parts committed by an earlier run whose result is not known here: generated again,
        # for their statistics only (nothing is loaded).
        if self.executor is not None:
            futures = [self.executor.submit(write.send_part, self.sent, t, p, None) for t, p in missing]
            computed = [f.result() for f in futures]
        else:
            computed = [write.send_part(self.job, t, p, None) for t, p in missing]
        with self.lock:
            for r in computed:
                self.results[r["path"]] = r
            for t in tables:
                files = self.manifest["tables"][t]["files"]
                self.manifest["tables"][t] = comp._entry(self.plan, self.dialect, t,
                                                         [self.results[f["path"]] for f in files])
                self.complete.add(t)

    def ordered_results(self) -> dict[str, list[dict]]:
        return {t: [self.results[f["path"]] for f in e["files"]] for t, e in self.manifest["tables"].items()}

    def close(self) -> None:
        self._log.close()
        shutil.rmtree(self.fifo_dir, ignore_errors=True)


class _Producer(threading.Thread):
    """Runs one part's task into its pipe (the loader's feeder: ``start``, ``join``, ``error``)."""

    verb = "generate"

    def __init__(self, source: Source, table: str, part: int, fifo: str, binary: tuple[str, ...] | None):
        super().__init__(daemon=True, name=f"specgen-direct-{table}-{part}")
        self.source, self.table, self.part, self.fifo, self.binary = source, table, part, fifo, binary
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.given_up = threading.Event()

    def run(self) -> None:
        s = self.source
        try:
            if s.executor is not None:
                self.result = s.executor.submit(write.send_part, s.sent, self.table, self.part, self.fifo,
                                                s.keep, self.binary).result()
            else:
                self.result = write.send_part(s.job, self.table, self.part, self.fifo, s.keep, self.binary)
            if s.progress is not None:
                s.progress.advance(self.table, self.result["rows"], s.plan.rows[self.table])
        except BaseException as exc:  # noqa: BLE001 - reported by the session, which rolls back
            self.error = exc
            self._release_reader()

    def _release_reader(self) -> None:
        """A task that failed before opening its pipe leaves the client waiting for a writer:
        open and close one, so the client reads an empty part (and the session rolls it back)."""
        deadline = time.monotonic() + _RELEASE_SECONDS
        with contextlib.suppress(OSError):
            os.close(write.open_pipe_writer(self.fifo, give_up=lambda: self.given_up.is_set()
                                            or time.monotonic() > deadline))

    def abort(self) -> None:
        """The client is done with the pipe (it read the part, or failed): nobody waits on it."""
        self.given_up.set()
        with contextlib.suppress(OSError):
            os.unlink(self.fifo)


def skeleton_entry(plan, dialect, job: write.Job, table: str, parts=None) -> dict:
    """A table's manifest entry before its parts exist: their paths and rows, and statistics that
    assume the worst of each column (a NULL in every nullable one, an escaped NULL marker in every
    text one), so that a load template preparing for them (SQLite's staged fix-ups) is safe."""
    n = plan.rows[table]
    files = [{"path": write.part_path(job, table, p), "rows": min(n, (p + 1) * plan.chunk_rows) - p * plan.chunk_rows,
              "part": p} for p in (range(plan.tables[table].chunks) if parts is None else parts)]
    stats = {c.name: {"nulls": 1 if c.nullable else 0, **({"escaped": 1} if c.kind in ("text", "json") else {})}
             for c in plan.model.tables[table].stored}
    return manifests.table_entry(plan, dialect, table, files, stats)


def run(plan, dialect, target, out_dir: str | Path, loader_options, *, keep: bool = False, workers: int | None = None,
        progress=None, written=None, shard: tuple[int, int] | None = None):
    """Generate ``plan`` into the database at ``target`` (a ``DatabaseUrl``) through
    ``loader_options.jobs`` sessions; the small files of the dump into ``out_dir`` (with ``keep``
    the part files too). ``progress``: rows committed; ``written``: rows generated. Returns the
    manifest and the ``load.Result``.

    ``shard`` (K, N): only shard K's parts (as ``compile --shard``), their keys and indexes but no
    foreign keys (parents sit in other shards) and no manifest (None is returned for it): what
    one machine's share of the biggest profiles costs, measured."""
    from dataclasses import replace

    from specgen.db import loader
    from specgen.output import shards
    from specgen.spec import proofs

    tables = list(plan.model.tables)
    proofs.check(plan, tables)
    dest = Destination.of(str(out_dir))
    dest.makedirs()
    dest.remove(manifests.MANIFEST)  # present again only once complete
    jobs = max(1, loader_options.jobs) if dialect.load_parallel else 1
    if workers is None:  # one task per session is in flight: more processes would idle
        workers = min(jobs, comp.default_workers())
    options = comp.Options(fmt="csv", workers=workers)
    job = comp.make_job(plan, dialect, options, dest.url, "csv")
    write.remember_plan(job, plan)
    tpl = comp._templates(dialect)
    comp._write_ddl(tpl, plan, dest, comp._contexts(plan, dialect, tables))
    chosen: dict[str, list[int] | None] = dict.fromkeys(tables)
    if shard is not None:
        chosen = {t: [] for t in tables}
        every = [(t, p) for t in tables for p in range(plan.tables[t].chunks)]
        for table, part in shards.select(every, *shard):
            chosen[table].append(part)
        loader_options = replace(loader_options, foreign_keys=False)
    skeleton = manifests.build(plan, dialect, fmt="csv", compression="none", files=comp._files(dialect),
                               tables={t: skeleton_entry(plan, dialect, job, t, chosen[t]) for t in tables},
                               encryption=job.secrets)
    # The biggest tables first: their keys are built in one session while the others load the rest.
    size = {t: plan.rows[t] * len(plan.model.tables[t].stored) for t in tables}
    order = sorted(tables, key=lambda t: -size[t])
    tasks = sum(len(e["files"]) for e in skeleton["tables"].values())
    with comp.executor_for(options, tasks, job, plan) as executor:
        source = Source(plan, dialect, job, executor, dest.local, skeleton, keep=keep,
                        resume=loader_options.resume, progress=written)
        try:
            result = loader.Loader(dest.local, target, loader_options, progress, manifest=skeleton,
                                   source=source).run(ready=iter(order))
            source.complete_all()
            results = source.ordered_results()
        finally:
            source.close()
    if shard is not None:
        source.path.unlink(missing_ok=True)
        return None, result
    if keep:
        comp.remove_leftovers(dest, {t: [r["path"] for r in rs] for t, rs in results.items()})
    doc = comp.finish(plan, dialect, dest, fmt="csv", compression="none", results=results, ddl_written=True,
                      entries=dict(skeleton["tables"]), encryption=job.secrets)
    source.path.unlink(missing_ok=True)  # the manifest holds every result now
    return doc, result
