"""Identity columns after a load, on PostgreSQL, MariaDB and SQLite: an application's next INSERT
without a key gets the loaded maximum plus one, however the data went in.

(a) specgen's own schema (the shop example, whose integer primary keys fed by ``sequence`` are
identity columns): ``specgen load``, ``--append``, ``generate`` (the load that keeps pace with the
compile, also stopped and resumed), the load script run by hand and ``compile --stdout | client``.
(b) a schema created beforehand with its own SERIAL / IDENTITY / AUTO_INCREMENT / AUTOINCREMENT
columns, loaded with ``specgen load --existing-schema``, then ``--append``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHOP, run_cli, write_spec_set
from dbtargets import Target, pipe_stdout, q
from specgen import api

pytestmark = pytest.mark.db

SHOP_IDENTITY = ["customers", "products", "page_views", "reviews"]
MARK = 123456789  # a page view's duration_ms no generated row has (at most 600000)


def scalar(db: Target, sql: str) -> int:
    return int(db.query(sql)[0][0])


def counter(db: Target, table: str, column: str = "id") -> int | None:
    """The key the database gives the next row inserted into ``table`` without one (None: SQLite,
    which takes max(rowid) + 1 when the row is inserted, see ``insert_page_view``)."""
    if db.dialect == "postgres":  # nextval uses the value up: the caller inserts no row after this
        return scalar(db, f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', '{column}'))")
    if db.dialect == "mysql":
        return scalar(db, "SELECT AUTO_INCREMENT FROM information_schema.tables "
                          f"WHERE table_schema = DATABASE() AND table_name = '{table}'")
    return None


def max_key(db: Target, table: str, column: str = "id") -> int:
    return scalar(db, f"SELECT COALESCE(MAX({q(db, column)}), 0) FROM {q(db, table)}")


def insert_page_view(db: Target) -> int:
    """Insert a page view as an application does, without its key; return the key it got."""
    t = q(db, "page_views")
    db.execute(f"INSERT INTO {t} (customer_id, viewed_at, duration_ms, converted) "
               f"VALUES (1, '2026-01-01 00:00:00', {MARK}, TRUE)")
    return scalar(db, f"SELECT id FROM {t} WHERE duration_ms = {MARK}")


def assert_shop_counters(db: Target) -> None:
    """Every identity table's counter stands at its max + 1, and an INSERT gets that key."""
    before = max_key(db, "page_views")
    assert before > 0
    assert insert_page_view(db) == before + 1
    if db.dialect == "sqlite":  # rowid aliases: INTEGER PRIMARY KEY, whatever the spec's integer type
        for table in SHOP_IDENTITY:
            info = db.query(f"SELECT type, pk FROM pragma_table_info('{table}') WHERE name = 'id'")
            assert info == [["INTEGER", "1"]], (table, info)
        return
    for table in SHOP_IDENTITY:
        assert counter(db, table) == max_key(db, table) + 1, table


# -- (a) specgen's own schema ------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_specgen_load(db, tmp_path, jobs):
    """--jobs 1 runs post_data.sql as one script (its identity steps apart, ledgered); --jobs 2
    shares the keys among sessions, then sets the counters."""
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    proc = run_cli("load", str(out), "--url", db.url, "--jobs", str(jobs))
    assert proc.returncode == 0, proc.stderr.decode()
    assert_shop_counters(db)


def test_generate_loading_while_it_compiles(db, tmp_path):
    report = tmp_path / "r.json"
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--url", db.url, "--out", str(tmp_path / "o"),
                   "--report", str(report), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(report.read_text())["stages"]["load"]["during_compile"] > 0
    assert_shop_counters(db)


def test_generate_stopped_then_resumed(db, tmp_path):
    """The load that keeps pace sets each table's counter after its keys, recorded in the ledger
    with them; stopped after three tables and resumed, the load sets the others' (and the three
    tables' are right: their data was complete when they were set)."""
    from specgen.db import loader
    from specgen.db import urls as dburl
    from specgen.errors import SpecgenError

    out = tmp_path / "dump"
    full = api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    order = sorted(full["tables"], key=lambda t: -full["tables"][t]["rows"])  # biggest first, as generate

    def three_then_fail():
        yield from order[:3]
        raise SpecgenError("the compile failed")

    stopped = loader.Loader(out, dburl.parse(db.url), loader.Options(jobs=2), manifest=full)
    with pytest.raises(SpecgenError, match="the compile failed"):
        stopped.run(ready=three_then_fail())
    done = {r[0] for r in db.query(f"SELECT {q(db, 'part')} FROM {q(db, 'specgen_load_ledger')}")}
    set_first = {f"identity:{t}" for t in order[:3] if t in SHOP_IDENTITY}
    assert "identity:page_views" in set_first
    # SQLite's rowids have no counter steps.
    assert {p for p in done if p.startswith("identity:")} == (set() if db.dialect == "sqlite" else set_first)
    again = run_cli("load", str(out), "--url", db.url, "--resume")
    assert again.returncode == 0, again.stderr.decode()
    assert_shop_counters(db)


def test_load_script_run_by_hand(db, tmp_path):
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", db.dialect, out=out, workers=1, chunk_rows=100)
    db.load_dir(out)
    assert_shop_counters(db)


@pytest.mark.parametrize("fmt", ["native", "sql"])
def test_stdout_stream_piped_into_the_client(db, fmt):
    pipe_stdout(db, "--specs", str(SHOP), "--profile", "tiny", "--workers", "1", *(["--format", "sql"] if fmt == "sql" else []))
    assert_shop_counters(db)


EVENTS = """table: events
rows: {rows}
primary_key: [id]
columns:
  id: {{type: bigint, gen: {{sequence: {{start: {first}}}}}}}
  note: {{type: varchar(40), gen: {{template: "event {{_index}}"}}}}
"""


def events(root: Path, rows: int, first: int, tables=("events",), identity: str = "") -> Path:
    """A spec set of ``tables`` like ``events``: ``rows`` rows keyed from ``first`` on."""
    text = EVENTS.format(rows=rows, first=first)
    if identity:
        text = text.replace("gen: {sequence", f"identity: {identity}, gen: {{sequence")
    return write_spec_set(root, {f"{t}.yaml": text.replace("table: events", f"table: {t}") for t in tables})


def two_dumps(db: Target, tmp_path: Path, tables=("events",)) -> tuple[Path, Path]:
    """Dumps of the same tables whose keys do not overlap, for --append: 40 rows keyed 1..40,
    then 25 keyed 1001..1025."""
    first, second = tmp_path / "first", tmp_path / "second"
    api.compile(events(tmp_path / "a", 40, 1, tables), "default", db.dialect, out=first, workers=1)
    api.compile(events(tmp_path / "b", 25, 1001, tables), "default", db.dialect, out=second, workers=1)
    return first, second


def insert_event(db: Target, table: str = "events") -> int:
    t = q(db, table)
    db.execute(f"INSERT INTO {t} (note) VALUES ('by the application')")
    return scalar(db, f"SELECT MAX(id) FROM {t} WHERE note = 'by the application'")


def test_append_sets_the_counter_past_the_new_keys(db, tmp_path):
    """A second dump appended into specgen's schema (now an existing schema: its counters are
    found in the catalog) moves the counter past the new maximum."""
    first, second = two_dumps(db, tmp_path)
    assert run_cli("load", str(first), "--url", db.url).returncode == 0
    assert insert_event(db) == 41
    proc = run_cli("load", str(second), "--url", db.url, "--append")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "existing schema" in proc.stderr.decode()
    db.execute(f"DELETE FROM {q(db, 'events')} WHERE note = 'by the application'")
    assert insert_event(db) == 1026
    assert scalar(db, f"SELECT COUNT(*) FROM {q(db, 'events')}") == 40 + 25 + 1


def test_a_key_of_zero_stays_zero(db, tmp_path):
    """A sequence starting at 0 loads key 0 as 0 (MySQL numbers a 0 in an AUTO_INCREMENT column
    anew unless NO_AUTO_VALUE_ON_ZERO), and the counter follows the maximum."""
    out = tmp_path / "dump"
    api.compile(events(tmp_path, 10, 0), "default", db.dialect, out=out, workers=1)
    db.load_dir(out)
    assert [r[0] for r in db.query(f"SELECT id FROM {q(db, 'events')} ORDER BY id")] == [str(i) for i in range(10)]
    assert insert_event(db) == 10


def test_identity_false_keeps_a_plain_column(db, tmp_path):
    out = tmp_path / "dump"
    api.compile(events(tmp_path, 10, 1, identity="false"), "default", db.dialect, out=out, workers=1)
    schema = (out / "schema.sql").read_text()
    assert not any(word in schema for word in ("SERIAL", "AUTO_INCREMENT", '"id" INTEGER'))
    assert "identity" not in (out / "post_data.sql").read_text()


def test_mysql_profile_adding_the_primary_key_after_the_data(tmp_path):
    """A profile that extends mysql with primary_key: post_data declares AUTO_INCREMENT in the
    ALTER TABLE that adds the key (MySQL requires an AUTO_INCREMENT column to be a key)."""
    from conftest import _fresh_db

    (tmp_path / "mysql_pk_later.yaml").write_text("extends: mysql\nprimary_key: post_data\n")
    out = tmp_path / "dump"
    api.compile(SHOP, "tiny", str(tmp_path / "mysql_pk_later.yaml"), out=out, workers=1)
    schema, post = (out / "schema.sql").read_text(), (out / "post_data.sql").read_text()
    assert "AUTO_INCREMENT" not in schema and "PRIMARY KEY" not in schema
    assert "ALTER TABLE `page_views` MODIFY `id` BIGINT NOT NULL AUTO_INCREMENT,\n  ADD PRIMARY KEY (`id`)" in post
    for db in _fresh_db("mysql", tmp_path):
        db.load_dir(out)
        assert_shop_counters(db)


# -- (b) an existing schema with its own counters --------------------------------------------------------

# The same two columns in every table; each table's key is another kind of counter.
TABLES = ["serial_ids", "identity_ids", "always_ids", "plain_ids"]
EXISTING = {
    "postgres": """
        CREATE TABLE serial_ids (id SERIAL PRIMARY KEY, note VARCHAR(40) NOT NULL);
        CREATE TABLE identity_ids (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note VARCHAR(40) NOT NULL);
        CREATE TABLE always_ids (id INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 5) PRIMARY KEY, note VARCHAR(40));
        CREATE TABLE plain_ids (id BIGSERIAL PRIMARY KEY, note TEXT, extra SERIAL);
    """,
    "mysql": """
        CREATE TABLE serial_ids (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40) NOT NULL) ENGINE=InnoDB;
        CREATE TABLE identity_ids (id BIGINT NOT NULL AUTO_INCREMENT, note VARCHAR(40) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB;
        CREATE TABLE always_ids (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB AUTO_INCREMENT=5;
        CREATE TABLE plain_ids (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, note TEXT, extra INT) ENGINE=InnoDB;
    """,
    "sqlite": """
        CREATE TABLE serial_ids (id INTEGER PRIMARY KEY AUTOINCREMENT, note VARCHAR(40) NOT NULL);
        CREATE TABLE identity_ids (id INTEGER NOT NULL, note VARCHAR(40) NOT NULL, PRIMARY KEY (id));
        CREATE TABLE always_ids (id INTEGER PRIMARY KEY AUTOINCREMENT, note VARCHAR(40));
        CREATE TABLE plain_ids (id INTEGER PRIMARY KEY, note TEXT, extra INTEGER);
    """,
}


# A counter that stood past the keys a restore brings back (rows deleted since) is set to the
# loaded max + 1 as well, as pg_dump's setval or a dump's AUTO_INCREMENT would.
ADVANCED = {
    "postgres": "SELECT setval(pg_get_serial_sequence('always_ids', 'id'), 1000)",
    "mysql": "ALTER TABLE always_ids AUTO_INCREMENT = 1000",
    "sqlite": "INSERT INTO sqlite_sequence (name, seq) VALUES ('always_ids', 1000)",
}


def test_existing_schema_counters_found_in_the_catalog(db, tmp_path):
    first, second = two_dumps(db, tmp_path, TABLES)
    db.execute(EXISTING[db.dialect])
    db.execute(ADVANCED[db.dialect])
    proc = run_cli("load", str(first), "--url", db.url, "--existing-schema", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "existing schema" in proc.stderr.decode()
    if db.dialect == "sqlite":  # AUTOINCREMENT tables keep their highest key in sqlite_sequence
        assert sorted(db.query("SELECT name, seq FROM sqlite_sequence")) == [["always_ids", "40"], ["serial_ids", "40"]]
    for table in TABLES:
        assert insert_event(db, table) == 41, table
        db.execute(f"DELETE FROM {q(db, table)} WHERE note = 'by the application'")
    proc = run_cli("load", str(second), "--url", db.url, "--append")
    assert proc.returncode == 0, proc.stderr.decode()
    for table in TABLES:
        assert insert_event(db, table) == 1026, table
    if db.dialect == "postgres":
        # A serial column the dump does not fill takes its default as rows arrive; its counter
        # too stands past its maximum: the application's row comes next.
        rows = db.query("SELECT note, extra FROM plain_ids ORDER BY extra DESC LIMIT 2")
        assert rows[0][0] == "by the application" and int(rows[0][1]) == int(rows[1][1]) + 1
