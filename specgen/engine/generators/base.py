"""The base of every generator kind: ``Generator`` and ``GenError``, the registry ``KINDS`` that
``Generator.__init_subclass__`` fills, and building a generator from its spec form (``build``;
``_sub``, ``_paths`` and ``_expression`` for kinds whose parameters hold generators, paths or
expressions)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from specgen.engine.column import Column
from specgen.engine.exprlib import DURATION_UNITS


def seconds(duration: float | str) -> int:
    """``90``, ``"90s"``, ``"15m"``, ``"12h"``, ``"30d"``, ``"2w"`` -> seconds."""
    if isinstance(duration, (int, float)):
        return int(duration)
    return int(float(duration[:-1]) * DURATION_UNITS[duration[-1]])


class GenError(ValueError):
    """A generator spec that cannot work; ``where`` is the spec path relative to the generator and
    ``offset`` a character position inside the text at that path (an expression), or -1."""

    def __init__(self, message: str, where: tuple = (), offset: int = -1):
        super().__init__(message)
        self.where = where
        self.offset = offset


# The profile's parameters while a spec's generators are built: expressions may use `$name`.
PARAMS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("specgen_params", default=None)


# Spec key -> the class of that generator kind; filled by ``Generator.__init_subclass__``.
KINDS: dict[str, type[Generator]] = {}


@dataclass
class Generator:
    """Base: ``kind`` is the produced kind, or None when it adapts to the column's kind.

    A subclass lists the spec keys it is written as in ``names`` (registered in ``KINDS``) and
    builds itself from them in ``from_spec``. The other hooks answer the spec checker and the
    verification checks; their defaults fit a kind that says nothing.
    """

    kind = None
    unique = False  # unique by construction (built from the row index through a bijection)
    names: ClassVar[tuple[str, ...]] = ()  # spec keys of this kind
    draws = True  # draws random values from its stream (a copy or a constant draws none)
    valued = False  # never NULL whatever it reads (never_null's answer unless overridden)
    dep_key: ClassVar[tuple] = ()  # where, under its spec key, the kind names the paths it reads

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("names", ()):
            if name in KINDS:
                raise TypeError(f"generator kind '{name}' registered twice ({KINDS[name].__name__}, {cls.__name__})")
            KINDS[name] = cls

    @classmethod
    def from_spec(cls, name: str, params, p: dict) -> Generator:
        """An instance from spec key ``name`` and its parameters (``p``: them as a mapping, or {})."""
        return cls(**p)

    def deps(self) -> Iterator[str]:
        """Paths (same-row columns or link.column) this generator reads."""
        return iter(())

    def own_deps(self) -> list[str]:
        """Paths this node reads itself, not through its children (checked where it stands)."""
        return list(self.deps())

    def children(self) -> Iterator[tuple[str, Generator]]:
        return iter(())

    def branches(self) -> list[Generator]:
        """The generators one of which gives each row's value: itself, but for a kind that picks
        a child per row (a switch's cases and default)."""
        return [self]

    def spec_child(self, name: str) -> tuple[tuple, Generator]:
        """(spec path under this node's key, generator) of child ``name`` (see ``children``)."""
        raise KeyError(name)  # pragma: no cover - only kinds with children are asked

    def check(self, ctx) -> None:
        """Rules on the parameters a schema cannot state. ``ctx`` is the spec checker's view of
        this node: ``ctx.error(where, message)`` (``where`` relative to the node's spec path),
        ``ctx.kind_at(path)``, ``ctx.resolve(path)``, ``ctx.pools``, ``ctx.table``, ``ctx.column``."""

    def never_null(self, spec, table, depth: int) -> bool:
        """Whether every row gets a value. ``spec`` answers for paths (``spec.never_null_path``)."""
        return self.valued

    def domain(self, spec, table, depth: int) -> set[str] | None:
        """Every value (as text, as a switch compares) this gives, or None when not known.
        ``spec`` answers for paths and pools (``spec.domain``, ``spec.gen_domain``, ``spec.pools``)."""
        return None

    def listed_values(self, column_gen) -> list | None:
        """The values listed in the spec that this gives (for verification's enum check), or None
        when it gives others; ``column_gen(name)`` is the generator of a column of the same row."""
        return None

    def known_values(self) -> list | None:
        """Every value it gives, as its parameters list them (None for NULL), when they list them
        all; None when it draws, computes or reads values they do not list (the default). A
        reference table's literal rows answer ``row_values`` instead."""
        return None

    def differs_among_siblings(self, spec, filters: tuple) -> bool:
        """Whether the children of one parent get pairwise different values from this node by
        construction, still after the template ``filters`` (``(name, arg)`` pairs) applied to its
        text on the way out; the uniqueness prover counts such a column as telling siblings
        apart. ``spec.pool_injective(name, filters)`` says whether filters keep a pool's values
        apart. Default: no."""
        return False

    def row_values(self) -> list | None:
        """The value of every row by row index (None for NULL) when the spec lists them, as a
        reference table's literal ``rows:`` do; None for a kind that generates its values."""
        return None

    def pattern(self) -> str | None:
        """A regular expression every value's text matches (verification's format check)."""
        return None

    def text_length(self) -> int | None:
        """An upper bound of its values' text length known from the parameters alone."""
        return None

    def accepts(self, kind: str) -> bool:
        return self.kind == kind or (self.kind == "text" and kind == "bytes")

    def evaluate(self, rows, key, kind: str) -> Column:  # pragma: no cover - abstract
        raise NotImplementedError


# -- building from the spec form ---------------------------------------------------------------


def build(spec) -> Generator:
    """Spec form -> generator (parameters already resolved: no ``$param`` strings left)."""
    if isinstance(spec, str):
        name, params = spec, None
    else:
        (name, params), = spec.items()
    p = params if isinstance(params, dict) else {}
    try:
        return KINDS[name].from_spec(name, params, p)
    except GenError as exc:
        raise GenError(str(exc), (name, *exc.where), exc.offset) from None


def _sub(value, *where):
    try:
        return build(value)
    except GenError as exc:
        raise GenError(str(exc), (*where, *exc.where), exc.offset) from None


def _paths(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _expression(source, where=()):
    from specgen.engine import expr

    if source is None:
        return None
    try:
        return expr.parse(source, PARAMS.get() or {})
    except expr.ExprError as exc:
        raise GenError(str(exc), where, exc.offset) from None
