"""``specgen compile``: a plan becomes a directory a database can load, or one SQL stream.

Directory output, stage by stage (``compile_dir``):

1. the part tasks - one per (table, part), or this shard's share of them (``--shard K/N``) - run
   on an executor (``write.write_part``); results are taken in table and part order, so
   statistics combine deterministically. A compile in this process can be followed by a
   ``watch`` (``generate`` loads while it compiles): the schema and post-data files are then
   written first, the biggest tables' parts come first, and the watch hears of each table as
   its parts are complete;
2. a shard stops here: it writes ``manifest.shard-K-of-N.json`` (its parts and their statistics)
   and ``specgen manifest merge`` finishes the directory later (``merge.merge``);
3. part files left over from an earlier run with other settings are removed;
4. ``schema.sql``, ``post_data.sql``, the load script and ``verify.sql`` are rendered (they need
   the file list and the NULL counts, hence after the data) - ``finish``, shared with the merge;
5. ``manifest.json`` is written last: while it is absent the directory is incomplete.

The directory is a ``Destination``: a local path or an fsspec URL (``s3://``, ``memory://``...).

Stream output (``compile_stream``): DDL, then each table's data as it is generated (COPY blocks or
INSERTs, in row order, computed ahead by the executor within a bounded window), then the
constraints. Only SQL goes to the stream; messages go to stderr.

Executors: anything with ``submit`` returning futures (``concurrent.futures``). ``executor_for``
makes a spawn-based process pool for ``workers > 1`` (with one worker, tasks run in-process), or
a Dask client (``cluster.dask_executor``). An executor that runs tasks on other machines says so
with ``ships_specs``: the job then carries the spec set; one with ``share(obj)`` receives the job
once per worker instead of once per task.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace

from specgen import __version__
from specgen.engine import crypto, encrypted
from specgen.engine.plan import human_size
from specgen.errors import SpecgenError
from specgen.output import manifest, shards
from specgen.output import worker as write
from specgen.output.destination import Destination
from specgen.sql import ddl

FORMATS = ("csv", "sql")
COMPRESSIONS = tuple(write.COMPRESSION)
_PART_FILE = re.compile(r"^part-\d{5}\.")
_TMP_FILE = re.compile(r"^\.part-\d{5}\..*\.tmp-\d+-[0-9a-f]+$")


@dataclass
class Options:
    fmt: str = "csv"
    compression: str = "none"
    tables: list[str] | None = None  # None: every table
    workers: int = 1
    executor: Executor | None = None  # overrides ``workers`` (e.g. a Dask client's executor)
    shard: tuple[int, int] | None = None  # (K, N): only shard K of N, 1 <= K <= N
    force: bool = False  # write into a directory that holds files specgen did not write


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- executors --------------------------------------------------------------------------------------


@contextlib.contextmanager
def executor_for(options: Options, tasks: int, job: write.Job | None = None, plan=None):
    """The executor ``tasks`` tasks run on, or None to run them in this process. A process pool
    receives ``plan`` once per worker, through a temporary file (unpickling it takes
    milliseconds; building it again takes about a second for ``medium`` and ten for ``massive``)."""
    if options.executor is not None:
        yield options.executor
        return
    workers = min(options.workers, tasks)  # a pool costs about a second to start: not for one task
    if workers <= 1:
        yield None
        return
    # Each worker is one core: keep polars single-threaded in the children (read at import,
    # hence set in the environment they are spawned with). Spawn, not fork: polars' thread pool
    # does not survive a fork.
    saved = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"
    shipped, ship = None, {}
    if plan is not None:
        ship = {"initializer": write.remember_plan, "initargs": (job, plan)}
        with contextlib.suppress(OSError):  # no writable temporary directory: through the pipes
            import pickle
            import tempfile

            fd, shipped = tempfile.mkstemp(prefix="specgen-plan-", suffix=".pickle")
            from specgen import stopping

            stopping.remember(shipped)
            with os.fdopen(fd, "wb") as f:
                pickle.dump((job, plan), f, protocol=pickle.HIGHEST_PROTOCOL)
            ship = {"initializer": write.remember_plan_from, "initargs": (shipped,)}
    if ship:
        ship = {"initializer": _worker_start, "initargs": (ship["initializer"], ship["initargs"])}
    else:
        ship = {"initializer": _worker_start, "initargs": (None, ())}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"), **ship)
    try:
        yield pool
    except BaseException:
        # Stopped (an error, an interrupt): the workers stop too, each removing the part it was
        # writing (specgen.stopping), instead of finishing the queue.
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            with contextlib.suppress(OSError, ValueError):
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if shipped:
            from specgen import stopping

            stopping.forget(shipped)
            with contextlib.suppress(OSError):
                os.unlink(shipped)
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = saved


def _worker_start(init, args) -> None:
    """A pool worker's initializer: stopped by a signal, it removes the part it was writing
    (``specgen.stopping``); then ``init(*args)``."""
    from specgen import stopping

    stopping.install(quiet=True)
    if init is not None:
        init(*args)


def _window(executor, options: Options, per_worker: int) -> int:
    """Tasks kept in flight: enough to keep every worker busy while results are taken in order."""
    workers = getattr(executor, "workers", None) or options.workers
    return max(per_worker * workers, 2 * per_worker)


def run_ordered(executor, fn, arg_list, window: int):
    """``fn(*args)`` for each args, results in order; at most ``window`` tasks ahead."""
    if executor is None:
        for args in arg_list:
            yield fn(*args)
        return
    pending: deque = deque()
    for args in arg_list:
        pending.append(executor.submit(fn, *args))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _for_executor(executor, job: write.Job, plan):
    """The job as the executor's tasks receive it: with the spec set for remote workers, and
    handed over once per worker where the executor can (``share``)."""
    if executor is None:
        return job
    if getattr(executor, "ships_specs", False):
        from specgen.spec import bundle as specbundle

        job = replace(job, bundle=specbundle.pack(plan.model))
    share = getattr(executor, "share", None)
    return share(job) if share is not None else job


# -- the job ----------------------------------------------------------------------------------------


def make_job(plan, dialect, options: Options, out_dir: str, fmt: str) -> write.Job:
    tables = options.tables or list(plan.model.tables)
    insert_rows = {}
    stats_length = {}
    skip = set(dialect.stats_skip_length or ())
    for t in tables:
        if fmt == "sql":  # INSERT statements of about sql_statement_bytes: wide tables get fewer rows each
            per_row = plan.row_bytes(t) or 100.0
            insert_rows[t] = int(max(1, min(int(dialect.sql_insert_rows),
                                            int(dialect.sql_statement_bytes) // max(1, int(per_row)))))
        stats_length[t] = [c.name for c in plan.model.tables[t].stored
                           if c.kind in ("text", "json", "bytes") and c.type.base not in skip]
    return write.Job(
        spec_dir=str(plan.model.spec_dir), profile=plan.model.profile.name, seed=plan.seed,
        chunk_rows=plan.chunk_rows, dialect=dialect, fmt=fmt, compression=options.compression,
        out_dir=str(out_dir), insert_rows=insert_rows, stats_length=stats_length,
        spec_hash=plan.model.spec_hash, specgen_version=__version__, window_end=plan.model.profile.window_end,
        secrets=crypto.presence(encrypted.secret_envs(plan.model)),
    )


def _contexts(plan, dialect, tables: list[str]) -> list[dict]:
    included = set(tables)
    return [ddl.table_context(plan, dialect, t, included) for t in tables]


# -- directory output -------------------------------------------------------------------------------


def _templates(dialect) -> ddl.Templates:
    tpl = ddl.Templates(dialect)
    tpl.require(["schema.sql", "post_data.sql", "set_identity.sql", dialect.load_script, "verify.sql"])
    return tpl


def compile_dir(plan, dialect, out_dir, options: Options, progress=None, watch=None) -> dict:
    """Write the dump directory (a path or fsspec URL); return the manifest (also written as
    ``manifest.json``), or for a shard its shard manifest.

    ``watch`` (optional) follows a compile that runs in this process, so a load can keep pace:
    ``watch.started(manifest)`` once ``schema.sql`` and ``post_data.sql`` are written (the
    manifest as it will be, without files and statistics), then ``watch.table_done(table, entry)``
    as each table's parts are complete, with its manifest entry."""
    dest = Destination.of(out_dir)
    tables = options.tables or list(plan.model.tables)
    tpl = _templates(dialect)  # fail before anything is written
    tasks = [(t, part) for t in tables for part in range(plan.tables[t].chunks)]
    if options.shard is not None:
        tasks = shards.select(tasks, *options.shard)
    if not options.force:
        check_foreign(dest)
    check_space(plan, dest, tasks, options)
    dest.makedirs()
    dest.remove(manifest.MANIFEST)  # present again only once complete
    job = make_job(plan, dialect, options, dest.url, options.fmt)
    write.remember_plan(job, plan)

    # 1. parts (all of them, or this shard's)
    results: dict[str, dict[int, dict]] = {t: {} for t in tables}
    done: dict[str, dict] = {}  # manifest entries the watch was given
    with executor_for(options, len(tasks), job, plan) as executor:
        if executor is not None or options.shard is not None:
            watch = None
        if watch is not None:
            # The load keeps pace table by table: the biggest tables first, so the database is
            # busy with them while the compile writes the many small ones (any order gives the
            # same bytes: every value is a function of its row index).
            size = {t: plan.rows[t] * len(plan.model.tables[t].stored) for t in tables}
            tasks.sort(key=lambda task: -size[task[0]])
            contexts = _contexts(plan, dialect, tables)
            _write_ddl(tpl, plan, dest, contexts)
            watch.started(manifest.build(plan, dialect, fmt=options.fmt, compression=options.compression,
                                         files=_files(dialect),
                                         tables={t: _entry(plan, dialect, t, []) for t in tables},
                                         encryption=job.secrets))
            for t in tables:
                if plan.tables[t].chunks == 0:
                    done[t] = _entry(plan, dialect, t, [])
                    watch.table_done(t, done[t])
        sent = _for_executor(executor, job, plan)
        calls = [(sent, t, part) for t, part in tasks]
        for (table, part), result in zip(tasks, run_ordered(executor, write.write_part, calls,
                                                            _window(executor, options, 4)), strict=True):
            results[table][part] = result
            if progress:
                progress(table, result["rows"])
            if watch is not None and part == plan.tables[table].chunks - 1:
                done[table] = _entry(plan, dialect, table, [results[table][p] for p in sorted(results[table])])
                watch.table_done(table, done[table])

    # 2. a shard: its own manifest; the merge does the rest
    if options.shard is not None:
        doc = manifest.build_shard(plan, dialect, fmt=options.fmt, compression=options.compression,
                                   shard=options.shard, parts={t: plan.tables[t].chunks for t in tables},
                                   results=results, encryption=job.secrets)
        dest.write_text(manifest.shard_name(*options.shard), manifest.dumps(doc))
        return doc

    # 3. leftovers of earlier runs (other chunk sizes, shards)
    remove_leftovers(dest, {t: [r["path"] for r in results[t].values()] for t in tables})
    for name in dest.listdir():
        if manifest.SHARD_FILE.match(name):
            dest.remove(name)

    # 4, 5. SQL files, then the manifest
    ordered = {t: [results[t][p] for p in sorted(results[t])] for t in tables}
    return finish(plan, dialect, dest, fmt=options.fmt, compression=options.compression, results=ordered,
                  ddl_written=watch is not None, entries=done, encryption=job.secrets)


# A row of the gateway's widest tables is about 240 bytes as CSV: with this much free space per row
# the disk is certainly big enough and the plan's size estimate (which generates sample rows) is skipped.
_ROOMY_BYTES_PER_ROW = 1024
_SQL_OVER_CSV = 1.2  # INSERT files are somewhat bigger than CSV: room for that, with a margin


def check_space(plan, dest: Destination, tasks: list[tuple[str, int]], options: Options) -> None:
    """Refuse, before writing anything, a compile whose parts would not fit on a local disk: a
    full disk fails the compile late, and whatever else writes there (a database server) with it."""
    if dest.local is None or options.compression != "none" or not tasks:
        return
    rows: dict[str, int] = {}
    for t, part in tasks:
        lo = part * plan.chunk_rows
        rows[t] = rows.get(t, 0) + min(plan.rows[t], lo + plan.chunk_rows) - lo
    where = dest.local
    while not where.exists():
        where = where.parent
    free = _free_bytes(where)
    old = sum(f.stat().st_size for f in (dest.local / "data").glob("*/part-*") if f.is_file())  # replaced one by one
    if free + old >= sum(rows.values()) * _ROOMY_BYTES_PER_ROW:
        return
    need = sum(plan.row_bytes(t) * n for t, n in rows.items()) * (_SQL_OVER_CSV if options.fmt == "sql" else 1.0)
    if need > free + old:
        replaced = f" (counting the {human_size(old)} of the dump it replaces)" if old else ""
        raise SpecgenError(
            f"{dest}: these parts need about {human_size(need)} (the plan's estimate) and {human_size(free + old)} are free "
            f"there{replaced}. Free some space, write elsewhere (--out), compress the parts (--compress zstd, "
            f"several times smaller) or write a part of the dump (--tables, --shard K/N).")


def _free_bytes(path) -> int:
    import shutil

    return shutil.disk_usage(path).free


# Files a dump directory holds (temporary names included: a compile that was stopped leaves them).
_OWN_FILE = re.compile(r"^(manifest\.json|manifest\.shard-\d+-of-\d+\.json|schema\.sql|post_data\.sql|verify\.sql"
                       r"|load\.[A-Za-z0-9_.]+|\..+\.tmp-\d+-[0-9a-f]+)$")


def check_foreign(dest: Destination) -> None:
    """Refuse a local directory that holds files specgen did not write and no manifest: a compile
    replaces and removes files there (``remove_leftovers``), which must never be someone else's."""
    root = dest.local
    if root is None or not root.is_dir():
        return
    names = os.listdir(root)
    if "manifest.json" in names or any(manifest.SHARD_FILE.match(n) for n in names):
        return
    foreign = []
    for name in sorted(names):
        p = root / name
        if name == "data" and p.is_dir() and not p.is_symlink():
            foreign += [f"data/{t}" for t in sorted(os.listdir(p)) if not _part_folder(p / t)]
        elif not (p.is_file() and _OWN_FILE.match(name)):
            foreign.append(name)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise SpecgenError(f"{dest}: not empty and not a specgen dump (it holds {shown}); a compile overwrites and "
                           "removes files in its output directory: choose another --out, or add --force")


def _part_folder(path) -> bool:
    return path.is_dir() and not path.is_symlink() and all(
        _PART_FILE.match(n) or _OWN_FILE.match(n) for n in os.listdir(path))


def remove_leftovers(dest: Destination, keep: dict[str, list[str]]) -> None:
    """Remove part files of each table's folder that this run did not write."""
    for t, paths in keep.items():
        names = {p.rpartition("/")[2] for p in paths}
        for name in dest.listdir(f"data/{t}"):
            # Temporary names of parts whose writer was killed (SIGKILL leaves no time to clean).
            if (_PART_FILE.match(name) and name not in names) or _TMP_FILE.match(name):
                dest.remove(f"data/{t}/{name}")


def _entry(plan, dialect, table: str, results: list[dict]) -> dict:
    """A table's manifest entry from its parts' results (in part order)."""
    stats: dict[str, dict] = {}
    for r in results:
        for name, s in r["stats"].items():
            stats[name] = manifest.combine(stats.get(name), s)
    files = [{k: r[k] for k in ("path", "rows", "bytes", "sha256")} for r in results]
    return manifest.table_entry(plan, dialect, table, files, stats)


def _files(dialect) -> dict[str, str]:
    return {"schema": "schema.sql", "post_data": "post_data.sql", "load_script": dialect.load_script,
            "verify": "verify.sql"}


def _write_ddl(tpl, plan, dest: Destination, contexts: list[dict]) -> None:
    files = _files(tpl.dialect)
    dest.write_text(files["schema"], ddl.schema_sql(tpl, plan, contexts))
    dest.write_text(files["post_data"], ddl.post_data_sql(tpl, plan, contexts))


def finish(plan, dialect, dest: Destination, *, fmt: str, compression: str, results: dict[str, list[dict]],
           ddl_written: bool = False, entries: dict[str, dict] | None = None,
           encryption: dict[str, bool] | None = None) -> dict:
    """The files that need the whole picture - schema and post-data (unless ``ddl_written``),
    load script, verify.sql - and ``manifest.json`` last, from every part's result
    (``results[table]`` in part order; ``entries``: tables' manifest entries already made;
    ``encryption``: which secret variables the parts were written with)."""
    tables = list(results)
    tpl = _templates(dialect)
    entries = {t: (entries or {}).get(t) or _entry(plan, dialect, t, results[t]) for t in tables}
    contexts = _contexts(plan, dialect, tables)
    suffix, decompress = write.COMPRESSION[compression]
    files = _files(dialect)
    if not ddl_written:
        _write_ddl(tpl, plan, dest, contexts)
    dest.write_text(files["load_script"], ddl.load_script(tpl, plan, contexts, entries, fmt=fmt,
                                                          decompress=decompress, suffix=suffix))
    dest.write_text(files["verify"], ddl.verify_sql(tpl, plan, entries))
    doc = manifest.build(plan, dialect, fmt=fmt, compression=compression, files=files, tables=entries,
                         encryption=encryption)
    dest.write_text(manifest.MANIFEST, manifest.dumps(doc))
    return doc


# -- stream output ----------------------------------------------------------------------------------


def compile_stream(plan, dialect, stream, options: Options, progress=None) -> int:
    """Write one SQL stream (binary file object); return the number of data rows written."""
    tables = options.tables or list(plan.model.tables)
    tpl = ddl.Templates(dialect)
    tpl.require(["schema.sql", "post_data.sql", "set_identity.sql", "stream_begin.sql", "table_data_begin.sql",
                 "table_data_end.sql", "stream_end.sql"])
    contexts = _contexts(plan, dialect, tables)
    # --format sql asks for INSERTs everywhere; otherwise the dialect's native stream.
    fmt = "sql" if options.fmt == "sql" or dialect.stream_data == "insert" else "copy"
    job = make_job(plan, dialect, options, ".", fmt)
    write.remember_plan(job, plan)

    def emit(text: str) -> None:
        stream.write(text.encode())

    emit(tpl.render("stream_begin.sql", schema=ddl.schema_sql(tpl, plan, contexts)))
    total = 0
    step = {ctx["raw"]: write.batch_rows(plan, ctx["raw"], ctx["rows"]) for ctx in contexts}
    batches = sum(-(-ctx["rows"] // step[ctx["raw"]]) for ctx in contexts)
    with executor_for(options, batches, job, plan) as executor:
        sent = _for_executor(executor, job, plan)
        for ctx in contexts:
            rows = ctx["rows"]
            if rows == 0:
                continue
            emit(tpl.render("table_data_begin.sql", t=ctx, data=fmt))
            ranges = [(sent, ctx["raw"], lo, min(rows, lo + step[ctx["raw"]])) for lo in range(0, rows, step[ctx["raw"]])]
            for (_, _, lo, hi), data in zip(ranges, run_ordered(executor, write.stream_rows, ranges,
                                                                _window(executor, options, 2)), strict=True):
                stream.write(data)
                total += hi - lo
                if progress:
                    progress(ctx["raw"], hi - lo)
            emit(tpl.render("table_data_end.sql", t=ctx, data=fmt))
    emit(tpl.render("stream_end.sql", post_data=ddl.post_data_sql(tpl, plan, contexts)))
    stream.flush()
    return total
