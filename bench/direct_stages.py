"""Direct-mode stages of ``make bench`` (issue 17): ``generate`` straight into the database.

* ``direct/medium -> postgres`` and ``direct/medium -> mariadb``: the whole ``specgen generate
  --profile medium --jobs 2`` (plan, generation feeding the sessions, keys, ANALYZE, verify) into
  a fresh database, with its sub-stages; the run must pass every check and write no part file.
  Minutes each: opt-in (``bench.py direct/medium`` or ``SPECGEN_BENCH_SLOW=1``). Each reports
  the CPU seconds of the server and of specgen with its clients: their sum over the cores is the
  least time the run can take on this machine. The "(tuned server)" variants apply ``TUNED``, the
  server settings a bulk load wants that no session can set, for the run and put them back;
  "(binary COPY)" sends PostgreSQL binary COPY rows (``--copy-format binary``);
* ``direct/truncate ...``: the shop example's ``medium`` (5.7M rows) generated into a fresh
  PostgreSQL database, then again with ``--truncate`` into the schema specgen made (recognised by
  the ledger, so created again), then with ``--truncate`` into the same schema without the
  ledger's mark (taken for a foreign schema: keys stay live during the load);
* ``direct/stdout ...``: ``specgen compile --stdout | psql`` against ``psql -f load.psql`` (the
  dump's ``\\copy`` script) of the same rows: the shop ``medium`` ``page_views`` table;
* ``direct/large shard 1/40`` and ``direct/massive shard 1/400`` into PostgreSQL (opt-in): one
  shard's parts generated straight into the database, keys and indexes built (no foreign keys:
  parents are in other shards), to extrapolate the whole profile.

Each stage records the load average before and after: the development machine is shared.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "specs"
SHOP = ROOT / "specs" / "examples" / "shop"
OUT = ROOT / ".bench" / "direct"
PG = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"]
MY = ["mysql", "-h", "127.0.0.1", "-uroot"]
SLOW = {"direct/medium -> postgres", "direct/medium -> mariadb", "direct/medium -> postgres (tuned server)",
        "direct/medium -> mariadb (tuned server)", "direct/medium -> postgres (binary COPY)",
        "direct/large shard 1/40 -> postgres",
        "direct/massive shard 1/400 -> postgres"}


def _url(dialect: str, name: str) -> str:
    return (f"postgresql://postgres@127.0.0.1:5432/{name}" if dialect == "postgres"
            else f"mysql://root@127.0.0.1:3306/{name}")


def _drop(dialect: str, name: str) -> None:
    if dialect == "postgres":
        subprocess.run([*PG, "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)
    else:
        subprocess.run([*MY, "-e", f"DROP DATABASE IF EXISTS `{name}`"], check=False)


# What a running stage changed outside its process (a database, server settings), newest last:
# put back by ``stop`` when the stage is stopped by a signal, and by the blocks' own ``finally``
# otherwise.
UNDO: list = []


@contextlib.contextmanager
def _undone_if_stopped(undo):
    UNDO.append(undo)
    try:
        yield
    finally:
        UNDO.remove(undo)
        undo()


def stop(signum, frame) -> None:
    """A stage's SIGINT/SIGTERM handler: end specgen's workers and database clients (which hold
    the database), put back what the stage changed, exit. A KeyboardInterrupt would not do: the
    stage's ``api.generate`` waits for its part tasks before it unwinds."""
    from specgen import stopping

    stopping.clean()
    while UNDO:
        UNDO.pop()()
    os._exit(128 + signum)


@contextlib.contextmanager
def _database(dialect: str):
    name = f"specgen_bench_{uuid.uuid4().hex[:10]}"
    with _undone_if_stopped(lambda: _drop(dialect, name)):
        yield name


def _part_files(root: Path) -> int:
    return sum(1 for p in root.rglob("part-*")) if root.exists() else 0


# Server settings a bulk load wants that a session cannot set (README: "Server settings"), applied
# for the "tuned server" stages and put back afterwards: PostgreSQL through ALTER SYSTEM and a
# reload, MariaDB through SET GLOBAL (neither needs a restart).
TUNED = {
    "postgres": {"max_wal_size": "'16GB'", "checkpoint_timeout": "'30min'"},
    "mysql": {"innodb_buffer_pool_size": 6 * 2**30, "innodb_log_file_size": 2 * 2**30, "innodb_io_capacity": 2000,
              "innodb_flush_log_at_trx_commit": 2},
}


@contextlib.contextmanager
def _server_settings(dialect: str, tuned: bool):
    """The settings of TUNED for the block (when ``tuned``), and the values they had before."""
    names = list(TUNED[dialect])
    if dialect == "postgres":
        rows = subprocess.run([*PG, "-d", "postgres", "-Atc", "SELECT name, setting || COALESCE(unit, '') FROM pg_settings "
                               f"WHERE name IN ({', '.join(repr(n) for n in names)})"], capture_output=True, text=True,
                              check=True).stdout.split()
        before = dict(r.split("|") for r in rows)
    else:
        out = subprocess.run([*MY, "-N", "-e", "SELECT " + ", ".join(f"@@GLOBAL.{n}" for n in names)], capture_output=True,
                             text=True, check=True).stdout.split()
        before = dict(zip(names, out, strict=True))
    if not tuned:
        yield before
        return
    restore = {n: None for n in names} if dialect == "postgres" else before
    with _undone_if_stopped(lambda: _apply(dialect, restore)):
        _apply(dialect, TUNED[dialect])
        yield {n: str(v) for n, v in TUNED[dialect].items()}


def _apply(dialect: str, settings: dict) -> None:
    if dialect == "postgres":
        sql = [f"ALTER SYSTEM {'RESET ' + n if v is None else f'SET {n} = {v}'}" for n, v in settings.items()]
        for stmt in [*sql, "SELECT pg_reload_conf()"]:
            subprocess.run([*PG, "-d", "postgres", "-c", stmt], check=True, stdout=subprocess.DEVNULL)
    else:
        subprocess.run([*MY, "-e", "; ".join(f"SET GLOBAL {n} = {v}" for n, v in settings.items())], check=True)


def _cpu_seconds(comm: str) -> float:
    """CPU time of the database server's processes (``comm`` as /proc names it), the backends that
    already exited included (counted in their parent's children times)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                text = (d / "stat").read_text()
                name = text[text.index("(") + 1:text.rindex(")")]
                f = text[text.rindex(")") + 2:].split()
                procs[int(d.name)] = (name, int(f[1]), [int(x) for x in f[11:15]])
    total = 0
    for _pid, (name, ppid, (ut, st, cut, cst)) in procs.items():
        if name == comm:
            total += ut + st
            if procs.get(ppid, ("",))[0] != comm:  # the server's first process reaps its backends
                total += cut + cst
    return total / tick


def _own_cpu_seconds() -> float:
    import resource

    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def generate_direct(profile: str, dialect: str, specs: Path = GATEWAY, jobs: int = 2, tuned: bool = False,
                    copy_format: str = "csv") -> dict:
    """The whole ``specgen generate`` in direct mode into a fresh database, with the CPU seconds
    the server and specgen (its workers and the clients it ran) used: on a machine whose cores
    are all busy, their sum over the cores is the floor of the run's time."""
    from specgen import api

    load0 = os.getloadavg()
    out = OUT / f"{profile}-{dialect}"
    shutil.rmtree(out, ignore_errors=True)
    server = "postgres" if dialect == "postgres" else "mariadbd"
    with _server_settings(dialect, tuned) as settings, _database(dialect) as name:
        cpu0, own0 = _cpu_seconds(server), _own_cpu_seconds()
        t = time.perf_counter()
        doc = api.generate(specs, profile, _url(dialect, name), out=out, jobs=jobs, direct=True,
                           report=out / "report.json", copy_format=copy_format)
        seconds = time.perf_counter() - t
        cpu = {"server": _cpu_seconds(server) - cpu0, "specgen": _own_cpu_seconds() - own0}
    files = _part_files(out)
    shutil.rmtree(out, ignore_errors=True)
    stages = {k: v["seconds"] for k, v in doc["stages"].items()}
    return {"rows": doc["total_rows"], "seconds": seconds, "bytes": 0, "columns": None, "stages": stages,
            "checks": doc["verification"]["passed"], "failed": doc["verification"]["failed"], "part_files": files,
            "cpu": cpu, "cores": os.cpu_count(), "server_settings": settings,
            "loadavg": [load0[0], os.getloadavg()[0]]}


def truncate_vs_fresh() -> dict:
    """Fresh, --truncate into the schema specgen made, --truncate into a schema without the mark."""
    from specgen import api

    load0 = os.getloadavg()
    out = OUT / "truncate"
    times = {}
    with _database("postgres") as name:
        url = _url("postgres", name)
        for what in ("fresh", "truncate specgen-made", "truncate foreign"):
            if what == "truncate foreign":  # the same schema, without the ledger's mark
                subprocess.run([*PG, "-d", name, "-c", "DROP TABLE specgen_load_ledger"], check=True)
            t = time.perf_counter()
            doc = api.generate(SHOP, "medium", url, out=out, jobs=2, direct=True, mode="truncate",
                               report=out / "report.json")
            times[what] = time.perf_counter() - t
            assert doc["ok"]
    shutil.rmtree(out, ignore_errors=True)
    rows = doc["total_rows"]
    return {"rows": rows, "seconds": times["truncate specgen-made"], "bytes": 0, "columns": None, "times": times,
            "loadavg": [load0[0], os.getloadavg()[0]]}


def stdout_vs_copy(table: str = "page_views") -> dict:
    """``compile --stdout | psql`` vs ``psql -f load.psql`` (``\\copy``) of the same rows."""
    from specgen import api

    load0 = os.getloadavg()
    out = OUT / "copy"
    shutil.rmtree(out, ignore_errors=True)
    api.compile(SHOP, "medium", "postgres", out=out, tables=[table], workers=1)
    times = {}
    with _database("postgres") as name:
        subprocess.run([*PG, "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'], check=True)
        t = time.perf_counter()
        subprocess.run([*PG, "-d", name, "-f", "load.psql"], cwd=out, check=True, stdout=subprocess.DEVNULL)
        times["psql \\copy"] = time.perf_counter() - t
    with _database("postgres") as name:
        subprocess.run([*PG, "-d", "postgres", "-c", f'CREATE DATABASE "{name}"'], check=True)
        t = time.perf_counter()
        gen = subprocess.Popen([sys.executable, "-m", "specgen", "compile", "--specs", str(SHOP), "--profile", "medium",
                                "--dialect", "postgres", "--tables", table, "--stdout"], stdout=subprocess.PIPE,
                               env={**os.environ, "POLARS_MAX_THREADS": "1"})
        subprocess.run([*PG, "-d", name], stdin=gen.stdout, check=True, stdout=subprocess.DEVNULL)
        gen.stdout.close()
        assert gen.wait() == 0
        times["compile --stdout | psql"] = time.perf_counter() - t
    rows = api.plan(SHOP, "medium", estimate=False).rows[table]
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": rows, "seconds": times["compile --stdout | psql"], "bytes": 0, "columns": None, "times": times,
            "loadavg": [load0[0], os.getloadavg()[0]]}


def shard_direct(profile: str, shard: str, jobs: int = 2) -> dict:
    """One shard of a big profile generated straight into PostgreSQL (keys and indexes, no
    foreign keys); ``profile_rows`` for the extrapolation."""
    from specgen import api
    from specgen.db import direct as directs
    from specgen.db import loader, urls
    from specgen.output import shards
    from specgen.sql.dialect import load

    load0 = os.getloadavg()
    out = OUT / f"{profile}-shard"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    plan = api.plan(GATEWAY, profile, estimate=False)
    plan_seconds = time.perf_counter() - t0
    with _database("postgres") as name:
        t = time.perf_counter()
        _, result = directs.run(plan, load("postgres"), urls.parse(_url("postgres", name)), out,
                                loader.Options(jobs=jobs), shard=shards.parse(shard))
        seconds = time.perf_counter() - t
        size = subprocess.run([*PG, "-d", name, "-Atc", "SELECT pg_database_size(current_database())"],
                              capture_output=True, text=True, check=True).stdout.strip()
    files = _part_files(out)
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": result.rows, "seconds": seconds, "bytes": 0, "columns": None, "plan_seconds": plan_seconds,
            "profile_rows": plan.total_rows, "stages": {k: round(v, 2) for k, v in result.stages.items()},
            "database_bytes": int(size), "part_files": files, "shard": shard,
            "loadavg": [load0[0], os.getloadavg()[0]]}


def stages() -> dict:
    return {
        "direct/medium -> postgres": (generate_direct, {"profile": "medium", "dialect": "postgres"}, 0),
        "direct/medium -> mariadb": (generate_direct, {"profile": "medium", "dialect": "mysql"}, 0),
        "direct/medium -> postgres (tuned server)": (generate_direct, {"profile": "medium", "dialect": "postgres",
                                                                       "tuned": True}, 0),
        "direct/medium -> mariadb (tuned server)": (generate_direct, {"profile": "medium", "dialect": "mysql",
                                                                      "tuned": True}, 0),
        "direct/medium -> postgres (binary COPY)": (generate_direct, {"profile": "medium", "dialect": "postgres",
                                                                      "copy_format": "binary"}, 0),
        "direct/truncate into specgen-made vs fresh (shop medium, postgres)": (truncate_vs_fresh, {}, 0),
        "direct/stdout | psql vs \\copy (shop page_views)": (stdout_vs_copy, {}, 0),
        "direct/large shard 1/40 -> postgres": (shard_direct, {"profile": "large", "shard": "1/40"}, 0),
        "direct/massive shard 1/400 -> postgres": (shard_direct, {"profile": "massive", "shard": "1/400"}, 0),
    }


def summary(results: dict) -> list[str]:
    lines = []
    for name, r in results.items():
        if not name.startswith("direct/"):
            continue
        la = r.get("loadavg")
        load = f" (load average {la[0]:.1f} -> {la[1]:.1f})" if la else ""
        if "stages" in r and "checks" in r:
            parts = ", ".join(f"{k} {v:.1f}s" for k, v in r["stages"].items())
            lines.append(f"{name}: {r['seconds']:.1f}s, {r['checks']} checks passed, {r['failed']} failed, "
                         f"{r['part_files']} part files{load}; {parts}")
            if "cpu" in r:
                c = r["cpu"]
                lines.append(f"  CPU: server {c['server']:.0f}s, specgen and its clients {c['specgen']:.0f}s; on "
                             f"{r['cores']} cores at least {(c['server'] + c['specgen']) / r['cores']:.0f}s; server "
                             f"settings {r['server_settings']}")
        elif "times" in r:
            t = r["times"]
            parts = ", ".join(f"{k} {v:.1f}s" for k, v in t.items())
            ratio = ""
            copy = t.get("psql \\copy")
            if copy:
                ratio = f"; the stream keeps {copy / t['compile --stdout | psql']:.0%} of the pace of psql's copy"
            elif "fresh" in t:
                ratio = (f"; truncate into specgen's schema {t['truncate specgen-made'] / t['fresh']:.2f}x a fresh "
                         f"load, into a foreign one {t['truncate foreign'] / t['fresh']:.2f}x")
            lines.append(f"{name}: {parts}{ratio}{load}")
        elif "profile_rows" in r:
            rate = r["rows"] / r["seconds"]
            whole = r["plan_seconds"] + r["profile_rows"] / rate
            n = int(r["shard"].split("/")[1])
            lines.append(f"{name}: {r['rows']:,} rows in {r['seconds']:.1f}s ({rate:,.0f} rows/s, database "
                         f"{r['database_bytes'] / 1e9:.2f} GB, {r['part_files']} part files){load}; stages "
                         f"{r['stages']}; the whole profile at this pace: {whole / 60:.0f} min, "
                         f"about {r['database_bytes'] * n / 1e9:.0f} GB of database")
    return lines
