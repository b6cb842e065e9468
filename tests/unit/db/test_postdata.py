"""post_data.sql cut into steps, and the steps shared among parallel sessions (no database)."""

import pytest

from specgen import api
from specgen.db import postdata
from specgen.db.postdata import balance, key_tasks, post_data_steps
from specgen.sql import dialect as dialects


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_post_data_steps_hold_every_statement_once(tmp_path, dialect):
    api.compile(None, "tiny", dialect, out=tmp_path, workers=1)  # the gateway specs: keys, indexes, FKs
    text = (tmp_path / "post_data.sql").read_text()
    steps = post_data_steps(text)
    prelude, keys, foreign_keys, end, identity = steps.prelude, steps.keys, steps.foreign_keys, steps.end, steps.identity
    pieces = prelude + "".join(step for steps in keys.values() for step in steps) + foreign_keys + end
    assert sorted((pieces + "".join(identity.values())).splitlines()) == sorted(text.splitlines())
    assert sorted(steps.rest.splitlines()) == sorted(pieces.splitlines())  # the file but its identity steps
    block = "".join(identity.values())  # together, before the end
    assert block in text and steps.rest == text.replace(block, "")
    # The gateway's ten integer primary keys have counters to set (SQLite's rowids have none).
    assert len(identity) == (0 if dialect == "sqlite" else 15)  # the 10 integer-keyed history tables and the 5 hourly rollups
    assert all(sql.startswith('-- specgen-step: {"phase": "identity"') for sql in identity.values())
    statements = [line for line in text.splitlines() if line and not line.startswith("--")]
    assert not any(line in prelude for line in statements if line.startswith(("ALTER", "CREATE")))
    q = dialects.load(dialect).quote
    for table, steps in keys.items():
        for step in steps:
            assert step.startswith("-- specgen-step: ")
            statement = " ".join(line for line in step.splitlines() if not line.startswith("--"))
            assert statement.count(";") == 1 and statement.endswith(";"), step
            assert statement.startswith((f"ALTER TABLE {q(table)} ", "CREATE ")), step
            assert f"TABLE {q(table)} " in statement or f" ON {q(table)} " in statement, step
    assert all("FOREIGN KEY" in line for line in foreign_keys.splitlines() if not line.startswith("--"))
    assert foreign_keys or dialect == "sqlite"  # SQLite declares them in CREATE TABLE
    assert len(keys) > 20


def test_balance_spreads_costs_longest_first():
    groups = balance([5, 1, 4, 2, 3], 2)
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 3, 4]
    assert sorted(sum([5, 1, 4, 2, 3][i] for i in g) for g in groups) == [7, 8]
    assert balance([3, 1], 5) == [[0], [1]]  # no empty groups
    assert balance([], 3) == []


def test_key_tasks_split_big_tables_and_bundle_small_ones(monkeypatch):
    monkeypatch.setattr(postdata, "BIG_TABLE_BYTES", 100)
    keys = {"big": ["b0;", "b1;"], "a": ["a0;"], "b": ["b;"], "c": ["c0;", "c1;"]}
    size = {"big": 500, "a": 50, "b": 40, "c": 30}
    tasks = key_tasks(keys, size, 2)
    # The big table's steps one task each, first and in file order; the small tables in two
    # bundles of about equal size (the bigger first), each table's steps together and in order.
    assert tasks == ["b0;", "b1;", "b;c0;c1;", "a0;"]
    assert key_tasks(keys, size, 1) == ["b0;b1;a0;b;c0;c1;"]  # one session: one script, file order
    assert key_tasks({}, size, 3) == []
