"""Database URLs as gateway users already write them, and how to hand them to native clients.

Accepted forms (SQLAlchemy style, as in the gateway's ``DATABASE_URL``):

* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``
* ``postgresql://user:pass@host:5432/db``, ``postgres://…``, ``postgresql+psycopg://…``,
  ``postgresql+psycopg2://…``, ``postgresql+asyncpg://…``
* ``mysql://…``, ``mysql+pymysql://…``, ``mysql+mysqldb://…``, ``mariadb://…``, ``mariadb+pymysql://…``

The schemes are data: each dialect profile lists its ``url_schemes`` and says whether its URL
names a file (``url_file``) or a server (``default_port``, ``default_user``), so a new database
needs no edit here.

A password never reaches argv, logs or reports: ``redacted()`` hides it, and ``client_env`` /
``option_file`` pass it through the environment (PostgreSQL) or an option file the client reads
from an inherited pipe (MySQL), so it is never written to disk either.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

from specgen.errors import SpecgenError
from specgen.sql import dialect as dialects

DEFAULT_URL = "sqlite:///./mcp.db"


def _schemes() -> dict[str, dialects.Dialect]:
    """URL scheme (before any ``+driver``) -> the dialect profile it names."""
    out: dict[str, dialects.Dialect] = {}
    for name in dict.fromkeys(p.stem for p in dialects.available().values()):
        if name == dialects.BASE:
            continue
        d = dialects.load(name)
        for scheme in d.url_schemes or ():
            out.setdefault(str(scheme), d)
    return out


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: str  # the dialect profile's name: sqlite | postgres | mysql | ...
    database: str  # file path for a file database (url_file)
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def redacted(self) -> str:
        """The URL for logs and reports: the password replaced by ``***``."""
        d = dialects.load(self.dialect)
        scheme = d.url_schemes[0]
        if d.url_file:
            return f"{scheme}:///{self.database}"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        return f"{scheme}://{auth}{self.host or ''}{port}/{self.database}"

    def with_database(self, database: str) -> DatabaseUrl:
        return replace(self, database=database)

    def __repr__(self) -> str:  # never show the password, even in tracebacks
        return f"DatabaseUrl({self.redacted()!r})"

    __str__ = redacted


def parse(url: str | None) -> DatabaseUrl:
    """Parse a database URL (default: ``DATABASE_URL``, then ``sqlite:///./mcp.db``)."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SpecgenError(f"not a database URL: '{_hide(url)}' (expected e.g. sqlite:///./mcp.db or "
                           "postgresql://user@host/db)")
    base = scheme.split("+", 1)[0].lower()
    schemes = _schemes()
    d = schemes.get(base)
    if d is None:
        known = [s for s in schemes if schemes[s].url_schemes[0] == s]
        raise SpecgenError(f"unsupported database URL scheme '{scheme}': use {', '.join(known[:-1])} or {known[-1]}")
    if d.url_file:
        # sqlite:///rel/path -> "rel/path"; sqlite:////abs/path -> "/abs/path"
        path = rest[1:] if rest.startswith("/") else rest
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            raise SpecgenError(f"a {d.title} URL needs a file path, e.g. {base}:///./mcp.db")
        # Relative to where the user runs specgen (clients run inside the dump directory).
        full = os.path.abspath(unquote(path))
        if os.path.isdir(full):
            raise SpecgenError(f"{_hide(url)}: names a directory; a {d.title} URL names the database file, "
                               f"e.g. {base}:///{os.path.join(path, 'mcp.db')}")
        return DatabaseUrl(d.name, full)
    try:
        parts = urlsplit(f"{base}://{rest}")
    except ValueError as exc:  # e.g. an unclosed [ of an IPv6 host; the message does not hold the URL
        raise SpecgenError(f"database URL '{_hide(url)}' does not parse ({exc})") from None
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise SpecgenError(f"database URL '{_hide(url)}' names no database (…/dbname)")
    try:
        port = parts.port
    except ValueError:
        raise SpecgenError(f"database URL '{_hide(url)}' has an invalid port") from None
    query = tuple(sorted((k, v[-1]) for k, v in parse_qs(parts.query).items()))
    return DatabaseUrl(
        dialect=d.name,
        database=database,
        host=parts.hostname or "127.0.0.1",
        port=port or d.default_port,
        user=unquote(parts.username) if parts.username else d.default_user,
        password=unquote(parts.password) if parts.password is not None else None,
        query=query,
    )


def _hide(url: str) -> str:
    """Best-effort redaction of a URL that failed to parse."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        cred, _, host = rest.rpartition("@")
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in cred else url
    return url


def client_env(url: DatabaseUrl) -> dict[str, str]:
    """Environment for ``psql``: connection settings without anything on the command line."""
    env = dict(os.environ)
    if url.dialect != "postgres":
        return env
    env.update(PGHOST=url.host, PGPORT=str(url.port), PGUSER=url.user, PGDATABASE=url.database,
               PGAPPNAME="specgen", PGCONNECT_TIMEOUT=env.get("PGCONNECT_TIMEOUT", "10"))
    if url.password is not None:
        env["PGPASSWORD"] = url.password
    for k, v in url.query:
        if k == "sslmode":
            env["PGSSLMODE"] = v
    return env


@contextmanager
def option_file(url: DatabaseUrl):
    """A MySQL option file with the connection settings (and password), as ``(path, fd)``.

    The file is a pipe the client inherits (``/dev/fd/N``; pass ``fd`` in ``pass_fds``): the
    password never touches the disk, so a killed process cannot leave it behind.
    """
    lines = ["[client]", f"host={url.host}", f"port={url.port}", f"user={url.user}"]
    if url.password is not None:
        lines.append(f'password="{_opt_escape(url.password)}"')
    if url.host in ("localhost",):
        lines.append("protocol=tcp")
    data = ("\n".join(lines) + "\n").encode()
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)  # a few hundred bytes: well within the pipe's buffer
    finally:
        os.close(write_fd)
    try:
        yield f"/dev/fd/{read_fd}", read_fd
    finally:
        os.close(read_fd)


def _opt_escape(value: str) -> str:
    # MySQL option files honour backslash escapes inside quoted values.
    return value.replace("\\", "\\\\").replace('"', '\\"')
