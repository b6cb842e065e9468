"""Helpers of the reliability tests: a spec set in a few lines, and the CLI's contract checked.

The contract (issue 18): a command exits 0, or exits 1 with every problem located as
``file:line:col: path: message``; never 2 (internal error), a traceback or a hang.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli

LOCATED = re.compile(r"^\S+:\d+:\d+: ", re.MULTILINE)
WINDOW = 'window: {end: "2026-01-01T00:00:00Z", days: 30}\nseed: 1\n'


def spec_set(root: Path, tables: dict[str, str], profile: str = "") -> Path:
    """``root/specs`` with one entity file per table and the profile ``default``."""
    specs = root / "specs"
    (specs / "profiles").mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (specs / f"{name}.yaml").write_text(text)
    (specs / "profiles" / "default.yaml").write_text(WINDOW + profile)
    return specs


def refused(proc, *fragments: str, located: bool = True) -> str:
    """Assert exit 1 with the fragments in the message (located at file:line:col); return stderr."""
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, f"exit {proc.returncode}:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    for f in fragments:
        assert f in err, f"{f!r} not in:\n{err}"
    if located:
        assert LOCATED.search(err), f"no file:line:col in:\n{err}"
    return err


def cli(*args, cwd: Path, **kw):
    return run_cli(*args, cwd=cwd, **kw)
