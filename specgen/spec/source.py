"""YAML documents with a side table of source positions.

``load(path)`` returns plain Python data (dicts, lists, scalars) plus a ``Marks`` object mapping
each spec path (a tuple of keys and list indices) to the line and column of its value and, for
mapping entries, of its key. Positions never enter the data itself, so the data can be validated
by jsonschema and hashed as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from specgen.errors import Diagnostic, SpecErrors

Path_ = tuple[object, ...]


@dataclass
class Marks:
    file: str
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    # Scalars written on one line (plain or quoted): the quote character ('' when plain), so that
    # a position inside the text (an expression's error) can be given as a column.
    inline: dict[Path_, str] = field(default_factory=dict)

    def at(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Position of ``path``; the nearest enclosing node when the path itself is absent."""
        table = self.keys if key else self.values
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def diag(self, path: Path_, message: str, key: bool = False) -> Diagnostic:
        from specgen.errors import format_path

        line, col = self.at(path, key)
        return Diagnostic(self.file, line, col, format_path(path), message)

    def diag_in(self, path: Path_, offset: int, message: str) -> Diagnostic:
        """A diagnostic at character ``offset`` of the one-line scalar at ``path`` (else at the
        scalar itself)."""
        from specgen.errors import format_path

        line, col = self.at(path)
        quote = self.inline.get(tuple(path))
        if quote is not None and offset >= 0:
            col += offset + (1 if quote else 0)
        return Diagnostic(self.file, line, col, format_path(path), message)


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def _timestamp_as_text(loader, node):
    # Keep timestamps as the text the user wrote: specs are validated as JSON-like data.
    return loader.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)

# libyaml's parser when PyYAML was built with it (much faster); node marks are the same.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path, display: str | None = None) -> tuple[object, Marks]:
    """Parse one YAML file; raise ``SpecErrors`` with the position of a syntax error."""
    name = display or str(path)
    marks = Marks(name)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            raise SpecErrors([Diagnostic(name, 0, 0, "", f"{size:,} bytes: a spec or profile file may have at most "
                                         f"{MAX_BYTES:,}")])
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecErrors([Diagnostic(name, 0, 0, "", f"cannot read file: {exc}")]) from None
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecErrors([Diagnostic(name, line, col, "", f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character)
        pos = exc.position
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise SpecErrors([Diagnostic(name, line, col, "", f"invalid YAML: {exc.reason} (U+{code:04X}); "
                                     f"write it as an escape in double quotes (\"\\x{code:02x}\")")]) from None
    if node is None:
        return None, marks
    errors: list[Diagnostic] = []
    try:
        data = _build(node, (), marks, _Constructor(), errors, [MAX_NODES])
    except _TooBig as exc:
        raise SpecErrors([Diagnostic(name, exc.line, exc.col, "", exc.message)]) from None
    if errors:
        raise SpecErrors(errors)
    return data, marks


# Bounds on one document: its bytes, and the values it holds once aliases are expanded (an alias
# of an alias of ... - a "billion laughs" - multiplies them; the gateway's biggest spec has a few
# hundred).
MAX_BYTES = 8 << 20
MAX_NODES = 200_000


class _TooBig(Exception):
    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def _build(node, path: Path_, marks: Marks, ctor: _Constructor, errors: list[Diagnostic], budget: list[int]):
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(node.start_mark.line + 1, node.start_mark.column + 1,
                      f"more than {MAX_NODES:,} values once its aliases (*name) are expanded: not a spec")
    marks.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        ctor.flatten_mapping(node)
        out: dict = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if isinstance(key, bool) and not key_node.style and key_node.value.lower() not in ("true", "false"):
                # YAML 1.1 reads a plain `on:`/`yes:`/`no:` key as a boolean; in specs it is a word
                # (`switch: {on: status}`). Only true/false keys are booleans, as in YAML 1.2.
                key = key_node.value
            if isinstance(key, (dt.date, dt.datetime)):
                key = key.isoformat()
            child = (*path, key)
            marks.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                errors.append(marks.diag(child, f"mapping key must be a scalar, got {type(key).__name__}", True))
                continue
            if key in out:
                errors.append(marks.diag(child, f"duplicate key '{key}'", key=True))
                continue
            out[key] = _build(value_node, child, marks, ctor, errors, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), marks, ctor, errors, budget) for i, item in enumerate(node.value)]
    if node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"'):
        marks.inline[path] = node.style or ""
    value = ctor.construct_object(node, deep=True)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value
