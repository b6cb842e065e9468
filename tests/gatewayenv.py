"""The MCP Gateway from PyPI, one release per virtual environment, and the schema its alembic
migrations build: what tests compare specgen's gateway spec set with.

Each release is installed once into ``<cache>/gateway-<version>`` (``$SPECGEN_GATEWAY_CACHE``,
else ``$XDG_CACHE_HOME/specgen``, else ``~/.cache/specgen``; never inside the repository), built in
a temporary directory beside it and renamed into place under an exclusive file lock, with a
``specgen-gateway.json`` marker; the gateway test harness (tests/gateway) starts the same install.
The schema of ``alembic upgrade head`` is kept beside it too (a SQLite file; for PostgreSQL a
``pg_dump --schema-only`` script), since the migrations take about half a minute.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "mcp-contextforge-gateway"
# The interpreter the gateway needs (it requires Python >= 3.11; 1.1.0 is released for 3.12).
DEFAULT_PYTHON = "/root/.pyenv/versions/3.12.1/bin/python"
MARKER = "specgen-gateway.json"
# 1.0.0 pins no upper bound on mcp, whose 2.x it cannot import.
REQUIREMENTS = {"1.0.0": ("mcp>=1.27,<2",)}
# The PostgreSQL driver: the package's own `postgres` extra asks for psycopg[binary,c], and the C
# build needs a compiler and libpq headers; the binary wheel is the same driver.
DRIVER = "psycopg[binary]>=3.3.4"
PASSWORD = "Xq9!vLm2#Rt7pZ"


class GatewayUnavailable(Exception):
    """The gateway cannot be installed or run here (no Python 3.12, pip failed, no namespace...)."""


def cache_root() -> Path:
    """Where installs are kept between runs: $SPECGEN_GATEWAY_CACHE, else $XDG_CACHE_HOME/specgen,
    else ~/.cache/specgen (never inside the repository)."""
    if os.environ.get("SPECGEN_GATEWAY_CACHE"):
        return Path(os.environ["SPECGEN_GATEWAY_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "specgen"


def find_python() -> str:
    """$SPECGEN_GATEWAY_PYTHON when set (and only it), else DEFAULT_PYTHON, else python3.12."""
    chosen = os.environ.get("SPECGEN_GATEWAY_PYTHON")
    for c in [chosen] if chosen else [DEFAULT_PYTHON, shutil.which("python3.12")]:
        if c and os.access(c, os.X_OK):
            proc = subprocess.run([c, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True)
            if proc.returncode == 0 and proc.stdout.strip() == "3.12":
                return c
    tried = f"$SPECGEN_GATEWAY_PYTHON={chosen}" if chosen else f"{DEFAULT_PYTHON}, python3.12 on PATH"
    raise GatewayUnavailable(f"no Python 3.12 interpreter for {PACKAGE} (tried {tried})")


@dataclass
class Install:
    """One release's virtual environment."""

    root: Path

    @property
    def python(self) -> str:
        # Always `python -m ...`: console scripts carry the absolute path of the directory the
        # virtual environment was built in, which is renamed into place.
        return str(self.root / "bin" / "python")

    @property
    def package_dir(self) -> Path:
        found = sorted(self.root.glob("lib/python3.*/site-packages/mcpgateway"))
        if not found:
            raise GatewayUnavailable(f"{self.root}: mcpgateway is not installed in it")
        return found[0]

    @property
    def alembic_ini(self) -> Path:
        return self.package_dir / "alembic.ini"


def _installed(root: Path, version: str) -> bool:
    try:
        doc = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return doc.get("version") == version and (root / "bin" / "python").exists()


def ensure(version: str) -> Path:
    """The virtual environment holding ``PACKAGE==version`` (built on first use).

    Built in a temporary directory beside the final one and renamed into place when complete, under
    an exclusive file lock, so that two pytest processes never build it twice or see half of it.
    """
    root = cache_root() / f"gateway-{version}"
    if _installed(root, version):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(root, version):
            return root
        # Leftovers of a build that was killed, or a directory without the marker.
        for stale in root.parent.glob(f".{root.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if root.exists():
            shutil.rmtree(root)
        python = find_python()
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
        try:
            _build(tmp, python, version)
            os.rename(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return root


def install(version: str) -> Install:
    return Install(ensure(version))


def _build(venv: Path, python: str, version: str) -> None:
    t0 = time.monotonic()
    proc = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise GatewayUnavailable(f"{python} -m venv failed: {proc.stderr.strip()[-1000:]}")
    reqs = [f"{PACKAGE}=={version}", *REQUIREMENTS.get(version, ()), DRIVER]
    log = venv / "pip-install.log"
    with open(log, "w") as out:
        proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input",
                               "--disable-pip-version-check", "--progress-bar", "off", *reqs],
                              stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise GatewayUnavailable(f"pip install {' '.join(reqs)} failed ({proc.returncode}):\n{tail}")
    # What the migrations and the running gateway import (uvicorn serves it, psycopg its PostgreSQL).
    probe = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import mcpgateway, psycopg, uvicorn, alembic; print(mcpgateway.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != version:
        raise GatewayUnavailable(f"the installed gateway does not import as {version}: "
                                 f"{probe.stdout.strip()} {probe.stderr.strip()[-1000:]}")
    freeze = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze", "--disable-pip-version-check"],
                            capture_output=True, text=True).stdout.split()
    (venv / MARKER).write_text(json.dumps({
        "package": PACKAGE, "version": version, "python": python,
        "requirements": reqs, "built_in_s": round(time.monotonic() - t0, 1), "freeze": freeze,
    }, indent=1))


def alembic_ini(venv: Path) -> Path:
    return Install(venv).alembic_ini


def upgrade_head(venv: Path, database_url: str, cwd: Path) -> None:
    """``alembic upgrade head`` into ``database_url``, with the settings the gateway refuses to
    start without (fresh secrets each time: the migrations store nothing encrypted)."""
    env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET_KEY": secrets.token_urlsafe(48),
           "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(48), "PLATFORM_ADMIN_PASSWORD": PASSWORD,
           "DEFAULT_USER_PASSWORD": PASSWORD}
    for k in ("SPECGEN_CACHE_DIR", "PYTHONPATH"):
        env.pop(k, None)
    log = cwd / "alembic.log"
    with open(log, "w") as out:
        proc = subprocess.run([str(venv / "bin" / "python"), "-m", "alembic", "-c", str(alembic_ini(venv)),
                               "upgrade", "head"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=600)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise GatewayUnavailable(f"alembic upgrade head failed ({proc.returncode}):\n{tail}")


def _cached(path: Path, build) -> Path:
    """``path`` made once by ``build(tmp_path)`` (atomically, under a lock)."""
    if path.exists():
        return path
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            work = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
            try:
                os.replace(build(work), path)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return path


def sqlite_schema(version: str) -> Path:
    """A SQLite file holding the schema of ``alembic upgrade head`` (no rows); copy it to use it."""
    venv = ensure(version)

    def build(work: Path) -> Path:
        db = work / "schema.db"
        upgrade_head(venv, f"sqlite:///{db}", work)
        return db

    return _cached(venv / "alembic-schema.sqlite", build)


def postgres_schema(version: str, conn: list[str]) -> Path:
    """A psql script recreating the PostgreSQL schema of ``alembic upgrade head`` (pg_dump
    --schema-only of a database it was built in). ``conn``: psql's connection arguments."""
    venv = ensure(version)

    def build(work: Path) -> Path:
        name = f"specgen_gw_{secrets.token_hex(5)}"
        subprocess.run(["psql", *conn, "-d", "postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True,
                       capture_output=True)
        try:
            host = conn[conn.index("-h") + 1]
            port = conn[conn.index("-p") + 1]
            user = conn[conn.index("-U") + 1]
            upgrade_head(venv, f"postgresql+psycopg://{user}@{host}:{port}/{name}", work)
            dump = subprocess.run(["pg_dump", *[a for a in conn if a != "-X"], "--schema-only", "--no-owner", "--no-privileges", name],
                                  capture_output=True, text=True)
            if dump.returncode != 0:
                raise GatewayUnavailable(f"pg_dump failed: {dump.stderr.strip()[-500:]}")
            # pg_dump of a newer client may emit settings an older server lacks; drop those lines.
            text = "\n".join(line for line in dump.stdout.splitlines()
                             if not line.startswith(("SET transaction_timeout", "\\restrict", "\\unrestrict")))
            (work / "schema.sql").write_text(text + "\n")
        finally:
            subprocess.run(["psql", *conn, "-d", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                           capture_output=True)
        return work / "schema.sql"

    return _cached(venv / "alembic-schema.postgres.sql", build)
