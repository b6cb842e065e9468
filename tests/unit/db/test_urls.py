"""Database URLs: the forms gateway users have, defaults, and passwords kept out of sight."""

from __future__ import annotations

import os
import stat

import pytest

from specgen.db.urls import DEFAULT_URL, client_env, option_file, parse
from specgen.errors import SpecgenError


@pytest.mark.parametrize(
    "url, dialect, host, port, user, db",
    [
        ("postgresql://u:p@h:5433/gw", "postgres", "h", 5433, "u", "gw"),
        ("postgres://u@h/gw", "postgres", "h", 5432, "u", "gw"),
        ("postgresql+psycopg://u:p@h/gw", "postgres", "h", 5432, "u", "gw"),
        ("postgresql+asyncpg://u:p@h/gw", "postgres", "h", 5432, "u", "gw"),
        ("mysql://root@127.0.0.1/mcp", "mysql", "127.0.0.1", 3306, "root", "mcp"),
        ("mysql+pymysql://u:p@h:3307/mcp?charset=utf8mb4", "mysql", "h", 3307, "u", "mcp"),
        ("mariadb+pymysql://u:p@h/mcp", "mysql", "h", 3306, "u", "mcp"),
    ],
)
def test_server_urls(url, dialect, host, port, user, db):
    u = parse(url)
    assert (u.dialect, u.host, u.port, u.user, u.database) == (dialect, host, port, user, db)


def test_sqlite_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse("sqlite:///./mcp.db").database == str(tmp_path / "mcp.db")
    assert parse("sqlite:///mcp.db").database == str(tmp_path / "mcp.db")
    assert parse("sqlite:////tmp/a b.db").database == "/tmp/a b.db"


def test_default_url_and_environment(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert parse(None) == parse(DEFAULT_URL)
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@y/z")
    assert parse(None).dialect == "postgres"


def test_password_never_shown():
    u = parse("postgresql+psycopg://bob:s3cr%40t@db:6543/gw")
    assert u.password == "s3cr@t"
    for text in (u.redacted(), str(u), repr(u)):
        assert "s3cr" not in text and "***" in text


def test_password_goes_to_env_or_an_inherited_pipe(tmp_path):
    u = parse("postgresql://bob:pw@db/gw")
    assert client_env(u)["PGPASSWORD"] == "pw"
    m = parse("mysql://bob:p%22w@db/gw")
    before = set(os.listdir(tmp_path.parent))
    with option_file(m) as (path, fd):
        assert path == f"/dev/fd/{fd}" and stat.S_ISFIFO(os.fstat(fd).st_mode)  # a pipe, not a file on disk
        assert 'password="p\\"w"' in os.read(fd, 4096).decode()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed afterwards
    assert set(os.listdir(tmp_path.parent)) == before


@pytest.mark.parametrize("bad", ["nonsense", "oracle://u@h/db", "postgresql://u:secret@h", "sqlite://"])
def test_bad_urls_are_user_errors_without_the_password(bad):
    with pytest.raises(SpecgenError) as exc:
        parse(bad)
    assert "secret" not in str(exc.value)
