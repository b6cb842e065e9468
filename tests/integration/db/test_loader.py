"""specgen load / verify / generate against the real PostgreSQL, MariaDB and SQLite (and DuckDB
where it needs a test of its own).

Each test gets a fresh database (see ``dbtargets``); the shop example at profile ``tiny`` keeps
them fast. Faults are made behind the constraints' back (the way corruption happens) and verify
must name them; a load killed with SIGKILL and rerun with --resume must end exact.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import SHOP, run_cli
from dbtargets import ledger_marks, q, tables_sql
from specgen import api
from specgen.db import verify

pytestmark = pytest.mark.db


@pytest.fixture
def dump(db, tmp_path):
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    return out


def failed_checks(db, dump, jobs: int = 1) -> list[str]:
    proc = run_cli("verify", str(dump), "--url", db.url, "--jobs", str(jobs))
    text = proc.stderr.decode()
    assert "Traceback" not in text
    if proc.returncode == 0:
        return []
    assert proc.returncode == 1, text
    return [line.split("  ")[0] for line in text.splitlines()[2:] if line.strip()]


def test_load_then_verify(db, dump):
    proc = run_cli("load", str(dump), "--url", db.url, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()
    m = json.loads((dump / "manifest.json").read_text())
    for t, e in m["tables"].items():
        assert int(db.query(f"SELECT COUNT(*) FROM {q(db, t)}")[0][0]) == e["rows"]
    assert failed_checks(db, dump) == []
    # Shared among parallel sessions, the checks come back in the same order with the same values.
    serial = [(c.name, c.actual) for c in api.verify(dump, db.url)]
    assert [(c.name, c.actual) for c in api.verify(dump, db.url, jobs=3)] == serial
    # After a complete load the ledger holds only the mark that specgen made this schema; the
    # constraints are in.
    assert ledger_marks(db) == ["schema:specgen"]


# -- faults: each must make verify fail and name the check -----------------------------------------


def _unguarded(db, sql: str) -> str:
    """Run a change past the database's own constraints, as corruption would."""
    if db.dialect == "postgres":
        return f"SET session_replication_role = replica; {sql}"
    if db.dialect == "mysql":
        return f"SET FOREIGN_KEY_CHECKS = 0; {sql}"
    return sql


def _relax(db, table: str, column: str | None = None) -> str:
    """SQL that removes a table's primary key, or a column's NOT NULL (SQLite: rebuild without)."""
    if db.dialect == "sqlite":
        return (f"CREATE TABLE tmp_copy AS SELECT * FROM {q(db, table)}; DROP TABLE {q(db, table)}; "
                f"ALTER TABLE tmp_copy RENAME TO {q(db, table)};")
    if column is None:
        if db.dialect == "postgres":  # PostgreSQL names the key <table>_pkey
            return f"ALTER TABLE {q(db, table)} DROP CONSTRAINT {table}_pkey;"
        # An AUTO_INCREMENT column must stay a key: it goes with the key (the shop's ids are BIGINT).
        return f"ALTER TABLE {q(db, table)} MODIFY id BIGINT NOT NULL, DROP PRIMARY KEY;"
    if db.dialect == "postgres":
        return f"ALTER TABLE {q(db, table)} ALTER COLUMN {column} DROP NOT NULL;"
    return f"ALTER TABLE {q(db, table)} MODIFY {column} SMALLINT NULL;"


FAULTS = {
    "delete a parent row": ("DELETE FROM {customers} WHERE id = (SELECT customer_id FROM {orders} LIMIT 1)",
                            "fk orders.customer_id -> customers.id"),
    # order_items has two foreign keys: MySQL checks both in one statement (verify_merge_joins).
    "delete a product": ("DELETE FROM {products} WHERE id = (SELECT product_id FROM {order_items} LIMIT 1)",
                         "fk order_items.product_id -> products.id"),
    "NULL a required value": ("UPDATE {reviews} SET rating = NULL WHERE id = 1", "nulls reviews.rating"),
    "duplicate a row": ("INSERT INTO {page_views} SELECT * FROM {page_views} WHERE id = 1",
                        "unique page_views(id) [primary key]"),
    "date a child before its parent": ("UPDATE {orders} SET created_at = '1990-01-01 00:00:00'",
                                       "not_before orders.created_at >= customers.created_at"),
    "change a value": ("UPDATE {page_views} SET duration_ms = duration_ms + 1 WHERE id = 7",
                       "sum page_views.duration_ms"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_verify_names_each_fault(db, dump, fault):
    assert run_cli("load", str(dump), "--url", db.url).returncode == 0
    assert failed_checks(db, dump) == []
    sql, check = FAULTS[fault]
    if db.dialect == "mysql":  # MySQL cannot select from the table it deletes from
        sql = sql.replace("(SELECT customer_id FROM {orders} LIMIT 1)",
                          "(SELECT c FROM (SELECT customer_id AS c FROM {orders} LIMIT 1) x)")
        sql = sql.replace("(SELECT product_id FROM {order_items} LIMIT 1)",
                          "(SELECT c FROM (SELECT product_id AS c FROM {order_items} LIMIT 1) x)")
    names = {t: q(db, t) for t in ("customers", "orders", "reviews", "page_views", "products", "order_items")}
    if fault == "NULL a required value":
        db.execute(_relax(db, "reviews", "rating"))
    if fault == "duplicate a row":
        db.execute(_relax(db, "page_views"))
    db.execute(_unguarded(db, sql.format(**names)))
    failed = failed_checks(db, dump, jobs=2)
    assert check in failed, failed


@pytest.mark.parametrize("key", ["page_views(id) [primary key]", "order_items(order_id, product_id) [primary key]"])
def test_unique_checks_answered_by_the_index_the_database_built(db, tmp_path, key):
    """PostgreSQL and SQLite read a key's unique index (SQLite: its primary key, a rowid alias or
    an automatic index) from the catalog instead of counting duplicates - PostgreSQL's plan shows
    the count never run; without the key, the count runs and finds them. MySQL always counts:
    with unique_checks=0 a live unique index can let a duplicate in."""
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    assert run_cli("load", str(out), "--url", db.url).returncode == 0
    sql = next(s for s, cs in verify.parse((out / "verify.sql").read_text()) if [c.name for c in cs] == [f"unique {key}"])
    if db.dialect == "mysql":
        assert "CASE" not in sql
        return
    assert "CASE" in sql and db.query(sql.rstrip(";")) == [["0"]]
    if db.dialect == "postgres":
        plan = "\n".join(r[0] for r in db.query("EXPLAIN (ANALYZE, COSTS OFF) " + sql.rstrip(";")))
        assert "never executed" in plan, plan
    table = key.split("(")[0]
    db.execute(_relax(db, table))
    db.execute(f"INSERT INTO {q(db, table)} SELECT * FROM {q(db, table)} LIMIT 3")
    assert db.query(sql.rstrip(";")) == [["3"]]
    assert f"unique {key}" in failed_checks(db, out)


# -- resume after a kill ---------------------------------------------------------------------------


def test_killed_load_resumes_exactly(db, tmp_path):
    out, parts, proc = _compiled_small(db, tmp_path)
    ledger = "specgen_load_ledger"
    deadline = time.time() + 60
    loaded = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            loaded = int(db.query(f"SELECT COUNT(*) FROM {q(db, ledger)}")[0][0])
        except Exception:  # noqa: BLE001 - the ledger may not exist yet
            loaded = 0
        if loaded >= 30:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the load finished before it could be killed: make it bigger"
    os.killpg(proc.pid, signal.SIGKILL)  # specgen and its client, mid-part
    proc.wait()
    assert 30 <= loaded < parts
    _refused_then_resumed(db, out)


def test_killed_duckdb_load_resumes_exactly(duck_db, tmp_path):
    """As above for DuckDB, whose writer holds the file's lock: the ledger cannot be watched during
    the load, so the kill follows the first table's progress line (its parts are committed then),
    a moment later at random; the ledger is read once specgen is gone."""
    db = duck_db
    out, parts, proc = _compiled_small(db, tmp_path)
    seen = b""
    for line in proc.stderr:  # ends at EOF if the load stops first
        seen += line
        if line.startswith(b"load "):
            break
    time.sleep(random.uniform(0, 0.3))
    assert proc.poll() is None, f"the load finished before it could be killed: {seen.decode()}"
    os.killpg(proc.pid, signal.SIGKILL)  # specgen and its client, mid-part
    proc.wait()
    loaded = [m for m in ledger_marks(db) if m.startswith("data/")]
    first = json.loads((out / "manifest.json").read_text())["tables"]
    assert len(next(iter(first.values()))["files"]) <= len(loaded) < parts
    _refused_then_resumed(db, out)
    assert ledger_marks(db) == ["schema:specgen"]


def _compiled_small(db, tmp_path):
    """The shop's small profile in parts of 1,500 rows (over 100 of them) and `specgen load` of
    it started in its own process group, to be killed mid-load."""
    out = tmp_path / "many"
    api.compile(SHOP, "small", db.dialect, out=out, workers=1, chunk_rows=1500)
    parts = sum(len(e["files"]) for e in json.loads((out / "manifest.json").read_text())["tables"].values())
    assert parts > 100
    proc = subprocess.Popen([sys.executable, "-m", "specgen", "load", str(out), "--url", db.url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    return out, parts, proc


def _refused_then_resumed(db, out) -> None:
    """After a kill: a plain load refuses the rows left behind (not loaded again on top), naming
    --resume; --resume completes with exact counts, NULLs and sums: nothing lost, nothing twice."""
    plain = run_cli("load", str(out), "--url", db.url)
    assert plain.returncode == 1 and f"'specgen load {out} --resume'" in plain.stderr.decode(), plain.stderr.decode()
    again = run_cli("load", str(out), "--url", db.url, "--resume")
    assert again.returncode == 0, again.stderr.decode()
    assert failed_checks(db, out) == []


# -- refusing, truncating, appending --------------------------------------------------------------


def test_refuses_tables_with_rows_unless_told(db, dump):
    assert run_cli("load", str(dump), "--url", db.url).returncode == 0
    second = run_cli("load", str(dump), "--url", db.url)
    assert second.returncode == 1
    assert "already hold rows" in second.stderr.decode() and "--truncate" in second.stderr.decode()
    assert run_cli("load", str(dump), "--url", db.url, "--truncate").returncode == 0
    assert failed_checks(db, dump) == []


def test_truncate_into_the_schema_specgen_made_loads_it_like_a_fresh_one(db, dump):
    """The ledger remembers that specgen made the schema: --truncate then creates it again and
    builds keys after the data (not into live keys, as for a foreign schema); a schema that
    differs from the dump's, or one without the mark, is truncated in place."""
    assert run_cli("load", str(dump), "--url", db.url).returncode == 0
    again = run_cli("load", str(dump), "--url", db.url, "--truncate", "--jobs", "2")
    err = again.stderr.decode()
    assert again.returncode == 0, err
    assert "creating it again" in err and "existing schema" not in err
    assert failed_checks(db, dump) == [] and ledger_marks(db) == ["schema:specgen"]
    # Without the mark (a schema made by someone else, if the same): emptied in place.
    db.execute(f"DROP TABLE {q(db, 'specgen_load_ledger')}")
    third = run_cli("load", str(dump), "--url", db.url, "--truncate")
    assert third.returncode == 0 and "existing schema" in third.stderr.decode()
    assert failed_checks(db, dump) == [] and ledger_marks(db) is None


# -- an existing schema (the gateway's own, made by alembic) -------------------------------------------


def test_existing_schema_keeps_its_constraints(db, dump):
    db.execute((dump / "schema.sql").read_text() if db.dialect != "mysql" else
               "SET FOREIGN_KEY_CHECKS=0; " + (dump / "schema.sql").read_text())
    db.execute((dump / "post_data.sql").read_text())
    proc = run_cli("load", str(dump), "--url", db.url, "--jobs", "2")
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "existing schema" in err
    assert failed_checks(db, dump) == []


def test_existing_schema_missing_column_is_named(db, dump):
    db.execute((dump / "schema.sql").read_text())
    db.execute(f"ALTER TABLE {q(db, 'reviews')} DROP COLUMN body")
    proc = run_cli("load", str(dump), "--url", db.url)
    assert proc.returncode == 1
    assert "missing columns: reviews.body" in proc.stderr.decode()


# -- generate and its report ------------------------------------------------------------------------


def test_generate_writes_a_report(db, tmp_path):
    report = tmp_path / "r.json"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url,
                   "--out", str(tmp_path / "o"), "--report", str(report))
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(report.read_text())
    plan = api.plan(SHOP, "tiny", estimate=False)
    assert doc["ok"] and doc["verification"]["failed"] == 0 and doc["verification"]["passed"] > 50
    assert doc["total_rows"] == plan.total_rows
    assert {t: e["loaded_rows"] for t, e in doc["tables"].items()} == plan.rows
    assert {"compile", "load", "verify"} <= set(doc["stages"])
    assert doc["spec_hash"] == plan.model.spec_hash and doc["seed"] == plan.seed


def _index_names_sql(db) -> str:
    if db.dialect == "sqlite":
        return "SELECT name FROM sqlite_master WHERE type = 'index'"
    if db.dialect == "postgres":
        return ("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' UNION "
                "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = 'public'")
    return ("SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() UNION "
            "SELECT constraint_name FROM information_schema.table_constraints WHERE table_schema = DATABASE()")


def _post_data_names(dump) -> set[str]:
    import re

    text = (dump / "post_data.sql").read_text()
    return set(re.findall(r'(?:INDEX|CONSTRAINT) [`"]?(\w+)', text))


def test_generate_loads_while_it_compiles(db, tmp_path):
    """A compile that runs in this process is loaded table by table as it goes: each table's
    keys and indexes follow its data while the next table is written; the result is the same
    database (every key of post_data.sql in place, every check passing)."""
    report = tmp_path / "r.json"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url,
                   "--out", str(tmp_path / "o"), "--report", str(report), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(report.read_text())
    assert doc["ok"] and doc["stages"]["load"]["during_compile"] > 0
    names = _post_data_names(tmp_path / "o")
    assert len(names) >= 3
    assert names <= {r[0] for r in db.query(_index_names_sql(db))}
    assert ledger_marks(db) == ["schema:specgen"]


def test_a_load_stopped_with_its_compile_resumes(db, tmp_path):
    """The compile under a load that keeps pace fails after three tables: what was loaded (with
    those tables' keys) stays, recorded in the ledger under the dump's id - the one the finished
    dump has too - and 'specgen load --resume' completes it exactly."""
    from specgen.db import loader
    from specgen.db import urls as dburl
    from specgen.errors import SpecgenError
    from specgen.output import manifest

    out = tmp_path / "dump"
    seen = {}

    class Watch:
        def started(self, doc):
            seen["id"] = manifest.dump_id(doc)

        def table_done(self, table, entry):
            pass

    api.compile(SHOP, "small", db.dialect, out=out, workers=1, watch=Watch())
    full = json.loads((out / "manifest.json").read_text())
    assert seen["id"] == manifest.dump_id(full)

    def three_then_fail():
        yield from list(full["tables"])[:3]
        raise SpecgenError("the compile failed")

    stopped = loader.Loader(out, dburl.parse(db.url), loader.Options(jobs=2), manifest=full)
    with pytest.raises(SpecgenError, match="the compile failed"):
        stopped.run(ready=three_then_fail())
    first = list(full["tables"])[0]
    assert int(db.query(f"SELECT COUNT(*) FROM {q(db, first)}")[0][0]) == full["tables"][first]["rows"]
    again = run_cli("load", str(out), "--url", db.url, "--resume")
    assert again.returncode == 0, again.stderr.decode()  # keys already built are not built twice
    assert failed_checks(db, out) == []
    assert _post_data_names(out) <= {r[0] for r in db.query(_index_names_sql(db))}


# -- secrets ------------------------------------------------------------------------------------


SECRET = "S3cret-pw_9f41"


@pytest.fixture
def password_url(server_db):
    """The test database reached as a user that has a password (MariaDB checks it)."""
    db = server_db
    user = "specgen_pw_user"
    if db.dialect == "postgres":
        db.execute(f"DROP ROLE IF EXISTS {user}; CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{SECRET}'")
        yield f"postgresql+psycopg://{user}:{SECRET}@127.0.0.1:5432/{db.name}"
        db.run(["psql", *db.conn, "-d", "postgres", "-qc", f"DROP DATABASE IF EXISTS \"{db.name}\" WITH (FORCE)"])
        db.run(["psql", *db.conn, "-d", "postgres", "-qc", f"DROP ROLE IF EXISTS {user}"])
        return
    hosts = ("localhost", "127.0.0.1", "%")
    db.execute("; ".join(f"CREATE USER IF NOT EXISTS '{user}'@'{h}' IDENTIFIED BY '{SECRET}'; "
                         f"GRANT ALL ON `{db.name}`.* TO '{user}'@'{h}'" for h in hosts))
    yield f"mysql+pymysql://{user}:{SECRET}@127.0.0.1:3306/{db.name}"
    db.execute("; ".join(f"DROP USER IF EXISTS '{user}'@'{h}'" for h in hosts))


def test_password_never_in_ps_logs_or_report(server_db, password_url, tmp_path):
    db = server_db
    import threading

    seen: list[str] = []
    done = threading.Event()

    def watch_ps():
        while not done.is_set():
            seen.append(subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True).stdout)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch_ps, daemon=True)
    watcher.start()
    report = tmp_path / "report.json"
    try:
        # DATABASE_URL, as documented: a password on any command line is visible to ps.
        proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--out", str(tmp_path / "o"),
                       "--report", str(report), "--jobs", "2", env={"DATABASE_URL": password_url})
    finally:
        done.set()
        watcher.join()
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err
    assert len(seen) > 5 and any("specgen" in s for s in seen)  # the watcher did see the run
    assert not any(SECRET in s for s in seen), "password visible in ps output"
    assert SECRET not in out and SECRET not in err
    text = report.read_text()
    assert SECRET not in text and "***" in text
    # A wrong password is refused (the password really travels, just not in sight).
    if db.dialect == "mysql":
        bad = run_cli("verify", str(tmp_path / "o"), env={"DATABASE_URL": password_url.replace(SECRET, "wr0ng")})
        assert bad.returncode == 1 and "Access denied" in bad.stderr.decode()
        assert "wr0ng" not in bad.stderr.decode()


def test_password_on_the_command_line_is_warned_about(server_db, password_url, tmp_path):
    proc = run_cli("verify", str(tmp_path / "missing"), "--url", password_url)
    assert "visible to other users" in proc.stderr.decode() and SECRET not in proc.stderr.decode()


# -- compressed parts -----------------------------------------------------------------------------


@pytest.mark.parametrize("compress, fmt", [("zstd", "csv"), ("gzip", "csv"), ("zstd", "sql")])
def test_compressed_parts_load_and_verify(db, tmp_path, compress, fmt):
    out = tmp_path / "z"
    api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=150, compress=compress, fmt=fmt)
    proc = run_cli("load", str(out), "--url", db.url, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()
    assert failed_checks(db, out) == []


def test_truncated_compressed_part_is_not_committed(db, tmp_path):
    out = tmp_path / "z"
    m = api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100, compress="zstd")
    files = m["tables"]["page_views"]["files"]
    part = out / files[1]["path"]
    good = part.read_bytes()
    part.write_bytes(good[: len(good) // 2])
    proc = run_cli("load", str(out), "--url", db.url)
    assert proc.returncode == 1 and "cannot decompress" in proc.stderr.decode(), proc.stderr.decode()
    # The parts before it are in; not one row of the truncated part.
    assert int(db.query(f"SELECT COUNT(*) FROM {q(db, 'page_views')}")[0][0]) == files[0]["rows"]
    part.write_bytes(good)
    again = run_cli("load", str(out), "--url", db.url, "--resume")
    assert again.returncode == 0, again.stderr.decode()
    assert failed_checks(db, out) == []


# -- parallel constraints ---------------------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True], ids=["bundled", "split"])
def test_parallel_constraints_match_serial(server_db, tmp_path, monkeypatch, split):
    """--jobs 3 builds the gateway's keys, indexes and foreign keys in parallel sessions: the
    database ends with the same constraints as a serial load, and verify passes - with tables
    bundled, and with every step a task of its own (as for big tables: sessions then wait on
    each other's table locks). SQLite loads in one session."""
    from specgen.db import postdata

    if split:
        monkeypatch.setattr(postdata, "BIG_TABLE_BYTES", 0)
    db = server_db
    out = tmp_path / "o"
    api.compile(None, "tiny", db.dialect, out=out, workers=1)
    result = api.load(out, db.url, jobs=3)
    assert result.rows == sum(e["rows"] for e in json.loads((out / "manifest.json").read_text())["tables"].values())
    assert all(c.ok for c in api.verify(out, db.url, jobs=3))
    parallel = _constraints(db)
    db.execute(_drop_all_sql(db, [r[0] for r in db.query(tables_sql(db))]))
    api.load(out, db.url, jobs=1)
    assert _constraints(db) == parallel
    assert len(parallel) > 60


def _constraints(db) -> list[tuple]:
    if db.dialect == "postgres":
        sql = ("SELECT conrelid::regclass::text, conname, contype::text, convalidated::text FROM pg_constraint "
               "WHERE connamespace = 'public'::regnamespace UNION ALL "
               "SELECT tablename, indexname, 'i', indexdef FROM pg_indexes WHERE schemaname = 'public'")
    else:
        sql = ("SELECT table_name, constraint_name, constraint_type, '' FROM information_schema.table_constraints "
               "WHERE table_schema = DATABASE() UNION ALL "
               "SELECT table_name, index_name, CAST(non_unique AS CHAR), column_name FROM information_schema.statistics "
               "WHERE table_schema = DATABASE()")
    return sorted(tuple(r) for r in db.query(sql))


def _drop_all_sql(db, tables: list[str]) -> str:
    if db.dialect == "postgres":
        return "DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE;"
    return "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE " + ", ".join(f"`{t}`" for t in tables) + "; SET FOREIGN_KEY_CHECKS = 1;"


# -- a part the database rolls back for another session's sake is loaded again -------------------


@pytest.fixture
def mariadb(tmp_path):
    from conftest import _fresh_db

    yield from _fresh_db("mysql", tmp_path)


def test_a_part_rolled_back_by_a_lock_wait_is_loaded_again(mariadb, tmp_path):
    """Another session holds the first customer's key (uncommitted) until the loader reports a
    rollback; with a 1 s lock wait the part's LOAD DATA is rolled back (ERROR 1205, as a deadlock
    victim's would be with 1213) and its client exits: the loader must load the part again, not
    fail. The hold ends on the loader's word, not after a fixed time, so a slow start of the
    load (a busy machine) cannot let the part through before it was ever blocked."""
    db = mariadb
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", "mysql", out=out, workers=1, chunk_rows=100)
    db.execute("SET FOREIGN_KEY_CHECKS=0; " + (out / "schema.sql").read_text())
    first = (out / "data" / "customers" / "part-00000.tsv").read_text().split("\n", 1)[0]
    row = tmp_path / "row.tsv"
    row.write_text(first + "\n")
    old = db.query("SELECT @@GLOBAL.innodb_lock_wait_timeout")[0][0]
    db.execute("SET GLOBAL innodb_lock_wait_timeout = 1")
    blocker = subprocess.Popen(
        [*db.client(), "-N", "-B", "--unbuffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path)
    log = tmp_path / "load.err"
    try:
        blocker.stdin.write(f"SET time_zone = '+00:00'; BEGIN; LOAD DATA LOCAL INFILE '{row.name}' INTO TABLE customers "
                            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'; "
                            "SELECT 'held';\n")
        blocker.stdin.flush()
        assert blocker.stdout.readline().strip() == "held", blocker.stderr.read()
        with log.open("wb") as err_file:
            load = subprocess.Popen([sys.executable, "-m", "specgen", "load", str(out), "--url", db.url],
                                    stdout=subprocess.DEVNULL, stderr=err_file)
            deadline = time.monotonic() + 120
            while "rolled back by the database" not in log.read_text() and load.poll() is None:
                assert time.monotonic() < deadline, "the load was never blocked"
                time.sleep(0.1)
            blocker.stdin.write("ROLLBACK;\n")
            blocker.stdin.close()
            load.wait(timeout=120)
    finally:
        if blocker.stdin and not blocker.stdin.closed:
            blocker.stdin.close()
        blocker.wait()
        db.execute(f"SET GLOBAL innodb_lock_wait_timeout = {int(old)}")
    proc = subprocess.CompletedProcess(load.args, load.returncode, b"", log.read_bytes())
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "rolled back by the database" in err and "loading it again" in err
    assert failed_checks(db, out) == []
