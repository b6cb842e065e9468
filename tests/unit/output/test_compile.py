"""``specgen compile``: directory layout, manifest, statistics, byte identity, options and errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zstandard

from conftest import SHOP, run_cli, write_spec_set
from specgen import api, engine
from specgen.engine.model import SqlType
from specgen.errors import SpecgenError
from specgen.sql.dialect import load as load_dialect


def _all_files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _table_bytes(out: Path, m: dict, table: str) -> bytes:
    return b"".join((out / f["path"]).read_bytes() for f in m["tables"][table]["files"])


@pytest.fixture(scope="module")
def tiny_pg(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "pg"
    return out, api.compile(SHOP, "tiny", "postgres", out=out, workers=1, chunk_rows=100)


# -- layout and manifest ----------------------------------------------------------------------------


def test_directory_layout(tiny_pg):
    out, m = tiny_pg
    for name in ("schema.sql", "post_data.sql", "load.psql", "verify.sql", "manifest.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "manifest.json").read_text()) == m
    parts = sorted(p.relative_to(out).as_posix() for p in (out / "data").rglob("*"))
    assert "data/page_views/part-00004.csv" in parts
    assert not [p for p in parts if ".tmp" in p]


def test_manifest_shape(tiny_pg, shop_tiny):
    _, m = tiny_pg
    assert list(m) == ["specgen_version", "spec_hash", "profile", "seed", "dialect", "format", "compression",
                       "chunk_rows", "window", "files", "tables"]
    assert (m["profile"], m["dialect"], m["format"], m["compression"], m["chunk_rows"]) == ("tiny", "postgres", "csv", "none", 100)
    assert m["spec_hash"] == shop_tiny.model.spec_hash and m["seed"] == shop_tiny.seed
    assert m["files"] == {"schema": "schema.sql", "post_data": "post_data.sql", "load_script": "load.psql",
                          "verify": "verify.sql"}
    assert list(m["tables"]) == list(shop_tiny.model.tables)  # dependency order
    orders = m["tables"]["orders"]
    assert list(orders) == ["rows", "columns", "primary_key", "files", "stats"]
    assert orders["columns"][4] == {"name": "created_at", "type": "timestamptz", "sql_type": "TIMESTAMP WITH TIME ZONE",
                                    "nullable": False, "kind": "timestamp"}
    assert orders["primary_key"] == ["id"]


def test_files_are_described_exactly(tiny_pg, shop_tiny):
    out, m = tiny_pg
    for table, entry in m["tables"].items():
        assert entry["rows"] == shop_tiny.rows[table]
        assert sum(f["rows"] for f in entry["files"]) == entry["rows"]
        for i, f in enumerate(entry["files"]):
            data = (out / f["path"]).read_bytes()
            assert f["path"] == f"data/{table}/part-{i:05d}.csv"
            assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
            assert data.count(b"\n") >= f["rows"]  # no header line; quoted newlines may add more


def test_statistics_match_the_generated_columns(tiny_pg, shop_tiny):
    _, m = tiny_pg
    checked = 0
    for table, entry in m["tables"].items():
        chunk = engine.generate(shop_tiny, table)
        for name, col in chunk.columns.items():
            s = entry["stats"][name]
            mask = col.null_mask()
            assert s["nulls"] == int(mask.sum()), (table, name)
            if col.kind in ("text", "json"):
                expect = sum(len(v) for v, null in zip(col.values.to_list(), mask, strict=True) if not null)
                assert s["sum_length"] == expect, (table, name)
            elif col.kind == "bool":
                assert s["sum"] == int(col.values[~mask].sum())
            elif col.kind in ("int", "float", "timestamp"):
                v = col.values[~mask]
                assert (s["min"], s["max"]) == (v.min(), v.max()), (table, name)
                if col.kind == "int":
                    assert s["sum"] == sum(int(x) for x in v)
                if col.kind == "float":
                    assert s["sum"] == pytest.approx(float(np.sum(v)), rel=1e-12)
            checked += 1
    assert checked > 30


def test_mysql_records_no_json_length(tmp_path):
    m = api.compile(SHOP, "tiny", "mysql", out=tmp_path, workers=1, tables=["customers"])
    stats = m["tables"]["customers"]["stats"]
    assert "sum_length" not in stats["preferences"] and "sum_length" in stats["email"]
    assert m["tables"]["customers"]["files"][0]["path"].endswith(".tsv")


def test_verify_sql_lists_checks_with_expectations(tiny_pg):
    from specgen.db import verify

    out, m = tiny_pg
    checks = {c.name: c.expected for _, cs in verify.parse((out / "verify.sql").read_text()) for c in cs}
    assert checks["rows page_views"] == m["tables"]["page_views"]["rows"]
    assert checks["fk reviews.product_id -> products.id"] == 0
    assert checks["unique order_items(order_id, product_id) [primary key]"] == 0
    assert checks["nulls customers.company"] == m["tables"]["customers"]["stats"]["company"]["nulls"]
    assert checks["sum page_views.duration_ms"] == m["tables"]["page_views"]["stats"]["duration_ms"]["sum"]


# -- byte identity ----------------------------------------------------------------------------------


def test_parts_concatenate_identically_across_chunk_sizes_and_workers(tmp_path, shop_small):
    a = api.compile(SHOP, "small", "postgres", out=tmp_path / "a", workers=1, chunk_rows=1000)
    b = api.compile(SHOP, "small", "postgres", out=tmp_path / "b", workers=2, chunk_rows=50000)
    assert len(a["tables"]["page_views"]["files"]) == 207 and len(b["tables"]["page_views"]["files"]) == 5
    for table in shop_small.rows:
        assert _table_bytes(tmp_path / "a", a, table) == _table_bytes(tmp_path / "b", b, table), table
        ints = [c for c, s in a["tables"][table]["stats"].items() if "sum" in s and not isinstance(s["sum"], float)]
        for c in ints:  # exact statistics do not depend on the chunking either
            assert a["tables"][table]["stats"][c] == b["tables"][table]["stats"][c]


def test_batches_cut_for_wide_rows_write_the_same_bytes(tmp_path, monkeypatch, shop_small):
    from specgen.output import worker

    plan = api.plan(SHOP, "small", estimate=False)
    assert worker.batch_rows(plan, "page_views", 10**6) == engine.BATCH_ROWS  # narrow: as before
    a = api.compile(SHOP, "small", "postgres", out=tmp_path / "a", workers=1, chunk_rows=50000)
    monkeypatch.setattr(worker, "BATCH_BYTES", 1)  # as if every row were wider than the aim
    cuts = []
    real = engine.batches
    monkeypatch.setattr(engine, "batches", lambda *args: cuts.append(args[-1]) or real(*args))
    b = api.compile(SHOP, "small", "postgres", out=tmp_path / "b", workers=1, chunk_rows=50000)
    assert worker.MIN_BATCH_ROWS in cuts
    # The data is the same; float sums (manifest, verify.sql) may differ in the last digits.
    assert {k: v for k, v in _all_files(tmp_path / "a").items() if k.startswith("data/")} == \
        {k: v for k, v in _all_files(tmp_path / "b").items() if k.startswith("data/")}
    for table in shop_small.rows:
        ints = [c for c, s in a["tables"][table]["stats"].items() if "sum" in s and not isinstance(s["sum"], float)]
        assert [a["tables"][table]["stats"][c] for c in ints] == [b["tables"][table]["stats"][c] for c in ints]


def test_workers_do_not_change_any_file(tmp_path):
    a = api.compile(SHOP, "tiny", "sqlite", out=tmp_path / "a", workers=1, chunk_rows=50)
    b = api.compile(SHOP, "tiny", "sqlite", out=tmp_path / "b", workers=2, chunk_rows=50)
    assert a == b
    assert _all_files(tmp_path / "a") == _all_files(tmp_path / "b")


@pytest.mark.parametrize("compress", ["none", "gzip", "zstd"])
def test_reruns_are_byte_identical(tmp_path, compress):
    for run in ("a", "b"):
        api.compile(SHOP, "tiny", "mysql", fmt="sql", out=tmp_path / run, workers=1, chunk_rows=200, compress=compress)
    assert _all_files(tmp_path / "a") == _all_files(tmp_path / "b")


@pytest.mark.parametrize("compress,suffix,unpack", [("gzip", ".gz", gzip.decompress),
                                                    ("zstd", ".zst", lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b))])
def test_compressed_parts_hold_the_plain_bytes(tmp_path, tiny_pg, compress, suffix, unpack):
    plain_out, plain = tiny_pg
    m = api.compile(SHOP, "tiny", "postgres", out=tmp_path, workers=1, chunk_rows=100, compress=compress)
    assert m["compression"] == compress
    for table, entry in m["tables"].items():
        for f, p in zip(entry["files"], plain["tables"][table]["files"], strict=True):
            assert f["path"] == p["path"] + suffix and f["rows"] == p["rows"]
            data = (tmp_path / f["path"]).read_bytes()
            assert f["sha256"] == hashlib.sha256(data).hexdigest()
            assert unpack(data) == (plain_out / p["path"]).read_bytes()
    assert f"FROM PROGRAM '{ {'gzip': 'gzip', 'zstd': 'zstd'}[compress]} -dc data/" in (tmp_path / "load.psql").read_text()


def test_stale_parts_of_an_earlier_run_are_removed(tmp_path):
    api.compile(SHOP, "tiny", "postgres", out=tmp_path, workers=1, chunk_rows=50)
    assert (tmp_path / "data/page_views/part-00003.csv").exists()
    api.compile(SHOP, "tiny", "postgres", out=tmp_path, workers=1)
    assert sorted(p.name for p in (tmp_path / "data/page_views").iterdir()) == ["part-00000.csv"]


def test_table_subset_keeps_dependency_order_and_skips_outside_keys(tmp_path):
    m = api.compile(SHOP, "tiny", "postgres", out=tmp_path, workers=1, tables=["reviews", "products"])
    assert list(m["tables"]) == ["products", "reviews"]
    schema = (tmp_path / "schema.sql").read_text()
    assert "not part of this compile" in schema and '"customers"' in schema  # reviews -> customers skipped
    assert 'REFERENCES "products"' in (tmp_path / "post_data.sql").read_text()


# -- stdout -----------------------------------------------------------------------------------------


def test_stdout_carries_only_sql(tmp_path):
    proc = run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "postgres", "--stdout",
                   "--workers", "1", cwd=tmp_path, check=True)
    out = proc.stdout.decode()
    assert out.startswith("SET client_encoding = 'UTF8';")
    assert out.count("FROM stdin;") == 6 and out.count("\n\\.\n") == 6
    assert out.index('ADD PRIMARY KEY ("id")') > out.rindex("FROM stdin;")  # constraints after the data
    assert "streamed" in proc.stderr.decode() and "streamed" not in out
    assert not list(tmp_path.iterdir())  # nothing written


def test_postgres_stream_with_format_sql_is_inserts():
    out = run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "-d", "postgres", "--stdout", "--format", "sql",
                  "--workers", "1", check=True).stdout.decode()
    assert "COPY " not in out and "\\." not in out and out.count('INSERT INTO "customers"') == 1


def test_mysql_and_sqlite_streams_are_inserts(tmp_path):
    for dialect, begin, end in (("mysql", "SET NAMES utf8mb4;", "SET UNIQUE_CHECKS = 1;\nCOMMIT;\n"),
                                ("sqlite", "PRAGMA foreign_keys = OFF;", "COMMIT;\n")):
        out = run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "-d", dialect, "--stdout", "--workers", "1",
                      check=True).stdout.decode()
        assert out.startswith(begin) and out.endswith(end)
        assert out.count("INSERT INTO ") == 6


# -- errors: clear, exit 1, nothing written -------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["--dialect", "postgress"], "unknown dialect 'postgress'"),
    (["--tables", "order"], "unknown table 'order'. Did you mean 'orders'?"),
    (["--format", "xml"], "Invalid value for '--format'"),
    (["--stdout", "--out", "x"], "--stdout and --out exclude each other"),
    (["--stdout", "--compress", "zstd"], "--compress applies to files"),
    (["--profile", "tiyn"], "unknown profile 'tiyn'"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, args, message):
    base = ["compile", "--specs", str(SHOP), "--profile", "tiny", "--workers", "1"]
    proc = run_cli(*base, *args, cwd=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir()) and proc.stdout == b""


def test_bad_spec_writes_nothing(tmp_path):
    specs = write_spec_set(tmp_path, {"a.yaml": "table: a\nrows: 3\ncolumns:\n  x: {type: integr, gen: sequence}\n"})
    proc = run_cli("compile", "--specs", str(specs), "--profile", "default", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "a.yaml:4:" in proc.stderr.decode()
    assert not (tmp_path / "out").exists()


# -- dialects are data ------------------------------------------------------------------------------

TYPES = {  # portable type -> spelling per dialect (what the gateway's schema uses)
    "timestamptz": ("TIMESTAMP WITH TIME ZONE", "DATETIME", "DATETIME"),
    "json": ("JSON", "JSON", "JSON"),
    "float": ("FLOAT", "DOUBLE", "FLOAT"),
    "double": ("DOUBLE PRECISION", "DOUBLE", "DOUBLE"),
    "varchar(36)": ("VARCHAR(36)", "VARCHAR(36)", "VARCHAR(36)"),
    "varchar": ("VARCHAR", "VARCHAR(255)", "VARCHAR"),
    "blob": ("BYTEA", "LONGBLOB", "BLOB"),
    "boolean": ("BOOLEAN", "BOOLEAN", "BOOLEAN"),
    "integer": ("INTEGER", "INTEGER", "INTEGER"),
    "bigint": ("BIGINT", "BIGINT", "BIGINT"),
    "text": ("TEXT", "TEXT", "TEXT"),
    "date": ("DATE", "DATE", "DATE"),
    "numeric(10, 2)": ("NUMERIC(10, 2)", "DECIMAL(10, 2)", "NUMERIC(10, 2)"),
}


@pytest.mark.parametrize("portable", list(TYPES))
def test_type_names_per_dialect(portable):
    got = tuple(load_dialect(d).sql_type(SqlType.parse(portable)) for d in ("postgres", "mysql", "sqlite"))
    assert got == TYPES[portable]


def test_identifiers_are_quoted_per_dialect():
    assert [load_dialect(d).quote('we"ird`name') for d in ("postgres", "mysql", "sqlite")] == \
        ['"we""ird`name"', '`we"ird``name`', '"we""ird`name"']


def test_aliases_and_unknown_knobs(tmp_path):
    assert load_dialect("mariadb").name == "mysql" and load_dialect("postgresql").name == "postgres"
    (tmp_path / "oops.yaml").write_text("extends: postgres\nbool_ture: yes\n")
    with pytest.raises(SpecgenError, match="unknown knob 'bool_ture'. Did you mean 'bool_true'"):
        load_dialect(tmp_path / "oops.yaml")
    (tmp_path / "orphan.yaml").write_text("extends: postgrs\n")
    with pytest.raises(SpecgenError, match="extends unknown dialect 'postgrs'"):
        load_dialect(tmp_path / "orphan.yaml")


def test_a_fourth_database_needs_only_yaml_and_templates(tmp_path):
    """A dialect defined outside the package: YAML extending postgres, plus one template override."""
    d = tmp_path / "dialects"
    (d / "templates" / "cockroach").mkdir(parents=True)
    (d / "cockroach.yaml").write_text(
        "# CockroachDB speaks PostgreSQL's wire protocol and COPY; JSON is JSONB there.\n"
        "extends: postgres\ntitle: CockroachDB\ntypes: {json: JSONB}\nforeign_keys_not_valid: false\n")
    (d / "templates" / "cockroach" / "stream_end.sql.j2").write_text("{{ post_data }}\n-- no ANALYZE needed\n")
    out = tmp_path / "out"
    m = api.compile(SHOP, "tiny", str(d / "cockroach.yaml"), out=out, workers=1)
    assert m["dialect"] == "cockroach"
    assert '"preferences" JSONB NOT NULL' in (out / "schema.sql").read_text()
    assert "for CockroachDB" in (out / "load.psql").read_text()  # inherited template, own title
    assert m["tables"]["customers"]["files"][0]["path"].endswith(".csv")
    proc = run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "-d", str(d / "cockroach.yaml"),
                   "--stdout", "--workers", "1", check=True)
    assert proc.stdout.decode().endswith("-- no ANALYZE needed\n")
    assert "COPY \"customers\"" in proc.stdout.decode()


def test_missing_template_lists_every_name_searched(tmp_path):
    (tmp_path / "odd.yaml").write_text("extends: sqlite\nload_script: load.odd\n")
    with pytest.raises(SpecgenError) as err:
        api.compile(SHOP, "tiny", str(tmp_path / "odd.yaml"), out=tmp_path / "out", workers=1)
    assert "odd/load.odd.j2, sqlite/load.odd.j2, default/load.odd.j2" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_any_futures_executor_runs_the_part_tasks(tmp_path):
    """The seam issue 6 plugs Dask into: tasks are pure (job, table, part) calls."""
    from concurrent.futures import ThreadPoolExecutor

    a = api.compile(SHOP, "tiny", "postgres", out=tmp_path / "a", workers=1, chunk_rows=60)
    with ThreadPoolExecutor(3) as pool:
        b = api.compile(SHOP, "tiny", "postgres", out=tmp_path / "b", chunk_rows=60, executor=pool)
    assert a == b and _all_files(tmp_path / "a") == _all_files(tmp_path / "b")


def test_every_knob_of_the_base_dialect_is_documented():
    from specgen.resources import data_dir

    lines = (data_dir("dialects") / "base.yaml").read_text().splitlines()
    knobs = [(i, line.split(":")[0]) for i, line in enumerate(lines) if line and line[0].isalpha()]
    assert len(knobs) > 20
    for i, knob in knobs:
        assert lines[i - 1].startswith("# "), f"knob '{knob}' has no comment line above it"


def test_progress_bars_on_a_terminal(tmp_path):
    """On a terminal, generate draws a bar per table (rich), one stage's bars at a time."""
    import pty

    def read_all(fd: int) -> bytes:
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                return out
            if not chunk:
                return out
            out += chunk

    pid, fd = pty.fork()
    if pid == 0:  # the child: specgen with the terminal as stdin, stdout and stderr
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "specgen", "generate", "--specs", str(SHOP), "--profile",
                                  "tiny", "--url", f"sqlite:///{tmp_path / 'p.db'}"])
    text = read_all(fd).decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "━" in text and "write customers" in text and "load customers" in text, text[-2000:]
    assert "error" not in text.lower(), text[-2000:]


def test_an_output_path_that_cannot_be_made_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = run_cli("compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "sqlite",
                   "--out", str(blocker / "out"))
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert str(blocker) in err and "Traceback" not in err and "internal error" not in err


def test_a_write_the_machine_refuses_names_the_file_and_leaves_no_part_behind(tmp_path):
    # A full disk, as a file size limit (RLIMIT_FSIZE: writes past it fail with EFBIG).
    import resource
    import signal

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "specgen", "compile", "--specs", str(SHOP), "--profile", "small",
                           "--dialect", "postgres", "--out", str(out), "--workers", "1"],
                          capture_output=True, preexec_fn=limit)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "internal error" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("File too large: ") and "/data/" in line and line.endswith(".csv"), line
    assert not (out / "manifest.json").exists()
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert all(p.stat().st_size <= 50_000 for p in out.rglob("*") if p.is_file())


def test_a_dump_that_would_not_fit_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    from specgen.output import compile as comp

    plan = api.plan(SHOP, "small", estimate=False)
    need = sum(plan.row_bytes(t) * plan.rows[t] for t in plan.rows)
    monkeypatch.setattr(comp, "_free_bytes", lambda path: int(need * 0.9))
    out = tmp_path / "deep" / "out"
    with pytest.raises(SpecgenError) as err:
        api.compile(SHOP, "small", "postgres", out=out, workers=1)
    msg = str(err.value)
    assert msg.startswith(f"{out}: these parts need about ") and "--compress zstd" in msg and "--shard" in msg, msg
    assert not (tmp_path / "deep").exists()
    with pytest.raises(SpecgenError, match="need about"):  # INSERT files are bigger still
        api.compile(SHOP, "small", "postgres", fmt="sql", out=out, workers=1)
    # What fits: a part of it, a compressed dump (size unknown: not refused), a dump replacing its
    # earlier self (its parts are replaced one by one).
    api.compile(SHOP, "small", "postgres", out=out, workers=1, tables=["customers", "products"])
    api.compile(SHOP, "small", "postgres", out=tmp_path / "z", workers=1, compress="zstd")
    monkeypatch.setattr(comp, "_free_bytes", lambda path: 0)
    with pytest.raises(SpecgenError, match=r"counting the .* of the dump it replaces"):
        api.compile(SHOP, "small", "postgres", out=out, workers=1)
    monkeypatch.setattr(comp, "_free_bytes", lambda path: int(need * 0.9))
    api.compile(SHOP, "small", "postgres", out=tmp_path / "full", workers=1, tables=["page_views"])
    monkeypatch.setattr(comp, "_free_bytes", lambda path: int(need * 0.2))
    api.compile(SHOP, "small", "postgres", out=tmp_path / "full", workers=1, tables=["page_views"])


def test_generate_fails_before_compiling_when_the_server_is_unreachable(tmp_path):
    proc = run_cli("generate", "--specs", str(SHOP), "--profile", "tiny", "--out", str(tmp_path / "dump"),
                   "--url", "postgresql://postgres@127.0.0.1:1/nowhere")
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "127.0.0.1" in err and "Traceback" not in err
    assert not (tmp_path / "dump").exists()  # nothing compiled for a load that cannot happen


def test_sqlglot_answers_are_remembered_and_the_same(tmp_path: Path):
    """Identifiers, types, literals and partial-index predicates come from sqlglot once, then from
    the cache (without importing sqlglot); the SQL files are byte-identical either way, and
    with the cache turned off."""
    probe = ("import sys; from specgen import api\n"
             "for d in ('postgres', 'mysql', 'sqlite'):\n"
             "    api.compile(None, 'tiny', d, out=f'{sys.argv[1]}/{d}', tables=['email_users', 'prompts'])\n"
             "print('sqlglot' in sys.modules)")
    cache = tmp_path / "cache"

    def run(out: str, cache_dir: str) -> bool:
        env = {**os.environ, "SPECGEN_CACHE_DIR": cache_dir}
        proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path / out)], env=env, capture_output=True,
                              text=True, check=True)
        return proc.stdout.strip() == "True"

    assert run("cold", str(cache))  # asked sqlglot, and remembered
    assert len(list((cache / "sqlglot").iterdir())) == 1
    assert not run("warm", str(cache))  # every answer from the cache
    assert run("none", "")
    for d in ("postgres", "mysql", "sqlite"):
        for name in ("schema.sql", "post_data.sql", "verify.sql"):
            cold = (tmp_path / "cold" / d / name).read_bytes()
            assert (tmp_path / "warm" / d / name).read_bytes() == cold, (d, name)
            assert (tmp_path / "none" / d / name).read_bytes() == cold, (d, name)
    assert "WHERE" in (tmp_path / "cold" / "postgres" / "post_data.sql").read_text()  # a predicate was asked


def test_a_warm_generate_imports_nothing_it_does_not_need(tmp_path: Path):
    """Start-up is a third of `generate --profile small`: once the caches know the specs, the
    JSON Schema validator and sqlglot are not imported at all, nor pyarrow.compute (polars'
    conversion helper would import it for Arrow text)."""
    probe = ("import sys\nfrom specgen import cli\n"
             "try:\n    cli.main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
             "print(sorted(m for m in ('jsonschema', 'sqlglot', 'pyarrow.compute') if m in sys.modules))")
    env = {**os.environ, "SPECGEN_CACHE_DIR": str(tmp_path / "cache")}
    seen = []
    for run in ("cold", "warm"):
        args = ["generate", "--specs", str(SHOP), "--profile", "tiny", "--url", f"sqlite:///{tmp_path / run}.db",
                "--out", str(tmp_path / run), "--report", str(tmp_path / f"{run}.json")]
        proc = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        seen.append(proc.stdout.strip().splitlines()[-1])
    assert seen == ["['jsonschema', 'sqlglot']", "[]"]


def test_verify_reads_single_precision_columns_as_doubles(tmp_path):
    """verify sums and compares a real/float4 column as a double (PostgreSQL's SUM(real) adds in
    float4); other columns' SQL keeps its bytes. The manifest's statistics are those of the
    float32 values written."""
    from specgen.sql import checks

    specs = write_spec_set(tmp_path, {"t.yaml": "table: t\nrows: 500\ncolumns:\n"
                                                "  r: {type: real, gen: {lognormal: {median: 10.0, sigma: 2.0}}}\n"
                                                "  f4: {type: float4, gen: {uniform: {min: 0.0, max: 1.0}}}\n"
                                                "  d: {type: double, gen: {lognormal: {median: 10.0, sigma: 2.0}}}\n"})
    plan = api.plan(specs, "default", estimate=False)
    df = api.generate_table(plan, "t")
    for dialect, cast in (("postgres", 'CAST("{}" AS DOUBLE PRECISION)'), ("duckdb", 'CAST("{}" AS DOUBLE)'),
                          ("mysql", "CAST(`{}` AS DOUBLE)"), ("sqlite", '"{}"')):
        m = api.compile(specs, "default", dialect, out=tmp_path / dialect, workers=1)
        stats = m["tables"]["t"]["stats"]
        sql = "\n".join(q.sql for q in checks.build(plan.model, m, load_dialect(dialect)))
        for name in ("r", "f4"):
            assert stats[name]["sum"] == float(np.sum(df[name].to_numpy()))
            assert stats[name]["max"] == df[name].max()
            x = cast.format(name)
            assert f"SUM({x})" in sql and f"MIN({x})" in sql and f"MAX({x})" in sql, (dialect, name)
        d = "`d`" if dialect == "mysql" else '"d"'
        assert f"SUM({d})" in sql and f"MIN({d})" in sql and "CAST(" + d not in sql, dialect
