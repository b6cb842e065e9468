"""Answers to sqlglot questions, remembered between runs: a question's answer depends only on the
question and the installed sqlglot, while importing sqlglot costs a good part of a small run.

``ask(kind, dialect, question, answer)`` returns the remembered answer or calls ``answer()``. The
answers are kept in the cache directory (``resources.cache_dir("sqlglot")``), in one file per
specgen and sqlglot installation, pruned to ``MAX_ANSWERS``; new answers are written when the
process ends (atomically: concurrent processes each leave a whole file). Without a cache directory
every answer comes from ``answer()``, as it always could. Every layer may ask: ``sql.spelling``
for the dialects' spellings, ``spec`` for whether a partial index's condition parses.
"""

from __future__ import annotations

import atexit
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from specgen import __version__
from specgen.resources import cache_dir, installed_stamp, write_cache_file

_answers: dict[str, str] | None = None  # question -> answer, once read
_file: Path | None = None
_new = False  # answers not in the file yet
_used: set[str] = set()  # questions asked by this process
# Answers kept in the file: enough for several big spec sets (the gateway's asks about 6,000),
# while one spec set with a million columns cannot make every later command read its answers.
MAX_ANSWERS = 50_000


def ask(kind: str, dialect: str, question: str, answer: Callable[[], str]) -> str:
    """The remembered answer to ``question`` of ``kind`` for sqlglot ``dialect``, else ``answer()``."""
    global _answers, _new
    if _answers is None:
        _answers = _read()
    key = f"{kind}\0{dialect}\0{question}"
    _used.add(key)
    found = _answers.get(key)
    if found is None:
        found = answer()
        if _file is not None and not _new:
            atexit.register(_write)  # once, at the first new answer
            _new = True
        _answers[key] = found
    return found


def _read() -> dict[str, str]:
    global _file
    where = cache_dir("sqlglot")
    if where is None:
        return {}
    _file = where / f"spellings-{_identity()}.json"
    try:
        answers = json.loads(_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        answers = {}
    if not isinstance(answers, dict):
        return {}
    if len(answers) > MAX_ANSWERS:  # written by a version that kept everything: pruned when this run ends
        global _new
        atexit.register(_write)
        _new = True
    return answers


def _pruned(answers: dict[str, str]) -> dict[str, str]:
    """At most ``MAX_ANSWERS``: this process's questions first, then the most recently added."""
    if len(answers) <= MAX_ANSWERS:
        return answers
    keep = [k for k in answers if k in _used][-MAX_ANSWERS:]
    room = MAX_ANSWERS - len(keep)
    if room > 0:
        others = [k for k in answers if k not in _used]
        keep = others[len(others) - room:] + keep
    return {k: answers[k] for k in keep}


def _identity() -> str:
    """specgen's version and the installed sqlglot (its files change when it is upgraded)."""
    stamp = installed_stamp("sqlglot", ("__init__.py", "_version.py"))
    return hashlib.sha256(f"{__version__}\0{stamp}".encode()).hexdigest()[:16]


def _write() -> None:
    if _file is not None and _answers is not None:
        write_cache_file(_file, json.dumps(_pruned(_answers), ensure_ascii=False, separators=(",", ":")).encode())
