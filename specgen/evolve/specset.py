"""``specset.yaml``: settings of a spec set as a whole, beside its entity specs.

It says what ``specgen drift`` should not report:

```yaml
drift:
  ignore_tables:              # tables of the database this spec set deliberately does not fill
    alembic_version: alembic's own bookkeeping
    "sso_*": single sign-on (a glob: every table it matches)
  known:                      # differences accepted on purpose, each with the reason
    - code: column.not_null   # a difference's code (see docs/schema-evolution.md), globs allowed
      object: [tools.tags]    # table, table.column or table.constraint (one or a list), globs allowed
      dialects: [sqlite]      # optional: only on these databases
      why: the ORM declares it NOT NULL; the alembic migration left it nullable
```

The file is optional; entity loading skips it (``spec.SETTINGS_FILES``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from specgen.errors import Diagnostic, SpecErrors
from specgen.spec.source import load

FILE = "specset.yaml"
DIALECTS = ("sqlite", "postgres", "mysql")


@dataclass
class Known:
    code: str
    object: tuple[str, ...]  # globs
    why: str
    dialects: tuple[str, ...] = ()
    where: tuple[str, int, int] = ("", 0, 0)  # file, line, col of the entry

    def matches(self, code: str, obj: str, dialect: str) -> bool:
        return (fnmatch.fnmatchcase(code, self.code) and any(fnmatch.fnmatchcase(obj, o) for o in self.object)
                and (not self.dialects or dialect in self.dialects))


@dataclass
class Settings:
    file: str | None = None
    ignore_tables: dict[str, str] = field(default_factory=dict)  # name or glob -> reason
    known: list[Known] = field(default_factory=list)

    def ignored(self, table: str) -> str | None:
        """The reason ``table`` is ignored, or None."""
        for pattern, why in self.ignore_tables.items():
            if fnmatch.fnmatchcase(table, pattern):
                return why or "ignored"
        return None

    def known_for(self, code: str, obj: str, dialect: str) -> Known | None:
        return next((k for k in self.known if k.matches(code, obj, dialect)), None)


def read(spec_dir: str | Path) -> Settings:
    """The settings of ``spec_dir`` (empty when it has no specset.yaml); raises ``SpecErrors``
    with file:line:col for a malformed file."""
    d = Path(spec_dir)
    path = next((d / n for n in (FILE, "specset.yml") if (d / n).is_file()), None)
    if path is None:
        return Settings()
    import os

    try:
        display = os.path.relpath(path)
    except ValueError:
        display = str(path)
    data, marks = load(path, display)
    errors: list[Diagnostic] = []
    out = Settings(display)
    if data is None:
        return out
    if not isinstance(data, dict):
        raise SpecErrors([marks.diag((), "specset.yaml is a mapping (drift: ...)")])
    for key in data:
        if key != "drift":
            errors.append(marks.diag((key,), f"unknown setting '{key}' (known: drift)", key=True))
    drift = data.get("drift") or {}
    if not isinstance(drift, dict):
        errors.append(marks.diag(("drift",), "drift: a mapping with ignore_tables and known"))
        drift = {}
    for key in drift:
        if key not in ("ignore_tables", "known"):
            errors.append(marks.diag(("drift", key), f"unknown key '{key}' (known: ignore_tables, known)", key=True))
    ignore = drift.get("ignore_tables") or {}
    if isinstance(ignore, list):
        ignore = {str(t): "" for t in ignore}
    if not isinstance(ignore, dict):
        errors.append(marks.diag(("drift", "ignore_tables"), "ignore_tables: a mapping of table (or glob) to the reason"))
        ignore = {}
    out.ignore_tables = {str(k): "" if v is None else str(v) for k, v in ignore.items()}
    known = drift.get("known") or []
    if not isinstance(known, list):
        errors.append(marks.diag(("drift", "known"), "known: a list of {code, object, why}"))
        known = []
    for i, k in enumerate(known):
        where = ("drift", "known", i)
        if not isinstance(k, dict):
            errors.append(marks.diag(where, "an entry is a mapping {code, object, why}"))
            continue
        for key in k:
            if key not in ("code", "object", "why", "dialects"):
                errors.append(marks.diag((*where, key), f"unknown key '{key}' (known: code, object, why, dialects)",
                                         key=True))
        missing = [key for key in ("code", "object", "why") if not k.get(key)]
        if missing:
            errors.append(marks.diag(where, f"missing {', '.join(missing)}: every accepted difference says what "
                                            "it is and why"))
            continue
        dialects = k.get("dialects") or []
        if isinstance(dialects, str):
            dialects = [dialects]
        bad = [x for x in dialects if x not in DIALECTS]
        if bad:
            errors.append(marks.diag((*where, "dialects"), f"unknown dialect {bad[0]!r} (known: {', '.join(DIALECTS)})"))
        objects = k["object"] if isinstance(k["object"], list) else [k["object"]]
        line, col = marks.at(where)
        out.known.append(Known(str(k["code"]), tuple(str(o) for o in objects), " ".join(str(k["why"]).split()),
                               tuple(dialects), (display, line, col)))
    if errors:
        raise SpecErrors(errors)
    return out
