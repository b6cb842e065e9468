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
def validate(spec_dir, profile) -> None:
    """Check a spec set and print every problem as file:line:col: path: message.

    \b
    Example:
      specgen validate --specs specs/examples/shop
    """
    problems = api.validate(spec_dir, profile)
    if problems:
        raise SpecErrors(problems)
    click.echo("ok: specs are valid", err=True)


@cli.command()
@spec_option
@profile_option
@seed_option
@chunk_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
def plan(spec_dir, profile, seed, chunk_rows, fmt) -> None:
    """Print the exact rows per table that generation will produce.

    \b
    Example:
      specgen plan --profile small --format json
    """
    p = api.plan(spec_dir, profile, seed=seed, chunk_rows=chunk_rows)
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
            click.echo(f"| `{name}` | {r:,} | {c} | {_size(b)} | {par} | {'' if pp is None else pp} |")
        click.echo(f"| **total** | **{d['total_rows']:,}** | {d['total_chunks']} | {_size(d['est_bytes'])} | | |")
        return
    w = max(len(n) for n, *_ in rows) if rows else 5
    click.echo(f"profile {d['profile']}  seed {d['seed']}  window {d['window']['start']} .. {d['window']['end']}")
    click.echo(f"{'table':<{w}}  {'rows':>14}  {'chunks':>6}  {'est. size':>10}  parent")
    for name, r, c, b, par, pp in rows:
        extra = (f"{par} (x{pp:g})" if pp is not None else par) if par else ""
        click.echo(f"{name:<{w}}  {r:>14,}  {c:>6}  {_size(b):>10}  {extra}")
    click.echo(f"{'total':<{w}}  {d['total_rows']:>14,}  {d['total_chunks']:>6}  {_size(d['est_bytes']):>10}")


@cli.command("compile")
@spec_option
@profile_option
@click.option("--dialect", "-d", default="sqlite", show_default=True,
              help="sqlite, postgres or mysql (alias mariadb), or a path to a dialect YAML file.")
@click.option("--format", "fmt", type=click.Choice(["csv", "sql"]), default=None,
              help="Data files as the dialect's bulk format (csv, the default) or as INSERT batches (sql).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: out/<profile>/<dialect>).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Write one SQL stream to standard output instead.")
@seed_option
@chunk_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes generating parts in parallel (default: the machine's cores).")
@click.option("--tables", default=None, help="Only these tables, comma separated.")
@click.option("--compress", type=click.Choice(["none", "gzip", "zstd"]), default="none", show_default=True,
              help="Compress part files (zstd level 3 is the fast choice).")
def compile_(spec_dir, profile, dialect, fmt, out_dir, to_stdout, seed, chunk_rows, workers, tables, compress) -> None:
    """Compile a profile into load-ready files for one database, or one SQL stream.

    The directory holds schema.sql, post_data.sql, data/<table>/part-NNNNN.<ext>, a load script
    for the database's own client, verify.sql and manifest.json.

    \b
    Example:
      specgen compile --profile small --dialect postgres --out out/small/postgres
      cd out/small/postgres && psql -v ON_ERROR_STOP=1 -d mydb -f load.psql
      specgen compile --profile tiny --dialect postgres --stdout | psql -v ON_ERROR_STOP=1 -d mydb
    """
    import time

    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    started = time.perf_counter()
    progress = _Progress() if sys.stderr.isatty() else None
    if to_stdout:
        api.compile(spec_dir, profile, dialect, fmt=fmt, stream=sys.stdout.buffer, seed=seed, chunk_rows=chunk_rows,
                    workers=workers, tables=names, compress=compress, out=out_dir, progress=progress)
        if progress:
            progress.done()
        click.echo(f"streamed {profile} for {dialect} in {time.perf_counter() - started:.1f}s", err=True)
        return
    m = api.compile(spec_dir, profile, dialect, fmt=fmt, out=out_dir, seed=seed, chunk_rows=chunk_rows,
                    workers=workers, tables=names, compress=compress, progress=progress)
    if progress:
        progress.done()
    rows = sum(t["rows"] for t in m["tables"].values())
    nfiles = sum(len(t["files"]) for t in m["tables"].values())
    size = sum(f["bytes"] for t in m["tables"].values() for f in t["files"])
    where = out_dir or os.path.join("out", m["profile"], m["dialect"])
    secs = time.perf_counter() - started
    click.echo(f"wrote {where}: {len(m['tables'])} tables, {rows:,} rows in {nfiles} files ({_size(size)}) "
               f"in {secs:.1f}s", err=True)


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
    from specgen.spec import schema_document

    click.echo(schema_document(kind))


class _Progress:
    """One status line on a terminal's stderr: the table being written, its rows so far, rows/s."""

    def __init__(self):
        import time

        self.clock = time.perf_counter
        self.started = self.clock()
        self.rows = 0
        self.table = None
        self.table_rows = 0

    def __call__(self, table: str, rows: int) -> None:
        if table != self.table:
            self.table, self.table_rows = table, 0
        self.table_rows += rows
        self.rows += rows
        rate = self.rows / max(self.clock() - self.started, 1e-9)
        click.echo(f"\r\033[K{table}: {self.table_rows:,} rows  ({self.rows:,} in all, {rate:,.0f} rows/s)",
                   err=True, nl=False)

    def done(self) -> None:
        click.echo("\r\033[K", err=True, nl=False)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


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
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are reported
        if debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)", err=True)
        sys.exit(2)
    sys.exit(0)
