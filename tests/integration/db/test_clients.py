"""The SQLite client's in-process queries (verify's path for SQLite)."""

from __future__ import annotations

import sqlite3

import pytest

from specgen.db.clients import ClientError, SqliteClient
from specgen.db.urls import parse


@pytest.fixture
def client(tmp_path):
    path = tmp_path / "t.db"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a1'), ('b2'), ('zz'), (NULL);")
    con.close()
    return SqliteClient(parse(f"sqlite:///{path}"))


def test_statements_with_and_without_regexp_answer_in_order(client):
    """Statements calling REGEXP (a Python callback per row) run on a second connection; the
    answers come back in the order asked, the same as one by one."""
    statements = ["SELECT COUNT(*) FROM t",
                  "SELECT SUM(CASE WHEN x REGEXP '^[a-z][0-9]$' THEN 1 ELSE 0 END) FROM t",
                  "SELECT MIN(x), MAX(x) FROM t",
                  "SELECT COUNT(*) FROM t WHERE x REGEXP 'z'",
                  "SELECT COUNT(x) FROM t;"]
    expected = [["4"], ["2"], ["a1", "zz"], ["1"], ["3"]]
    assert client.query_many(statements) == expected
    assert [client.query_many([s])[0] for s in statements] == expected


def test_a_failing_regexp_statement_is_reported(client):
    with pytest.raises(ClientError, match="no such column"):
        client.query_many(["SELECT COUNT(*) FROM t", "SELECT COUNT(*) FROM t WHERE nope REGEXP 'a'"])
    with pytest.raises(ClientError, match="no such table"):
        client.query_many(["SELECT COUNT(*) FROM missing", "SELECT COUNT(*) FROM t WHERE x REGEXP 'a'"])
