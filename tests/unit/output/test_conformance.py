"""One conformance class, inherited by every (format x dialect) writer; subclasses state only the
expected literals.

Each case is a one-row, one-column table whose value is a ``const`` (or NULL), so the encoded
field is the whole content of the table's data: what the writer produced is compared with what
the database's loader must read. SQL literals are also checked with sqlglot as the oracle: the
INSERT is parsed in the dialect and the parsed value must be the original value.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlglot
import yaml
from sqlglot import exp

from conftest import write_spec_set
from specgen import api

JSON_DOC = {"q": 'say "hi"', "b": "back\\slash", "u": "é中🎉"}

# case -> (portable type, value); None = the column is NULL (nullable, no generator)
CASES = {
    "null": ("text", None),
    "empty": ("text", ""),
    "true": ("boolean", True),
    "false": ("boolean", False),
    "int_max": ("bigint", 9223372036854775807),
    "int_min": ("bigint", -9223372036854775808),
    "int_neg": ("integer", -42),
    "float_tenth": ("double", 0.1),
    "float_big": ("double", 1.0e20),
    "float_third": ("double", 1 / 3),
    "float_neg": ("double", -2.5),
    "ts": ("timestamptz", "2026-01-01T12:34:56Z"),
    "date": ("date", "2026-01-31"),
    "json": ("json", JSON_DOC),
    "quote": ("text", 'say "hi"'),
    "single": ("text", "it's"),
    "backslash": ("text", "C:\\path\\"),
    "tab": ("text", "tab\there"),
    "cr": ("text", "a\rb"),
    "lf": ("text", "a\nb"),
    "crlf": ("text", "a\r\nb"),
    "unicode": ("varchar(20)", "é中🎉"),
    "marker": ("text", "\\N"),
    "marker2": ("text", "\\\\N"),
    "letter_n": ("text", "N"),
    "marker_x": ("text", "\\Nx"),
    "comma": ("text", "a,b"),
    "bytes": ("blob", "00ff10"),
}

NASTY = ["", "plain", 'say "hi"', "it's", "C:\\path\\", "tab\there", "a\rb", "a\nb", "a\r\nb", "é中🎉",
         "\\N", "\\\\N", "N", "a,b", "\\.", "trailing\\"]


def case_specs() -> dict[str, str]:
    files = {}
    for case, (typ, value) in CASES.items():
        col = {"type": typ}
        if value is None:
            col["nullable"] = True
        else:
            col["gen"] = {"const": value}
        files[f"c_{case}.yaml"] = yaml.safe_dump({"table": f"c_{case}", "rows": 1, "columns": {"v": col}},
                                                 allow_unicode=True, sort_keys=False)
    files["seq.yaml"] = yaml.safe_dump({
        "table": "seq", "rows": 2500, "primary_key": ["id"],
        "columns": {"id": {"type": "bigint", "gen": "sequence"},
                    "txt": {"type": "text", "nullable": True, "null_rate": 0.2,
                            "gen": {"categorical": {"values": NASTY}}}},
    }, allow_unicode=True, sort_keys=False)
    files["empty.yaml"] = yaml.safe_dump({"table": "empty", "rows": 0,
                                          "columns": {"id": {"type": "bigint", "gen": "sequence"}}})
    return files


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    return write_spec_set(tmp_path_factory.mktemp("cases"), case_specs())


class Conformance:
    """What every writer must get right; subclasses give ``dialect``, ``fmt`` and ``EXPECT``."""

    dialect = ""
    fmt = "csv"
    stream = False
    EXPECT: dict[str, str] = {}

    @pytest.fixture(scope="class")
    @classmethod
    def written(cls, case_dir, tmp_path_factory):
        if cls.stream:
            buf = io.BytesIO()
            api.compile(case_dir, "default", cls.dialect, fmt=cls.fmt if cls.fmt == "sql" else None,
                        stream=buf, workers=1)
            return {"stream": buf.getvalue().decode()}
        out = tmp_path_factory.mktemp(f"{cls.dialect}-{cls.fmt}")
        m = api.compile(case_dir, "default", cls.dialect, fmt=cls.fmt, out=out, workers=1, chunk_rows=1000)
        return {"dir": out, "manifest": m}

    def raw_field(self, written, case: str) -> str:
        """The encoded value of a case, cut out of the file or stream around it."""
        table = f"c_{case}"
        if self.stream:
            return self.stream_field(written["stream"], table)
        files = written["manifest"]["tables"][table]["files"]
        assert len(files) == 1
        text = (written["dir"] / files[0]["path"]).read_bytes().decode()
        if self.fmt == "sql":
            head = f"INSERT INTO {self.q(table)} ({self.q('v')}) VALUES\n("
            assert text.startswith(head) and text.endswith(");\n"), text
            return text[len(head):-3]
        assert text.endswith("\n")
        return text[:-1]

    def stream_field(self, stream: str, table: str) -> str:  # pragma: no cover - per stream kind
        raise NotImplementedError

    def q(self, name: str) -> str:
        return sqlglot.exp.to_identifier(name, quoted=True).sql(dialect=self.dialect)

    @pytest.mark.parametrize("case", list(CASES))
    def test_literal(self, written, case):
        assert self.raw_field(written, case) == self.EXPECT[case]

    def test_every_case_has_an_expectation(self):
        assert set(self.EXPECT) == set(CASES)

    def test_empty_table_has_no_parts(self, written):
        if self.stream:
            assert self.q("empty") in written["stream"]  # created, no data block
            return
        entry = written["manifest"]["tables"]["empty"]
        assert entry["rows"] == 0 and entry["files"] == []
        assert not (written["dir"] / "data" / "empty").exists()

    def test_chunk_boundaries_do_not_change_bytes(self, written, case_dir, tmp_path):
        entry = written["manifest"]["tables"]["seq"]
        assert [f["rows"] for f in entry["files"]] == [1000, 1000, 500]
        small = b"".join((written["dir"] / f["path"]).read_bytes() for f in entry["files"])
        m = api.compile(case_dir, "default", self.dialect, fmt=self.fmt, out=tmp_path, workers=1,
                        chunk_rows=50000, tables=["seq"])
        (whole,) = m["tables"]["seq"]["files"]
        assert (tmp_path / whole["path"]).read_bytes() == small
        assert list(m["tables"]) == ["seq"]


class SqlOracle(Conformance):
    """INSERT literals parse back, in the dialect, to exactly the value that was generated."""

    fmt = "sql"

    @pytest.mark.parametrize("case", list(CASES))
    def test_sqlglot_reads_the_value_back(self, written, case):
        typ, value = CASES[case]
        sql = f"INSERT INTO t (v) VALUES ({self.raw_field(written, case)})"
        (row,) = sqlglot.parse_one(sql, read=self.dialect).find(exp.Values).expressions
        (node,) = row.expressions
        assert parsed_value(node, typ) == expected_value(typ, value, self.dialect)


def parsed_value(node, typ):
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Neg):
        return -parsed_value(node.this, typ)
    if isinstance(node, exp.HexString):
        return node.this.lower()
    if isinstance(node, exp.DPipe):  # 'a' || char(13) || 'b' (SQLite's CR)
        return parsed_value(node.this, typ) + parsed_value(node.expression, typ)
    if isinstance(node, exp.Chr):
        return "".join(chr(int(e.this)) for e in node.expressions)
    if not node.is_string:
        return int(node.this) if typ in ("bigint", "integer") else float(node.this)
    return node.this


def expected_value(typ, value, dialect):
    import datetime as dt
    import json

    if value is None:
        return None
    if typ == "boolean" and dialect != "postgres":
        return int(value)
    if typ == "json":
        return json.dumps(value, ensure_ascii=False)
    if typ == "timestamptz":
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        text = t.strftime("%Y-%m-%d %H:%M:%S")
        return {"postgres": text + "+00", "sqlite": text + ".000000"}.get(dialect, text)
    if typ == "blob" and dialect == "postgres":
        return "\\x" + value
    return value


# -- the writers ----------------------------------------------------------------------------------

PG_CSV_JSON = '"{""q"": ""say \\""hi\\"""", ""b"": ""back\\\\slash"", ""u"": ""é中🎉""}"'
ESCAPED_JSON = '{"q": "say \\\\"hi\\\\"", "b": "back\\\\\\\\slash", "u": "é中🎉"}'
SQL_JSON = "'" + '{"q": "say \\"hi\\"", "b": "back\\\\slash", "u": "é中🎉"}' + "'"

COMMON = {
    "int_max": "9223372036854775807", "int_min": "-9223372036854775808", "int_neg": "-42",
    "float_tenth": "0.1", "float_big": "1e+20", "float_third": "0.3333333333333333", "float_neg": "-2.5",
    "unicode": "é中🎉", "letter_n": "N",
}
CSV_TEXT = {
    "quote": '"say ""hi"""', "single": "it's", "backslash": '"C:\\path\\"', "tab": "tab\there",
    "cr": '"a\rb"', "lf": '"a\nb"', "crlf": '"a\r\nb"', "marker_x": '"\\Nx"', "comma": '"a,b"',
    "json": PG_CSV_JSON, "empty": '""',
}
ESCAPED_TEXT = {
    "quote": 'say "hi"', "single": "it's", "backslash": "C:\\\\path\\\\", "tab": "tab\\there",
    "cr": "a\\rb", "lf": "a\\nb", "crlf": "a\\r\\nb", "marker": "\\\\N", "marker2": "\\\\\\\\N",
    "marker_x": "\\\\Nx", "comma": "a,b", "json": ESCAPED_JSON, "empty": "", "null": "\\N",
}
SQL_STANDARD = {
    "null": "NULL", "empty": "''", "quote": "'say \"hi\"'", "single": "'it''s'", "backslash": "'C:\\path\\'",
    "tab": "'tab\there'", "cr": "'a\rb'", "lf": "'a\nb'", "crlf": "'a\r\nb'", "unicode": "'é中🎉'",
    "marker": "'\\N'", "marker2": "'\\\\N'", "letter_n": "'N'", "marker_x": "'\\Nx'", "comma": "'a,b'",
    "json": SQL_JSON, "date": "'2026-01-31'",
}


class TestCsvPostgres(Conformance):
    dialect = "postgres"
    EXPECT = {**COMMON, **CSV_TEXT, "null": "", "true": "t", "false": "f", "ts": "2026-01-01 12:34:56+00",
              "date": "2026-01-31", "marker": '"\\N"', "marker2": '"\\\\N"', "bytes": '"\\x00ff10"'}


class TestCsvSqlite(Conformance):
    dialect = "sqlite"
    EXPECT = {**COMMON, **CSV_TEXT, "null": "\\N", "true": "1", "false": "0", "ts": "2026-01-01 12:34:56.000000",
              "date": "2026-01-31", "marker": '"\\\\N"', "marker2": '"\\\\\\N"', "bytes": "00ff10"}

    def test_escaped_markers_are_counted(self, written):
        tables = written["manifest"]["tables"]
        assert tables["c_marker"]["stats"]["v"]["escaped"] == 1
        assert tables["c_marker2"]["stats"]["v"]["escaped"] == 1
        assert "escaped" not in tables["c_marker_x"]["stats"]["v"]
        assert "escaped" not in tables["c_null"]["stats"]["v"]


class TestTsvMysql(Conformance):
    dialect = "mysql"
    EXPECT = {**COMMON, **ESCAPED_TEXT, "true": "1", "false": "0", "ts": "2026-01-01 12:34:56",
              "date": "2026-01-31", "bytes": "00ff10"}


class TestSqlPostgres(SqlOracle):
    dialect = "postgres"
    EXPECT = {**COMMON, **SQL_STANDARD, "true": "TRUE", "false": "FALSE", "ts": "'2026-01-01 12:34:56+00'",
              "bytes": "'\\x00ff10'"}


class TestSqlSqlite(SqlOracle):
    dialect = "sqlite"
    EXPECT = {**COMMON, **SQL_STANDARD, "true": "1", "false": "0", "ts": "'2026-01-01 12:34:56.000000'",
              "bytes": "X'00ff10'", "cr": "'a' || char(13) || 'b'", "crlf": "'a' || char(13) || '\nb'"}


class TestSqlMysql(SqlOracle):
    dialect = "mysql"
    EXPECT = {**COMMON, **SQL_STANDARD, "true": "1", "false": "0", "ts": "'2026-01-01 12:34:56'",
              "bytes": "X'00ff10'", "backslash": "'C:\\\\path\\\\'", "marker": "'\\\\N'",
              "marker2": "'\\\\\\\\N'", "marker_x": "'\\\\Nx'",
              "cr": "'a\\rb'", "lf": "'a\\nb'", "crlf": "'a\\r\\nb'",
              "json": "'" + '{"q": "say \\\\"hi\\\\"", "b": "back\\\\\\\\slash", "u": "é中🎉"}' + "'"}


class TestCopyStreamPostgres(Conformance):
    """``--stdout`` for PostgreSQL: COPY ... FROM stdin blocks in text format."""

    dialect = "postgres"
    stream = True
    EXPECT = {**COMMON, **ESCAPED_TEXT, "true": "t", "false": "f", "ts": "2026-01-01 12:34:56+00",
              "date": "2026-01-31", "bytes": "\\\\x00ff10"}

    def test_chunk_boundaries_do_not_change_bytes(self, written, case_dir):
        """The stream crosses its 128K-row batches and the 2500 rows here in one COPY block."""
        m = re.search(r'^COPY "seq" \("id", "txt"\) FROM stdin;\n(.*?)\n\\\.\n', written["stream"], re.M | re.S)
        lines = m.group(1).split("\n")
        df = api.generate_table(api.plan(case_dir, "default"), "seq")
        assert [int(line.split("\t")[0]) for line in lines] == df["id"].to_list()
        assert sum(line.endswith("\t\\N") for line in lines) == df["txt"].null_count() > 0

    def stream_field(self, stream, table):
        m = re.search(rf'^COPY "{table}" \("v"\) FROM stdin;\n(.*?)\n\\\.\n', stream, re.M | re.S)
        assert m, table
        return m.group(1)


# -- the quick "does any value need escaping?" scan ------------------------------------------------


@pytest.mark.parametrize("char", ['"', "\r", "\n", ",", "\\", "\t", "\x00"])
def test_the_buffer_scan_never_misses_a_character_to_escape(char):
    import polars as pl

    from specgen.output import encode

    wanted = encode._CSV_SPECIAL_BYTES if char in '"\r\n,\\' else encode._TEXT_SPECIAL_BYTES
    plain = [f"value {i}" for i in range(40)] + ["x" * 30, "", None]
    assert not encode._holds_any(pl.Series(plain), wanted)
    for value in (f"a{char}b", char, "y" * 20 + char):  # short values (inline in view arrays) and long
        for at in (0, 21, 42):
            s = pl.Series(plain[:at] + [value] + plain[at:])
            assert encode._holds_any(s, wanted), (value, at)
            assert encode._holds_any(s[at:], wanted) and encode._holds_any(s.gather([at]), wanted)
