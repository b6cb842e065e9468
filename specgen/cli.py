"""Command line: a thin layer over ``specgen.api``.

Exit codes: 0 ok; 1 user error (bad spec or option, failed load or verification); 2 internal
error. User errors print as ``file:line:col: path: message``; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import json
import os
import sys

import click

from specgen import __version__, api
from specgen.errors import SpecErrors, SpecgenError

spec_option = click.option(
    "--specs", "spec_dir", type=click.Path(file_okay=False), default=None,
    help="Spec set directory (default: ./specs, else the shipped gateway specs).",
)
profile_option = click.option("--profile", "-p", required=True, help="Profile name (specs/profiles/<name>.yaml).")
seed_option = click.option("--seed", type=int, default=None, help="Override the profile's seed.")
as_of_option = click.option(
    "--as-of", "as_of", default=None, metavar="DATE|now",
    help="End the profile's time window here instead of at its fixed end, moving every timestamp with it: "
         "an ISO-8601 date (its midnight UTC) or time (UTC unless it has an offset), or now (this minute). "
         "The manifest records the instant.",
)
chunk_option = click.option("--chunk-rows", type=click.IntRange(min=1), default=None,
                            help="Rows per chunk / part file (default: the profile's, 1,000,000).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specgen")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """specgen: compile declarative schema specs into realistic, consistent data.

    \b
    Example:
      specgen validate
      specgen plan --profile small
      specgen compile --profile small --dialect sqlite
    """


@cli.command()
@spec_option
@click.option("--profile", "-p", default=None, help="Check under this profile only (default: every profile).")
@as_of_option
def validate(spec_dir, profile, as_of) -> None:
    """Check a spec set and print every problem as file:line:col: path: message.

    \b
    Example:
      specgen validate --specs specs/examples/shop
      specgen validate --profile small --as-of 2030-06-01
    """
    problems = api.validate(spec_dir, profile, as_of=as_of)
    if problems:
        raise SpecErrors(problems)
    _notices(spec_dir, profile)
    click.echo("ok: specs are valid", err=True)


def _notices(spec_dir, profile) -> None:
    for line in api.notices(spec_dir, profile):
        click.echo(line, err=True)


@cli.command()
@spec_option
@profile_option
@seed_option
@chunk_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
def plan(spec_dir, profile, seed, chunk_rows, as_of, fmt) -> None:
    """Print the exact rows per table that generation will produce.

    \b
    Example:
      specgen plan --profile small --format json
      specgen plan --profile small --as-of now      # the window ending this minute
    """
    p = api.plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows, as_of=as_of)
    d = p.to_dict()
    if fmt == "json":
        click.echo(json.dumps(d, indent=2))
        return
    rows = [(name, t["rows"], t["chunks"], t["est_bytes"], t["parent"] or "", t["per_parent"])
            for name, t in d["tables"].items()]
    if fmt == "markdown":
        click.echo("| table | rows | chunks | est. size | parent | per parent |")
        click.echo("|---|---:|---:|---:|---|---:|")
        for name, r, c, b, par, pp in rows:
            click.echo(f"| `{name}` | {r:,} | {c} | {api.human_size(b)} | {par} | {'' if pp is None else pp} |")
        click.echo(f"| **total** | **{d['total_rows']:,}** | {d['total_chunks']} | {api.human_size(d['est_bytes'])} | | |")
        return
    w = max(len(n) for n, *_ in rows) if rows else 5
    click.echo(f"profile {d['profile']}  seed {d['seed']}  window {d['window']['start']} .. {d['window']['end']}")
    click.echo(f"{'table':<{w}}  {'rows':>14}  {'chunks':>6}  {'est. size':>10}  parent")
    for name, r, c, b, par, pp in rows:
        extra = (f"{par} (x{pp:g})" if pp is not None else par) if par else ""
        click.echo(f"{name:<{w}}  {r:>14,}  {c:>6}  {api.human_size(b):>10}  {extra}")
    click.echo(f"{'total':<{w}}  {d['total_rows']:>14,}  {d['total_chunks']:>6}  {api.human_size(d['est_bytes']):>10}")


@cli.command("compile")
@spec_option
@profile_option
@click.option("--dialect", "-d", default="sqlite", show_default=True,
              help="sqlite, postgres or mysql (alias mariadb), or a path to a dialect YAML file.")
@click.option("--format", "fmt", type=click.Choice(["csv", "sql"]), default=None,
              help="Data files as the dialect's bulk format (csv, the default) or as INSERT batches (sql).")
@click.option("--out", "out_dir", default=None, metavar="DIR|URL",
              help="Output directory or fsspec URL: s3://bucket/prefix, gs://..., memory://..., file:///... "
                   "(default: out/<profile>/<dialect>).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Write one SQL stream to standard output instead.")
@seed_option
@chunk_option
@as_of_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes generating parts in parallel (default: the machine's cores; "
                   "one, in-process, for plans under 2M rows and for --stdout).")
@click.option("--executor", type=click.Choice(["process", "dask"]), default=None,
              help="Run the part tasks in a process pool (the default), or on a local Dask cluster of --workers "
                   "processes.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Run the part tasks on this Dask cluster; workers write to --out (shared storage or a URL).")
@click.option("--shard", default=None, metavar="K/N",
              help="Compile only shard K of N (1 <= K <= N); merge the shards with `specgen manifest merge`.")
@click.option("--tables", default=None, help="Only these tables, comma separated.")
@click.option("--compress", type=click.Choice(["none", "gzip", "zstd"]), default="none", show_default=True,
              help="Compress part files (zstd level 3 is the fast choice).")
@click.option("--force", is_flag=True,
              help="Write into a directory that holds files specgen did not write (refused otherwise).")
def compile_(spec_dir, profile, dialect, fmt, out_dir, to_stdout, seed, chunk_rows, as_of, workers, executor,
             scheduler, shard, tables, compress, force) -> None:
    """Compile a profile into load-ready files for one database, or one SQL stream.

    The directory holds schema.sql, post_data.sql, data/<table>/part-NNNNN.<ext>, a load script
    for the database's own client, verify.sql and manifest.json.

    \b
    Example:
      specgen compile --profile small --dialect postgres --out out/small/postgres
      cd out/small/postgres && psql -v ON_ERROR_STOP=1 -d mydb -f load.psql
      specgen compile --profile tiny --dialect postgres --stdout | psql -v ON_ERROR_STOP=1 -d mydb
      specgen compile --profile large -d postgres --scheduler tcp://10.0.0.5:8786 --out s3://bucket/large
      specgen compile --profile large -d postgres --shard 2/8 --out /shared/large   # one machine of 8
      specgen compile --profile small --dialect postgres --as-of now        # recent data: window ends now
    """
    import time

    from specgen.progress import Progress

    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    started = time.perf_counter()
    _notices(spec_dir, profile)
    if to_stdout:
        with Progress("write", {}) as progress:
            api.compile(spec_dir, profile, dialect, fmt=fmt, stream=sys.stdout.buffer, seed=seed,
                        chunk_rows=chunk_rows, workers=workers, tables=names, compress=compress, out=out_dir,
                        executor=executor, scheduler=scheduler, shard=shard, progress=progress, as_of=as_of)
        click.echo(f"streamed {profile} for {dialect} in {time.perf_counter() - started:.1f}s", err=True)
        return
    with Progress("write", {}) as progress:
        m = api.compile(spec_dir, profile, dialect, fmt=fmt, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                        workers=workers, tables=names, compress=compress, executor=executor, scheduler=scheduler,
                        shard=shard, progress=progress, as_of=as_of, force=force)
    files = [f for t in m["tables"].values() for f in t["files"]]
    rows = sum(f["rows"] for f in files)
    size = sum(f["bytes"] for f in files)
    where = out_dir or api.default_out_dir(m["profile"], m["dialect"])
    secs = time.perf_counter() - started
    ends = f"; window ends {m['window']['end']}" if as_of is not None else ""
    if "shard" in m:
        k, n = m["shard"]["index"], m["shard"]["count"]
        click.echo(f"wrote shard {k}/{n} to {where}: {rows:,} rows in {len(files)} files ({api.human_size(size)}) in "
                   f"{secs:.1f}s{ends}; when all {n} shards are done: specgen manifest merge DIR...", err=True)
        return
    click.echo(f"wrote {where}: {len(m['tables'])} tables, {rows:,} rows in {len(files)} files ({api.human_size(size)}) "
               f"in {secs:.1f}s{ends}", err=True)


@cli.group("manifest")
def manifest_group() -> None:
    """Work with manifests: merge the shards of a `compile --shard K/N` run.

    \b
    Example:
      specgen manifest merge /shared/large
    """


@manifest_group.command("merge")
@click.argument("dirs", nargs=-1, required=True, metavar="DIR|URL...")
@click.option("--out", "out_dir", default=None, metavar="DIR|URL",
              help="Directory to complete (default: the first DIR); parts found elsewhere are copied into it.")
@spec_option
@click.option("--dialect", "-d", default=None,
              help="Path to the dialect YAML file, for a dialect that is not shipped (default: the shards').")
def manifest_merge(dirs, out_dir, spec_dir, dialect) -> None:
    """Merge the shard manifests of `compile --shard K/N` runs into one complete dump directory.

    Checks that the shards belong to one run (spec hash, seed, profile, dialect, format, chunk
    rows, compression, time window, N) and that every shard 1..N and every part is there exactly
    once; then writes manifest.json, schema.sql, post_data.sql, the load script and verify.sql
    exactly as a one-machine run does. Needs the spec set the shards were compiled from (--specs).
    Shards compiled with --as-of need the same instant everywhere (a date or time, not now).

    \b
    Example:
      specgen compile -p medium -d postgres --shard 1/2 --out /shared/medium    # machine 1
      specgen compile -p medium -d postgres --shard 2/2 --out /shared/medium    # machine 2
      specgen manifest merge /shared/medium
      specgen manifest merge shard1/ shard2/ --out medium/                       # copies the parts
    """
    m = api.merge_shards(list(dirs), out_dir, spec_dir, dialect)
    files = [f for t in m["tables"].values() for f in t["files"]]
    click.echo(f"merged into {out_dir or dirs[0]}: {len(m['tables'])} tables, {sum(f['rows'] for f in files):,} "
               f"rows in {len(files)} files", err=True)


def _check_url(ctx, param, value):
    """A password in --url sits in this process's command line, which `ps` shows to everyone."""
    if value:
        if api.url_has_password(value):
            click.echo("warning: the password in --url is visible to other users (ps); pass the URL in "
                       "DATABASE_URL instead. specgen itself keeps it out of client command lines, logs "
                       "and reports.", err=True)
    return value


url_option = click.option("--url", default=None, metavar="URL", callback=_check_url,
                          help="Database URL (default: $DATABASE_URL, else sqlite:///./mcp.db). "
                               "sqlite:///path, postgresql://user@host/db, mysql://user@host/db. "
                               "Put passwords in DATABASE_URL: command lines are visible to ps.")
jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
                           help="Parallel client sessions (PostgreSQL, MySQL).")


def _mode(truncate: bool, append: bool) -> str:
    if truncate and append:
        raise click.UsageError("--truncate and --append exclude each other")
    return "truncate" if truncate else "append" if append else "fail"


@cli.command()
@click.argument("dump_dir", type=click.Path(file_okay=False))
@url_option
@jobs_option
@click.option("--truncate", is_flag=True, help="Empty the tables first if they hold rows.")
@click.option("--append", is_flag=True, help="Add to tables that already hold rows.")
@click.option("--resume", is_flag=True, help="Finish an interrupted load: skip the parts it committed.")
@click.option("--existing-schema/--specgen-schema", "existing_schema", default=None,
              help="Load into tables that already exist (e.g. made by the gateway's alembic) and keep their "
                   "constraints, or insist on creating specgen's schema. Default: detect.")
@click.option("--keep-ledger", is_flag=True, help="Keep the specgen_load_ledger table after a complete load.")
def load(dump_dir, url, jobs, truncate, append, resume, existing_schema, keep_ledger) -> None:
    """Load a compiled dump directory with the database's own client.

    PostgreSQL via psql (COPY), MySQL/MariaDB via mysql (LOAD DATA LOCAL INFILE), SQLite via
    sqlite3 (.import). Keys and indexes are added after the data. Passwords never appear on a
    command line: specgen passes them through the environment or a private option file.

    \b
    Example:
      specgen compile --profile small --dialect postgres
      specgen load out/small/postgres --url postgresql://postgres@127.0.0.1/mcp --jobs 2
    """
    from specgen.progress import Progress

    with Progress("load", api.dump_rows(dump_dir)) as progress:
        result = api.load(dump_dir, url, jobs=jobs, mode=_mode(truncate, append), resume=resume,
                          existing_schema=existing_schema, keep_ledger=keep_ledger, progress=progress)
    rate = result.rows / result.seconds if result.seconds else 0
    click.echo(f"loaded {result.rows:,} rows into {result.url} in {result.seconds:.2f}s ({rate:,.0f} rows/s)",
               err=True)
    stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in result.stages.items() if secs >= 0.005)
    if stages:
        click.echo(f"  {stages}", err=True)


@cli.command()
@click.argument("dump_dir", type=click.Path(file_okay=False))
@url_option
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the checks and their results as JSON.")
@click.option("--all", "show_all", is_flag=True, help="List every check, not only failures.")
@jobs_option
def verify(dump_dir, url, report_path, show_all, jobs) -> None:
    """Prove a load: row counts, NULLs, sums vs the manifest, orphans, duplicates, domains.

    Runs the checks in DUMP_DIR/verify.sql against the database; exit code 1 if any fails.

    \b
    Example:
      specgen verify out/small/sqlite --url sqlite:///./mcp.db
    """
    checks = api.verify(dump_dir, url, jobs=jobs)
    if report_path:
        with open(report_path, "w") as f:
            json.dump(api.check_report(checks), f, indent=2)
    if show_all:
        click.echo(api.checks_table(checks))
    failed = [c for c in checks if not c.ok]
    if failed:
        raise api.VerificationFailed(checks, report_path)
    click.echo(f"ok: {len(checks)} checks passed", err=True)


@cli.command()
@spec_option
@profile_option
@url_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Dump directory (default: out/<profile>/<dialect>).")
@seed_option
@chunk_option
@as_of_option
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Compile processes (default: cores).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Parallel client sessions (PostgreSQL, MySQL); default: one per core.")
@click.option("--truncate", is_flag=True, help="Empty the tables first if they hold rows.")
@click.option("--append", is_flag=True, help="Add to tables that already hold rows.")
@click.option("--existing-schema/--specgen-schema", "existing_schema", default=None,
              help="Load into an existing schema (default: detect).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Report path (default: reports/<profile>_load_report.json).")
@click.option("--direct/--via-dump", "direct", default=None,
              help="Generate straight into the database (no part files) or write the dump, then load it. "
                   "Default: direct, unless --out asks for a dump that fits there.")
@click.option("--keep-dump", "keep_dump", type=click.Path(file_okay=False), default=None,
              help="Direct mode that also writes the dump's part files into this directory.")
@click.option("--resume", is_flag=True, help="Finish a direct run that was stopped: generate and load only the "
                                             "parts it did not commit.")
@click.option("--copy-format", "copy_format", type=click.Choice(["csv", "binary"]), default="csv", show_default=True,
              help="Direct mode into PostgreSQL: the parts' CSV, or binary COPY rows the server need not parse "
                   "(less server CPU, more of specgen's: for a server busier than the machine running specgen; "
                   "binary implies --direct).")
def generate(spec_dir, profile, url, out_dir, seed, chunk_rows, as_of, workers, jobs, truncate, append,
             existing_schema, report_path, direct, keep_dump, resume, copy_format) -> None:
    """Compile (dialect from the URL), load and verify; write a JSON report.

    By default the compile feeds the database directly: parts go through pipes into --jobs
    client sessions (COPY, LOAD DATA, .import), each committed with its ledger row, and no part
    file touches the disk; --out DIR asks for the dump files instead (when they fit there).

    \b
    Example:
      specgen generate --profile small                       # into sqlite:///./mcp.db
      DATABASE_URL=postgresql://postgres@127.0.0.1/mcp specgen generate --profile medium --truncate
      specgen generate --profile medium --resume             # after a run was stopped
      specgen generate --profile small --as-of now --truncate   # "the last 7 days" are this week
    """
    from specgen.progress import Progress
    _notices(spec_dir, profile)
    doc = api.generate(spec_dir, profile, url, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                       workers=workers, jobs=jobs, mode=_mode(truncate, append),
                       existing_schema=existing_schema, report=report_path, progress=Progress, as_of=as_of,
                       direct=direct, keep_dump=keep_dump, resume=resume, copy_format=copy_format)
    click.echo(api.summary(doc), err=True)


@cli.command()
@spec_option
@click.option("--profile", "-p", default=None, help="Profile to build the model with (default: tiny, else the first).")
@url_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def drift(spec_dir, profile, url, fmt) -> None:
    """Compare the spec set with a live schema: tables, columns, types, nullability, keys, unique
    sets (partial ones too), indexes, foreign keys with ON DELETE, checks.

    Each difference is printed at the spec's file:line:col with what it means and its severity:
    breaks the load, breaks the application's expectations, or cosmetic. specset.yaml beside the
    entity specs lists tables the spec set does not fill and accepted differences. Exit code 1
    when a difference breaks the load.

    \b
    Example:
      specgen drift --url postgresql://postgres@127.0.0.1/mcp
      specgen drift --specs specs/examples/shop --url sqlite:///./shop.db --format markdown
    """
    report = api.drift(spec_dir, url, profile=profile)
    click.echo(report.render(fmt))
    if report.breaks_load:
        raise click.exceptions.Exit(1)


@cli.command()
@url_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Directory for the new spec set (created; must be empty).")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Rows of the profile as a multiple of the source's.")
@click.option("--profile", "-p", "profile", default="default", show_default=True, help="Name of the profile written.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the profile written.")
def introspect(url, out_dir, scale, profile, seed) -> None:
    """Write a spec set for an existing schema: one entity file per table, and a profile.

    Every column, type, key, unique set, index, check and foreign key; parents and links chosen
    from the foreign-key graph; generators guessed from types, names and statistics, each guess
    explained in a comment. Reads the catalog and statistics only (row counts, children per
    parent, NULL fractions, distinct counts, ranges, and the values of enum-like columns), never
    rows. The result validates and compiles as it is; edit the guesses.

    \b
    Example:
      specgen introspect --url postgresql://postgres@127.0.0.1/mcp --out specs-mcp
      specgen introspect --url sqlite:///./shop.db --out shop-specs --scale 10
      specgen plan --specs specs-mcp --profile default
    """
    r = api.introspect(url, out_dir, scale=scale, profile=profile, seed=seed)
    click.echo(f"wrote {out_dir}: {len(r.tables)} tables ({sum(r.rows.values()):,} rows in the source, x {scale:g}), "
               f"profile {r.profile}; check it with: specgen validate --specs {out_dir}", err=True)


@cli.command()
@click.argument("base", metavar="BASE")
@click.argument("head", metavar="[HEAD]", required=False)
@spec_option
@profile_option
@click.option("--dialect", "-d", type=click.Choice(["sqlite", "postgres", "mysql"]), default="sqlite",
              show_default=True, help="Whose part files to compare.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def diff(base, head, spec_dir, profile, dialect, fmt) -> None:
    """Show what a change to a spec set does, without writing anything.

    BASE and HEAD are spec directories or git revisions (the revision's copy of --specs, read
    with git archive); HEAD defaults to the working tree. Prints tables and columns added, removed
    or changed, the DDL diff per dialect, rows per table before and after, which columns' values
    change (compared on the same sample of rows on both sides) and which part files change.
    --format markdown fits a pull-request comment.

    \b
    Example:
      specgen diff main --profile small
      specgen diff HEAD~1 HEAD --specs specs/examples/shop --profile small --format markdown
      specgen diff old-specs/ new-specs/ --profile tiny --format json
    """
    click.echo(api.diff(base, head, profile=profile, spec_dir=spec_dir, dialect=dialect).render(fmt))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
def report(paths) -> None:
    """Print the load reports that `specgen generate` wrote (default: reports/*.json).

    \b
    Example:
      specgen report reports/small_load_report.json
    """
    from pathlib import Path


    files = [Path(p) for p in paths] or sorted(Path("reports").glob("*_load_report.json"),
                                               key=lambda p: p.stat().st_mtime)
    if not files:
        raise SpecgenError("no reports yet: run `specgen generate --profile small` (or make generate-small)")
    for f in files:
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            raise SpecgenError(f"{f}: not a load report ({exc})") from None
        why = api.load_report_problem(doc)
        if why:
            raise SpecgenError(f"{f}: not a load report: {why}")
        doc.setdefault("report_path", str(f))
        click.echo(api.summary(doc))


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where to write the pools (default: specs/pools).")
@click.option("--seed", type=int, default=20260101, show_default=True)
@click.option("--only", multiple=True, help="Rebuild only these pools.")
def pools(out_dir, seed, only) -> None:
    """Rebuild the Faker-backed value pools (names, companies, sentences, user agents...).

    Generation never calls Faker: it reads these files, so output does not change when Faker does.

    \b
    Example:
      specgen pools --only first_names --only last_names
    """
    lock = api.build_pools(out_dir, seed=seed, only=list(only) or None)
    for name, info in sorted(lock["pools"].items()):
        if not only or name in only:
            click.echo(f"{name}: {info['values']} values", err=True)


@cli.command()
@click.argument("kind", type=click.Choice(["entity", "profile"]), default="entity")
def schema(kind) -> None:
    """Print the JSON Schema of entity specs or profiles (for editors).

    \b
    Example:
      specgen schema entity > .vscode/specgen.schema.json
    """
    click.echo(api.schema_document(kind))


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps errors to exit codes in one place."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("SPECGEN_DEBUG") == "1"
    try:
        cli.main(args=argv, prog_name="specgen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except SpecgenError as exc:
        if debug:
            raise
        click.echo(str(exc), err=True)
        sys.exit(1)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        sys.exit(1)
    except OSError as exc:  # the machine said no: a path that cannot be made, no space, no permission
        if debug:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"{exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        api.end_sessions()  # database sessions end with the command
        click.echo("interrupted", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
        if debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)", err=True)
        sys.exit(2)
    sys.exit(0)


def run() -> None:
    """Console entry point (``specgen``, ``python -m specgen``): ``main()``, then leave without
    tearing the interpreter down.

    Freeing every module and object of polars, numpy, pyarrow and jinja2 at exit costs about
    0.1 s, a tenth of ``generate --profile small``; nothing of it is needed once the command has
    finished: its files are closed, its threads done. So: the exit handlers run, threads that
    are not daemons are waited for, the standard streams flushed, then the process ends."""
    import atexit
    import threading

    # SIGTERM (kill, a supervisor, CI's timeout), Ctrl-C and a closed terminal stop a command
    # cleanly: temporary files removed, worker processes and database sessions ended, a state
    # --resume finishes (specgen.stopping).
    api.stop_cleanly_on_signals()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    for th in threading.enumerate():
        if th is not threading.current_thread() and not th.daemon:
            th.join()
    atexit._run_exitfuncs()  # what the interpreter's own exit would run (temporary files...)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or a closed stream
            code = code or 1
    os._exit(code)
