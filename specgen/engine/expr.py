"""Expressions: a small language over columns, link paths and constants, evaluated on whole batches.

    quantity * part.retail_price * (1 - discount)
    receipt_date <= date '1995-06-17'
    trunc(parent.created_at, 'hour') + 2h
    case(status == 'F', 'closed', total > 1000, 'big', 'open')
    days(window_end - created_at) > 30 and not is_admin

The syntax is Python's expression grammar (parsed with ``ast``, so positions in error messages are
exact) plus a few literals rewritten before parsing: durations (``90s``, ``15m``, ``12h``,
``30d``, ``2w``), ``date '...'`` and ``timestamp '...'``, ``$param``, ``true``/``false``/``null``
and ``||`` for text concatenation. Every node is type-checked when the spec is validated
(``infer``) and evaluated on a whole batch at once (``evaluate``): numpy for numbers and times,
polars for text - never a Python loop over rows.

Kinds: ``int``, ``float``, ``bool``, ``text``, ``timestamp`` (epoch seconds), ``date`` (epoch
days), ``duration`` (seconds). NULL propagates through operators and functions (``coalesce``
and ``isnull`` see it); a condition that is NULL counts as false.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from specgen.engine.column import TEXT_KINDS, Column, as_text
from specgen.engine.exprlib import (
    DURATION_UNITS,
    FUNCTIONS,
    NUMERIC,
    TIMES,
    as_kind,
    nulls_of,
    numbers,
    seconds_of,
    select,
)

# Names an expression may use besides columns and links (a column of the same name wins).
BUILTIN_NAMES = ("_index", "_ordinal", "window_start", "window_end")


class ExprError(ValueError):
    """A problem in an expression; ``offset`` is the 0-based character position in its source."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


# -- rewriting and parsing ------------------------------------------------------------------------

_LITERALS = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<typed>\b(?:date|timestamp)\s+)(?='|")"""
    r"""|(?P<dur>(?<![\w.])\d+(?:\.\d+)?[smhdw]\b)"""
    r"""|(?P<param>\$[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<concat>\|\|)"""
)


def _rewrite(source: str, params: dict) -> tuple[str, list[tuple[int, int]]]:
    """Source -> Python expression text, with (position in the new text, shift) pairs that map
    positions back to the source for error messages."""
    out: list[str] = []
    shifts: list[tuple[int, int]] = []
    pos = 0
    length = 0

    def put(text: str, original: int) -> None:
        nonlocal length
        out.append(text)
        if len(text) != original:
            shifts.append((length + len(text), original - len(text)))
        length += len(text)

    typed = None
    for m in _LITERALS.finditer(source):
        put(source[pos:m.start()], m.start() - pos)
        pos = m.end()
        text = m.group(0)
        if m.lastgroup == "str":
            if typed:
                put(f"__{typed}__({text})", len(text))
                typed = None
            else:
                put(text, len(text))
        elif m.lastgroup == "typed":
            typed = text.split()[0]
            put("", len(text))
        elif m.lastgroup == "dur":
            put(f"__duration__({text[:-1]}, '{text[-1]}')", len(text))
        elif m.lastgroup == "param":
            name = text[1:]
            if name not in params:
                raise ExprError(f"unknown parameter '{text}'", m.start())
            put(repr(params[name]), len(text))
        else:
            put("+", 2)
    put(source[pos:], len(source) - pos)
    return "".join(out), shifts


def _source_offset(offset: int, shifts: list[tuple[int, int]]) -> int:
    for at, shift in shifts:
        if offset >= at:
            offset += shift
    return offset


def parse(source: str, params: dict | None = None) -> Expr:
    """Parse (not yet type-checked: see ``Expr.infer``)."""
    if not isinstance(source, str) or not source.strip():
        raise ExprError("an expression must be a non-empty string")
    text, shifts = _rewrite(source, params or {})
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error: {exc.msg}", _source_offset(max((exc.offset or 1) - 1, 0), shifts)) from None
    lead = len(text) - len(text.lstrip())
    body = text.strip()

    def at(o: int) -> int:
        return _source_offset(o + lead, shifts)

    def op_at(left, symbol: str) -> int:
        """Where an operator stands: the first occurrence after its left operand."""
        i = body.find(symbol, getattr(left, "end_col_offset", 0) or 0)
        return at(i if i >= 0 else left.col_offset)

    return Expr(source, _build(tree.body, at, op_at))


def _path_of(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_CONSTANT_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def _build(node, at: Callable[[int], int], op_at: Callable) -> Node:
    pos = at(getattr(node, "col_offset", 0))
    def sub(n):
        return _build(n, at, op_at)

    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, (bool, int, float, str)):
            return Const(pos, node.value)
        raise ExprError(f"unsupported literal {node.value!r}", pos)
    if isinstance(node, (ast.Name, ast.Attribute)):
        path = _path_of(node)
        if path is None:
            raise ExprError("a path is names joined by dots, e.g. parent.created_at", pos)
        if path in _CONSTANT_NAMES:
            return Const(pos, _CONSTANT_NAMES[path])
        return Path(pos, path)
    if isinstance(node, ast.UnaryOp):
        operand = sub(node.operand)
        if isinstance(node.op, ast.Not):
            return Not(pos, operand)
        if isinstance(node.op, ast.USub):
            return Neg(pos, operand)
        if isinstance(node.op, ast.UAdd):
            return operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        return Binary(op_at(node.left, op), op, sub(node.left), sub(node.right))
    if isinstance(node, ast.BoolOp):
        return Logic(pos, "and" if isinstance(node.op, ast.And) else "or", [sub(v) for v in node.values])
    if isinstance(node, ast.Compare):
        left = sub(node.left)
        parts = []
        prev = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                    raise ExprError("'in' takes a list of constants: x in ('a', 'b')", at(right.col_offset))
                values = [sub(e) for e in right.elts]
                if not all(isinstance(v, Const) and v.value is not None for v in values):
                    raise ExprError("'in' takes a list of constants: x in ('a', 'b')", at(right.col_offset))
                parts.append(In(pos, left, [v.value for v in values], isinstance(op, ast.NotIn)))
                left, prev = None, right
                continue
            if type(op) not in _CMPOPS:
                raise ExprError("unsupported comparison", pos)
            r = sub(right)
            if left is None:
                raise ExprError("'in' cannot be chained", pos)
            parts.append(Compare(op_at(prev, _CMPOPS[type(op)]), _CMPOPS[type(op)], left, r))
            left, prev = r, right
        return parts[0] if len(parts) == 1 else Logic(pos, "and", parts)
    if isinstance(node, ast.IfExp):
        return Case(pos, [(sub(node.test), sub(node.body))], sub(node.orelse))
    if isinstance(node, ast.Call):
        name = _path_of(node.func)
        if name is None or "." in name:
            raise ExprError("only the listed functions can be called", pos)
        if node.keywords:
            raise ExprError(f"{name}() takes positional arguments only", pos)
        args = [sub(a) for a in node.args]
        if name == "case":
            if len(args) < 3 or len(args) % 2 == 0:
                raise ExprError("case(cond1, value1, [cond2, value2, ...,] otherwise) takes an odd number "
                                "of arguments, at least 3", pos)
            return Case(pos, list(zip(args[:-1:2], args[1::2], strict=True)), args[-1])
        if name == "__duration__":
            return Const(pos, ("duration", int(round(args[0].value * DURATION_UNITS[args[1].value]))))
        if name in ("__date__", "__timestamp__"):
            return _typed_literal(pos, name.strip("_"), args[0].value)
        if name not in FUNCTIONS:
            from specgen.errors import did_you_mean

            raise ExprError(f"unknown function '{name}'." + did_you_mean(name, [*FUNCTIONS, "case"]), pos)
        lo, hi = FUNCTIONS[name].arity
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise ExprError(f"{name}() takes {want} argument{'s' if hi != 1 else ''}, got {len(args)}", pos)
        return Call(pos, name, args)
    raise ExprError(f"unsupported syntax: {type(node).__name__}", pos)


def _typed_literal(pos: int, kind: str, text: str) -> Const:
    import datetime as dt

    try:
        if kind == "date":
            d = dt.date.fromisoformat(text)
            return Const(pos, ("date", (d - dt.date(1970, 1, 1)).days))
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        return Const(pos, ("timestamp", int(t.timestamp())))
    except ValueError:
        raise ExprError(f"not an ISO-8601 {kind}: '{text}'", pos) from None


# -- the tree ---------------------------------------------------------------------------------------


class Node:
    """An expression node; ``pos`` is its offset in the source, ``kind`` is set by ``infer``."""

    kind: str | None = None

    def children(self) -> Iterator[Node]:
        return iter(())

    def paths(self) -> Iterator[str]:
        for c in self.children():
            yield from c.paths()

    def infer(self, kind_of) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, rows, key) -> Column:  # pragma: no cover - abstract
        raise NotImplementedError

    def uses_random(self) -> bool:
        return any(c.uses_random() for c in self.children())


@dataclass
class Const(Node):
    pos: int
    value: object

    def infer(self, kind_of):
        v = self.value
        if isinstance(v, tuple):
            self.kind = v[0]
        elif v is None:
            self.kind = "null"
        elif isinstance(v, bool):
            self.kind = "bool"
        elif isinstance(v, int):
            self.kind = "int"
        elif isinstance(v, float):
            self.kind = "float"
        else:
            self.kind = "text"
        return self.kind

    def evaluate(self, rows, key):
        n = len(rows.idx)
        v = self.value
        if self.kind == "null":
            return Column("null", np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
        if self.kind == "text":
            return Column.coded("text", pl.Series([v], dtype=pl.String), np.zeros(n, dtype=np.int64))
        if isinstance(v, tuple):
            v = v[1]
        dtype = {"bool": bool, "float": np.float64}.get(self.kind, np.int64)
        return Column(self.kind, np.full(n, v, dtype=dtype))


@dataclass
class Path(Node):
    pos: int
    path: str

    def paths(self):
        if self.path not in ("window_start", "window_end"):
            yield self.path

    def infer(self, kind_of):
        self.kind = kind_of(self.path)
        if self.kind is None:
            if self.path in ("window_start", "window_end"):
                self.kind = "timestamp"
            else:  # pragma: no cover - kind_of raises with the reason
                raise ExprError(f"unknown name '{self.path}'", self.pos)
        if self.kind == "json":
            self.kind = "text"
        return self.kind

    def evaluate(self, rows, key):
        if self.path in ("window_start", "window_end") and self.path not in rows.spec.columns:
            n = len(rows.idx)
            return Column("timestamp", np.full(n, getattr(rows, self.path), dtype=np.int64))
        col = rows.path(self.path)
        if col.kind == "json":
            return Column("text", col.values, col.nulls)
        return col


@dataclass
class _Operand(Node):
    """A node of one operator before one operand."""

    pos: int
    operand: Node

    def children(self):
        yield self.operand


@dataclass
class Neg(_Operand):
    def infer(self, kind_of):
        k = self.operand.infer(kind_of)
        if k not in (*NUMERIC, "duration", "null"):
            raise ExprError(f"cannot negate {k}", self.pos)
        self.kind = k
        return k

    def evaluate(self, rows, key):
        c = self.operand.evaluate(rows, key)
        return Column(self.kind, -numbers(c), c.nulls)


@dataclass
class Not(_Operand):
    def infer(self, kind_of):
        k = self.operand.infer(kind_of)
        if k not in ("bool", "null"):
            raise ExprError(f"'not' needs a condition, got {k}", self.pos)
        self.kind = "bool"
        return "bool"

    def evaluate(self, rows, key):
        c = self.operand.evaluate(rows, key)
        return Column("bool", ~numbers(c).astype(bool), c.nulls)


# (operator, left kind, right kind) -> result kind
_ARITH: dict[tuple[str, str, str], str] = {}
for _op in ("+", "-", "*", "%", "//", "**"):
    _ARITH[(_op, "int", "int")] = "int"
    for _a, _b in (("int", "float"), ("float", "int"), ("float", "float")):
        _ARITH[(_op, _a, _b)] = "float"
for _a in NUMERIC:
    for _b in NUMERIC:
        _ARITH[("/", _a, _b)] = "float"
    _ARITH[("*", "duration", _a)] = "duration"
    _ARITH[("*", _a, "duration")] = "duration"
    _ARITH[("/", "duration", _a)] = "duration"
    _ARITH[("//", "duration", _a)] = "duration"
_ARITH.update({
    ("+", "text", "text"): "text",
    ("+", "duration", "duration"): "duration", ("-", "duration", "duration"): "duration",
    ("/", "duration", "duration"): "float", ("//", "duration", "duration"): "int",
    ("%", "duration", "duration"): "duration",
    ("+", "timestamp", "duration"): "timestamp", ("+", "duration", "timestamp"): "timestamp",
    ("-", "timestamp", "duration"): "timestamp", ("-", "timestamp", "timestamp"): "duration",
    ("+", "date", "duration"): "date", ("+", "duration", "date"): "date",
    ("-", "date", "duration"): "date", ("-", "date", "date"): "duration",
    ("-", "timestamp", "date"): "duration", ("-", "date", "timestamp"): "duration",
})


@dataclass
class _Operands(Node):
    """A node of one operator between two operands."""

    pos: int
    op: str
    left: Node
    right: Node

    def children(self):
        yield self.left
        yield self.right


@dataclass
class Binary(_Operands):
    def infer(self, kind_of):
        a, b = self.left.infer(kind_of), self.right.infer(kind_of)
        if "null" in (a, b):
            self.kind = b if a == "null" else a
            return self.kind
        k = _ARITH.get((self.op, a, b))
        if k is None:
            hint = " (concatenate text with + or ||; convert with text())" if "text" in (a, b) else ""
            raise ExprError(f"cannot apply '{self.op}' to {a} and {b}{hint}", self.pos)
        self.kind = k
        return k

    def evaluate(self, rows, key):
        a, b = self.left.evaluate(rows, key), self.right.evaluate(rows, key)
        nulls = nulls_of(a, b)
        if self.kind == "text":
            return Column("text", as_text(a) + as_text(b), nulls)
        if a.kind in TIMES or b.kind in TIMES:
            x, y = seconds_of(a), seconds_of(b)
            v = x + y if self.op == "+" else x - y
            if self.kind == "date":
                v = v // 86400
            return Column(self.kind, v, nulls)
        x, y = numbers(a), numbers(b)
        op = self.op
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if op == "+":
                v = x + y
            elif op == "-":
                v = x - y
            elif op == "*":
                v = x * y
            elif op == "/":
                v = np.true_divide(x, y)
            elif op == "//":
                zero = y == 0
                v = np.floor_divide(x, np.where(zero, 1, y))
                nulls = zero if nulls is None else (nulls | zero)
            elif op == "%":
                zero = y == 0
                v = np.mod(x, np.where(zero, 1, y))
                nulls = zero if nulls is None else (nulls | zero)
            else:
                v = np.power(x.astype(np.float64), y) if self.kind == "float" else np.power(x, np.maximum(y, 0))
        if op == "/" and self.kind == "float":
            bad = ~np.isfinite(v)
            if bad.any():
                nulls = bad if nulls is None else (nulls | bad)
                v = np.where(bad, 0.0, v)
        if self.kind == "duration" and v.dtype != np.int64:
            v = np.floor(v).astype(np.int64)
        return Column(self.kind, v, nulls)


def _comparable(a: str, b: str) -> bool:
    return a == b or {a, b} <= set(NUMERIC) or {a, b} <= set(TIMES) or "null" in (a, b)


@dataclass
class Compare(_Operands):
    def infer(self, kind_of):
        a, b = self.left.infer(kind_of), self.right.infer(kind_of)
        if not _comparable(a, b):
            raise ExprError(f"cannot compare {a} with {b}", self.pos)
        if "bool" in (a, b) and self.op not in ("==", "!="):
            raise ExprError("booleans compare with == and != only", self.pos)
        self.kind = "bool"
        return "bool"

    def evaluate(self, rows, key):
        a, b = self.left.evaluate(rows, key), self.right.evaluate(rows, key)
        nulls = nulls_of(a, b)
        if a.kind in TEXT_KINDS or b.kind in TEXT_KINDS:
            x, y = as_text(a), as_text(b)
            v = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[self.op]
            v = v.fill_null(False).to_numpy()
        else:
            if a.kind in TIMES or b.kind in TIMES:
                x, y = seconds_of(a), seconds_of(b)
            else:
                x, y = numbers(a), numbers(b)
            v = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                 ">": np.greater, ">=": np.greater_equal}[self.op](x, y)
        return Column("bool", np.asarray(v, dtype=bool), nulls)


@dataclass
class In(Node):
    pos: int
    operand: Node
    values: list
    negate: bool = False

    def children(self):
        yield self.operand

    def infer(self, kind_of):
        k = self.operand.infer(kind_of)
        for v in self.values:
            vk = Const(0, v).infer(kind_of)
            if not _comparable(k, vk):
                raise ExprError(f"'in' compares {k} with {vk}", self.pos)
        self.kind = "bool"
        return "bool"

    def evaluate(self, rows, key):
        c = self.operand.evaluate(rows, key)
        if c.kind in TEXT_KINDS:
            hit = as_text(c).is_in([str(v) for v in self.values]).fill_null(False).to_numpy()
        else:
            hit = np.isin(numbers(c), np.array(self.values))
        return Column("bool", ~hit if self.negate else hit, c.nulls)


@dataclass
class Logic(Node):
    pos: int
    op: str
    operands: list

    def children(self):
        yield from self.operands

    def infer(self, kind_of):
        for o in self.operands:
            k = o.infer(kind_of)
            if k not in ("bool", "null"):
                raise ExprError(f"'{self.op}' needs conditions, got {k}", o.pos)
        self.kind = "bool"
        return "bool"

    def evaluate(self, rows, key):
        # A NULL operand counts as false, so that a condition is always true or false.
        out = None
        for o in self.operands:
            v = truth(o.evaluate(rows, key))
            out = v if out is None else (out & v if self.op == "and" else out | v)
        return Column("bool", out)


def truth(col: Column) -> np.ndarray:
    """A condition's rows that hold (NULL: false)."""
    v = np.asarray(col.values).astype(bool, copy=False)
    return v & ~col.nulls if col.nulls is not None else v


def _unify(kinds: list[str], pos: int, what: str) -> str:
    real = [k for k in kinds if k != "null"]
    if not real:
        return "null"
    if all(k in NUMERIC for k in real):
        return "float" if "float" in real else "int"
    if all(k in TIMES for k in real):
        return "timestamp" if "timestamp" in real else "date"
    if len(set(real)) == 1:
        return real[0]
    raise ExprError(f"{what} mixes {', '.join(sorted(set(real)))}", pos)


@dataclass
class Case(Node):
    pos: int
    branches: list  # [(condition, value)]
    otherwise: Node

    def children(self):
        for c, v in self.branches:
            yield c
            yield v
        yield self.otherwise

    def infer(self, kind_of):
        for c, _ in self.branches:
            k = c.infer(kind_of)
            if k not in ("bool", "null"):
                raise ExprError(f"a case condition must be a condition, got {k}", c.pos)
        self.kind = _unify([v.infer(kind_of) for _, v in self.branches] + [self.otherwise.infer(kind_of)],
                           self.pos, "case")
        return self.kind

    def evaluate(self, rows, key):
        n = len(rows.idx)
        rest = np.ones(n, dtype=bool)
        pieces = []
        for cond, value in self.branches:
            hit = truth(cond.evaluate(rows, key)) & rest
            if hit.any():
                pieces.append((hit, value))
                rest &= ~hit
        pieces.append((rest, self.otherwise))
        return select(self.kind, n, [(m, as_kind(v.evaluate(rows, key), self.kind)) for m, v in pieces if m.any()])


@dataclass
class Call(Node):
    pos: int
    name: str
    args: list

    def children(self):
        yield from self.args

    def uses_random(self):
        return self.name == "rand" or super().uses_random()

    def infer(self, kind_of):
        kinds = [a.infer(kind_of) for a in self.args]
        if self.name == "trunc" and len(self.args) > 1:
            unit = self.args[1]
            if not isinstance(unit, Const) or unit.value not in ("second", "minute", "hour", "day", "week"):
                raise ExprError("trunc()'s unit is one of 'second', 'minute', 'hour', 'day', 'week'", unit.pos)
        if self.name == "round" and len(self.args) > 1 and not (isinstance(self.args[1], Const) and kinds[1] == "int"):
            raise ExprError("round(x, n): n must be a whole number", self.args[1].pos)
        try:
            self.kind = FUNCTIONS[self.name].kind(kinds)
        except ValueError as exc:
            raise ExprError(f"{self.name}(): {exc}".replace(f"{self.name}(): {self.name}() ", f"{self.name}() "),
                            self.pos) from None
        return self.kind

    def evaluate(self, rows, key):
        cols = [a.evaluate(rows, key) for a in self.args]
        return FUNCTIONS[self.name].apply(self, rows, key, cols)


# -- the whole expression ----------------------------------------------------------------------------


@dataclass
class Expr:
    """A parsed expression; ``infer`` before ``evaluate``."""

    source: str
    root: Node

    def paths(self) -> list[str]:
        return list(dict.fromkeys(self.root.paths()))

    def infer(self, kind_of) -> str:
        """The result kind; ``kind_of(path)`` gives a path's kind. Raises ``ExprError`` at the
        offending position. Parts that read no row are computed once here (``$n == 0 or ...``
        is a constant when the profile says so)."""
        kind = self.root.infer(kind_of)
        self.root = _fold(self.root)
        return kind

    @property
    def constant(self):
        """The value when the expression reads no row (``None`` otherwise, and for NULL)."""
        return self.root.value if isinstance(self.root, Const) else None

    @property
    def kind(self) -> str | None:
        return self.root.kind

    def evaluate(self, rows, key) -> Column:
        return self.root.evaluate(rows, key)

    def condition(self, rows, key) -> np.ndarray:
        """The rows where the expression (a condition) holds."""
        return truth(self.evaluate(rows, key))


class _One:
    """One row of nothing: what a constant sub-expression is evaluated on."""

    idx = np.zeros(1, dtype=np.int64)


def _reads_rows(node: Node) -> bool:
    return isinstance(node, Path) or node.uses_random() or any(_reads_rows(c) for c in node.children())


def _fold(node: Node) -> Node:
    """Constant sub-expressions replaced by their value; ``or``/``and`` with a decided constant
    operand decided."""
    if isinstance(node, Const):
        return node
    if not _reads_rows(node):
        col = node.evaluate(_One(), np.uint64(0))
        if col.nulls is not None and col.nulls[0]:
            value = None
        elif col.kind in TEXT_KINDS:
            value = as_text(col)[0]
        else:
            v = np.asarray(col.values)[0]
            value = bool(v) if col.kind == "bool" else float(v) if col.kind == "float" else int(v)
            if col.kind in (*TIMES, "duration"):
                value = (col.kind, value)
        folded = Const(node.pos, value)
        folded.kind = node.kind if value is not None else "null"
        return folded
    for name, child in list(vars(node).items()):
        if isinstance(child, Node):
            setattr(node, name, _fold(child))
        elif isinstance(child, list):
            setattr(node, name, [tuple(_fold(x) for x in c) if isinstance(c, tuple) else _fold(c) if isinstance(c, Node)
                                 else c for c in child])
    if isinstance(node, Logic):
        decided = node.op == "or"  # the value that decides: true for or, false for and
        kept = []
        for o in node.operands:
            if isinstance(o, Const) and o.kind == "bool":
                if bool(o.value) == decided:
                    folded = Const(node.pos, decided)
                    folded.kind = "bool"
                    return folded
                continue  # neutral: drop it
            kept.append(o)
        if not kept:
            folded = Const(node.pos, not decided)
            folded.kind = "bool"
            return folded
        node.operands = kept
    return node


def check(source: str, params: dict, kind_of: Callable[[str], str | None]) -> tuple[Expr | None, str | None, int]:
    """Parse and type-check: (expression, None, 0) or (None, message, offset)."""
    try:
        e = parse(source, params)
    except ExprError as exc:
        return None, str(exc), exc.offset

    def kind(path):
        k = kind_of(path)
        if isinstance(k, tuple):  # (None, reason)
            raise ExprError(k[1], _offset_of(e.root, path))
        return k

    try:
        e.infer(kind)
    except ExprError as exc:
        return None, str(exc), exc.offset
    return e, None, 0


def _offset_of(node: Node, path: str) -> int:
    if isinstance(node, Path) and node.path == path:
        return node.pos
    for c in node.children():
        o = _offset_of(c, path)
        if o >= 0:
            return o
    return -1
