"""``make bench``: throughput and memory of each stage, one isolated process per measurement.

Prints rows/s, MB/s and peak RSS per stage and writes ``.bench/results.json``. Figures are for
one core unless a stage says otherwise (``POLARS_MAX_THREADS=1`` for single-core stages).

Run a subset with ``python bench/bench.py generate`` (stage names are prefixes); the scale stages
(workers, gateway profiles, memory, loader --jobs) are in ``scale_stages.py``: ``bench.py scale``; the
TPC-H sf1 compile against plain tables of the same shape in ``tpch_stages.py``: ``bench.py tpch``; direct
mode (generate straight into the database) in ``direct_stages.py``: ``bench.py direct``. Stages that
take minutes (``direct_stages.SLOW``: medium into PostgreSQL and MariaDB, shards of large and
massive) run only when named or with ``SPECGEN_BENCH_SLOW=1``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "specs" / "examples" / "shop"
OUT = ROOT / ".bench"


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- stage bodies (run inside a child process) -----------------------------------------------------


def gen_memory(table: str, rows: int, profile: str = "bench") -> dict:
    """In-memory generation of ``rows`` rows of ``table``, batch by batch as writers consume it."""
    from specgen import api, engine

    plan = api.plan(SHOP, profile, estimate=False)
    rows = min(rows, plan.rows[table])
    engine.generate(plan, table, 0, 1000)  # warm-up: pools, caches
    t = time.perf_counter()
    nbytes = 0
    for batch in engine.batches(plan, table, 0, rows):
        nbytes += batch.to_frame().estimated_size()
    dt = time.perf_counter() - t
    ncols = len(plan.model.tables[table].stored)
    return {"rows": rows, "seconds": dt, "bytes": nbytes, "columns": ncols}


def compile_files(dialect: str, fmt: str, compress: str = "none", workers: int = 1, profile: str = "medium") -> dict:
    """``specgen compile`` to files: generation, encoding, hashing and writing (page cache)."""
    import shutil

    from specgen import api

    out = OUT / "compile" / f"{dialect}-{fmt}-{compress}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    m = api.compile(SHOP, profile, dialect, fmt=fmt, out=out, workers=workers, compress=compress)
    dt = time.perf_counter() - t
    rows = sum(e["rows"] for e in m["tables"].values())
    nbytes = sum(f["bytes"] for e in m["tables"].values() for f in e["files"])
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": rows, "seconds": dt, "bytes": nbytes, "columns": None}


def compile_stream(dialect: str, profile: str = "medium") -> dict:
    """``specgen compile --stdout`` into a null sink (what a pipe to the client receives)."""
    from specgen import api

    class Sink:
        size = 0

        def write(self, b):
            self.size += len(b)

        def flush(self):
            pass

    sink = Sink()
    t = time.perf_counter()
    api.compile(SHOP, profile, dialect, stream=sink, workers=1)
    dt = time.perf_counter() - t
    rows = api.plan(SHOP, profile, estimate=False).total_rows
    return {"rows": rows, "seconds": dt, "bytes": sink.size, "columns": None}


ENCRYPT_SPEC = """\
table: credentials
rows: {rows}
columns:
  id: {{type: bigint, gen: sequence}}
  plain:
    type: text
    virtual: true
    gen: {{template: {{text: '{{{{"Authorization":"Bearer {{t}}"}}}}', parts: {{t: {{token: {{length: 40}}}}}}}}}}
  secret_value:
    type: text
    gen: {{encrypt: {{value: {{ref: plain}}, scheme: {scheme}, secret: {{env: SPECGEN_BENCH_SECRET}}}}}}
"""


def gen_encrypt(scheme: str, rows: int) -> dict:
    """The ``encrypt`` generator alone: each batch's plaintexts (a 67-byte bearer-token JSON, as the
    gateway's auth values) are generated first, untimed; then their encryption is timed."""
    import shutil

    import numpy as np

    from specgen import api, engine

    specs = OUT / "encrypt-specs"
    shutil.rmtree(specs, ignore_errors=True)
    (specs / "profiles").mkdir(parents=True)
    (specs / "credentials.yaml").write_text(ENCRYPT_SPEC.format(rows=rows, scheme=scheme))
    (specs / "profiles" / "bench.yaml").write_text('seed: 1\nwindow: {end: "2026-01-01T00:00:00Z", days: 30}\n')
    os.environ["SPECGEN_BENCH_SECRET"] = "bench-only secret, not a real one"
    plan = api.plan(specs, "bench", estimate=False)
    engine.generate(plan, "credentials", 0, 100)  # warm-up: the key derivation (once per column)
    seconds, nbytes = 0.0, 0
    for lo in range(0, rows, engine.BATCH_ROWS):
        batch = engine.Rows(plan, "credentials", np.arange(lo, min(rows, lo + engine.BATCH_ROWS)))
        batch.column("plain")
        t = time.perf_counter()
        col = batch.column("secret_value")
        seconds += time.perf_counter() - t
        nbytes += int(col.values.str.len_bytes().sum())
    shutil.rmtree(specs, ignore_errors=True)
    return {"rows": rows, "seconds": seconds, "bytes": nbytes, "columns": 1}


STAGES = {
    "generate/narrow (page_views, 5 cols)": (gen_memory, {"table": "page_views", "rows": 10_000_000}, 1),
    "generate/wide (customers, 11 cols)": (gen_memory, {"table": "customers", "rows": 2_000_000}, 1),
    # compile: the shop example at profile medium (5.7M rows: 71% narrow page_views, 18% order_items,
    # 7% orders, 3% reviews, 2% wide customers), one core unless stated.
    "compile/postgres csv": (compile_files, {"dialect": "postgres", "fmt": "csv"}, 1),
    "compile/mysql tsv": (compile_files, {"dialect": "mysql", "fmt": "csv"}, 1),
    "compile/sqlite csv": (compile_files, {"dialect": "sqlite", "fmt": "csv"}, 1),
    "compile/postgres sql": (compile_files, {"dialect": "postgres", "fmt": "sql"}, 1),
    "compile/mysql sql": (compile_files, {"dialect": "mysql", "fmt": "sql"}, 1),
    "compile/sqlite sql": (compile_files, {"dialect": "sqlite", "fmt": "sql"}, 1),
    "compile/postgres csv zstd": (compile_files, {"dialect": "postgres", "fmt": "csv", "compress": "zstd"}, 1),
    "compile/postgres stdout (COPY)": (compile_stream, {"dialect": "postgres"}, 1),
    "compile/mysql stdout (INSERT)": (compile_stream, {"dialect": "mysql"}, 1),
    "compile/postgres csv, 2 workers": (compile_files, {"dialect": "postgres", "fmt": "csv", "workers": 2}, 0),
    # encrypt: 1M values encrypted in the gateway's formats (the plaintexts' generation not counted).
    "encrypt/aes-gcm (encode_auth)": (gen_encrypt, {"scheme": "aes256gcm-sha256-b64url", "rows": 1_000_000}, 1),
    "encrypt/fernet v2 (EncryptedText)": (gen_encrypt, {"scheme": "fernet-argon2id-v2", "rows": 1_000_000}, 1),
}


sys.path.insert(0, str(Path(__file__).resolve().parent))
import direct_stages  # noqa: E402
import load_stages  # noqa: E402
import scale_stages  # noqa: E402
import tpch_stages  # noqa: E402
from load_stages import stages as _load_stages  # noqa: E402

STAGES.update(_load_stages())
STAGES.update(scale_stages.stages())
STAGES.update(tpch_stages.stages())
STAGES.update(direct_stages.stages())
# Stages that take minutes run when named (``bench.py direct/medium``) or with SPECGEN_BENCH_SLOW=1.
SLOW = direct_stages.SLOW


# -- driver ------------------------------------------------------------------------------------------


def _child(name: str) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, direct_stages.stop)
    fn, kwargs, _ = STAGES[name]
    result = fn(**kwargs)
    result.setdefault("peak_rss_mb", _peak_rss_mb())
    print(json.dumps(result))


def run(name: str) -> dict:
    _, _, threads = STAGES[name]
    env = dict(os.environ)
    if threads:
        env.update(POLARS_MAX_THREADS=str(threads), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    os.sync()  # start each stage without the previous one's dirty pages being flushed under it
    proc = subprocess.Popen([sys.executable, __file__, "--child", name], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate()
    except KeyboardInterrupt:
        # The stage puts back what it changed (server settings, its database) when stopped: let
        # it finish doing so rather than kill it (subprocess.run would).
        proc.send_signal(signal.SIGTERM)
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{err}")
    return json.loads(out.strip().splitlines()[-1])


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # a SIGTERM unwinds like Ctrl-C: the stages' clean-up runs


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    if argv[:1] == ["--child"]:
        _child(argv[1])
        return
    slow = os.environ.get("SPECGEN_BENCH_SLOW") == "1"
    wanted = [n for n in STAGES if (not argv and (slow or n not in SLOW)) or any(n.startswith(a) for a in argv)]
    results = {}
    print(f"{'stage':<44} {'rows':>12} {'seconds':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS':>9}")
    for name in wanted:
        r = run(name)
        rps = r["rows"] / r["seconds"]
        mbs = r["bytes"] / r["seconds"] / 1e6
        results[name] = {**r, "rows_per_s": rps, "mb_per_s": mbs}
        print(f"{name:<44} {r['rows']:>12,} {r['seconds']:>8.2f} {rps:>12,.0f} {mbs:>8.1f} {r['peak_rss_mb']:>7.0f}MB",
              flush=True)
    for line in (load_stages.summary(results) + scale_stages.summary(results) + tpch_stages.summary(results)
                 + direct_stages.summary(results)):
        print(line)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit("bench: stopped; the running stage put back what it changed")
