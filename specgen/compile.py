"""``specgen compile``: a plan becomes a directory a database can load, or one SQL stream.

Directory output, stage by stage (``compile_dir``):

1. the part tasks - one per (table, part) - run on an executor (``write.write_part``); results
   are taken in table and part order, so statistics combine deterministically;
2. part files left over from an earlier run with other settings are removed;
3. ``schema.sql``, ``post_data.sql``, the load script and ``verify.sql`` are rendered (they need
   the file list and the NULL counts, hence after the data);
4. ``manifest.json`` is written last: while it is absent the directory is incomplete.

Stream output (``compile_stream``): DDL, then each table's data as it is generated (COPY blocks or
INSERTs, in row order, computed ahead by the executor within a bounded window), then the
constraints. Only SQL goes to the stream; messages go to stderr.

Executors: anything with ``submit`` returning futures (``concurrent.futures``). ``executor_for``
makes a spawn-based process pool for ``workers > 1``; with one worker, tasks run in-process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from specgen import ddl, manifest, write
from specgen.engine import BATCH_ROWS

FORMATS = ("csv", "sql")
COMPRESSIONS = tuple(write.COMPRESSION)
_PART_FILE = re.compile(r"^part-\d{5}\.")


@dataclass
class Options:
    fmt: str = "csv"
    compression: str = "none"
    tables: list[str] | None = None  # None: every table
    workers: int = 1
    executor: Executor | None = None  # overrides ``workers`` (e.g. a Dask client's executor)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- executors --------------------------------------------------------------------------------------


@contextlib.contextmanager
def executor_for(options: Options, tasks: int):
    """The executor ``tasks`` tasks run on, or None to run them in this process."""
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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = saved


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


# -- the job ----------------------------------------------------------------------------------------


def make_job(plan, dialect, options: Options, out_dir: Path | str, fmt: str) -> write.Job:
    tables = options.tables or list(plan.model.tables)
    insert_rows = {}
    stats_length = {}
    skip = set(dialect.stats_skip_length or ())
    for t in tables:
        rows = plan.rows[t]
        est = plan.tables[t].est_bytes
        per_row = est / rows if rows and est else 100.0
        insert_rows[t] = int(max(1, min(int(dialect.sql_insert_rows), int(dialect.sql_statement_bytes) // max(1, int(per_row)))))
        stats_length[t] = [c.name for c in plan.model.tables[t].stored
                           if c.kind in ("text", "json", "bytes") and c.type.base not in skip]
    return write.Job(
        spec_dir=str(plan.model.spec_dir), profile=plan.model.profile.name, seed=plan.seed,
        chunk_rows=plan.chunk_rows, dialect=dialect, fmt=fmt, compression=options.compression,
        out_dir=str(out_dir), insert_rows=insert_rows, stats_length=stats_length,
    )


def _contexts(plan, dialect, tables: list[str]) -> list[dict]:
    included = set(tables)
    return [ddl.table_context(plan, dialect, t, included) for t in tables]


# -- directory output -------------------------------------------------------------------------------


def compile_dir(plan, dialect, out_dir: str | Path, options: Options, progress=None) -> dict:
    """Write the dump directory; return the manifest (also written as ``manifest.json``)."""
    out = Path(out_dir)
    tables = options.tables or list(plan.model.tables)
    tpl = ddl.Templates(dialect)
    tpl.require(["schema.sql", "post_data.sql", dialect.load_script, "verify.sql"])
    out.mkdir(parents=True, exist_ok=True)
    (out / manifest.MANIFEST).unlink(missing_ok=True)  # present again only once complete
    job = make_job(plan, dialect, options, out, options.fmt)
    write.remember_plan(job, plan)

    # 1. parts
    tasks = [(job, t, part) for t in tables for part in range(plan.tables[t].chunks)]
    results: dict[str, list[dict]] = {t: [] for t in tables}
    with executor_for(options, len(tasks)) as executor:
        window = max(4 * options.workers, 8)
        for (_, table, _), result in zip(tasks, run_ordered(executor, write.write_part, tasks, window), strict=True):
            results[table].append(result)
            if progress:
                progress(table, result["rows"])

    # 2. leftovers of earlier runs
    for t in tables:
        keep = {Path(r["path"]).name for r in results[t]}
        folder = out / "data" / t
        if folder.is_dir():
            for p in folder.iterdir():
                if _PART_FILE.match(p.name) and p.name not in keep:
                    p.unlink()

    # 3. SQL files
    entries = {}
    for t in tables:
        stats: dict[str, dict] = {}
        for r in results[t]:
            for name, s in r["stats"].items():
                stats[name] = manifest.combine(stats.get(name), s)
        files = [{k: r[k] for k in ("path", "rows", "bytes", "sha256")} for r in results[t]]
        entries[t] = manifest.table_entry(plan, dialect, t, files, stats)
    contexts = _contexts(plan, dialect, tables)
    suffix, decompress = write.COMPRESSION[options.compression]
    files = {"schema": "schema.sql", "post_data": "post_data.sql", "load_script": dialect.load_script,
             "verify": "verify.sql"}
    ddl.write_text(out / files["schema"], ddl.schema_sql(tpl, plan, contexts))
    ddl.write_text(out / files["post_data"], ddl.post_data_sql(tpl, plan, contexts))
    ddl.write_text(out / files["load_script"], ddl.load_script(tpl, plan, contexts, entries, fmt=options.fmt,
                                                              decompress=decompress, suffix=suffix))
    ddl.write_text(out / files["verify"], ddl.verify_sql(tpl, plan, entries))

    # 4. manifest, last
    doc = manifest.build(plan, dialect, fmt=options.fmt, compression=options.compression, files=files, tables=entries)
    manifest.write(out, doc)
    return doc


# -- stream output ----------------------------------------------------------------------------------


def compile_stream(plan, dialect, stream, options: Options, progress=None) -> int:
    """Write one SQL stream (binary file object); return the number of data rows written."""
    tables = options.tables or list(plan.model.tables)
    tpl = ddl.Templates(dialect)
    tpl.require(["schema.sql", "post_data.sql", "stream_begin.sql", "table_data_begin.sql", "table_data_end.sql",
                 "stream_end.sql"])
    contexts = _contexts(plan, dialect, tables)
    # --format sql asks for INSERTs everywhere; otherwise the dialect's native stream.
    fmt = "sql" if options.fmt == "sql" or dialect.stream_data == "insert" else "copy"
    job = make_job(plan, dialect, options, ".", fmt)
    write.remember_plan(job, plan)

    def emit(text: str) -> None:
        stream.write(text.encode())

    emit(tpl.render("stream_begin.sql", schema=ddl.schema_sql(tpl, plan, contexts)))
    total = 0
    batches = sum(-(-ctx["rows"] // BATCH_ROWS) for ctx in contexts)
    with executor_for(options, batches) as executor:
        for ctx in contexts:
            rows = ctx["rows"]
            if rows == 0:
                continue
            emit(tpl.render("table_data_begin.sql", t=ctx, data=fmt))
            ranges = [(job, ctx["raw"], lo, min(rows, lo + BATCH_ROWS)) for lo in range(0, rows, BATCH_ROWS)]
            for (_, _, lo, hi), data in zip(ranges, run_ordered(executor, write.stream_rows, ranges,
                                                                max(2 * options.workers, 2)), strict=True):
                stream.write(data)
                total += hi - lo
                if progress:
                    progress(ctx["raw"], hi - lo)
            emit(tpl.render("table_data_end.sql", t=ctx, data=fmt))
    emit(tpl.render("stream_end.sql", post_data=ddl.post_data_sql(tpl, plan, contexts)))
    stream.flush()
    return total
