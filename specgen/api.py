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
(``specgen.spec.window``). Each call resolves it once, so ``now`` means one instant per run.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import polars as pl

from specgen import engine, spec
from specgen.db.verify import VerificationFailed
from specgen.engine.model import Model
from specgen.engine.plan import Plan, human_size
from specgen.errors import Diagnostic
from specgen.resources import default_spec_dir
from specgen.spec import window


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
    from specgen.engine import encrypted

    if profile is None:
        names = spec.load_spec_set(spec_dir or default_spec_dir()).profile_names()
        if not names:
            return []
        profile = names[0]
    return encrypted.notices(model(spec_dir, profile))


def model(spec_dir: str | Path | None, profile: str, *, as_of=None) -> Model:
    """The validated model, its window ending at ``as_of`` (default: the profile's end); raises
    ``SpecErrors`` listing every problem."""
    return spec.build_model(spec_dir or default_spec_dir(), profile, as_of=window.resolve(as_of))


def plan(spec_dir: str | Path | None, profile: str, *, seed: int | None = None,
         chunk_rows: int | None = None, estimate: bool = True, as_of=None) -> Plan:
    """Exact row counts per table (and the fan-out indexes generation uses)."""
    return spec.build_plan(spec_dir or default_spec_dir(), profile, seed=seed, chunk_rows=chunk_rows, estimate=estimate,
                           as_of=window.resolve(as_of))


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
    from specgen.spec.pools import build_pools as _build

    return _build(Path(out_dir) if out_dir else default_spec_dir() / "pools", seed=seed, only=only)


def compile(spec_dir: str | Path | None, profile: str, dialect: str = "sqlite", *, fmt: str | None = None,
            out: str | Path | None = None, stream=None, seed: int | None = None, chunk_rows: int | None = None,
            workers: int | None = None, tables: list[str] | None = None, compress: str = "none",
            executor=None, scheduler: str | None = None, shard=None, progress=None, watch=None,
            as_of=None, force: bool = False) -> dict | None:
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
    from specgen.errors import SpecgenError, did_you_mean
    from specgen.output import cluster, shards
    from specgen.output import compile as comp
    from specgen.output.destination import Destination
    from specgen.sql import dialect as dialects

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
    from specgen.spec import proofs

    proofs.check(p, tables or list(p.rows))
    if workers is None:
        # One stream feeds one database session, which takes rows slower than one worker makes
        # them: more workers would only take cores from the client and server reading the stream.
        one = stream is not None and not use_dask
        workers = 1 if one or (dest is not None and dest.in_process) else _auto_workers(p, comp, use_dask)
    options = comp.Options(fmt=fmt or "csv", compression=compress, tables=tables or None, workers=workers,
                           executor=None if isinstance(executor, str) else executor, shard=shard, force=force)
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
    from specgen.output import merge

    return merge.merge([str(x) for x in dirs], None if out is None else str(out), spec_dir, dialect)


def load(dump_dir: str | Path, url: str | None = None, *, jobs: int = 1, mode: str = "fail", resume: bool = False,
         existing_schema: bool | None = None, keep_ledger: bool = False, progress=None):
    """Load a dump directory into the database at ``url`` (default ``DATABASE_URL``, then
    ``sqlite:///./mcp.db``) with its native client; returns a ``load.Result``."""
    from specgen.db import loader
    from specgen.db import urls as dburl
    from specgen.output.destination import require_local

    dump_dir = require_local(dump_dir, "load")
    options = loader.Options(jobs=jobs, mode=mode, resume=resume, existing_schema=existing_schema,
                             keep_ledger=keep_ledger)
    return loader.load(dump_dir, dburl.parse(url), options, progress)


def verify(dump_dir: str | Path, url: str | None = None, *, jobs: int = 1):
    """Run every check of ``dump_dir/verify.sql`` against the database (in ``jobs`` parallel
    sessions where it takes them); returns the checks."""
    from specgen.db import urls as dburl
    from specgen.db import verify as verifier
    from specgen.output.destination import require_local

    return verifier.run(require_local(dump_dir, "verify"), dburl.parse(url), jobs=jobs)


def generate(spec_dir: str | Path | None, profile: str, url: str | None = None, *, out: str | Path | None = None,
             seed: int | None = None, chunk_rows: int | None = None, workers: int | None = None,
             jobs: int | None = 1, mode: str = "fail", existing_schema: bool | None = None,
             report: str | Path | None = None, progress=None, as_of=None, direct: bool | None = None,
             keep_dump: str | Path | None = None, resume: bool = False, copy_format: str = "csv") -> dict:
    """compile (dialect from the URL) + load + verify; writes and returns the load report
    (``specgen.report``); raises ``VerificationFailed`` (after writing it) when a check fails.

    Direct mode (``direct=True``; the default unless ``out`` asks for a dump that fits there,
    ``db.direct``): the part tasks feed ``jobs`` database sessions through pipes and no part file
    is written (``keep_dump``: a directory that gets them as well); a run that was stopped
    finishes with ``resume=True``. ``out`` (or ``out/<profile>/<dialect>``) receives the schema,
    manifest and verify.sql either way. ``jobs`` None: one session per core. ``copy_format``
    "binary": direct mode into PostgreSQL sends binary COPY rows (``output.pgbinary``) for the
    tables whose column types allow, the CSV for the others.

    ``progress``: a factory ``(verb, totals) -> Progress`` (a context manager, entered for its
    stage only: one live display at a time; a load that keeps pace with the compile shows its bars
    in the compile's display, ``Progress.alongside``), or None. ``as_of`` is resolved here, once:
    the compile generates with that instant and writes it into the manifest, from which the load,
    the verification and the report take it. Through a dump, when the compile runs in this
    process (small plans) the load keeps pace with it table by table (``db.along``); otherwise it
    follows the compile."""
    from specgen import report as reports
    from specgen.db import loader, urls
    from specgen.db import verify as verifier
    from specgen.errors import SpecgenError
    from specgen.output import compile as comp

    as_of = window.resolve(as_of)
    target = urls.parse(url)
    if keep_dump is not None:
        if out is not None and Path(out) != Path(keep_dump):
            raise SpecgenError("--keep-dump DIR is where the dump goes: it replaces --out.")
        out, direct = str(keep_dump), True
    if jobs is None:
        jobs = comp.default_workers()
    if copy_format not in ("csv", "binary"):
        raise SpecgenError(f"copy_format is csv or binary, not {copy_format!r}")
    if direct is None:
        # Binary COPY is a way of direct mode: asking for it asks for direct mode.
        direct = copy_format == "binary" or out is None or not _dump_fits(spec_dir, profile, out, seed, chunk_rows,
                                                                          as_of)
    if resume and not direct:
        raise SpecgenError("--resume finishes a direct run; for a dump directory use 'specgen load DIR --resume'.")
    if copy_format == "binary":
        from specgen.sql import dialect as dialects

        if not direct:
            raise SpecgenError("--copy-format binary is how direct mode feeds PostgreSQL; --via-dump loads the "
                               "dump's CSV files.")
        if not dialects.load(target.dialect).catalog_column_types_sql:
            raise SpecgenError(f"--copy-format binary: {target.dialect} has no binary bulk format specgen writes "
                               "(PostgreSQL has).")
    if direct and out is not None:
        from specgen.output.destination import require_local

        out = require_local(out, "generate --direct")  # the small files sit beside the sessions
    out_dir = Path(out) if out else Path(default_out_dir(profile, target.dialect))
    loader.check_reachable(target)
    options = loader.Options(jobs=jobs, mode=mode, existing_schema=existing_schema, resume=resume,
                             binary=copy_format == "binary")

    t0 = time.perf_counter()
    run = _generate_direct if direct else _generate_via_dump
    manifest, result, stages = run(spec_dir, profile, target, out_dir, options, seed=seed, chunk_rows=chunk_rows,
                                   workers=workers, progress=progress, as_of=as_of, keep=keep_dump is not None)
    for name, secs in result.stages.items():
        stages[f"load.{name}"] = {"seconds": round(secs, 3)}

    t = time.perf_counter()
    checks = verifier.run(out_dir, target, jobs=jobs)
    stages["verify"] = reports.stage(time.perf_counter() - t, None)

    doc = reports.document(manifest, profile, target, out_dir, result, stages, time.perf_counter() - t0, checks,
                           direct=direct, part_files=not direct or keep_dump is not None)
    path = reports.write(doc, report)
    doc["report_path"] = str(path)
    if not doc["ok"]:
        raise verifier.VerificationFailed(checks, str(path))
    return doc


def _dump_fits(spec_dir, profile, out, seed, chunk_rows, as_of) -> bool:
    """Whether the dump asked for (``out``) fits there (the compile's own check)."""
    from specgen.errors import SpecgenError
    from specgen.output import compile as comp
    from specgen.output.destination import Destination

    dest = Destination.of(str(out))
    if dest.local is None:
        return True
    p = plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, estimate=False, as_of=as_of)
    try:
        comp.check_space(p, dest, [(t, k) for t in p.rows for k in range(p.tables[t].chunks)], comp.Options())
    except SpecgenError:
        return False
    return True


def _generate_direct(spec_dir, profile, target, out_dir, options, *, seed, chunk_rows, workers, progress, as_of,
                     keep):
    from specgen import report as reports
    from specgen.db import direct
    from specgen.output import compile as comp
    from specgen.sql import dialect as dialects

    t = time.perf_counter()
    p = plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, estimate=False, as_of=as_of)
    plan_seconds = time.perf_counter() - t
    if workers is None:  # one task per session is in flight: more processes would idle
        sessions = max(1, options.jobs) if dialects.load(target.dialect).load_parallel else 1
        workers = 1 if p.total_rows < SMALL_PLAN_ROWS else min(sessions, comp.default_workers())
    with _stage_progress(progress, "load", dict(p.rows)) as bars:
        written = bars.alongside("write", dict(p.rows)) if hasattr(bars, "alongside") else None
        manifest, result = direct.run(p, dialects.load(target.dialect), target, out_dir, options, keep=keep,
                                      workers=workers, progress=bars, written=written)
    stages = {"plan": reports.stage(plan_seconds, None), "load": reports.stage(result.seconds, result.rows)}
    stages["load"]["direct"] = True
    return manifest, result, stages


def _generate_via_dump(spec_dir, profile, target, out_dir, options, *, seed, chunk_rows, workers, progress, as_of,
                       keep):
    from specgen import report as reports
    from specgen.db import loader
    from specgen.db.along import LoadAlong

    stages: dict[str, dict] = {}
    t = time.perf_counter()
    along = LoadAlong(out_dir, target, options)
    with _stage_progress(progress, "write", {}) as bars:
        along.progress = bars.alongside("load", {}) if hasattr(bars, "alongside") else None
        try:
            manifest = compile(spec_dir, profile, target.dialect, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                               workers=workers, progress=bars, watch=along, as_of=as_of)
        except BaseException:
            along.stop()
            raise
        rows = sum(e["rows"] for e in manifest["tables"].values())
        stages["compile"] = reports.stage(time.perf_counter() - t, rows)
        if along.thread is not None:
            result = along.join()
            stages["load"] = reports.stage(time.perf_counter() - along.started_at, result.rows)
            stages["load"]["during_compile"] = round(t + stages["compile"]["seconds"] - along.started_at, 3)
    if along.thread is None:  # compiled by worker processes: the load follows
        t = time.perf_counter()
        with _stage_progress(progress, "load", {t: e["rows"] for t, e in manifest["tables"].items()}) as bars:
            result = loader.load(out_dir, target, options, bars)
        stages["load"] = reports.stage(time.perf_counter() - t, result.rows)
    return manifest, result, stages


def _stage_progress(factory, verb: str, totals: dict):
    return factory(verb, totals) if factory else contextlib.nullcontext()


def drift(spec_dir: str | Path | None = None, url: str | None = None, *, profile: str | None = None):
    """The spec set against the live schema at ``url`` (default ``DATABASE_URL``): a
    ``specgen.evolve.drift.Report`` of every difference with its severity (``report.breaks_load``,
    ``report.to_dict()``)."""
    from specgen.db import urls as dburl
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
    from specgen.db import urls as dburl
    from specgen.evolve import introspect as intro

    return intro.run(dburl.parse(url), out, scale=scale, profile=profile, seed=seed)


# -- what the CLI shows ---------------------------------------------------------------------------------
# The CLI imports this module only: these give it the few facts and texts it prints.

__all__ = ["VerificationFailed", "check_report", "checks_table", "compile", "default_out_dir", "diff", "drift",
           "dump_rows", "generate", "generate_table", "human_size", "introspect", "load", "merge_shards", "model",
           "notices", "plan", "schema_document", "summary", "url_has_password", "validate", "verify"]


def url_has_password(url: str) -> bool:
    """Whether a database URL carries a password (a command line shows it to ``ps``)."""
    from specgen.db import urls

    return bool(urls.parse(url).password)


def dump_rows(dump_dir: str | Path) -> dict[str, int]:
    """Rows per table of a compiled dump directory, from its manifest."""
    from specgen.db import loader
    from specgen.output.destination import require_local

    return {t: e["rows"] for t, e in loader.read_manifest(require_local(dump_dir, "load"))["tables"].items()}


def check_report(checks) -> dict:
    """Checks and their results as the JSON ``verify --report`` writes."""
    from specgen.db import verify as verifier

    return verifier.report(checks)


def checks_table(checks) -> str:
    """Checks as a text table."""
    from specgen.db import verify as verifier

    return verifier.table_text(checks)


def load_report_problem(doc) -> str:
    """Why ``doc`` (a parsed JSON file) is not a load report ``summary`` can print ("" if it is)."""
    from specgen import report

    return report.load_report_problem(doc)


def stop_cleanly_on_signals() -> None:
    """SIGTERM, SIGINT and SIGHUP stop this process without leaving anything behind
    (``specgen.stopping``): for the command line's process."""
    from specgen import stopping

    stopping.install()


def end_sessions() -> None:
    """End every database client process this process started (a command that was interrupted)."""
    import sys

    clients = sys.modules.get("specgen.db.clients")
    if clients is not None:
        clients.end_sessions()


def summary(doc: dict) -> str:
    """A load report (``generate``'s return value, or a report file's JSON) in a few lines."""
    from specgen import report

    return report.summary(doc)


def schema_document(kind: str) -> str:
    """The JSON Schema of entity specs (``entity``) or profiles (``profile``), for editors."""
    from specgen.spec.documents import schema_document as document

    return document(kind)
