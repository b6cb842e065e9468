"""User-facing errors: every problem carries a file, line, column and spec path.

Errors are collected (never raised one at a time while checking specs), sorted by location and
printed as ``file:line:col: path.in.spec: message``. The CLI turns ``SpecgenError`` into exit
code 1 in one place; anything else is an internal error (exit 2).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHOWN = 50


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecgenError(Exception):
    """A user error (bad spec, bad option, failed load or check): exit code 1, no traceback."""

    def __init__(self, message: str = "", diagnostics: Iterable[Diagnostic] = ()):
        self.diagnostics = sorted(set(diagnostics))
        super().__init__(message or self.render())

    def render(self) -> str:
        shown = [str(d) for d in self.diagnostics[:MAX_SHOWN]]
        rest = len(self.diagnostics) - len(shown)
        if rest > 0:
            shown.append(f"... and {rest} more")
        return "\n".join(shown)


class SpecErrors(SpecgenError):
    """Spec validation failed; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        super().__init__("", diagnostics)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest candidate, or an empty string."""
    match = difflib.get_close_matches(str(name), sorted(set(map(str, candidates))), n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def format_path(path: Iterable[object]) -> str:
    """``("columns", "email", "gen")`` -> ``columns.email.gen``; list indices as ``[3]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_json(text: str | bytes, where: str) -> object:
    """JSON from a file the user handed us (a pool, a manifest): a syntax error is a user error
    located at its line and column, not an internal one."""
    import json

    try:
        return json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        raise SpecgenError(f"{where}:{line}:{col}: invalid JSON: {getattr(exc, 'msg', exc)}") from None
