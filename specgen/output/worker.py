"""The pure tasks of a compile: one part file, or one stretch of the stdout stream.

A task is a module-level function of a picklable ``Job`` and a (table, part) - nothing else - so
any ``concurrent.futures``-style executor (a process pool, a Dask cluster) can run it anywhere.
Each process gets the plan once - handed over by a process pool (``remember_plan_from`` as initializer) or built from
the job (``plan_for``) - and caches it; values do not depend on where or in which order parts are
produced.

A part is written through its ``Destination`` (a local directory or an fsspec URL): optionally
compressed, hashed on the way out, and made visible only once complete (a temporary name and an
atomic rename locally; a committed upload on object stores).

Workers on other machines may lack the spec directory: a job can carry the spec set itself
(``bundle``, see ``specbundle``); the plan a worker builds must have the job's spec hash.
"""

from __future__ import annotations

import gzip
import hashlib
import queue
import threading
from dataclasses import dataclass, field

from specgen import engine
from specgen.errors import SpecgenError
from specgen.output import bounds, encode
from specgen.output.destination import Destination
from specgen.output.manifest import column_stats, combine

# --compress: file suffix and the command that decompresses it (used by the load scripts).
COMPRESSION = {"none": ("", None), "gzip": (".gz", "gzip -dc"), "zstd": (".zst", "zstd -dc")}
ZSTD_LEVEL = 3
GZIP_LEVEL = 6


@dataclass
class Job:
    """Everything a task needs, picklable: where the specs are and how to write."""

    spec_dir: str
    profile: str
    seed: int
    chunk_rows: int
    dialect: object  # specgen.sql.dialect.Dialect
    fmt: str = "csv"  # csv | sql
    compression: str = "none"
    out_dir: str = "."  # a local directory or an fsspec URL (``Destination``)
    insert_rows: dict[str, int] = field(default_factory=dict)  # rows per INSERT, per table
    stats_length: dict[str, list[str]] = field(default_factory=dict)  # columns with sum_length, per table
    spec_hash: str = ""  # the plan a worker builds must have this hash (empty: not checked)
    bundle: dict[str, bytes] | None = None  # the spec set's files, for workers without spec_dir
    specgen_version: str = ""  # the client's: a worker running another version could write other bytes
    # The client's window end (epoch seconds): a worker that builds its own plan must not take the
    # profile's, nor read the clock for ``now``.
    window_end: int | None = None
    secrets: dict[str, bool] = field(default_factory=dict)  # secret variables set on the client (never values)


_PLANS: dict[tuple, object] = {}


def _plan_key(job: Job) -> tuple:
    return (job.spec_hash or job.spec_dir, job.profile, job.seed, job.chunk_rows, job.window_end)


def plan_for(job: Job):
    """This process's plan for the job (built once per process)."""
    key = _plan_key(job)
    plan = _PLANS.get(key)
    if plan is None:
        from specgen import __version__, spec
        from specgen.spec import bundle as specbundle

        if job.specgen_version and job.specgen_version != __version__:
            raise SpecgenError(f"this worker runs specgen {__version__}, the client {job.specgen_version}: install "
                               "the same version everywhere, or the parts would not match")

        spec_dir = specbundle.materialise(job.bundle, job.spec_hash) if job.bundle is not None else job.spec_dir
        plan = spec.build_plan(spec_dir, job.profile, seed=job.seed, chunk_rows=job.chunk_rows, estimate=False,
                               as_of=job.window_end)
        if job.spec_hash and plan.model.spec_hash != job.spec_hash:
            raise SpecgenError(f"{spec_dir}: this worker's spec set differs from the client's (spec hash "
                               f"{plan.model.spec_hash[:12]} vs {job.spec_hash[:12]}); ship the specs with the job "
                               "or give every worker the same spec directory")
        _PLANS.clear()
        _PLANS[key] = plan
    return plan


def remember_plan(job: Job, plan) -> None:
    """Reuse a plan the caller already has: tasks run in this process, or a process pool hands
    each worker the client's plan once (as its initializer)."""
    _PLANS.clear()
    _PLANS[_plan_key(job)] = plan


def remember_plan_from(path: str) -> None:
    """``remember_plan`` for a (job, plan) pickled to a file: a process pool's initializer. Handed
    over as initializer arguments, a plan (megabytes for big profiles) is written into each new
    worker's pipe while the pool waits for that worker to read it, so workers start one after
    another; a file name costs nothing and every worker reads the file at once."""
    import pickle

    with open(path, "rb") as f:
        job, plan = pickle.load(f)
    remember_plan(job, plan)


def part_path(job: Job, table: str, part: int) -> str:
    """Path of a part relative to the output directory, e.g. ``data/orders/part-00003.csv.zst``."""
    ext = "sql" if job.fmt == "sql" else job.dialect.file_extension
    return f"data/{table}/part-{part:05d}.{ext}{COMPRESSION[job.compression][0]}"


class _Sink:
    """Counts and hashes the bytes on their way into the file."""

    def __init__(self, f):
        self.f = f
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.f.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.f.flush()


class _Behind:
    """Compress, hash and write on a helper thread, so that this work (zstd, sha256 and the
    kernel's copy all release the GIL) overlaps the generation of the next batch. At most two
    batches wait, so memory stays bounded by the batch size."""

    def __init__(self, out):
        self.out = out
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="specgen-part-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (chunks := self.queue.get()) is not None:
            if self.error is None:
                try:
                    for data in chunks:
                        self.out.write(data)
                except BaseException as exc:  # noqa: BLE001 - handed to the producing thread
                    self.error = exc

    def write(self, chunks: list) -> None:
        """Queue one batch's pieces."""
        if self.error is not None:
            raise self.error
        self.queue.put(chunks)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _compressor(sink: _Sink, compression: str):
    if compression == "gzip":
        # mtime=0 and no file name in the header: the same input gives the same bytes.
        return gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=GZIP_LEVEL)
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(sink, closefd=False)
    return None


def encode_batch(job: Job, plan, table: str, chunk, part_start: int, part_stop: int) -> encode.Encoded:
    d = job.dialect
    if job.fmt == "sql":
        spec = plan.model.tables[table]
        return encode.encode_inserts(d.quote(table), [d.quote(c.name) for c in spec.stored], chunk.columns, d,
                                     chunk.start, part_start, part_stop, job.insert_rows.get(table, 1000))
    return encode.encode_delimited(chunk.columns, d, d.file_encoder)


def _same_secrets(job: Job) -> None:
    if job.secrets:
        from specgen.engine.crypto import check_presence

        check_presence(job.secrets)


def write_part(job: Job, table: str, part: int) -> dict:
    """Write one part file; return its manifest entry plus the statistics of its rows."""
    rel = part_path(job, table, part)
    with Destination.of(job.out_dir).atomic(rel, drop_behind=True) as f:
        return _write_part_into(job, table, part, f)


def send_part(job: Job, table: str, part: int, pipe: str | None, keep: bool = False,
              binary: tuple[str, ...] | None = None) -> dict:
    """One part's bytes into a named pipe a database client reads (direct mode), exactly the
    bytes its file would hold, hashed and counted the same way; with ``keep`` also written as
    the part file. ``pipe`` None: nothing is sent, only the manifest entry is computed (a resumed
    run that needs the statistics of parts committed earlier). ``binary``: the pipe carries
    PostgreSQL's binary COPY rows instead, for columns of these catalog types (``pgbinary``); the
    file's bytes are still what is hashed, counted and kept. Returns ``write_part``'s result."""
    import contextlib

    with contextlib.ExitStack() as stack:
        outs = []
        wire = None
        if pipe is not None:
            piped = stack.enter_context(open(open_pipe_writer(pipe), "wb", buffering=0))
            if binary is None:
                outs.append(piped)
            else:
                wire = (_Tee([piped]), binary)
        if keep:
            rel = part_path(job, table, part)
            outs.append(stack.enter_context(Destination.of(job.out_dir).atomic(rel, drop_behind=True)))
        return _write_part_into(job, table, part, _Tee(outs), wire)


def open_pipe_writer(path: str, give_up=None) -> int:
    """The write end of a named pipe, once its reader (the database client) has opened it: a
    blocking open would wait forever for a client that failed first, so the open is retried
    without blocking until the reader is there, the pipe is removed (the load gave the part up)
    or ``give_up()`` says so. Returns a blocking file descriptor."""
    import errno
    import fcntl
    import os
    import time

    pause = 0.0005
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENOENT: removed, the load gave the part up
                raise
            if give_up is not None and give_up():
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
            continue
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return fd


class _Tee:
    """Every write to each of ``outs`` (none: bytes are only counted and hashed)."""

    def __init__(self, outs: list):
        self.outs = outs

    def write(self, data) -> int:
        for out in self.outs:
            view = memoryview(data)
            while view:  # an unbuffered pipe may take part of a write
                n = out.write(view)
                view = view[n:] if n is not None else view[len(view):]
        return len(data)

    def flush(self) -> None:
        for out in self.outs:
            out.flush()


# Bytes of CSV a batch aims at. A table whose rows are a few KB wide (a resource's content, a
# tool's schema) gets fewer rows per batch than BATCH_ROWS, so a worker's memory stays bounded
# whatever the width of a row; narrower tables keep BATCH_ROWS. The cut is a function of the plan
# (its measured row width), so every run cuts alike, and the bytes written do not depend on it.
BATCH_BYTES = 64 << 20
MIN_BATCH_ROWS = 1 << 12


def batch_rows(plan, table: str, rows: int) -> int:
    if rows <= MIN_BATCH_ROWS:
        return engine.BATCH_ROWS  # one batch whatever the width: not worth measuring
    width = plan.row_bytes(table)
    return int(min(engine.BATCH_ROWS, max(MIN_BATCH_ROWS, BATCH_BYTES // max(width, 1.0))))


def _write_part_into(job: Job, table: str, part: int, f, wire: tuple | None = None) -> dict:
    """``wire``: (output, catalog types) that also receives the part as binary COPY rows."""
    _same_secrets(job)
    plan = plan_for(job)
    lo, hi = part * job.chunk_rows, min(plan.rows[table], (part + 1) * job.chunk_rows)
    rel = part_path(job, table, part)
    with_length = set(job.stats_length.get(table, ()))
    stats: dict[str, dict] = {}
    sink = _Sink(f)
    packer = _compressor(sink, job.compression)
    behind = _Behind(packer or sink)
    binary = None
    if wire is not None:
        from specgen.output import pgbinary  # with pyarrow.compute: start-up a CSV run does not pay

        binary, types = _Behind(wire[0]), wire[1]
        names = [c.name for c in plan.model.tables[table].stored]
        binary.write([pgbinary.HEADER])
    limits = bounds.of_table(plan, table, job.dialect)
    try:
        for chunk in engine.batches(plan, table, lo, hi, batch_rows(plan, table, hi - lo)):
            bounds.check(plan, chunk, limits, job.dialect)
            enc = encode_batch(job, plan, table, chunk, lo, hi)
            behind.write(enc.chunks)
            if binary is not None:
                binary.write(pgbinary.encode_rows(table, names, chunk.columns, types))
            for name, col in chunk.columns.items():
                s = column_stats(col, name in with_length)
                if name in enc.escaped:
                    s["escaped"] = enc.escaped[name]
                stats[name] = combine(stats.get(name), s)
        if binary is not None:
            binary.write([pgbinary.TRAILER])
    finally:
        try:
            behind.close()
        finally:  # the pipe's writer thread ends even when the file's failed
            if binary is not None:
                binary.close()
    if packer is not None:
        packer.close()
    return {"path": rel, "rows": hi - lo, "bytes": sink.size, "sha256": sink.sha.hexdigest(), "stats": stats}


def stream_rows(job: Job, table: str, start: int, stop: int) -> bytes:
    """The stdout stream's data for rows [start, stop) of a table (COPY text or INSERTs)."""
    _same_secrets(job)
    plan = plan_for(job)
    d = job.dialect
    out = []
    limits = bounds.of_table(plan, table, d)
    for chunk in engine.batches(plan, table, start, stop):
        bounds.check(plan, chunk, limits, d)
        if job.fmt == "sql":
            enc = encode_batch(job, plan, table, chunk, 0, plan.rows[table])
        else:  # COPY ... FROM stdin: PostgreSQL's text format
            enc = encode.encode_delimited(chunk.columns, d, "escaped_text")
        out.extend(enc.chunks)
    return b"".join(out)
