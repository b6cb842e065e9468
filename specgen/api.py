"""The Python API: everything the CLI does, callable from Python.

    >>> from specgen import api
    >>> plan = api.plan("specs/examples/shop", "tiny")
    >>> plan.rows["customers"]
    40
    >>> df = api.generate_table(plan, "orders", 0, 10)   # a polars DataFrame
    >>> m = api.compile("specs/examples/shop", "tiny", "postgres", out="out/tiny/postgres")
    >>> m["tables"]["customers"]["files"][0]["path"]
    'data/customers/part-00000.csv'

``as_of`` (``plan``, ``compile``, ``generate``) moves the profile's time window to end at another
instant: ``"now"``, an ISO-8601 date or time, a ``datetime``/``date`` or epoch seconds
(``specgen.window``). Each call resolves it once, so ``now`` means one instant per run.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import polars as pl

from specgen import engine, spec, window
from specgen.errors import Diagnostic
from specgen.model import Model
from specgen.plan import Plan
from specgen.resources import default_spec_dir


def validate(spec_dir: str | Path | None = None, profile: str | None = None, *, as_of=None) -> list[Diagnostic]:
    """Every problem in a spec set (under one profile, or under each of them); empty when valid.
    With ``as_of``, also whether a window ending then fits what databases take."""
    end = window.resolve(as_of)
    ss = spec.load_spec_set(spec_dir or default_spec_dir())
    return spec.check(ss, profile, as_of=end)


def notices(spec_dir: str | Path | None = None, profile: str | None = None) -> list[str]:
    """What a compile of the spec set leaves out that is not an error: encrypted columns whose
    secret variable is not set (they stay NULL, or take their fallback). Under ``profile``, or the
    first profile."""
    from specgen import crypto

    if profile is None:
        names = spec.load_spec_set(spec_dir or default_spec_dir()).profile_names()
        if not names:
            return []
        profile = names[0]
    return crypto.notices(model(spec_dir, profile))


def model(spec_dir: str | Path | None, profile: str, *, as_of=None) -> Model:
    """The validated model, its window ending at ``as_of`` (default: the profile's end); raises
    ``SpecErrors`` listing every problem."""
    return spec.build_model(spec_dir or default_spec_dir(), profile, as_of=window.resolve(as_of))


def plan(spec_dir: str | Path | None, profile: str, *, seed: int | None = None,
         chunk_rows: int | None = None, estimate: bool = True, as_of=None) -> Plan:
    """Exact row counts per table (and the fan-out indexes generation uses)."""
    return Plan(model(spec_dir, profile, as_of=as_of), chunk_rows=chunk_rows, seed=seed, estimate=estimate)


def generate_table(plan: Plan, table: str, start: int = 0, stop: int | None = None) -> pl.DataFrame:
    """Rows [start, stop) of ``table`` as a typed DataFrame (same values whatever the range)."""
    if table not in plan.rows:
        from specgen.errors import SpecgenError, did_you_mean

        raise SpecgenError(f"unknown table '{table}'." + did_you_mean(table, plan.rows))
    return engine.generate(plan, table, start, stop).to_frame()


# Below this many rows a process pool costs more to start (about a second) than it saves.
SMALL_PLAN_ROWS = 2_000_000


# How compile runs its part tasks (``executor=``); any concurrent.futures-style executor works too.
EXECUTORS = ("process", "dask")


def _auto_workers(p, comp, dask: bool = False) -> int:
    if dask:
        return comp.default_workers()
    return 1 if p.total_rows < SMALL_PLAN_ROWS else comp.default_workers()


def build_pools(out_dir: str | Path | None = None, seed: int = 20260101, only: list[str] | None = None) -> dict:
    """Rebuild the Faker-backed value pools (``specs/pools`` by default)."""
    from specgen.pools import build_pools as _build

    return _build(Path(out_dir) if out_dir else default_spec_dir() / "pools", seed=seed, only=only)


def compile(spec_dir: str | Path | None, profile: str, dialect: str = "sqlite", *, fmt: str | None = None,
            out: str | Path | None = None, stream=None, seed: int | None = None, chunk_rows: int | None = None,
            workers: int | None = None, tables: list[str] | None = None, compress: str = "none",
            executor=None, scheduler: str | None = None, shard=None, progress=None, watch=None,
            as_of=None) -> dict | None:
    """Compile a profile for a dialect: a dump directory (returns the manifest), or with ``stream``
    (a binary file object) one SQL stream (returns None).

    ``dialect`` is a profile name or alias (``postgres``, ``mariadb``) or a path to a dialect YAML
    file. ``out`` is a directory or an fsspec URL (``s3://bucket/prefix``, ``memory://x``); it
    defaults to ``out/<profile>/<dialect>``. ``executor`` is ``"process"`` (a process pool of
    ``workers``, default: the machine's cores), ``"dask"`` (a local Dask cluster of ``workers``
    processes), or any ``concurrent.futures``-style executor; ``scheduler`` (``tcp://host:port``)
    runs on an existing Dask cluster. ``shard`` (``"K/N"`` or ``(K, N)``) writes only shard K of N
    and returns its shard manifest (``merge_shards`` completes the directory). ``watch`` follows a
    compile that runs in this process table by table (``compile.compile_dir``). ``as_of`` ends
    the window then (the manifest records the instant; workers generate with the same one).
    Every option is checked before anything is written.
    """
    from specgen import cluster, shards
    from specgen import compile as comp
    from specgen import dialect as dialects
    from specgen.destination import Destination
    from specgen.errors import SpecgenError, did_you_mean

    end = window.resolve(as_of)
    d = dialects.load(dialect)
    if fmt is not None and fmt not in comp.FORMATS:
        raise SpecgenError(f"unknown format '{fmt}' (choose from {', '.join(comp.FORMATS)}).")
    if compress not in comp.COMPRESSIONS:
        raise SpecgenError(f"unknown compression '{compress}' (choose from {', '.join(comp.COMPRESSIONS)}).")
    if stream is not None:
        if out is not None:
            raise SpecgenError("--stdout and --out exclude each other: the stream goes to standard output.")
        if compress != "none":
            raise SpecgenError("--compress applies to files; compress the stream with a pipe (| zstd).")
        if fmt == "csv":
            raise SpecgenError("--stdout writes SQL (COPY blocks or INSERTs); use --format sql or leave --format out.")
        if shard is not None:
            raise SpecgenError("--shard writes part files; it does not apply to --stdout.")
    if workers is not None and workers < 1:
        raise SpecgenError("--workers must be at least 1.")
    if chunk_rows is not None and chunk_rows < 1:
        raise SpecgenError("--chunk-rows must be at least 1.")
    if isinstance(executor, str) and executor not in EXECUTORS:
        raise SpecgenError(f"unknown executor '{executor}' (choose from {', '.join(EXECUTORS)}).")
    if scheduler is not None and executor not in (None, "dask"):
        raise SpecgenError("--scheduler connects to a Dask cluster: it goes with --executor dask (or alone).")
    use_dask = executor == "dask" or scheduler is not None
    if use_dask:
        cluster._distributed()  # installed? (before anything is written)
    shard = shards.parse(shard) if shard is not None else None
    dest = None
    if stream is None and out is not None:
        dest = Destination.of(out)
        if dest.in_process and (use_dask or (executor in (None, "process") and (workers or 1) > 1)):
            raise SpecgenError(f"{out}: a memory:// filesystem lives in this process only; compile to it with "
                               "--workers 1.")
    p = plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, estimate=False, as_of=end)
    if tables:
        unknown = [t for t in tables if t not in p.rows]
        if unknown:
            raise SpecgenError("; ".join(f"unknown table '{t}'." + did_you_mean(t, p.rows) for t in unknown))
        wanted = set(tables)
        tables = [t for t in p.model.tables if t in wanted]  # dependency order, whatever the order given
    from specgen import proofs

    proofs.check(p, tables or list(p.rows))
    if workers is None:
        workers = 1 if dest is not None and dest.in_process else _auto_workers(p, comp, use_dask)
    options = comp.Options(fmt=fmt or "csv", compression=compress, tables=tables or None, workers=workers,
                           executor=None if isinstance(executor, str) else executor, shard=shard)
    if progress is not None and hasattr(progress, "totals"):
        progress.totals.update({t: p.rows[t] for t in (tables or p.rows)})
    with contextlib.ExitStack() as stack:
        if use_dask:
            options.executor = stack.enter_context(cluster.dask_executor(scheduler, workers))
        if stream is not None:
            comp.compile_stream(p, d, stream, options, progress=progress)
            return None
        out_dir = dest.url if dest is not None else default_out_dir(p.model.profile.name, d.name)
        return comp.compile_dir(p, d, out_dir, options, progress=progress, watch=watch)


def default_out_dir(profile: str, dialect: str) -> str:
    """Where a compile writes when no --out is given: ``out/<profile>/<dialect>``."""
    return str(Path("out") / profile / dialect)


def merge_shards(dirs: list[str | Path], out: str | Path | None = None, spec_dir: str | Path | None = None,
                 dialect: str | None = None) -> dict:
    """Fold the shard manifests of ``--shard K/N`` runs found in ``dirs`` into ``manifest.json`` (and
    the schema, load script and verify.sql) in ``out`` (default: the first of ``dirs``), copying
    parts that sit elsewhere; returns the manifest, the same as a one-machine run's. ``spec_dir``
    must be the spec set the shards were compiled from."""
    from specgen import shards

    return shards.merge([str(x) for x in dirs], None if out is None else str(out), spec_dir, dialect)


def load(dump_dir: str | Path, url: str | None = None, *, jobs: int = 1, mode: str = "fail", resume: bool = False,
         existing_schema: bool | None = None, keep_ledger: bool = False, progress=None):
    """Load a dump directory into the database at ``url`` (default ``DATABASE_URL``, then
    ``sqlite:///./mcp.db``) with its native client; returns a ``load.Result``."""
    from specgen import dburl
    from specgen import load as loader
    from specgen.destination import require_local

    dump_dir = require_local(dump_dir, "load")
    options = loader.Options(jobs=jobs, mode=mode, resume=resume, existing_schema=existing_schema,
                             keep_ledger=keep_ledger)
    return loader.load(dump_dir, dburl.parse(url), options, progress)


def verify(dump_dir: str | Path, url: str | None = None, *, jobs: int = 1):
    """Run every check of ``dump_dir/verify.sql`` against the database (in ``jobs`` parallel
    sessions where it takes them); returns the checks."""
    from specgen import dburl
    from specgen import verify as verifier
    from specgen.destination import require_local

    return verifier.run(require_local(dump_dir, "verify"), dburl.parse(url), jobs=jobs)


def generate(spec_dir: str | Path | None, profile: str, url: str | None = None, *, out: str | Path | None = None,
             seed: int | None = None, chunk_rows: int | None = None, workers: int | None = None,
             jobs: int | None = 1, mode: str = "fail", existing_schema: bool | None = None,
             report: str | Path | None = None, progress=None, as_of=None, direct: bool | None = None,
             keep_dump: str | Path | None = None, resume: bool = False) -> dict:
    """compile (dialect from the URL) + load + verify; writes and returns the load report.

    Direct mode (``direct=True``, the default unless ``out`` asks for a dump that fits there):
    the compile's part tasks feed ``jobs`` database sessions through pipes, no part file is
    written (``keep_dump``: a directory that gets them as well), and a run that was stopped
    finishes with ``resume=True``. ``out`` (or ``out/<profile>/<dialect>``) receives the schema,
    manifest and verify.sql either way. ``jobs`` None: one session per core.

    ``as_of`` is resolved here, once: the compile generates with that instant and writes it into
    the manifest, from which the load, the verification and the report take it."""
    from specgen import report as reports

    return reports.generate(spec_dir, profile, url, out=out, seed=seed, chunk_rows=chunk_rows, workers=workers,
                            jobs=jobs, mode=mode, existing_schema=existing_schema, report_path=report,
                            progress=progress, as_of=window.resolve(as_of), direct=direct,
                            keep_dump=None if keep_dump is None else str(keep_dump), resume=resume)


def drift(spec_dir: str | Path | None = None, url: str | None = None, *, profile: str | None = None):
    """The spec set against the live schema at ``url`` (default ``DATABASE_URL``): a
    ``specgen.evolve.drift.Report`` of every difference with its severity (``report.breaks_load``,
    ``report.to_dict()``)."""
    from specgen import dburl
    from specgen.evolve import drift as drifts

    return drifts.run(spec_dir or default_spec_dir(), dburl.parse(url), profile)


def diff(base: str, head: str | None = None, *, profile: str, spec_dir: str | Path | None = None,
         dialect: str = "sqlite"):
    """What changing the spec set from ``base`` to ``head`` does under ``profile``: each a spec
    directory or a git revision (whose ``spec_dir``, the same path in the repository, is read);
    ``head`` None is the working tree's ``spec_dir``. A ``specgen.evolve.diff.Report``: schema
    changes, the DDL diff per dialect, rows per table, which columns' values change on a sample
    of rows, and which part files of ``dialect`` change. Writes nothing."""
    from specgen.evolve import diff as diffs

    return diffs.run(base, head, profile, Path(spec_dir or default_spec_dir()), dialect)


def introspect(url: str | None, out: str | Path, *, scale: float = 1.0, profile: str = "default", seed: int = 1):
    """Write a spec set for the schema at ``url`` into ``out`` (a new or empty directory): one
    entity per table, a profile with the source's rows x ``scale``. Reads the catalog and
    statistics only, never rows. Returns a ``specgen.evolve.introspect.Result``."""
    from specgen import dburl
    from specgen.evolve import introspect as intro

    return intro.run(dburl.parse(url), out, scale=scale, profile=profile, seed=seed)
