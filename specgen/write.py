"""The pure tasks of a compile: one part file, or one stretch of the stdout stream.

A task is a module-level function of a picklable ``Job`` and a (table, part) - nothing else - so
any ``concurrent.futures``-style executor (a process pool here, Dask later) can run it anywhere.
Each process builds the plan once (``plan_for``) and caches it; values do not depend on where or
in which order parts are produced.

A part is written to a temporary name in its final directory, optionally compressed, hashed on
the way out, and renamed into place (``os.replace``): a part file is complete or absent.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

from specgen import encode, engine
from specgen.manifest import column_stats, combine

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
    dialect: object  # specgen.dialect.Dialect
    fmt: str = "csv"  # csv | sql
    compression: str = "none"
    out_dir: str = "."
    insert_rows: dict[str, int] = field(default_factory=dict)  # rows per INSERT, per table
    stats_length: dict[str, list[str]] = field(default_factory=dict)  # columns with sum_length, per table


_PLANS: dict[tuple, object] = {}


def plan_for(job: Job):
    """This process's plan for the job (built once per process)."""
    key = (job.spec_dir, job.profile, job.seed, job.chunk_rows)
    plan = _PLANS.get(key)
    if plan is None:
        from specgen import api

        plan = api.plan(job.spec_dir, job.profile, seed=job.seed, chunk_rows=job.chunk_rows, estimate=False)
        _PLANS.clear()
        _PLANS[key] = plan
    return plan


def remember_plan(job: Job, plan) -> None:
    """Reuse a plan the caller already has (tasks run in this process)."""
    _PLANS.clear()
    _PLANS[(job.spec_dir, job.profile, job.seed, job.chunk_rows)] = plan


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
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.out.write(data)
                except BaseException as exc:  # noqa: BLE001 - handed to the producing thread
                    self.error = exc

    def write(self, data) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

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


def write_part(job: Job, table: str, part: int) -> dict:
    """Write one part file; return its manifest entry plus the statistics of its rows."""
    plan = plan_for(job)
    lo, hi = part * job.chunk_rows, min(plan.rows[table], (part + 1) * job.chunk_rows)
    rel = part_path(job, table, part)
    path = Path(job.out_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with_length = set(job.stats_length.get(table, ()))
    stats: dict[str, dict] = {}
    try:
        with open(tmp, "wb") as f:
            sink = _Sink(f)
            packer = _compressor(sink, job.compression)
            behind = _Behind(packer or sink)
            try:
                for chunk in engine.batches(plan, table, lo, hi):
                    enc = encode_batch(job, plan, table, chunk, lo, hi)
                    behind.write(enc.data)
                    for name, col in chunk.columns.items():
                        s = column_stats(col, name in with_length)
                        if name in enc.escaped:
                            s["escaped"] = enc.escaped[name]
                        stats[name] = combine(stats.get(name), s)
            finally:
                behind.close()
            if packer is not None:
                packer.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"path": rel, "rows": hi - lo, "bytes": sink.size, "sha256": sink.sha.hexdigest(), "stats": stats}


def stream_rows(job: Job, table: str, start: int, stop: int) -> bytes:
    """The stdout stream's data for rows [start, stop) of a table (COPY text or INSERTs)."""
    plan = plan_for(job)
    d = job.dialect
    out = []
    for chunk in engine.batches(plan, table, start, stop):
        if job.fmt == "sql":
            enc = encode_batch(job, plan, table, chunk, 0, plan.rows[table])
        else:  # COPY ... FROM stdin: PostgreSQL's text format
            enc = encode.encode_delimited(chunk.columns, d, "escaped_text")
        out.append(bytes(enc.data))
    return b"".join(out)
