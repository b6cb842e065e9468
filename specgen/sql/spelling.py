"""sqlglot's spellings of quoted identifiers, types, literals and predicates for one dialect.

Rendering one spec set for one dialect asks sqlglot a few thousand small questions; each goes
through ``answers.ask``, which remembers the answers between runs so sqlglot is imported only to
answer a question not asked before.
"""

from __future__ import annotations

from specgen.answers import ask


def literal(value, dialect) -> str:
    """A Python value (a spec default or a check value) as an SQL literal of the dialect."""
    if isinstance(value, (dict, list)):
        import json

        value = json.dumps(value, ensure_ascii=False)

    def answer() -> str:
        from sqlglot import exp

        return exp.convert(value).sql(dialect=dialect.sqlglot or None)

    # The question names the type: 1, 1.0, '1' and True are different literals.
    return ask("literal", dialect.sqlglot, f"{type(value).__name__}:{value!r}", answer)


def predicate(sql: str, dialect) -> str:
    """A partial-index predicate from the spec, re-spelled for the dialect."""
    def answer() -> str:
        import sqlglot

        return sqlglot.transpile(sql, write=dialect.sqlglot or None)[0]

    return ask("predicate", dialect.sqlglot, sql, answer)
